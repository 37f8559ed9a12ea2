"""Reads of the catalogue, filtered by who is asking, with their related rows loaded up front."""

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet

from listings.enums import ListingStatus
from listings.models import Category, Listing, ListingImage, ModerationEvent, PriceTier
from marketplace.accounts.models import Company, User
from marketplace.core.exceptions import NotFound


def _with_related(queryset: QuerySet[Listing]) -> QuerySet[Listing]:
    return queryset.select_related(
        "seller", "category", "category__parent", "hs_code"
    ).prefetch_related(
        Prefetch("price_tiers", queryset=PriceTier.objects.order_by("min_quantity")),
        Prefetch("images", queryset=ListingImage.objects.order_by("position", "id")),
    )


def listing_list_for_company(*, company: Company, status: str | None = None) -> QuerySet[Listing]:
    """Every listing of ``company`` (any status, newest first), optionally of one status."""
    queryset = Listing.objects.filter(seller=company)
    if status:
        queryset = queryset.filter(status=status)
    return _with_related(queryset).order_by("-created_at", "-id")


def listing_get_for_company(*, company: Company | None, listing_id: object) -> Listing:
    """One of ``company``'s own listings; ``NotFound`` for anyone else's, or a bad id."""
    if company is None:
        raise NotFound("No such listing.")
    try:
        return _with_related(Listing.objects.filter(seller=company)).get(pk=int(str(listing_id)))
    except (Listing.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such listing.") from None


def listing_get_visible(
    *, listing_id: object, user: User | None, company: Company | None
) -> Listing:
    """A listing the asker may see: published, their own company's, or any for platform staff."""
    queryset = Listing.objects.all()
    if not (user is not None and user.is_active and user.is_staff):
        visible = Q(status=ListingStatus.PUBLISHED)
        if company is not None:
            visible |= Q(seller=company)
        queryset = queryset.filter(visible)
    try:
        return _with_related(queryset).get(pk=int(str(listing_id)))
    except (Listing.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such listing.") from None


def listing_events(*, listing: Listing) -> QuerySet[ModerationEvent]:
    """The moderation history of a listing, oldest first (for its seller and staff)."""
    return (
        ModerationEvent.objects.filter(listing=listing)
        .select_related("actor")
        .order_by("created_at", "id")
    )


def listing_status_counts_for_company(*, company: Company) -> dict[str, int]:
    """How many of ``company``'s listings are in each status (zero for the missing ones)."""
    counts = dict.fromkeys(ListingStatus.values, 0)
    for row in (
        Listing.objects.filter(seller=company).values("status").order_by().annotate(n=Count("id"))
    ):
        counts[row["status"]] = row["n"]
    return counts


def category_tree() -> list[Category]:
    """The top-level categories in order, each with its children prefetched."""
    return list(
        Category.objects.filter(parent__isnull=True)
        .order_by("position", "name")
        .prefetch_related(
            Prefetch("children", queryset=Category.objects.order_by("position", "name"))
        )
    )


# Plain SQL: the page it versions is served in ~2 ms, and the ORM would take ~1 ms to build it.
_PUBLIC_VERSION_SQL = """
    SELECT listing.updated_at, listing.stock, listing.category_id, listing.hs_code,
           seller.legal_name, seller.trading_name, seller.slug, seller.country,
           seller.verification_status,
           (SELECT concat(count(*), ':', max(image.id), ':', max(image.updated_at))
            FROM listings_listingimage AS image WHERE image.listing_id = listing.id)
    FROM listings_listing AS listing
    JOIN accounts_company AS seller ON seller.id = listing.seller_id
    WHERE listing.id = %s AND listing.status = %s
"""


def listing_public_version(*, listing_id: object) -> tuple | None:
    """What the public page of a published listing shows changes with, in one small query:
    the listing's ``updated_at`` (every edit through the services) and stock, its seller card,
    its category and HS code, and its photos; ``None`` when no published listing has this id.
    For caching anonymous pages (reference data — category and HS names — is not in it)."""
    try:
        pk = int(str(listing_id))
    except (ValueError, TypeError):
        return None
    with connection.cursor() as cursor:
        cursor.execute(_PUBLIC_VERSION_SQL, [pk, ListingStatus.PUBLISHED.value])
        return cursor.fetchone()
