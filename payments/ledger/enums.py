"""The chart of accounts and the kinds of ledger transaction."""

from django.db import models


class LedgerAccountCode(models.TextChoices):
    """Where money is, per currency. See ``payments.ledger.services`` for the sign rule."""

    # The gateway as the source of buyers' money: minus everything captured.
    GATEWAY_CLEARING = "gateway_clearing", "Gateway clearing"
    # Buyers' money held by the platform until the goods are delivered and accepted.
    ESCROW = "escrow", "Escrow (held)"
    # Released to a seller, not paid out yet (one account per seller company).
    SELLER_PAYABLE = "seller_payable", "Seller payable"
    # Paid out to a seller, by transfer or by bank (one account per seller company).
    SELLER_PAID_OUT = "seller_paid_out", "Seller paid out"
    # The platform's fee, earned when an order settles.
    PLATFORM_FEES = "platform_fees", "Platform fees"
    # Returned to buyers.
    BUYER_REFUNDS = "buyer_refunds", "Buyer refunds"


# Accounts kept per seller company; every other account is one per currency.
PER_COMPANY_ACCOUNT_CODES = frozenset(
    {LedgerAccountCode.SELLER_PAYABLE, LedgerAccountCode.SELLER_PAID_OUT}
)


class LedgerTransactionKind(models.TextChoices):
    PAYMENT_CAPTURED = "payment_captured", "Payment captured"
    SETTLEMENT_RELEASED = "settlement_released", "Settlement released"
    PAYOUT = "payout", "Payout"
    REFUND = "refund", "Refund"
    DISPUTE_SPLIT = "dispute_split", "Dispute split"
    REVERSAL = "reversal", "Reversal"
    CHARGEBACK = "chargeback", "Chargeback (card dispute lost)"
