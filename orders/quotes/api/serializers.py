"""Quote JSON. Input serializers hold the same limits as the service (digits, 4 decimals on
unit prices, minimum values), so the schema is no looser than the validation; the quote
services check the rules between fields and their field errors become 400s.

Money is ``{"amount": "850.00", "currency": "USD"}`` (the currency's decimals) or null; unit
prices are strings with 4 decimals.
"""

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from listings.enums import UnitOfSale
from marketplace.core.api.schema import NOT_BLANK, documented
from marketplace.core.ids import IdSerializerField
from marketplace.trade.currencies import CURRENCY_CHOICES
from marketplace.trade.incoterms import INCOTERM_CHOICES
from marketplace.trade.money import Money
from orders.api.serializers import CompanyRefSerializer, MoneySerializer, ShipToSerializer
from orders.quotes.models import Quote, QuoteEvent, QuoteLine, QuoteStatus
from orders.quotes.selectors import quote_actions_for

_INT_MAX = 2_147_483_647
_AMOUNT_MAX_DIGITS = 14


def _money(minor: int | None, currency: str) -> dict[str, str] | None:
    return None if minor is None else Money.from_minor_units(minor, currency).as_dict()


# --- reading ---------------------------------------------------------------------------


class QuoteLineSerializer(serializers.ModelSerializer):
    listing = serializers.IntegerField(source="listing_id", read_only=True, allow_null=True)
    origin_country = serializers.CharField(read_only=True, help_text="ISO 3166-1 alpha-2.")
    unit_price = serializers.DecimalField(
        max_digits=14, decimal_places=4, read_only=True, help_text='4 decimals: "0.0345".'
    )
    line_total = serializers.SerializerMethodField()

    class Meta:
        model = QuoteLine
        fields = [
            "description",
            "hs_code",
            "origin_country",
            "listing",
            "from_stock",
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
    def get_line_total(self, line: QuoteLine) -> dict[str, str]:
        return Money.from_minor_units(line.line_total_minor, self.context["currency"]).as_dict()


class QuoteEventSerializer(serializers.ModelSerializer):
    from_status = serializers.CharField(read_only=True, help_text="Empty for the first event.")
    to_status = serializers.CharField(read_only=True)

    class Meta:
        model = QuoteEvent
        fields = ["from_status", "to_status", "note", "created_at"]
        read_only_fields = fields


class QuoteSerializer(serializers.ModelSerializer):
    seller = CompanyRefSerializer(read_only=True)
    buyer = CompanyRefSerializer(read_only=True)
    rfq = serializers.IntegerField(source="rfq_id", read_only=True, allow_null=True)
    conversation = serializers.IntegerField(
        source="conversation_id", read_only=True, allow_null=True
    )
    previous = serializers.IntegerField(
        source="previous_id", read_only=True, allow_null=True, help_text="Version n − 1."
    )
    destination_country = serializers.CharField(
        read_only=True, help_text="The border the landed cost is for (ISO 3166-1 alpha-2)."
    )
    lines = serializers.SerializerMethodField()
    goods = serializers.SerializerMethodField()
    freight = serializers.SerializerMethodField()
    insurance = serializers.SerializerMethodField()
    landed_cost = serializers.JSONField(
        read_only=True,
        help_text="The landed-cost estimate at the buyer's border frozen on this version, as "
        "on an order: goods, freight, insurance, duty, import_tax (null when unknown), "
        "platform_fee, landed_total, flags, parts.",
    )
    order = serializers.IntegerField(source="order_id", read_only=True, allow_null=True)
    order_number = serializers.SerializerMethodField()
    events = QuoteEventSerializer(many=True, read_only=True)
    actions = serializers.SerializerMethodField()

    class Meta:
        model = Quote
        fields = [
            "id",
            "number",
            "version",
            "previous",
            "status",
            "rfq",
            "conversation",
            "seller",
            "buyer",
            "lines",
            "currency",
            "incoterm",
            "named_place",
            "destination_country",
            "goods",
            "freight",
            "insurance",
            "landed_cost",
            "lead_time_days",
            "valid_until",
            "notes",
            "decided_at",
            "decision_note",
            "order",
            "order_number",
            "events",
            "actions",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(QuoteLineSerializer(many=True))
    def get_lines(self, quote: Quote) -> Any:
        return QuoteLineSerializer(
            quote.lines.all(), many=True, context={"currency": quote.currency}
        ).data

    @extend_schema_field(MoneySerializer)
    def get_goods(self, quote: Quote) -> dict[str, str] | None:
        return _money(quote.goods_minor, quote.currency)

    @extend_schema_field(MoneySerializer(allow_null=True))
    def get_freight(self, quote: Quote) -> dict[str, str] | None:
        return _money(quote.freight_minor, quote.currency)

    @extend_schema_field(MoneySerializer(allow_null=True))
    def get_insurance(self, quote: Quote) -> dict[str, str] | None:
        return _money(quote.insurance_minor, quote.currency)

    def get_order_number(self, quote: Quote) -> str | None:
        return quote.order.number if quote.order_id is not None and quote.order else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, quote: Quote) -> list[str]:
        return quote_actions_for(quote=quote, company=self.context["company"])


class QuoteDetailSerializer(QuoteSerializer):
    versions = serializers.SerializerMethodField()

    class Meta(QuoteSerializer.Meta):
        fields = [*QuoteSerializer.Meta.fields, "versions"]
        read_only_fields = fields

    @extend_schema_field(QuoteSerializer(many=True))
    def get_versions(self, quote: Quote) -> Any:
        """Every version of the quote, newest first (this one included)."""
        return QuoteSerializer(self.context["versions"], many=True, context=self.context).data


class QuoteAcceptedSerializer(serializers.Serializer):
    order = serializers.IntegerField(help_text="The order made from the quote.")
    order_number = serializers.CharField()
    order_status = serializers.CharField()
    quote = serializers.IntegerField()
    quote_status = serializers.ChoiceField(choices=QuoteStatus.choices)
    total = MoneySerializer(help_text="What the buyer pays the platform for the order.")
    landed_cost = serializers.JSONField(help_text="The landed cost frozen on the order.")


# --- writing ---------------------------------------------------------------------------


def _decimal(max_digits: int, places: int, help_text: str) -> serializers.DecimalField:
    step = Decimal(1).scaleb(-places)
    return serializers.DecimalField(
        max_digits=max_digits,
        decimal_places=places,
        min_value=step,
        required=False,
        allow_null=True,
        default=None,
        help_text=help_text + " Left out: the listing's (required without a listing).",
    )


class QuoteLineInputSerializer(serializers.Serializer):
    description = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        max_length=200,
        help_text="Required unless a listing is given (then its title).",
    )
    hs_code = serializers.RegexField(
        r"^[0-9]{6}$",
        required=False,
        allow_blank=True,
        default="",
        help_text="An HS 2022 subheading of 6 digits; the listing's when left out.",
    )
    origin_country = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        max_length=2,
        help_text="ISO 3166-1 alpha-2; the listing's when left out.",
    )
    quantity = serializers.IntegerField(min_value=1, max_value=_INT_MAX)
    unit_price = serializers.DecimalField(
        max_digits=14,
        decimal_places=4,
        min_value=Decimal("0.0001"),
        help_text='More than 0, up to 4 decimals, as a string: "0.0345".',
    )
    listing = IdSerializerField(
        required=False, allow_null=True, default=None, help_text="One of your listings."
    )
    from_stock = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Reserve the listing's stock when the quote is accepted; else made to order.",
    )
    unit = serializers.ChoiceField(
        choices=UnitOfSale.choices, required=False, allow_blank=True, default=""
    )
    unit_net_weight_kg = _decimal(12, 3, "Net weight of one unit, kg.")
    units_per_carton = serializers.IntegerField(
        min_value=1, max_value=100_000, required=False, allow_null=True, default=None
    )
    carton_gross_weight_kg = _decimal(10, 3, "Gross weight of a carton, kg (≥ its contents).")
    carton_length_cm = _decimal(7, 1, "Carton length, cm.")
    carton_width_cm = _decimal(7, 1, "Carton width, cm.")
    carton_height_cm = _decimal(7, 1, "Carton height, cm.")


class MoneyInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=_AMOUNT_MAX_DIGITS,
        decimal_places=3,
        min_value=Decimal(0),
        help_text="In the quote's currency, in its decimals.",
    )
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES, help_text="The quote's currency.")


class QuoteWriteSerializer(serializers.Serializer):
    """A full quote: the body of a first version and of each revision."""

    lines = QuoteLineInputSerializer(many=True, min_length=1, max_length=100)  # type: ignore[call-arg]
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)
    incoterm = serializers.ChoiceField(
        choices=INCOTERM_CHOICES, help_text="Incoterms 2020; on an RFQ, one it allows."
    )
    named_place = documented(
        serializers.CharField(max_length=120, help_text="The Incoterm's named place."),
        pattern=NOT_BLANK,
    )
    freight = MoneyInputSerializer(
        required=False,
        allow_null=True,
        default=None,
        help_text="Main carriage: required under CPT, CIP, CFR, CIF, DAP, DPU, DDP; null under "
        "E and F rules.",
    )
    insurance = MoneyInputSerializer(
        required=False,
        allow_null=True,
        default=None,
        help_text="Insurance premium: required under CIF and CIP, null otherwise.",
    )
    lead_time_days = serializers.IntegerField(min_value=0, max_value=730)
    valid_until = serializers.DateField(help_text="Today or later.")
    notes = serializers.CharField(allow_blank=True, required=False, default="", max_length=5000)


class ConversationQuoteWriteSerializer(QuoteWriteSerializer):
    conversation = IdSerializerField(help_text="A conversation in which you are the seller.")
    destination_country = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2,
        help_text="The buyer's border for the landed cost; the buyer company's country if "
        "left out.",
    )


class QuoteReviseSerializer(QuoteWriteSerializer):
    destination_country = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2,
        help_text="Conversation quotes only; an RFQ's quote keeps the RFQ's destination.",
    )


class QuoteReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="", max_length=2000)


class QuoteAcceptSerializer(serializers.Serializer):
    ship_to = ShipToSerializer(help_text="Its country must be the quote's destination.")
    buyer_reference = serializers.CharField(
        allow_blank=True, required=False, default="", max_length=64, help_text="PO number."
    )


class QuoteListQuerySerializer(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=[("buyer", "buyer"), ("seller", "seller")],
        required=False,
        help_text="Quotes you received (buyer) or gave (seller); both if left out.",
    )
