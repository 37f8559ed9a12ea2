from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField

from listings.enums import ImageStatus, ListingStatus, UnitOfSale
from marketplace.accounts.models import Company
from marketplace.core.models import BaseModel
from marketplace.core.storage import private_storage
from marketplace.trade.currencies import CURRENCY_CHOICES
from marketplace.trade.incoterms import INCOTERM_CHOICES
from marketplace.trade.models import HSCode

# The text search configuration used for the stored vector and for every query against it.
SEARCH_CONFIG = "english"


class Category(BaseModel):
    """A node of the catalogue tree (two levels are seeded; deeper ones may be added)."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="category_name_unique_in_parent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent else self.name


class Listing(BaseModel):
    """A product an exporter offers, with everything a buyer abroad needs to decide."""

    seller = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="listings")
    title = models.CharField(max_length=200)
    description = models.TextField(
        blank=True,
        validators=[MaxLengthValidator(20_000)],
        help_text="Plain text or Markdown; HTML is not allowed.",
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="listings")
    hs_code = models.ForeignKey(
        HSCode,
        to_field="code",
        db_column="hs_code",
        on_delete=models.PROTECT,
        related_name="listings",
        limit_choices_to={"level": 6},
    )
    origin_country = CountryField()
    ship_from = models.CharField(
        max_length=120, help_text="Where the goods leave from, e.g. 'Ningbo, China'."
    )
    unit = models.CharField(max_length=8, choices=UnitOfSale.choices, default=UnitOfSale.PIECE)
    moq = models.PositiveIntegerField("minimum order quantity")
    stock = models.PositiveIntegerField(default=0)
    lead_time_days = models.PositiveSmallIntegerField()
    incoterms = ArrayField(models.CharField(max_length=3, choices=INCOTERM_CHOICES), size=11)
    unit_net_weight_kg = models.DecimalField(max_digits=12, decimal_places=3)
    units_per_carton = models.PositiveIntegerField()
    carton_gross_weight_kg = models.DecimalField(max_digits=10, decimal_places=3)
    carton_length_cm = models.DecimalField(max_digits=7, decimal_places=1)
    carton_width_cm = models.DecimalField(max_digits=7, decimal_places=1)
    carton_height_cm = models.DecimalField(max_digits=7, decimal_places=1)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField(
        max_length=16, choices=ListingStatus.choices, default=ListingStatus.DRAFT
    )
    rejection_reason = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Kept by the service from the price tiers: the unit price at the MOQ (the highest) and at
    # the largest break (the lowest), in the listing's currency, and the lowest in USD at the
    # stored FX rate so that buyers can filter and sort one catalogue in many currencies.
    price_max = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    price_min = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    price_min_usd = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    search_vector = models.GeneratedField(
        expression=SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("description", weight="B", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["-created_at"]
        permissions = [("moderate_listing", "Can moderate listings (approve, reject, see any)")]
        indexes = [
            GinIndex(fields=["search_vector"], name="listing_search_vector_gin"),
            GinIndex(
                OpClass("title", name="gin_trgm_ops"),
                name="listing_title_trgm",
                condition=Q(status=ListingStatus.PUBLISHED),
            ),
            models.Index(fields=["status", "-published_at"], name="listing_status_published_idx"),
            models.Index(fields=["seller", "status"], name="listing_seller_status_idx"),
            models.Index(
                fields=["price_min_usd"],
                name="listing_published_price_idx",
                condition=Q(status=ListingStatus.PUBLISHED),
            ),
            GinIndex(fields=["incoterms"], name="listing_incoterms_gin"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(moq__gte=1), name="listing_moq_positive"),
            models.CheckConstraint(
                condition=Q(units_per_carton__gte=1), name="listing_units_per_carton_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_net_weight_kg__gt=0)
                & Q(carton_gross_weight_kg__gt=0)
                & Q(carton_length_cm__gt=0)
                & Q(carton_width_cm__gt=0)
                & Q(carton_height_cm__gt=0),
                name="listing_weights_and_sizes_positive",
            ),
            models.CheckConstraint(
                condition=Q(incoterms__len__gte=1), name="listing_offers_an_incoterm"
            ),
            models.CheckConstraint(
                condition=~Q(status=ListingStatus.REJECTED) | ~Q(rejection_reason=""),
                name="listing_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(status=ListingStatus.PUBLISHED) | Q(published_at__isnull=False),
                name="listing_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PriceTier(models.Model):
    """A quantity break: from ``min_quantity`` units on, each unit costs ``unit_price``."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="price_tiers")
    min_quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(
        max_digits=14, decimal_places=4, validators=[MinValueValidator(Decimal("0.0001"))]
    )

    class Meta:
        ordering = ["listing", "min_quantity"]
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "min_quantity"], name="price_tier_quantity_unique"
            ),
            models.CheckConstraint(condition=Q(min_quantity__gte=1), name="price_tier_qty_gte_1"),
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="price_tier_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.min_quantity}+ at {self.unit_price}"


def listing_image_path(instance: "ListingImage", filename: str) -> str:
    # ``filename`` is already a random name chosen by the service (never the uploader's).
    return f"listings/{instance.listing_id}/{filename}"


class ListingImageQuerySet(models.QuerySet["ListingImage"]):
    def ready(self) -> "ListingImageQuerySet":
        """The processed images: the only ones anybody but the seller sees."""
        return self.filter(status=ImageStatus.READY)


class ListingImage(BaseModel):
    """A listing photo. ``upload`` is the file as the seller sent it, kept in the private
    storage (it may carry EXIF with GPS) until the worker has made the public copies
    ``original`` (full size, metadata stripped), ``card`` and ``detail``: status pending →
    ready, or failed with ``failure_reason``. Buyers only ever see ready images."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="images")
    status = models.CharField(
        max_length=8, choices=ImageStatus.choices, default=ImageStatus.PENDING, db_index=True
    )
    failure_reason = models.TextField(blank=True, help_text="Why the image was refused.")
    upload = models.FileField(
        upload_to=listing_image_path, storage=private_storage, blank=True, max_length=200
    )
    original = models.ImageField(upload_to=listing_image_path, blank=True)
    card = models.ImageField(upload_to=listing_image_path, blank=True)
    detail = models.ImageField(upload_to=listing_image_path, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    content_type = models.CharField(max_length=32)
    size_bytes = models.PositiveIntegerField(default=0)
    alt_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = ListingImageQuerySet.as_manager()

    class Meta:
        ordering = ["listing", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ImageStatus.READY)
                | (~Q(original="") & ~Q(card="") & ~Q(detail="")),
                name="listing_image_ready_has_files",
            ),
        ]

    def __str__(self) -> str:
        return f"Image {self.position} of {self.listing_id}"


class ModerationEvent(models.Model):
    """One status change of a listing: who, from, to, why, when (the audit trail)."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=16, choices=ListingStatus.choices)
    to_status = models.CharField(max_length=16, choices=ListingStatus.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Set once the seller has been emailed about this event, so a redelivered task sends nothing.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["listing", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.listing_id}: {self.from_status} → {self.to_status}"


class PendingListing(Listing):
    """The moderation queue in Django admin: listings pending review (a proxy, no table)."""

    class Meta:
        proxy = True
        verbose_name = "listing pending review"
        verbose_name_plural = "moderation queue"


class SearchTerm(models.Model):
    """A word of published titles and how many published listings use it: the vocabulary that
    search corrects a misspelt word against (listings.search.spelling_correct).

    Words are added by a database trigger when a listing is published or retitled (migration
    0006) and recounted by listings.search.search_terms_refresh.
    """

    word = models.CharField(max_length=40, primary_key=True)
    listings = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            GinIndex(OpClass("word", name="gin_trgm_ops"), name="search_term_word_trgm"),
        ]

    def __str__(self) -> str:
        return self.word


class TitleWord(models.Model):
    """One word (a lexeme of the search configuration) of a published listing's title, with
    the listing's publication date: the title words in date order.

    The GIN index of the search vector finds every listing with a word but not the newest
    first; this table's primary key (word, date, listing), read backwards, gives a word's
    newest listings first, so the SEARCH_RESULT_LIMIT newest listings with "backpack" in the
    title are 500 index entries instead of 9,000 rows fetched and sorted. Search uses it where
    a word must be in the title (a spelling correction, listings.search).

    Kept by a database trigger (migration 0008) on every insert, update of status, title or
    publication date, and delete of a listing — whatever writes the row — and rebuilt by
    listings.search.title_words_refresh after a bulk load with triggers off.
    """

    pk = models.CompositePrimaryKey("lexeme", "published_at", "listing_id")
    lexeme = models.TextField()
    published_at = models.DateTimeField()
    # No foreign key constraint: the trigger removes a listing's words with it.
    listing = models.ForeignKey(
        Listing,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="title_words",
    )

    def __str__(self) -> str:
        return f"{self.lexeme} ({self.listing_id})"
