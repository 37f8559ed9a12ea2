"""Listing JSON. Write serializers check the shape of the input (types); the services check
the business rules (MOQ, tiers, HS code, country, ...) and their field errors become 400s."""

from decimal import Decimal
from functools import lru_cache
from typing import Any, cast

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from listings.enums import ListingStatus, UnitOfSale
from listings.markdown import render_description
from listings.models import Category, Listing, ListingImage, PriceTier
from listings.search import (
    ORDERING_CHOICES,
    QUERY_MAX_LENGTH,
    SEARCH_RESULT_LIMIT,
    TYPO_FALLBACK_BELOW,
)
from listings.services import (
    DESCRIPTION_MAX_LENGTH,
    PRICE_TIERS_MAX,
    SHIP_FROM_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    TierInput,
)
from marketplace.accounts.enums import VerificationStatus
from marketplace.accounts.staff import staff_may
from marketplace.core.api.schema import COUNTRY_CHOICES, NOT_BLANK, documented
from marketplace.trade.currencies import CURRENCY_CHOICES
from marketplace.trade.incoterms import INCOTERM_CHOICES
from marketplace.trade.money import UNIT_PRICE_DECIMALS

_INT_MAX = 2_147_483_647
_SMALLINT_MAX = 32_767


@lru_cache(maxsize=4096)
def _description_html(text: str) -> str:
    # Rendering Markdown costs ~1.7 ms; a page of search results repeats popular listings.
    return str(render_description(text))


# --- reading ---------------------------------------------------------------------------


class ListingSellerSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="display_name", read_only=True)
    country = serializers.CharField(read_only=True, help_text="ISO 3166-1 alpha-2.")
    verified = serializers.BooleanField(source="is_verified", read_only=True)


class ListingCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug"]
        read_only_fields = fields


class PriceTierSerializer(serializers.ModelSerializer):
    unit_price = serializers.DecimalField(
        max_digits=14, decimal_places=UNIT_PRICE_DECIMALS, read_only=True
    )

    class Meta:
        model = PriceTier
        fields = ["min_quantity", "unit_price"]
        read_only_fields = fields


class UnitPriceSerializer(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=UNIT_PRICE_DECIMALS, read_only=True
    )
    currency = serializers.CharField(read_only=True)


class ListingImageSerializer(serializers.ModelSerializer):
    card_url = serializers.SerializerMethodField()
    detail_url = serializers.SerializerMethodField()
    original_url = serializers.SerializerMethodField()

    class Meta:
        model = ListingImage
        fields = [
            "id",
            "status",
            "failure_reason",
            "card_url",
            "detail_url",
            "original_url",
            "width",
            "height",
            "alt_text",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "status": {
                "help_text": "pending until the worker has processed the upload (no URLs "
                "yet), then ready, or failed with `failure_reason`. Listings show ready "
                "images only."
            }
        }

    def _url(self, field: Any) -> str | None:
        if not field:
            return None
        request = self.context.get("request")
        return request.build_absolute_uri(field.url) if request is not None else field.url

    @extend_schema_field(OpenApiTypes.URI)
    def get_card_url(self, image: ListingImage) -> str | None:
        return self._url(image.card)

    @extend_schema_field(OpenApiTypes.URI)
    def get_detail_url(self, image: ListingImage) -> str | None:
        return self._url(image.detail)

    @extend_schema_field(OpenApiTypes.URI)
    def get_original_url(self, image: ListingImage) -> str | None:
        return self._url(image.original)


class ListingSerializer(serializers.ModelSerializer):
    """A listing as buyers, its seller and moderators read it."""

    seller = ListingSellerSerializer(read_only=True)
    category = ListingCategorySerializer(read_only=True)
    hs_code = serializers.CharField(
        source="hs_code_id", read_only=True, help_text="HS 2022 subheading, 6 digits."
    )
    hs_description = serializers.CharField(source="hs_code.description", read_only=True)
    origin_country = serializers.CharField(read_only=True, help_text="ISO 3166-1 alpha-2.")
    description_html = serializers.SerializerMethodField()
    incoterms = serializers.ListField(child=serializers.CharField(), read_only=True)
    price_tiers = PriceTierSerializer(many=True, read_only=True)
    price_from = serializers.SerializerMethodField(
        help_text="The lowest unit price (at the largest quantity break)."
    )
    images = ListingImageSerializer(many=True, read_only=True)
    rejection_reason = serializers.SerializerMethodField(
        help_text="Why moderators rejected it; only for the seller's members and staff."
    )

    class Meta:
        model = Listing
        fields = [
            "id",
            "title",
            "description",
            "description_html",
            "status",
            "seller",
            "category",
            "hs_code",
            "hs_description",
            "origin_country",
            "ship_from",
            "moq",
            "stock",
            "unit",
            "lead_time_days",
            "incoterms",
            "currency",
            "price_tiers",
            "price_from",
            "unit_net_weight_kg",
            "units_per_carton",
            "carton_gross_weight_kg",
            "carton_length_cm",
            "carton_width_cm",
            "carton_height_cm",
            "images",
            "rejection_reason",
            "created_at",
            "published_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_description_html(self, listing: Listing) -> str:
        return _description_html(listing.description)

    @extend_schema_field(UnitPriceSerializer(allow_null=True))
    def get_price_from(self, listing: Listing) -> dict[str, str] | None:
        if listing.price_min is None:
            return None
        return {
            "amount": f"{listing.price_min:.{UNIT_PRICE_DECIMALS}f}",
            "currency": listing.currency,
        }

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_rejection_reason(self, listing: Listing) -> str | None:
        request = self.context.get("request")
        company = self.context.get("company")
        user = getattr(request, "user", None)
        is_staff = staff_may(user, "listings.moderate_listing")
        if is_staff or (company is not None and company.pk == listing.seller_id):
            return listing.rejection_reason
        return None


# --- a page of search results from plain rows ----------------------------------------------

# The fields ListingSerializer formats values with (decimals, dates), used one by one on plain
# rows: the same output without the ~1 ms per listing of the serializer machinery.
_LISTING_FIELDS = ListingSerializer().fields
_DATETIME = serializers.DateTimeField()
_IMAGE_FILES = {
    name: cast(models.FileField, ListingImage._meta.get_field(name))
    for name in ("original", "card", "detail")
}
_DECIMALS = (
    "unit_net_weight_kg",
    "carton_gross_weight_kg",
    "carton_length_cm",
    "carton_width_cm",
    "carton_height_cm",
)


def listing_rows_data(rows: list[dict[str, Any]], *, request: Any) -> list[dict[str, Any]]:
    """What ``ListingSerializer(many=True)`` gives for published listings read by someone with
    no company (the public search), from ``listings.selectors.listing_public_rows``."""
    user = getattr(request, "user", None)
    is_staff = staff_may(user, "listings.moderate_listing")
    tier_price = PriceTierSerializer().fields["unit_price"].to_representation
    decimal = {name: _LISTING_FIELDS[name].to_representation for name in _DECIMALS}
    storages = {name: field.storage for name, field in _IMAGE_FILES.items()}

    def url(kind: str, name: str | None) -> str | None:
        if not name:
            return None
        return request.build_absolute_uri(storages[kind].url(name))

    data = []
    for row in rows:
        price_min = row["price_min"]
        data.append(
            {
                "id": row["id"],
                "title": row["title"],
                "description": row["description"],
                "description_html": _description_html(row["description"]),
                "status": row["status"],
                "seller": {
                    "id": row["seller_id"],
                    "name": row["seller_trading_name"] or row["seller_legal_name"],
                    "country": row["seller_country"],
                    "verified": row["seller_verification_status"] == VerificationStatus.VERIFIED,
                },
                "category": {
                    "id": row["category_id"],
                    "name": row["category_name"],
                    "slug": row["category_slug"],
                },
                "hs_code": row["hs_code"],
                "hs_description": row["hs_description"],
                "origin_country": row["origin_country"],
                "ship_from": row["ship_from"],
                "moq": row["moq"],
                "stock": row["stock"],
                "unit": row["unit"],
                "lead_time_days": row["lead_time_days"],
                "incoterms": list(row["incoterms"]),
                "currency": row["currency"],
                "price_tiers": [
                    {"min_quantity": quantity, "unit_price": tier_price(price)}
                    for quantity, price in zip(
                        row["tier_quantities"] or [], row["tier_prices"] or [], strict=True
                    )
                ],
                "price_from": None
                if price_min is None
                else {
                    "amount": f"{price_min:.{UNIT_PRICE_DECIMALS}f}",
                    "currency": row["currency"],
                },
                "unit_net_weight_kg": decimal["unit_net_weight_kg"](row["unit_net_weight_kg"]),
                "units_per_carton": row["units_per_carton"],
                "carton_gross_weight_kg": decimal["carton_gross_weight_kg"](
                    row["carton_gross_weight_kg"]
                ),
                "carton_length_cm": decimal["carton_length_cm"](row["carton_length_cm"]),
                "carton_width_cm": decimal["carton_width_cm"](row["carton_width_cm"]),
                "carton_height_cm": decimal["carton_height_cm"](row["carton_height_cm"]),
                "images": [
                    {
                        "id": image["id"],
                        "status": "ready",  # the rows hold ready images only
                        "failure_reason": "",
                        "card_url": url("card", image["card"]),
                        "detail_url": url("detail", image["detail"]),
                        "original_url": url("original", image["original"]),
                        "width": image["width"],
                        "height": image["height"],
                        "alt_text": image["alt_text"],
                    }
                    for image in row["images"] or []
                ],
                "rejection_reason": row["rejection_reason"] if is_staff else None,
                "created_at": _DATETIME.to_representation(row["created_at"]),
                "published_at": _DATETIME.to_representation(row["published_at"]),
            }
        )
    return data


class CategoryTreeSerializer(serializers.ModelSerializer):
    parent = serializers.IntegerField(  # type: ignore[assignment]
        source="parent_id", read_only=True, allow_null=True
    )
    children = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = ["id", "name", "slug", "parent", "children"]
        read_only_fields = fields

    @extend_schema_field(ListingCategorySerializer(many=True))
    def get_children(self, category: Category) -> list[dict[str, Any]]:
        return list(ListingCategorySerializer(category.children.all(), many=True).data)


# --- writing ---------------------------------------------------------------------------


def _positive_decimal(places: int, digits: int) -> dict[str, Any]:
    """A positive number with at most ``places`` decimals and ``digits`` digits in all (the
    service refuses 0, negatives, more decimals and larger numbers), as a string."""
    return {
        "pattern": rf"^[0-9]{{1,{digits - places}}}(\.[0-9]{{1,{places}}})?$",
        "not": {"pattern": r"^0*(\.0*)?$"},
    }


class PriceTierInputSerializer(serializers.Serializer):
    min_quantity = documented(
        serializers.IntegerField(max_value=_INT_MAX, min_value=-_INT_MAX), minimum=1
    )
    # Any number: the service says what is wrong with it (5 decimals, zero, negative).
    unit_price = documented(
        serializers.DecimalField(
            max_digits=None, decimal_places=None, help_text='Up to 4 decimals, e.g. "0.0350".'
        ),
        **_positive_decimal(UNIT_PRICE_DECIMALS, 14),
    )


def _integer(minimum: int, maximum: int = _INT_MAX, **kwargs: Any) -> serializers.IntegerField:
    field = serializers.IntegerField(max_value=_INT_MAX, min_value=-_INT_MAX, **kwargs)
    return documented(field, minimum=minimum, maximum=maximum)


def _measure(help_text: str, places: int, digits: int) -> serializers.DecimalField:
    field = serializers.DecimalField(max_digits=None, decimal_places=None, help_text=help_text)
    return documented(field, **_positive_decimal(places, digits))


def _text(field: serializers.CharField, max_length: int, *, required: bool = True) -> Any:
    constraints: dict[str, Any] = {"maxLength": max_length}
    if required:
        constraints["pattern"] = NOT_BLANK
    return documented(field, **constraints)


class ListingWriteSerializer(serializers.Serializer):
    """The fields a seller sends; all required on create, any subset on PATCH. The schema
    states what ``listings.services`` accepts (lengths, ranges, decimals, codes); relations
    between fields (the first tier at the MOQ, stock and weights) are the service's."""

    title = _text(serializers.CharField(help_text="At most 200 characters."), TITLE_MAX_LENGTH)
    description = _text(
        serializers.CharField(
            allow_blank=True, required=False, help_text="Plain text or Markdown; no HTML."
        ),
        DESCRIPTION_MAX_LENGTH,
        required=False,
    )
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all())
    hs_code = documented(
        serializers.CharField(max_length=32, help_text="HS 2022 subheading, 6 digits."),
        pattern=r"^\s*[0-9]{6}\s*$",
    )
    origin_country = documented(
        serializers.CharField(max_length=8, help_text="ISO 3166-1 alpha-2."),
        choices=COUNTRY_CHOICES,
    )
    ship_from = _text(
        serializers.CharField(help_text="Where the goods leave from."), SHIP_FROM_MAX_LENGTH
    )
    unit = serializers.ChoiceField(choices=UnitOfSale.choices)
    moq = _integer(1, help_text="Minimum order quantity, at least 1.")
    stock = _integer(0)
    lead_time_days = _integer(0, _SMALLINT_MAX)
    incoterms = documented(
        serializers.ListField(
            child=documented(serializers.CharField(max_length=8), choices=INCOTERM_CHOICES),
            help_text="Codes such as FOB, EXW, DAP.",
        ),
        minItems=1,
        uniqueItems=True,
    )
    unit_net_weight_kg = _measure("kg, up to 3 decimals.", 3, 12)
    units_per_carton = _integer(1)
    carton_gross_weight_kg = _measure("kg, up to 3 decimals.", 3, 10)
    carton_length_cm = _measure("cm, 1 decimal.", 1, 7)
    carton_width_cm = _measure("cm, 1 decimal.", 1, 7)
    carton_height_cm = _measure("cm, 1 decimal.", 1, 7)
    currency = documented(
        serializers.CharField(max_length=8, help_text="ISO 4217, e.g. USD, EUR, CNY."),
        choices=CURRENCY_CHOICES,
    )
    price_tiers = documented(
        PriceTierInputSerializer(
            many=True, help_text="Quantity breaks; the first starts at the MOQ."
        ),
        minItems=1,
        maxItems=PRICE_TIERS_MAX,
    )

    def validate_price_tiers(self, tiers: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # Plain mappings: the service reads min_quantity / unit_price from them.
        return [{"min_quantity": t["min_quantity"], "unit_price": t["unit_price"]} for t in tiers]

    def to_service_kwargs(self) -> dict[str, Any]:
        values = dict(self.validated_data)
        if "description" not in values and not self.partial:
            values["description"] = ""
        if "price_tiers" in values:
            values["price_tiers"] = [
                TierInput(min_quantity=t["min_quantity"], unit_price=Decimal(t["unit_price"]))
                for t in values["price_tiers"]
            ]
        return values


class ListingImageUploadSerializer(serializers.Serializer):
    image = serializers.FileField(
        help_text="JPEG, PNG or WebP (judged by its first bytes); at most 5 MB. Decoded later "
        "by the worker: at most 8,000 px a side and LISTING_IMAGE_MAX_PIXELS pixels."
    )
    alt_text = serializers.CharField(required=False, allow_blank=True, default="")


class ListingRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the listing is rejected; the seller sees it.")


class MyListingsQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=ListingStatus.choices, required=False, help_text="Only listings in this status."
    )


PRICE_FILTER_PATTERN = r"^[0-9]{1,10}(\.[0-9]{1,4})?$"


class ListingSearchQuerySerializer(serializers.Serializer):
    """The search parameters, for the OpenAPI document (parsing is ``parse_search_params``)."""

    q = serializers.CharField(
        required=False,
        max_length=QUERY_MAX_LENGTH,
        help_text='Words, as in a web search: `"exact phrase"`, `-excluded`, `cotton or linen`. '
        "Plain words with a typo still find titles with similar words.",
    )
    category = serializers.IntegerField(
        required=False, help_text="Category id; a top-level category includes its children."
    )
    origin = documented(
        serializers.CharField(
            required=False, min_length=2, max_length=2, help_text="Country of origin, ISO alpha-2."
        ),
        choices=COUNTRY_CHOICES,
    )
    incoterm = serializers.ChoiceField(
        choices=INCOTERM_CHOICES, required=False, help_text="Offered Incoterms 2020 rule."
    )
    min_price = documented(
        serializers.DecimalField(
            max_digits=14, decimal_places=4, min_value=Decimal(0), required=False
        ),
        pattern=PRICE_FILTER_PATTERN,
    )
    max_price = documented(
        serializers.DecimalField(
            max_digits=14, decimal_places=4, min_value=Decimal(0), required=False
        ),
        pattern=PRICE_FILTER_PATTERN,
    )
    price_currency = serializers.ChoiceField(
        choices=CURRENCY_CHOICES,
        required=False,
        default="USD",
        help_text="The currency of min_price / max_price; converted at the stored FX rate and "
        "compared with each listing's lowest unit price.",
    )
    max_moq = serializers.IntegerField(required=False, min_value=1, max_value=_INT_MAX)
    verified = serializers.BooleanField(required=False, help_text="Only (un)verified sellers.")
    seller = serializers.IntegerField(required=False, help_text="Seller company id.")
    ordering = serializers.ChoiceField(
        choices=ORDERING_CHOICES,
        required=False,
        default="relevance",
        help_text="`relevance` (newest first without `q`), `price`, `-price`, `-created`.",
    )


SEARCH_COUNT_NOTE = (
    f"A search returns at most {SEARCH_RESULT_LIMIT} listings: `count` is the exact number "
    f"of matches up to {SEARCH_RESULT_LIMIT}, and {SEARCH_RESULT_LIMIT} when more match "
    "(narrow the search with more words or filters). Sorted by relevance, the "
    f"{SEARCH_RESULT_LIMIT} most recently published matches are ranked. When fewer than "
    f"{TYPO_FALLBACK_BELOW} listings match plain words, a word that no published title uses "
    "is corrected to the most similar one that does, listings with it in the title are "
    "added, and `corrected_query` gives the corrected words (else it is null)."
)
