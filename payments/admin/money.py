"""The payments rows in the admin: read-only lists of what was asked of the gateway and what
it answered (payments, webhook events, settlements, refunds, gateway disputes, connected
accounts), and the two things an admin does with money here, each through a service:

- Settlements: "Retry payout" sends failed and awaiting settlements to the payout task again.
- Bank payouts: export the pending ones as CSV for the bank, and mark them paid with the
  bank's reference (the ledger payout is posted then; marking again does nothing).
- "Release hold" (bank payouts and settlements held because the seller changed its payout
  account): back to pending / released once an admin reviewed the change; a hold for an open
  card dispute is released only by the gateway's ``charge.dispute.closed``.
- Payout account changes: the history (who, when, from which address, old and new account
  masked), read-only.

No money row is added, edited or deleted by hand: money moves only through the services, which
keep the ledger balanced and every step idempotent.
"""

import json
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html

from marketplace.accounts.staff import staff_may
from marketplace.core.exceptions import InvalidTransition
from marketplace.trade.money import Money
from payments.enums import BankPayoutStatus
from payments.forms import BankReferenceForm
from payments.holds import HoldsReleased, bank_payouts_release_hold, settlements_release_hold
from payments.ledger.services import LedgerInsufficientFunds
from payments.models import (
    BankPayout,
    ConnectedAccount,
    GatewayDispute,
    Payment,
    PayoutAccountChange,
    Refund,
    Settlement,
    StripeEvent,
)
from payments.payouts import (
    bank_payout_mark_paid,
    bank_payouts_export_csv,
    settlements_payout_retry,
)


def _money(amount_minor: int, currency: str) -> str:
    return str(Money.from_minor_units(amount_minor, currency))


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _report_holds_released(
    admin_: admin.ModelAdmin, request: HttpRequest, result: HoldsReleased, noun: str
) -> None:
    if result.released:
        count = len(result.released)
        admin_.message_user(
            request,
            f"Hold released for {count} {noun}{'' if count == 1 else 's'}.",
            messages.SUCCESS,
        )
    for pk, why in sorted(result.refused.items()):
        admin_.message_user(
            request, f"{noun.capitalize()} {pk} stays as it is: {why}.", messages.ERROR
        )


class MoneyRowAdmin(admin.ModelAdmin):
    """Read-only: no add, change or delete; actions say which permission they need."""

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [field.name for field in self.model._meta.fields] + list(self.readonly_fields)

    def _model_perm(self, request: HttpRequest, action: str) -> bool:
        opts = self.model._meta
        return request.user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")


@admin.register(Payment)
class PaymentAdmin(MoneyRowAdmin):
    list_display = [
        "payment_intent_id",
        "order",
        "amount",
        "received",
        "status",
        "attempt",
        "sandbox",
        "created_at",
    ]
    list_filter = ["status", "sandbox", "currency"]
    search_fields = ["payment_intent_id", "order__number"]
    list_select_related = ["order"]
    date_hierarchy = "created_at"
    exclude = ["client_secret"]  # a browser credential: never shown

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [
            name for name in super().get_readonly_fields(request, obj) if name != "client_secret"
        ]

    @admin.display(description="amount", ordering="amount_minor")
    def amount(self, obj: Payment) -> str:
        return _money(obj.amount_minor, obj.currency)

    @admin.display(description="received", ordering="amount_received_minor")
    def received(self, obj: Payment) -> str:
        return _money(obj.amount_received_minor, obj.currency)


@admin.register(StripeEvent)
class StripeEventAdmin(MoneyRowAdmin):
    list_display = [
        "event_id",
        "type",
        "status",
        "attempts",
        "error_short",
        "created",
        "received_at",
    ]
    list_filter = ["status", "type", "livemode"]
    search_fields = ["event_id", "type"]
    date_hierarchy = "received_at"
    exclude = ["payload"]
    readonly_fields = ["payload_pretty"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [name for name in super().get_readonly_fields(request, obj) if name != "payload"]

    @admin.display(description="error")
    def error_short(self, obj: StripeEvent) -> str:
        return _short(obj.error)

    @admin.display(description="payload")
    def payload_pretty(self, obj: StripeEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.payload, indent=2, sort_keys=True))


@admin.register(Settlement)
class SettlementAdmin(MoneyRowAdmin):
    list_display = [
        "order",
        "seller",
        "status",
        "last_error_short",
        "seller_share",
        "platform_fee",
        "attempts",
        "paid_at",
    ]
    list_filter = ["status", "hold_reason", "currency"]
    search_fields = ["order__number", "seller__legal_name", "transfer_id"]
    list_select_related = ["order", "seller"]
    date_hierarchy = "created_at"
    actions = ["retry_payout", "release_hold"]

    def has_release_hold_permission(self, request: HttpRequest) -> bool:
        return self._model_perm(request, "change")

    @admin.action(description="Release hold", permissions=["release_hold"])
    def release_hold(self, request: HttpRequest, queryset: QuerySet[Settlement]) -> None:
        result = settlements_release_hold(
            settlement_ids=list(queryset.values_list("pk", flat=True)),
            actor=request.user,  # type: ignore[arg-type]
        )
        _report_holds_released(self, request, result, "settlement")

    @admin.display(description="seller share", ordering="seller_share_minor")
    def seller_share(self, obj: Settlement) -> str:
        return _money(obj.seller_share_minor, obj.currency)

    @admin.display(description="platform fee", ordering="platform_fee_minor")
    def platform_fee(self, obj: Settlement) -> str:
        return _money(obj.platform_fee_minor, obj.currency)

    @admin.display(description="last error")
    def last_error_short(self, obj: Settlement) -> str:
        return _short(obj.last_error)

    def has_retry_payout_permission(self, request: HttpRequest) -> bool:
        return self._model_perm(request, "change")

    @admin.action(description="Retry payout of selected settlements", permissions=["retry_payout"])
    def retry_payout(self, request: HttpRequest, queryset: QuerySet[Settlement]) -> None:
        selected = list(queryset.values_list("pk", flat=True))
        sent = settlements_payout_retry(settlement_ids=selected)
        if sent:
            noun = "settlement" if len(sent) == 1 else "settlements"
            self.message_user(
                request, f"{len(sent)} {noun} sent to the payout task.", messages.SUCCESS
            )
        skipped = len(selected) - len(sent)
        if skipped:
            self.message_user(
                request,
                f"{skipped} not sent: only failed settlements and those awaiting a payout "
                "account are retried.",
                messages.WARNING,
            )


@admin.register(Refund)
class RefundAdmin(MoneyRowAdmin):
    list_display = [
        "order",
        "amount",
        "reason",
        "status",
        "gateway_refund_id",
        "attempts",
        "last_error_short",
        "created_at",
    ]
    list_filter = ["status", "reason", "currency"]
    search_fields = ["order__number", "gateway_refund_id", "idempotency_key"]
    list_select_related = ["order"]
    date_hierarchy = "created_at"

    @admin.display(description="amount", ordering="amount_minor")
    def amount(self, obj: Refund) -> str:
        return _money(obj.amount_minor, obj.currency)

    @admin.display(description="last error")
    def last_error_short(self, obj: Refund) -> str:
        return _short(obj.last_error)


@admin.register(BankPayout)
class BankPayoutAdmin(MoneyRowAdmin):
    list_display = [
        "id",
        "seller",
        "order_number",
        "amount",
        "status",
        "hold_reason",
        "bank_reference",
        "exported_at",
        "paid_at",
    ]
    list_filter = ["status", "hold_reason", "currency"]
    search_fields = ["seller__legal_name", "settlement__order__number", "bank_reference"]
    list_select_related = ["seller", "settlement__order"]
    date_hierarchy = "created_at"
    actions = ["export_csv", "mark_paid", "release_hold"]

    def has_release_hold_permission(self, request: HttpRequest) -> bool:
        return self._model_perm(request, "change")

    @admin.action(description="Release hold", permissions=["release_hold"])
    def release_hold(self, request: HttpRequest, queryset: QuerySet[BankPayout]) -> None:
        result = bank_payouts_release_hold(
            payout_ids=list(queryset.values_list("pk", flat=True)),
            actor=request.user,  # type: ignore[arg-type]
        )
        _report_holds_released(self, request, result, "payout")

    @admin.display(description="order", ordering="settlement__order__number")
    def order_number(self, obj: BankPayout) -> str:
        return obj.settlement.order.number

    @admin.display(description="amount", ordering="amount_minor")
    def amount(self, obj: BankPayout) -> str:
        return _money(obj.amount_minor, obj.currency)

    def has_export_csv_permission(self, request: HttpRequest) -> bool:
        return staff_may(request.user, "payments.export_bank_payouts")

    def has_mark_paid_permission(self, request: HttpRequest) -> bool:
        return self._model_perm(request, "change")

    @admin.action(description="Export selected pending payouts as CSV", permissions=["export_csv"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[BankPayout]) -> HttpResponse:
        content = bank_payouts_export_csv(payout_ids=queryset.values_list("pk", flat=True))
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="bank-payouts-{stamp}.csv"'
        return response

    @admin.action(
        description="Mark selected payouts paid (bank reference)", permissions=["mark_paid"]
    )
    def mark_paid(
        self, request: HttpRequest, queryset: QuerySet[BankPayout]
    ) -> HttpResponse | None:
        payouts = list(queryset.select_related("seller", "settlement__order").order_by("pk"))
        form = BankReferenceForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            self._mark_paid(request, payouts, form.cleaned_data["bank_reference"])
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Mark bank payouts paid",
            "opts": self.model._meta,
            "payouts": [
                (payout, _money(payout.amount_minor, payout.currency)) for payout in payouts
            ],
            "pending": sum(1 for payout in payouts if payout.status == BankPayoutStatus.PENDING),
            "form": form,
            "action_name": "mark_paid",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request,
            "payments/payout_admin_mark_paid.html",
            context,
            status=400 if form.is_bound else 200,
        )

    def _mark_paid(self, request: HttpRequest, payouts: list[BankPayout], reference: str) -> None:
        marked = already = 0
        for payout in payouts:
            try:
                result = bank_payout_mark_paid(
                    payout_id=payout.pk,
                    bank_reference=reference,
                    actor=request.user,  # type: ignore[arg-type]
                )
            except (ValidationError, InvalidTransition, LedgerInsufficientFunds) as exc:
                text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                self.message_user(
                    request, f"Payout {payout.pk}: not marked paid. {text}", messages.ERROR
                )
                continue
            if result.changed:
                marked += 1
            else:
                already += 1
        if marked:
            noun = "payout" if marked == 1 else "payouts"
            self.message_user(
                request,
                f"{marked} {noun} marked paid with reference {reference}.",
                messages.SUCCESS,
            )
        if already:
            noun = "payout was" if already == 1 else "payouts were"
            self.message_user(
                request, f"{already} {noun} already paid: nothing changed.", messages.INFO
            )


@admin.register(GatewayDispute)
class GatewayDisputeAdmin(MoneyRowAdmin):
    list_display = [
        "dispute_id",
        "payment",
        "amount",
        "reason",
        "status",
        "outcome",
        "created_at",
        "closed_at",
    ]
    list_filter = ["status", "outcome", "currency"]
    search_fields = ["dispute_id", "payment__payment_intent_id", "payment__order__number"]
    list_select_related = ["payment"]

    @admin.display(description="amount", ordering="amount_minor")
    def amount(self, obj: GatewayDispute) -> str:
        return _money(obj.amount_minor, obj.currency)


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(MoneyRowAdmin):
    list_display = [
        "company",
        "method",
        "stripe_account_id",
        "details_submitted",
        "payouts_enabled",
        "requirements",
        "bank_country",
        "updated_at",
    ]
    list_filter = ["method", "payouts_enabled", "bank_country"]
    search_fields = ["company__legal_name", "stripe_account_id", "bank_iban"]
    list_select_related = ["company"]

    @admin.display(description="requirements due")
    def requirements(self, obj: ConnectedAccount) -> str:
        return ", ".join(obj.requirements_due) or "—"


@admin.register(PayoutAccountChange)
class PayoutAccountChangeAdmin(MoneyRowAdmin):
    """Who changed a company's payout account, when and from where (masked accounts)."""

    list_display = [
        "created_at",
        "company",
        "changed_by",
        "client_ip",
        "old_account",
        "new_account",
        "payouts_held",
        "settlements_held",
        "notified_at",
    ]
    list_filter = ["new_method"]
    search_fields = ["company__legal_name", "changed_by__email", "client_ip"]
    list_select_related = ["company", "changed_by"]
    date_hierarchy = "created_at"
