"""What the platform knows about money it collects, holds, pays out and refunds.

The ledger (``payments.ledger``) says where money is; these rows say what was asked of the
gateway, under which idempotency key, and what it answered. Every idempotency key is derived
from a business key and committed before the gateway is called, so a retry after a crash asks
the gateway the same question again and gets the same answer.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from marketplace.accounts.models import Company
from marketplace.core.models import BaseModel
from marketplace.trade.currencies import CURRENCY_CHOICES
from orders.models import Dispute, Order
from payments.enums import (
    BankPayoutStatus,
    GatewayDisputeOutcome,
    GatewayDisputeStatus,
    HoldReason,
    MismatchKind,
    PaymentStatus,
    PayoutMethod,
    RefundReason,
    RefundStatus,
    SettlementStatus,
    StripeEventStatus,
)


class ConnectedAccount(BaseModel):
    """How a seller company is paid: a Stripe Connect Express account or bank transfer."""

    company = models.OneToOneField(Company, on_delete=models.PROTECT, related_name="payout_account")
    method = models.CharField(max_length=16, choices=PayoutMethod.choices)
    stripe_account_id = models.CharField(max_length=64, blank=True)
    # Stripe's view of the account, refreshed from account.updated (re-read, never assumed).
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    requirements_due = models.JSONField(default=list, blank=True)
    # Bank transfer details (method bank_transfer).
    bank_account_holder = models.CharField(max_length=200, blank=True)
    bank_name = models.CharField(max_length=200, blank=True)
    bank_iban = models.CharField("IBAN or account number", max_length=64, blank=True)
    bank_swift = models.CharField("SWIFT/BIC", max_length=11, blank=True)
    bank_country = models.CharField(max_length=2, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_account_id"],
                condition=~Q(stripe_account_id=""),
                name="connected_account_stripe_id_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.company} ({self.get_method_display()})"

    @property
    def can_receive_transfers(self) -> bool:
        return (
            self.method == PayoutMethod.STRIPE
            and bool(self.stripe_account_id)
            and self.payouts_enabled
        )


class Payment(BaseModel):
    """One PaymentIntent for an order: the buyer's attempt(s) to pay its total."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    payment_intent_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    client_secret = models.CharField(max_length=200, blank=True)
    # What the order asks for, and what the gateway says it received (minor units).
    amount_minor = models.BigIntegerField()
    amount_received_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField(
        max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.REQUIRES_PAYMENT
    )
    # Committed before the gateway is called: "pi:<order number>:<attempt>".
    idempotency_key = models.CharField(max_length=200, unique=True)
    attempt = models.PositiveIntegerField(default=1)
    sandbox = models.BooleanField(default=False)
    last_error = models.TextField(blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "attempt"], name="payment_order_attempt"),
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status="succeeded"),
                name="payment_one_succeeded_per_order",
            ),
        ]

    def __str__(self) -> str:
        return self.payment_intent_id or f"payment {self.pk} (not created at the gateway)"


class StripeEvent(models.Model):
    """A webhook event, stored once by its id before it is applied."""

    event_id = models.CharField(max_length=64, unique=True)
    type = models.CharField(max_length=64, db_index=True)
    payload = models.JSONField()
    livemode = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=StripeEventStatus.choices, default=StripeEventStatus.RECEIVED
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(help_text="When the gateway created the event.")
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class Settlement(BaseModel):
    """The seller's share of a completed order: released in the ledger, then paid out."""

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="settlement")
    seller = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="settlements")
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    seller_share_minor = models.BigIntegerField()
    platform_fee_minor = models.BigIntegerField()
    status = models.CharField(
        max_length=20, choices=SettlementStatus.choices, default=SettlementStatus.RELEASED
    )
    # Committed before the transfer is asked for: "transfer:<order number>".
    transfer_idempotency_key = models.CharField(max_length=200, unique=True)
    transfer_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    hold_reason = models.CharField(max_length=20, choices=HoldReason.choices, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(seller_share_minor__gte=0) & Q(platform_fee_minor__gte=0),
                name="settlement_amounts_not_negative",
            ),
            models.UniqueConstraint(
                fields=["transfer_id"],
                condition=~Q(transfer_id=""),
                name="settlement_transfer_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Settlement of {self.order.number}"


class Refund(BaseModel):
    """Money held for an order going back to the buyer."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    reason = models.CharField(max_length=20, choices=RefundReason.choices)
    note = models.TextField(blank=True)
    status = models.CharField(
        max_length=16, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    # Committed before the gateway is called, e.g. "refund:<order number>:cancel".
    idempotency_key = models.CharField(max_length=200, unique=True)
    gateway_refund_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="refund_amount_positive"),
            models.UniqueConstraint(
                fields=["gateway_refund_id"],
                condition=~Q(gateway_refund_id=""),
                name="refund_gateway_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Refund {self.amount_minor} {self.currency} for {self.order.number}"


class BankPayout(BaseModel):
    """A settlement accrued for a seller paid by bank transfer, until an admin pays it."""

    settlement = models.OneToOneField(
        Settlement, on_delete=models.PROTECT, related_name="bank_payout"
    )
    seller = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="bank_payouts")
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    amount_minor = models.BigIntegerField()
    status = models.CharField(
        max_length=16, choices=BankPayoutStatus.choices, default=BankPayoutStatus.PENDING
    )
    bank_reference = models.CharField(max_length=100, blank=True)
    exported_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hold_reason = models.CharField(max_length=20, choices=HoldReason.choices, blank=True)

    class Meta:
        ordering = ["-id"]
        permissions = [("export_bank_payouts", "Can export pending bank payouts as CSV")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="bank_payout_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return f"Bank payout {self.amount_minor} {self.currency} to {self.seller}"


class SettlementEvent(models.Model):
    """A settlement held or released (``core.transitions``), by whom and why."""

    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=SettlementStatus.choices)
    to_status = models.CharField(max_length=20, choices=SettlementStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.settlement}: {self.from_status} → {self.to_status}"


class BankPayoutEvent(models.Model):
    """A bank payout's status change (``core.transitions``), by whom and why."""

    bank_payout = models.ForeignKey(BankPayout, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, choices=BankPayoutStatus.choices)
    to_status = models.CharField(max_length=16, choices=BankPayoutStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.bank_payout}: {self.from_status} → {self.to_status}"


class PayoutAccountChange(models.Model):
    """History of a company's payout account: who changed it, when, from where, from what to
    what (masked: never more than the last four characters of an account number)."""

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="payout_account_changes"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    old_method = models.CharField(max_length=16, choices=PayoutMethod.choices, blank=True)
    new_method = models.CharField(max_length=16, choices=PayoutMethod.choices)
    old_account = models.CharField("old account (masked)", max_length=64, blank=True)
    new_account = models.CharField("new account (masked)", max_length=64)
    payouts_held = models.PositiveIntegerField(default=0)
    settlements_held = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.company}: {self.old_account or '—'} → {self.new_account}"


class GatewayDispute(BaseModel):
    """A chargeback the buyer's bank opened at the gateway (charge.dispute.created)."""

    dispute_id = models.CharField(max_length=64, unique=True)
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="gateway_disputes"
    )
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    reason = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=16, choices=GatewayDisputeStatus.choices, default=GatewayDisputeStatus.OPEN
    )
    # From charge.dispute.closed: won / lost / warning_closed, and what was done about it.
    outcome = models.CharField(max_length=16, choices=GatewayDisputeOutcome.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.dispute_id


class ReconciliationRun(models.Model):
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    checked = models.PositiveIntegerField(default=0)
    mismatches = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Reconciliation {self.started_at:%Y-%m-%d %H:%M}"


class ReconciliationMismatch(models.Model):
    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=32, choices=MismatchKind.choices)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reference = models.CharField(max_length=100, blank=True)
    expected = models.CharField(max_length=200, blank=True)
    actual = models.CharField(max_length=200, blank=True)
    detail = models.TextField(blank=True)
    resolved = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reference}"


class SandboxObject(models.Model):
    """The offline sandbox's memory of the objects it made (PaymentIntents, transfers, ...).

    Only used when no Stripe key is set; never holds real money.
    """

    object_id = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=32)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.object_id


class DisputeCase(Dispute):
    """A buyer's dispute (``orders.Dispute``) as the payments admin resolves it: by moving the
    money the order holds (``payments.disputes.dispute_resolve``). Orders knows nothing of it."""

    class Meta:
        proxy = True
        verbose_name = "dispute"
        verbose_name_plural = "disputes"
        permissions = [("resolve_dispute", "Can resolve a buyer's dispute (moves held money)")]
