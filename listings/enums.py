from django.db import models


class ListingStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING_REVIEW = "pending_review", "Pending review"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Rejected"
    ARCHIVED = "archived", "Archived"


# draft → pending_review → published | rejected → archived; a rejected listing is fixed and
# resubmitted; editing a published listing's trade data sends it back to review.
LISTING_TRANSITIONS: dict[str, frozenset[str]] = {
    ListingStatus.DRAFT: frozenset({ListingStatus.PENDING_REVIEW, ListingStatus.ARCHIVED}),
    ListingStatus.PENDING_REVIEW: frozenset(
        {ListingStatus.PUBLISHED, ListingStatus.REJECTED, ListingStatus.ARCHIVED}
    ),
    ListingStatus.PUBLISHED: frozenset({ListingStatus.PENDING_REVIEW, ListingStatus.ARCHIVED}),
    ListingStatus.REJECTED: frozenset({ListingStatus.PENDING_REVIEW, ListingStatus.ARCHIVED}),
    ListingStatus.ARCHIVED: frozenset(),
}

# Statuses in which the seller may still edit the listing.
EDITABLE_STATUSES = frozenset(
    {
        ListingStatus.DRAFT,
        ListingStatus.PENDING_REVIEW,
        ListingStatus.PUBLISHED,
        ListingStatus.REJECTED,
    }
)

# Changing any of these on a published listing sends it back to pending_review.
REVIEWED_FIELDS = frozenset({"title", "hs_code", "origin_country", "price_tiers"})


class UnitOfSale(models.TextChoices):
    PIECE = "piece", "Piece"
    PAIR = "pair", "Pair"
    SET = "set", "Set"
    DOZEN = "dozen", "Dozen"
    BOX = "box", "Box"
    CARTON = "carton", "Carton"
    KILOGRAM = "kg", "Kilogram"
    TONNE = "tonne", "Tonne"
    METRE = "m", "Metre"
    SQUARE_METRE = "m2", "Square metre"
    LITRE = "l", "Litre"
    ROLL = "roll", "Roll"
    BAG = "bag", "Bag"


class ImageVariant(models.TextChoices):
    CARD = "card", "Card (480 px)"
    DETAIL = "detail", "Detail (1200 px)"


class ImageStatus(models.TextChoices):
    """A photo as uploaded is pending until the worker has decoded it and made the public
    copies (ready), or refused it with a reason the seller sees (failed)."""

    PENDING = "pending", "Processing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


IMAGE_TRANSITIONS: dict[str, frozenset[str]] = {
    ImageStatus.PENDING: frozenset({ImageStatus.READY, ImageStatus.FAILED}),
    ImageStatus.READY: frozenset(),
    ImageStatus.FAILED: frozenset(),
}
