"""Statuses of the payments capability and the transitions they allow."""

from django.db import models


class PaymentStatus(models.TextChoices):
    """A PaymentIntent as the platform knows it (Stripe's statuses, condensed)."""

    REQUIRES_PAYMENT = "requires_payment", "Awaiting payment"
    PROCESSING = "processing", "Processing"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


# A failed attempt may be retried with the same intent (a new card); succeeded is final.
PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentStatus.REQUIRES_PAYMENT: frozenset(
        {
            PaymentStatus.PROCESSING,
            PaymentStatus.SUCCEEDED,
            PaymentStatus.FAILED,
            PaymentStatus.CANCELED,
        }
    ),
    PaymentStatus.PROCESSING: frozenset(
        {PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.CANCELED}
    ),
    PaymentStatus.FAILED: frozenset(
        {PaymentStatus.PROCESSING, PaymentStatus.SUCCEEDED, PaymentStatus.CANCELED}
    ),
    PaymentStatus.SUCCEEDED: frozenset(),
    PaymentStatus.CANCELED: frozenset(),
}

OPEN_PAYMENT_STATUSES = frozenset(
    {PaymentStatus.REQUIRES_PAYMENT, PaymentStatus.PROCESSING, PaymentStatus.FAILED}
)


class PayoutMethod(models.TextChoices):
    STRIPE = "stripe", "Stripe Connect"
    BANK_TRANSFER = "bank_transfer", "Bank transfer"


class SettlementStatus(models.TextChoices):
    # Released in the ledger (escrow → payable + fees); the seller is not paid yet.
    RELEASED = "released", "Released, transfer pending"
    # Released, but the seller has no payout account that can be paid yet.
    AWAITING_ACCOUNT = "awaiting_account", "Awaiting the seller's payout account"
    # Paid by Stripe transfer (ledger: payable → paid out).
    TRANSFERRED = "transferred", "Transferred"
    # Accrued as payable for a bank transfer; see BankPayout.
    BANK_PAYABLE = "bank_payable", "Payable by bank transfer"
    PAID_BY_BANK = "paid_by_bank", "Paid by bank transfer"
    # The gateway refused the transfer for good; an admin must act (reason in last_error).
    FAILED = "failed", "Failed"
    # The transfer was reversed at the gateway after it was made.
    REVERSED = "reversed", "Transfer reversed"
    # Not paid out until an admin (payout account changed) or the gateway (card dispute
    # closed) releases it; the reason is ``hold_reason``.
    HELD = "held", "Held for review"
    # The buyer's bank took the money back (card dispute lost) before the seller was paid.
    CHARGED_BACK = "charged_back", "Charged back"


SETTLEMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    SettlementStatus.RELEASED: frozenset(
        {
            SettlementStatus.TRANSFERRED,
            SettlementStatus.AWAITING_ACCOUNT,
            SettlementStatus.BANK_PAYABLE,
            SettlementStatus.FAILED,
            SettlementStatus.HELD,
        }
    ),
    SettlementStatus.AWAITING_ACCOUNT: frozenset(
        {SettlementStatus.RELEASED, SettlementStatus.BANK_PAYABLE, SettlementStatus.HELD}
    ),
    SettlementStatus.FAILED: frozenset(
        {SettlementStatus.RELEASED, SettlementStatus.BANK_PAYABLE, SettlementStatus.HELD}
    ),
    SettlementStatus.HELD: frozenset({SettlementStatus.RELEASED, SettlementStatus.CHARGED_BACK}),
    SettlementStatus.BANK_PAYABLE: frozenset(
        {SettlementStatus.PAID_BY_BANK, SettlementStatus.CHARGED_BACK}
    ),
    SettlementStatus.TRANSFERRED: frozenset({SettlementStatus.REVERSED}),
    SettlementStatus.PAID_BY_BANK: frozenset(),
    SettlementStatus.REVERSED: frozenset(),
    SettlementStatus.CHARGED_BACK: frozenset(),
}


class HoldReason(models.TextChoices):
    """Why a settlement or bank payout is held."""

    ACCOUNT_CHANGE = "account_change", "Payout account changed: an admin reviews the change"
    CARD_DISPUTE = "card_dispute", "Card dispute open: waits for the buyer's bank"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class RefundReason(models.TextChoices):
    ORDER_CANCELLED = "order_cancelled", "Paid order cancelled"
    DISPUTE = "dispute", "Dispute resolved for the buyer"
    LATE_PAYMENT = "late_payment", "Paid after the order was cancelled"
    GATEWAY = "gateway", "Refunded at the gateway"


class BankPayoutStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    # Not exported nor paid until released (``hold_reason`` says why).
    ON_HOLD = "on_hold", "On hold for review"
    # The money it was to pay is gone (card dispute lost).
    CANCELLED = "cancelled", "Cancelled"


BANK_PAYOUT_TRANSITIONS: dict[str, frozenset[str]] = {
    BankPayoutStatus.PENDING: frozenset({BankPayoutStatus.PAID, BankPayoutStatus.ON_HOLD}),
    BankPayoutStatus.ON_HOLD: frozenset({BankPayoutStatus.PENDING, BankPayoutStatus.CANCELLED}),
    BankPayoutStatus.PAID: frozenset(),
    BankPayoutStatus.CANCELLED: frozenset(),
}


class StripeEventStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored (type not handled)"
    FAILED = "failed", "Failed"
    # Applying it would be wrong (e.g. the amount paid is not what is due): nothing was
    # changed, the reason is in ``error``, an admin looks at it. Never retried.
    NEEDS_REVIEW = "needs_review", "Needs review (nothing applied)"


class GatewayDisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class GatewayDisputeOutcome(models.TextChoices):
    """Stripe's final dispute statuses (``charge.dispute.closed``)."""

    WON = "won", "Won (the money stays)"
    LOST = "lost", "Lost (charged back)"
    WARNING_CLOSED = "warning_closed", "Inquiry closed (no chargeback)"


class MismatchKind(models.TextChoices):
    LEDGER_UNBALANCED = "ledger_unbalanced", "Ledger unbalanced"
    PAYMENT_NOT_CAPTURED = "payment_not_captured", "Payment succeeded but not in the ledger"
    PAYMENT_AMOUNT = "payment_amount", "Captured amount differs from the gateway"
    PAYMENT_STATUS = "payment_status", "Payment status differs from the gateway"
    TRANSFER_MISSING = "transfer_missing", "Transfer missing at the gateway"
    TRANSFER_AMOUNT = "transfer_amount", "Transfer amount differs"
    TRANSFER_DESTINATION = "transfer_destination", "Transfer went to another account"
    TRANSFER_REVERSED = "transfer_reversed", "Transfer reversed at the gateway"
    PAYOUT_MISSING = "payout_missing", "Transfer made but no payout in the ledger"
    REFUND_MISMATCH = "refund_mismatch", "Refund differs from the gateway"
    ESCROW_LEFT = "escrow_left", "Money left in escrow for a finished order"
    SETTLEMENT_MISSING = "settlement_missing", "Completed order without a settlement"
