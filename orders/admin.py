"""Orders in the admin: read-only. Every change goes through the services (with its event,
stock and outbox effects), never through a form that would bypass them."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from marketplace.trade.money import Money
from orders.models import Dispute, Order, OrderEvent, OrderLine, Shipment


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class OrderLineInline(_ReadOnlyInline):
    model = OrderLine
    fields = (
        "title",
        "hs_code",
        "origin_country",
        "quantity",
        "unit",
        "unit_price",
        "line_total",
        "units_per_carton",
        "carton_gross_weight_kg",
    )
    readonly_fields = fields

    @admin.display(description="line total")
    def line_total(self, obj: OrderLine) -> str:
        return str(Money.from_minor_units(obj.line_total_minor, obj.order.currency))


class OrderEventInline(_ReadOnlyInline):
    model = OrderEvent
    fields = ("created_at", "from_status", "to_status", "actor", "note", "notified_at")
    readonly_fields = fields
    ordering = ["created_at", "id"]


class ShipmentInline(_ReadOnlyInline):
    model = Shipment
    fields = ("carrier", "tracking_number", "ship_date")
    readonly_fields = fields


class DisputeInline(_ReadOnlyInline):
    model = Dispute
    fields = ("status", "opened_by", "reason", "resolution_note", "resolved_at")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "status", "buyer", "seller", "incoterm", "total", "created_at"]
    list_filter = ["status", "seller", "buyer", "incoterm", "currency"]
    search_fields = [
        "number",
        "buyer_reference",
        "buyer__legal_name",
        "buyer__trading_name",
        "seller__legal_name",
        "seller__trading_name",
    ]
    list_select_related = ["buyer", "seller"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    inlines = [OrderLineInline, OrderEventInline, ShipmentInline, DisputeInline]
    fieldsets = [
        (None, {"fields": ["number", "status", "buyer", "seller", "placed_by", "buyer_reference"]}),
        ("Terms", {"fields": ["currency", "incoterm", "named_place", "duty_and_tax_payer"]}),
        (
            "Ship to",
            {
                "fields": [
                    "ship_to_name",
                    "ship_to_line1",
                    "ship_to_line2",
                    "ship_to_city",
                    "ship_to_region",
                    "ship_to_postal_code",
                    "ship_to_country",
                ]
            },
        ),
        (
            "Totals",
            {
                "fields": [
                    "goods",
                    "freight",
                    "insurance",
                    "platform_fee",
                    "platform_fee_bps",
                    "duty",
                    "import_tax",
                    "total",
                    "landed_cost",
                ]
            },
        ),
        (
            "Lifecycle",
            {
                "fields": [
                    "created_at",
                    "expires_at",
                    "confirmed_at",
                    "paid_at",
                    "shipped_at",
                    "delivered_at",
                    "inspection_ends_at",
                    "completed_at",
                    "cancelled_at",
                    "cancel_reason",
                ]
            },
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return super().get_queryset(request).select_related("buyer", "seller", "placed_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def _money(self, obj: Order, field: str) -> str:
        return str(Money.from_minor_units(getattr(obj, field), obj.currency))

    @admin.display(description="goods")
    def goods(self, obj: Order) -> str:
        return self._money(obj, "goods_minor")

    @admin.display(description="freight")
    def freight(self, obj: Order) -> str:
        return self._money(obj, "freight_minor")

    @admin.display(description="insurance")
    def insurance(self, obj: Order) -> str:
        return self._money(obj, "insurance_minor")

    @admin.display(description="platform fee")
    def platform_fee(self, obj: Order) -> str:
        return self._money(obj, "platform_fee_minor")

    @admin.display(description="estimated duty")
    def duty(self, obj: Order) -> str:
        return self._money(obj, "duty_minor")

    @admin.display(description="estimated import tax")
    def import_tax(self, obj: Order) -> str:
        return self._money(obj, "import_tax_minor")

    @admin.display(description="total charged", ordering="total_minor")
    def total(self, obj: Order) -> str:
        return self._money(obj, "total_minor")


# The negotiation models' admin lives beside them.
from orders.conversations import admin as conversations_admin  # noqa: E402, F401
from orders.quotes import admin as quotes_admin  # noqa: E402, F401
from orders.rfqs import admin as rfqs_admin  # noqa: E402, F401
