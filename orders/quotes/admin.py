"""Django admin of quotes (imported by orders/admin.py): read-only, with lines and events."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from orders.quotes.models import Quote, QuoteEvent, QuoteLine


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class QuoteLineInline(_ReadOnlyInline):
    model = QuoteLine
    fields = (
        "description",
        "hs_code",
        "origin_country",
        "quantity",
        "unit",
        "unit_price",
        "line_total_minor",
        "listing",
        "from_stock",
    )
    readonly_fields = fields


class QuoteEventInline(_ReadOnlyInline):
    model = QuoteEvent
    fields = ("created_at", "actor", "from_status", "to_status", "note", "notified_at")
    readonly_fields = fields


@admin.register(Quote)
class QuoteAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "version",
        "status",
        "seller",
        "buyer",
        "rfq",
        "currency",
        "incoterm",
        "valid_until",
        "created_at",
    ]
    list_filter = ["status", "incoterm", "currency"]
    search_fields = ["number", "seller__legal_name", "buyer__legal_name"]
    list_select_related = ["seller", "buyer", "rfq"]
    inlines = [QuoteLineInline, QuoteEventInline]
    ordering = ["-created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Quote._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
