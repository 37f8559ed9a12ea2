"""Order JSON. Input serializers check the shape (types and lengths that keep the database
safe); the order services check the business rules and their field errors become 400s.

Money is ``{"amount": "12.50", "currency": "USD"}`` (the currency's decimals), unit prices
are strings with 4 decimals.
"""

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.core.api.schema import COUNTRY_CHOICES, NOT_BLANK, documented
from marketplace.core.ids import IdSerializerField
from marketplace.trade.incoterms import INCOTERM_CHOICES, PARTY_CHOICES
from marketplace.trade.money import UNIT_PRICE_DECIMALS, Money
from orders.enums import OrderStatus
from orders.models import Order, OrderEvent, OrderLine
from orders.selectors import ORDER_ACTIONS, order_actions_for, order_estimate_known
from orders.services.common import (
    _BUYER_REFERENCE_MAX,
    _CARRIER_MAX,
    _NAMED_PLACE_MAX,
    _QUANTITY_MAX,
    _REASON_MAX,
    _SHIP_TO_LIMITS,
    _SHIP_TO_REQUIRED,
    _TRACKING_MAX,
)

_INT_MAX = 2_147_483_647
ORDER_ROLE_CHOICES = [("buyer", "Orders your company placed"), ("seller", "Orders it received")]
# Freight and insurance: up to 14 digits keeps every total inside a 64-bit minor-unit column.
_AMOUNT_MAX_DIGITS = 14


# --- shared shapes ---------------------------------------------------------------------


class MoneySerializer(serializers.Serializer):
    amount = serializers.CharField(help_text='Decimal string in the currency\'s decimals: "12.50".')
    currency = serializers.CharField(help_text="ISO 4217 code.")


def money_dict(minor: int, currency: str) -> dict[str, str]:
    return Money.from_minor_units(minor, currency).as_dict()


class CompanyRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)
    country = serializers.CharField(read_only=True, help_text="ISO 3166-1 alpha-2.")


class ShipToSerializer(serializers.Serializer):
    """The ship-to address. On input the order service checks what is required."""

    name = serializers.CharField(allow_blank=True, max_length=1000, help_text="Recipient.")
    line1 = serializers.CharField(allow_blank=True, max_length=1000, help_text="Street address.")
    line2 = serializers.CharField(allow_blank=True, required=False, default="", max_length=1000)
    city = serializers.CharField(allow_blank=True, max_length=1000)
    region = serializers.CharField(allow_blank=True, required=False, default="", max_length=1000)
    postal_code = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=1000
    )
    country = serializers.CharField(
        allow_blank=True, max_length=100, help_text="ISO 3166-1 alpha-2, e.g. DE."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What the order service accepts (orders.services.common._clean_ship_to).
        for name, limit in _SHIP_TO_LIMITS.items():
            constraints: dict[str, Any] = {"maxLength": limit}
            if name in _SHIP_TO_REQUIRED:
                constraints["pattern"] = NOT_BLANK
            documented(self.fields[name], **constraints)
        documented(self.fields["country"], choices=COUNTRY_CHOICES)


# --- reading ---------------------------------------------------------------------------


class OrderLineSerializer(serializers.ModelSerializer):
    listing = serializers.IntegerField(
        source="listing_id", read_only=True, allow_null=True, help_text="The listing's id."
    )
    origin_country = serializers.CharField(read_only=True, help_text="ISO 3166-1 alpha-2.")
    unit_price = serializers.DecimalField(
        max_digits=14, decimal_places=UNIT_PRICE_DECIMALS, read_only=True
    )
    line_total = serializers.SerializerMethodField()

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "listing",
            "title",
            "hs_code",
            "origin_country",
            "unit",
            "quantity",
            "unit_price",
            "line_total",
            "unit_net_weight_kg",
            "units_per_carton",
            "carton_gross_weight_kg",
            "carton_length_cm",
            "carton_width_cm",
            "carton_height_cm",
        ]
        read_only_fields = fields

    @extend_schema_field(MoneySerializer)
    def get_line_total(self, line: OrderLine) -> dict[str, str]:
        return money_dict(line.line_total_minor, line.order.currency)


class OrderTotalsSerializer(serializers.Serializer):
    goods = MoneySerializer()
    freight = MoneySerializer()
    insurance = MoneySerializer()
    platform_fee = MoneySerializer()
    duty_estimate = MoneySerializer(
        allow_null=True,
        help_text="Estimated; paid at the border, not charged. `null` when unknown: no duty "
        "rate is known for a line (the landed cost has the flag `no_duty_rate`).",
    )
    import_tax_estimate = MoneySerializer(
        allow_null=True,
        help_text="Estimated; paid at the border, not charged. `null` when unknown: no import "
        "tax is known, or it is charged on a duty that is unknown.",
    )
    total = MoneySerializer(help_text="Charged: goods + freight + insurance + platform fee.")


class OrderEventSerializer(serializers.ModelSerializer):
    from_status = serializers.CharField(read_only=True, help_text="Empty for the first event.")
    to_status = serializers.CharField(read_only=True)
    actor = serializers.SerializerMethodField()

    class Meta:
        model = OrderEvent
        fields = ["from_status", "to_status", "actor", "note", "created_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.EmailField(allow_null=True))
    def get_actor(self, event: OrderEvent) -> str | None:
        return event.actor.email if event.actor is not None else None


class ShipmentSerializer(serializers.Serializer):
    carrier = serializers.CharField(read_only=True)
    tracking_number = serializers.CharField(read_only=True)
    ship_date = serializers.DateField(read_only=True)


class DisputeSerializer(serializers.Serializer):
    status = serializers.CharField(read_only=True, help_text="open, released, refunded, split.")
    reason = serializers.CharField(read_only=True)
    opened_at = serializers.DateTimeField(source="created_at", read_only=True)
    resolution_note = serializers.CharField(read_only=True)
    resolved_at = serializers.DateTimeField(read_only=True, allow_null=True)


class OrderSerializer(serializers.ModelSerializer):
    """An order as its buyer and its seller read it. ``context["company"]`` is the reader."""

    status = serializers.CharField(
        read_only=True, help_text=f"One of: {', '.join(OrderStatus.values)}."
    )
    buyer = CompanyRefSerializer(read_only=True)
    seller = CompanyRefSerializer(read_only=True)
    ship_to = serializers.SerializerMethodField()
    lines = OrderLineSerializer(many=True, read_only=True)
    totals = serializers.SerializerMethodField()
    landed_cost = serializers.SerializerMethodField()
    events = OrderEventSerializer(many=True, read_only=True)
    shipment = serializers.SerializerMethodField()
    dispute = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "status",
            "buyer",
            "seller",
            "currency",
            "incoterm",
            "named_place",
            "buyer_reference",
            "ship_to",
            "lines",
            "totals",
            "landed_cost",
            "events",
            "shipment",
            "dispute",
            "created_at",
            "expires_at",
            "inspection_ends_at",
            "actions",
        ]
        read_only_fields = fields

    @extend_schema_field(ShipToSerializer)
    def get_ship_to(self, order: Order) -> dict[str, str]:
        return {
            "name": order.ship_to_name,
            "line1": order.ship_to_line1,
            "line2": order.ship_to_line2,
            "city": order.ship_to_city,
            "region": order.ship_to_region,
            "postal_code": order.ship_to_postal_code,
            "country": str(order.ship_to_country),
        }

    @extend_schema_field(OrderTotalsSerializer)
    def get_totals(self, order: Order) -> dict[str, dict[str, str] | None]:
        c = order.currency
        return {
            "goods": money_dict(order.goods_minor, c),
            "freight": money_dict(order.freight_minor, c),
            "insurance": money_dict(order.insurance_minor, c),
            "platform_fee": money_dict(order.platform_fee_minor, c),
            "duty_estimate": money_dict(order.duty_minor, c)
            if order_estimate_known(order=order, part="duty")
            else None,
            "import_tax_estimate": money_dict(order.import_tax_minor, c)
            if order_estimate_known(order=order, part="import_tax")
            else None,
            "total": money_dict(order.total_minor, c),
        }

    @extend_schema_field(
        serializers.JSONField(
            help_text="The landed-cost estimate frozen at placement (updated on confirmation): "
            "amounts, rates used with their source, who pays each, flags such as sample_rates "
            "(``LandedCostSnapshot.as_dict()``; ``{}`` when none was recorded)."
        )
    )
    def get_landed_cost(self, order: Order) -> dict[str, Any]:
        snapshot = order.landed_cost_snapshot
        return {} if snapshot is None else snapshot.as_dict()

    @extend_schema_field(ShipmentSerializer(allow_null=True))
    def get_shipment(self, order: Order) -> dict[str, Any] | None:
        shipment = getattr(order, "shipment", None)
        return None if shipment is None else ShipmentSerializer(shipment).data

    @extend_schema_field(DisputeSerializer(allow_null=True))
    def get_dispute(self, order: Order) -> dict[str, Any] | None:
        dispute = getattr(order, "dispute", None)
        return None if dispute is None else DisputeSerializer(dispute).data

    @extend_schema_field(
        serializers.ListField(
            child=serializers.ChoiceField(choices=list(ORDER_ACTIONS)),
            help_text="What the reading company may do to the order now, by the same rules "
            "the order's endpoints enforce (the party, the status, the buyer cancelling only "
            "before payment, disputes only within the inspection window); the pages and the "
            "emails show the same list. In this order: confirm (seller), pay (buyer: "
            "POST /api/v1/orders/{id}/payments/), ship (seller), confirm-delivery, accept and "
            "dispute (buyer), cancel (either). Each, except pay, is the path segment of its "
            "endpoint: POST /api/v1/orders/{id}/{action}/. Empty for an order in which the "
            "company has nothing to do.",
        )
    )
    def get_actions(self, order: Order) -> list[str]:
        return order_actions_for(order=order, company=self.context["company"])


# --- writing ---------------------------------------------------------------------------


class OrderLineInputSerializer(serializers.Serializer):
    listing = IdSerializerField(help_text="Listing id.")
    quantity = documented(
        serializers.IntegerField(
            min_value=-_INT_MAX, max_value=_INT_MAX, help_text="At least the listing's MOQ."
        ),
        minimum=1,
        maximum=_QUANTITY_MAX,
    )


class OrderCreateSerializer(serializers.Serializer):
    lines = documented(
        OrderLineInputSerializer(many=True, help_text="All of one seller."), minItems=1
    )
    incoterm = documented(
        serializers.CharField(
            allow_blank=True, max_length=16, help_text="One the listings offer, e.g. FOB."
        ),
        choices=INCOTERM_CHOICES,
    )
    named_place = documented(
        serializers.CharField(
            allow_blank=True, max_length=1000, help_text="The Incoterm's named place or port."
        ),
        maxLength=_NAMED_PLACE_MAX,
        pattern=NOT_BLANK,
    )
    ship_to = ShipToSerializer()
    buyer_reference = documented(
        serializers.CharField(
            allow_blank=True, required=False, default="", max_length=1000, help_text="PO number."
        ),
        maxLength=_BUYER_REFERENCE_MAX,
    )


def _amount_field(help_text: str) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=_AMOUNT_MAX_DIGITS,
        decimal_places=None,
        required=False,
        allow_null=True,
        default=None,
        coerce_to_string=True,
        help_text=help_text,
    )


class OrderConfirmSerializer(serializers.Serializer):
    freight = _amount_field(
        'Main carriage in the order currency, e.g. "850.00": required under CPT, CIP, CFR, '
        "CIF, DAP, DPU, DDP; null under E and F rules."
    )
    insurance = _amount_field("Insurance premium: required under CIF and CIP.")


class ReasonSerializer(serializers.Serializer):
    reason = documented(
        serializers.CharField(allow_blank=True, max_length=5000),
        maxLength=_REASON_MAX,
        pattern=NOT_BLANK,
    )


class OrderShipSerializer(serializers.Serializer):
    carrier = documented(
        serializers.CharField(allow_blank=True, max_length=1000),
        maxLength=_CARRIER_MAX,
        pattern=NOT_BLANK,
    )
    tracking_number = documented(
        serializers.CharField(allow_blank=True, max_length=1000),
        maxLength=_TRACKING_MAX,
        pattern=NOT_BLANK,
    )
    ship_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Today if left out."
    )


class OrderListQuerySerializer(serializers.Serializer):
    role = documented(
        serializers.CharField(
            required=False,
            help_text="`buyer`: orders your company placed; `seller`: orders it received; "
            "both when left out.",
        ),
        choices=ORDER_ROLE_CHOICES,
    )
    status = documented(
        serializers.CharField(
            required=False,
            help_text=f"Only orders in this status: {', '.join(OrderStatus.values)}.",
        ),
        choices=OrderStatus.choices,
    )


# --- landed cost -----------------------------------------------------------------------


class LandedCostQuerySerializer(serializers.Serializer):
    """The estimate's parameters, for the OpenAPI document (``LandedCostEstimateForm`` parses)."""

    destination = documented(
        serializers.CharField(help_text="ISO 3166-1 alpha-2 of the buyer's country."),
        choices=COUNTRY_CHOICES,
    )
    quantity = documented(
        serializers.IntegerField(help_text="At least the listing's MOQ."),
        minimum=1,
        maximum=_QUANTITY_MAX,
    )
    incoterm = documented(
        serializers.CharField(help_text="One the listing offers, e.g. FOB."),
        choices=INCOTERM_CHOICES,
    )
    freight = serializers.DecimalField(
        max_digits=_AMOUNT_MAX_DIGITS,
        decimal_places=None,
        required=False,
        min_value=Decimal(0),
        help_text="Main carriage in the listing's currency, if known.",
    )


class RateUsedSerializer(serializers.Serializer):
    territory = serializers.CharField()
    hs_prefix = serializers.CharField(required=False, help_text="Duty rates only.")
    name = serializers.CharField(required=False, help_text="Import taxes only, e.g. VAT.")
    percent = serializers.CharField(help_text='Ad valorem rate in %, e.g. "2.7".')
    duty_in_base = serializers.BooleanField(required=False, help_text="Import taxes only.")
    # The serializer metaclass takes declared fields out of the class (Field.source is DRF's).
    source = serializers.CharField()  # type: ignore[assignment]
    valid_from = serializers.DateField()
    is_sample = serializers.BooleanField(help_text="A sample rate, not yet checked.")


class ChargeSerializer(serializers.Serializer):
    amount = MoneySerializer(
        allow_null=True,
        help_text="null when not known: freight not quoted yet, or no duty / import tax rate.",
    )
    payer = serializers.ChoiceField(choices=PARTY_CHOICES, help_text="Who pays it out.")
    borne_by = serializers.ChoiceField(choices=PARTY_CHOICES, help_text="Who carries the cost.")
    on_invoice = serializers.BooleanField(help_text="Charged by the seller on the order.")
    in_buyer_total = serializers.BooleanField()
    base = MoneySerializer(allow_null=True, help_text="What a rate was applied to.")
    rate = RateUsedSerializer(allow_null=True)
    note = serializers.CharField()


class LandedCostSerializer(serializers.Serializer):
    listing = serializers.IntegerField()
    quantity = serializers.IntegerField()
    unit_price = MoneySerializer(help_text="The tier price at this quantity (4 decimals).")
    currency = serializers.CharField()
    incoterm = serializers.CharField()
    origin = serializers.CharField()
    destination = serializers.CharField()
    hs_code = serializers.CharField()
    as_of = serializers.DateField()
    goods = ChargeSerializer()
    freight = ChargeSerializer()
    insurance = ChargeSerializer()
    customs_value_basis = serializers.CharField(allow_null=True, help_text="CIF or FOB.")
    customs_value = MoneySerializer(allow_null=True)
    duty = ChargeSerializer()
    import_tax = ChargeSerializer()
    total_for_buyer = MoneySerializer(
        help_text="The buyer's costs that are known. With the flag `total_incomplete` a duty "
        "or import tax is unknown (its `amount` is null) and is not in this sum: it is not "
        "the landed cost (pages show it as unknown)."
    )
    borne_by_seller = MoneySerializer(
        help_text="Duty and tax the seller bears (DDP), known ones only (see `total_incomplete`)."
    )
    insurance_premium_bps = serializers.IntegerField()
    regime = serializers.JSONField(allow_null=True, help_text="The customs regime used.")
    fx_rates = serializers.ListField(child=serializers.JSONField())
    flags = serializers.ListField(
        child=serializers.CharField(),
        help_text="`freight_not_included`, `insurance_estimated`, `sample_rates`, "
        "`no_customs_regime`, `no_duty_rate`, `no_import_tax`, `total_incomplete` (a duty or "
        "tax is unknown: `total_for_buyer` leaves it out), `duty_de_minimis`, "
        "`tax_de_minimis`, `same_customs_territory`.",
    )
