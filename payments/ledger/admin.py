"""The ledger in the admin: read-only. Money moves only through the ledger services (which
keep every transaction balanced and idempotent); the database refuses edits anyway.

Accounts list with their derived balances (the balances view, with the ledger check on top);
transactions with their entries inline.
"""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html

from marketplace.trade.money import Money
from payments.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from payments.ledger.selectors import (
    ledger_accounts_with_balances,
    ledger_check,
    ledger_unbalanced_transactions,
)


class _ReadOnlyAdminMixin:
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def _money(amount_minor: int, currency: str) -> str:
    return str(Money.from_minor_units(amount_minor, currency))


class LedgerEntryInline(_ReadOnlyAdminMixin, admin.TabularInline):
    model = LedgerEntry
    extra = 0
    can_delete = False
    fields = ("account", "amount", "amount_minor", "currency")
    readonly_fields = fields
    ordering = ["id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LedgerEntry]:
        return super().get_queryset(request).select_related("account", "account__company")

    @admin.display(description="amount")
    def amount(self, obj: LedgerEntry) -> str:
        return _money(obj.amount_minor, obj.currency)


@admin.register(LedgerAccount)
class LedgerAccountAdmin(_ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["code", "currency", "company", "balance", "entries_link"]
    list_filter = ["code", "currency"]
    search_fields = ["company__legal_name", "company__trading_name"]
    fields = readonly_fields = (
        "code",
        "currency",
        "company",
        "balance",
        "entries_link",
        "created_at",
    )
    ordering = ["code", "currency", "company_id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LedgerAccount]:
        return ledger_accounts_with_balances()

    @admin.display(description="balance", ordering="balance_minor")
    def balance(self, obj: LedgerAccount) -> str:
        return _money(obj.balance_minor, obj.currency)  # type: ignore[attr-defined]

    @admin.display(description="transactions")
    def entries_link(self, obj: LedgerAccount) -> str:
        url = reverse("admin:ledger_ledgertransaction_changelist")
        return format_html(
            '<a href="{}?entries__account__id__exact={}">Transactions</a>', url, obj.pk
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "ledger_check": ledger_check(),
            "ledger_unbalanced": ledger_unbalanced_transactions(limit=20),
        }
        return super().changelist_view(request, extra_context=extra_context)


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(_ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "created_at", "kind", "description", "order", "idempotency_key"]
    list_filter = ["kind"]
    search_fields = ["idempotency_key", "description", "order__number"]
    list_select_related = ["order"]
    date_hierarchy = "created_at"
    ordering = ["-id"]
    inlines = [LedgerEntryInline]
    fields = readonly_fields = (
        "id",
        "created_at",
        "kind",
        "description",
        "order",
        "idempotency_key",
        "reverses",
        "reversed_by_link",
        "posted_by",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[LedgerTransaction]:
        return (
            super()
            .get_queryset(request)
            .select_related("order", "reverses", "reversed_by", "posted_by")
        )

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # The accounts list links here to show one account's transactions.
        if lookup == "entries__account__id__exact":
            return True
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description="reversed by")
    def reversed_by_link(self, obj: LedgerTransaction) -> str:
        reversal = getattr(obj, "reversed_by", None)
        if reversal is None:
            return "—"
        url = reverse("admin:ledger_ledgertransaction_change", args=[reversal.pk])
        return format_html('<a href="{}">#{}</a>', url, reversal.pk)
