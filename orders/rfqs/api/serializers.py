"""Request and response shapes of the RFQ API. The constraints are the service's
(``orders.rfqs.services``), so the schema is never looser than what is accepted."""

from decimal import Decimal
from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from listings.enums import UnitOfSale
from marketplace.core.api.schema import COUNTRY_CHOICES, NOT_BLANK, documented
from marketplace.core.ids import IdSerializerField
from marketplace.trade.currencies import CURRENCIES
from marketplace.trade.incoterms import INCOTERMS
from orders.rfqs.models import RFQ, RFQStatus, RFQVisibility
from orders.rfqs.services import (
    ATTACHMENTS_MAX,
    DESCRIPTION_MAX,
    INVITED_SELLERS_MAX,
    NAMED_PLACE_MAX,
    QUANTITY_MAX,
    REASON_MAX,
    TARGET_PRICE_DECIMALS,
    TITLE_MAX,
)


class RFQCreateSerializer(serializers.Serializer):
    title = documented(serializers.CharField(max_length=TITLE_MAX), pattern=NOT_BLANK)
    description = documented(serializers.CharField(max_length=DESCRIPTION_MAX), pattern=NOT_BLANK)
    category = IdSerializerField(help_text="A category id (GET /api/v1/categories/).")
    hs_code = serializers.RegexField(
        r"^[0-9]{6}$",
        required=False,
        allow_blank=True,
        default="",
        help_text="An HS 2022 subheading (6 digits), optional.",
    )
    quantity = serializers.IntegerField(min_value=1, max_value=QUANTITY_MAX)
    unit = serializers.ChoiceField(choices=UnitOfSale.choices, default=UnitOfSale.PIECE)
    target_unit_price = serializers.DecimalField(
        max_digits=14,
        decimal_places=TARGET_PRICE_DECIMALS,
        min_value=Decimal("0.0001"),
        required=False,
        allow_null=True,
        default=None,
        coerce_to_string=True,
        help_text="Decimal string, up to 4 decimals, more than 0; needs `currency`.",
    )
    currency = serializers.ChoiceField(
        choices=sorted(CURRENCIES), required=False, allow_blank=True, default=""
    )
    destination_country = documented(
        serializers.CharField(min_length=2, max_length=2, help_text="ISO 3166-1 alpha-2."),
        choices=COUNTRY_CHOICES,
    )
    named_place = documented(serializers.CharField(max_length=NAMED_PLACE_MAX), pattern=NOT_BLANK)
    incoterms = serializers.ListField(
        child=serializers.ChoiceField(choices=list(INCOTERMS)),
        min_length=1,
        max_length=len(INCOTERMS),
        help_text="The Incoterms 2020 rules the buyer accepts.",
    )
    needed_by = serializers.DateField(required=False, allow_null=True, default=None)
    closes_at = serializers.DateTimeField(help_text="In the future, at most 90 days ahead.")
    visibility = serializers.ChoiceField(
        choices=RFQVisibility.choices, default=RFQVisibility.PUBLIC
    )
    invited_sellers = serializers.ListField(
        child=IdSerializerField(),
        required=False,
        default=list,
        max_length=INVITED_SELLERS_MAX,
        help_text="Company ids of verified sellers; at least one when `visibility` is invited.",
    )


class RFQBuyerSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)


class RFQAttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="original_name", read_only=True)
    content_type = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True, help_text="Bytes.")
    url = serializers.SerializerMethodField()

    def get_url(self, attachment: Any) -> str:
        return reverse("rfqs:attachment", args=[attachment.rfq_id, attachment.pk])


class RFQSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    status = serializers.ChoiceField(choices=RFQStatus.choices, read_only=True)
    buyer = RFQBuyerSerializer(read_only=True)
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    category = serializers.IntegerField(source="category_id", read_only=True)
    hs_code = serializers.CharField(read_only=True)
    quantity = serializers.IntegerField(read_only=True)
    unit = serializers.CharField(read_only=True)
    target_unit_price = serializers.DecimalField(
        max_digits=14, decimal_places=4, read_only=True, allow_null=True
    )
    currency = serializers.CharField(read_only=True)
    destination_country = serializers.CharField(read_only=True)
    named_place = serializers.CharField(read_only=True)
    incoterms = serializers.ListField(child=serializers.CharField(), read_only=True)
    needed_by = serializers.DateField(read_only=True, allow_null=True)
    closes_at = serializers.DateTimeField(read_only=True)
    visibility = serializers.CharField(read_only=True)
    invited_sellers = serializers.SerializerMethodField()
    created = serializers.DateTimeField(source="created_at", read_only=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    close_reason = serializers.CharField(read_only=True)
    attachments = RFQAttachmentSerializer(many=True, read_only=True)
    quote_count = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_invited_sellers(self, rfq: RFQ) -> list[int]:
        """Only the buyer learns whom it invited; a seller sees [] (or itself if invited)."""
        company = self.context["company"]
        ids = [invitation.seller_id for invitation in rfq.invitations.all()]
        if company.pk == rfq.buyer_id:
            return ids
        return [pk for pk in ids if pk == company.pk]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_quote_count(self, rfq: RFQ) -> int | None:
        """Quotes received (the buyer only; null for a seller)."""
        if self.context["company"].pk != rfq.buyer_id:
            return None
        return getattr(rfq, "quote_count", None)


class RFQListQuerySerializer(serializers.Serializer):
    category = IdSerializerField(
        required=False, help_text="Seller board: this category and its children."
    )
    destination_country = documented(
        serializers.ChoiceField(
            choices=COUNTRY_CHOICES,
            required=False,
            allow_blank=True,
            help_text="Seller board: ISO 3166-1 alpha-2 (blank: any).",
        ),
        choices=COUNTRY_CHOICES,
    )
    status = serializers.ChoiceField(
        choices=RFQStatus.choices, required=False, help_text="Buyer's own RFQs: one status."
    )
    role = serializers.ChoiceField(
        choices=[("buyer", "buyer"), ("seller", "seller")],
        required=False,
        help_text="For a company that buys and sells: its own RFQs (buyer, the default) or the "
        "board (seller).",
    )


class RFQCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=REASON_MAX, required=False, allow_blank=True, default=""
    )


class RFQAttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=f"PDF, PNG, JPEG or WebP, up to 10 MB; at most {ATTACHMENTS_MAX} per RFQ."
    )
