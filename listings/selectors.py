"""Reads of the catalogue, filtered by who is asking, with their related rows loaded up front."""

import re
import weakref
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.db.models import Count, Prefetch, Q, QuerySet

from listings.enums import ListingStatus
from listings.models import Category, Listing, ListingImage, ModerationEvent, PriceTier
from marketplace.accounts.models import Company, User
from marketplace.accounts.staff import staff_may
from marketplace.core.exceptions import NotFound
from marketplace.core.ids import id_parse
from marketplace.trade.models import HSCode


def _with_related(queryset: QuerySet[Listing]) -> QuerySet[Listing]:
    return queryset.select_related(
        "seller", "category", "category__parent", "hs_code"
    ).prefetch_related(
        Prefetch("price_tiers", queryset=PriceTier.objects.order_by("min_quantity")),
        Prefetch("images", queryset=ListingImage.objects.ready().order_by("position", "id")),
    )


def listing_list_for_company(*, company: Company, status: str | None = None) -> QuerySet[Listing]:
    """Every listing of ``company`` (any status, newest first), optionally of one status."""
    queryset = Listing.objects.filter(seller=company)
    if status:
        queryset = queryset.filter(status=status)
    return _with_related(queryset).order_by("-created_at", "-id")


def listing_get_for_company(*, company: Company | None, listing_id: object) -> Listing:
    """One of ``company``'s own listings; ``NotFound`` for anyone else's, or a bad id."""
    pk = id_parse(listing_id)
    if company is None or pk is None:
        raise NotFound("No such listing.")
    try:
        return _with_related(Listing.objects.filter(seller=company)).get(pk=pk)
    except Listing.DoesNotExist:
        raise NotFound("No such listing.") from None


def listing_get_visible(
    *, listing_id: object, user: User | None, company: Company | None
) -> Listing:
    """A listing the asker may see: published, their own company's, or any for staff who
    moderate listings (``listings.moderate_listing``)."""
    pk = id_parse(listing_id)
    if pk is None:
        raise NotFound("No such listing.")
    queryset = Listing.objects.all()
    if not staff_may(user, "listings.moderate_listing"):
        visible = Q(status=ListingStatus.PUBLISHED)
        if company is not None:
            visible |= Q(seller=company)
        queryset = queryset.filter(visible)
    try:
        return _with_related(queryset).get(pk=pk)
    except Listing.DoesNotExist:
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


# --- prepared statements for the detail page's two queries --------------------------------
#
# Planning the page query costs PostgreSQL ~1.4 ms (five joins, a lateral aggregate, a JSON
# subquery) against ~0.35 ms to run it, and the version query 0.5 ms against 0.1 ms: prepared
# once per database connection (connections persist, CONN_MAX_AGE), a first view of a listing
# spends its database time running them, not planning them. (Behind a pooler in transaction
# mode, which does not keep a session's prepared statements, set LISTINGS_PREPARED_QUERIES off.)
_prepared: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _fetchone(name: str, sql: str, params: list) -> tuple | None:
    """``sql`` (``%s`` parameters) with ``params``: the first row, from a statement prepared
    once per connection as ``name``."""
    with connection.cursor() as cursor:
        _execute_prepared(cursor, name, sql, params)
        return cursor.fetchone()


def _execute_prepared(cursor: Any, name: str, sql: str, params: list) -> None:
    if not getattr(settings, "LISTINGS_PREPARED_QUERIES", True):
        cursor.execute(sql, params)
        return
    done = _prepared.setdefault(connection.connection, set())
    if name not in done:
        numbered = iter(range(1, len(params) + 1))
        statement = re.sub("%s", lambda _: f"${next(numbered)}", sql.replace("%%", "%"))
        cursor.execute(f"PREPARE {name} AS {statement}")
        done.add(name)
    cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)


# What the public page of a listing changes with: the listing's ``updated_at`` (every edit
# through the services) and stock, its seller card, category and HS code, and its photos. The
# same columns end the page query, so that a first view gets the version with the page.
_PUBLIC_VERSION_COLUMNS = """
    listing.updated_at, listing.stock, listing.category_id, listing.hs_code,
    seller.legal_name, seller.trading_name, seller.slug, seller.country,
    seller.verification_status,
    (SELECT concat(count(*), ':', max(image.id), ':', max(image.updated_at))
     FROM listings_listingimage AS image WHERE image.listing_id = listing.id)
"""
_PUBLIC_VERSION_LENGTH = 10

# Plain SQL: the page it versions is served in ~2 ms, and the ORM would take ~1 ms to build it.
_PUBLIC_VERSION_SQL = f"""
    SELECT {_PUBLIC_VERSION_COLUMNS}
    FROM listings_listing AS listing
    JOIN accounts_company AS seller ON seller.id = listing.seller_id
    WHERE listing.id = %s AND listing.status = %s
"""  # noqa: S608 - no values in it


def listing_public_version(*, listing_id: object) -> tuple | None:
    """What the public page of a published listing shows changes with, in one small query:
    the listing's ``updated_at`` (every edit through the services) and stock, its seller card,
    its category and HS code, and its photos; ``None`` when no published listing has this id.
    For caching anonymous pages (reference data — category and HS names — is not in it)."""
    pk = id_parse(listing_id)
    if pk is None:
        return None
    return _fetchone(
        "listings_public_version_v1", _PUBLIC_VERSION_SQL, [pk, ListingStatus.PUBLISHED.value]
    )


# --- a page of the public catalogue in one query (the search API) --------------------------

# Everything the API shows of a published listing, with its seller, category, HS description,
# price tiers (two arrays, in quantity order) and photos (JSON, in gallery order): one query for
# a whole page instead of model instances, select_related and two prefetch queries.
_PUBLIC_ROWS_SQL = """
    SELECT listing.id, listing.title, listing.description, listing.status,
           listing.seller_id, seller.legal_name AS seller_legal_name,
           seller.trading_name AS seller_trading_name, seller.country AS seller_country,
           seller.verification_status AS seller_verification_status,
           listing.category_id, category.name AS category_name, category.slug AS category_slug,
           listing.hs_code, hs.description AS hs_description,
           listing.origin_country, listing.ship_from, listing.moq, listing.stock, listing.unit,
           listing.lead_time_days, listing.incoterms, listing.currency,
           tiers.quantities AS tier_quantities, tiers.prices AS tier_prices,
           listing.price_min,
           listing.unit_net_weight_kg, listing.units_per_carton, listing.carton_gross_weight_kg,
           listing.carton_length_cm, listing.carton_width_cm, listing.carton_height_cm,
           (SELECT json_agg(json_build_object(
                       'id', image.id, 'original', image.original, 'card', image.card,
                       'detail', image.detail, 'width', image.width, 'height', image.height,
                       'alt_text', image.alt_text)
                    ORDER BY image.position, image.id)
            FROM listings_listingimage AS image
            WHERE image.listing_id = listing.id AND image.status = 'ready') AS images,
           listing.rejection_reason, listing.created_at, listing.published_at
    FROM listings_listing AS listing
    JOIN accounts_company AS seller ON seller.id = listing.seller_id
    JOIN listings_category AS category ON category.id = listing.category_id
    JOIN trade_hscode AS hs ON hs.code = listing.hs_code
    LEFT JOIN LATERAL (
        SELECT array_agg(tier.min_quantity ORDER BY tier.min_quantity) AS quantities,
               array_agg(tier.unit_price ORDER BY tier.min_quantity) AS prices
        FROM listings_pricetier AS tier WHERE tier.listing_id = listing.id
    ) AS tiers ON true
    WHERE listing.id = ANY(%s::bigint[]) AND listing.status = %s
    ORDER BY array_position(%s::bigint[], listing.id)
"""


def listing_public_rows(*, ids: list[int]) -> list[dict]:
    """The published listings ``ids`` (in that order; others are left out) as plain rows: the
    listing's columns, ``seller_*``, ``category_*``, ``hs_description``, ``tier_quantities``
    and ``tier_prices`` (quantity order), ``images`` (a list of dicts with the file names, in
    gallery order). One query, whatever the number of ids."""
    if not ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_PUBLIC_ROWS_SQL, [ids, ListingStatus.PUBLISHED.value, ids])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def listing_public_row(*, listing_id: int) -> dict | None:
    """``listing_public_rows`` for one listing (``None`` unless published), from a statement
    prepared once per connection: planning the query costs more than running it for one id."""
    with connection.cursor() as cursor:
        ids = [listing_id]
        params = [ids, ListingStatus.PUBLISHED.value, ids]
        _execute_prepared(cursor, "listings_public_row_v1", _PUBLIC_ROWS_SQL, params)
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([column[0] for column in cursor.description], row, strict=True))


# --- one listing with everything its page shows, in one query -----------------------------


def _columns(model: type[models.Model], alias: str, *, skip: tuple[str, ...] = ()) -> list[str]:
    return [
        f'{alias}."{field.column}"'
        for field in model._meta.concrete_fields
        if field.name not in skip
    ]


def _attnames(model: type[models.Model], *, skip: tuple[str, ...] = ()) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields if field.name not in skip]


_LISTING_NAMES = _attnames(Listing, skip=("search_vector",))  # ~300 bytes nothing shown needs
_SELLER_NAMES = _attnames(Company)
_CATEGORY_NAMES = _attnames(Category)
_HS_NAMES = _attnames(HSCode)
_TIER_NAMES = ("id", "listing_id", "min_quantity", "unit_price")
_IMAGE_FIELDS = list(ListingImage._meta.concrete_fields)
_PAGE_SQL = f"""
    SELECT {", ".join(_columns(Listing, "listing", skip=("search_vector",)))},
           {", ".join(_columns(Company, "seller"))},
           {", ".join(_columns(Category, "category"))},
           {", ".join(_columns(Category, "parent"))},
           {", ".join(_columns(HSCode, "hs"))},
           tiers.ids, tiers.quantities, tiers.prices,
           (SELECT json_agg(json_build_object(
                       {", ".join(f"'{f.attname}', image.\"{f.column}\"" for f in _IMAGE_FIELDS)})
                    ORDER BY image.position, image.id)
            FROM listings_listingimage AS image
            WHERE image.listing_id = listing.id AND image.status = 'ready'),
           {_PUBLIC_VERSION_COLUMNS}
    FROM listings_listing AS listing
    JOIN accounts_company AS seller ON seller.id = listing.seller_id
    JOIN listings_category AS category ON category.id = listing.category_id
    LEFT JOIN listings_category AS parent ON parent.id = category.parent_id
    JOIN trade_hscode AS hs ON hs.code = listing.hs_code
    LEFT JOIN LATERAL (
        SELECT array_agg(tier.id ORDER BY tier.min_quantity) AS ids,
               array_agg(tier.min_quantity ORDER BY tier.min_quantity) AS quantities,
               array_agg(tier.unit_price ORDER BY tier.min_quantity) AS prices
        FROM listings_pricetier AS tier WHERE tier.listing_id = listing.id
    ) AS tiers ON true
    WHERE listing.id = %s AND (%s OR listing.status = %s OR listing.seller_id = %s)
"""  # noqa: S608 - column names from the models, values as parameters


def _prefetched(instance: models.Model, name: str, objects: list) -> None:
    # What prefetch_related leaves behind: ``instance.<name>.all()`` answers from ``objects``.
    queryset = getattr(instance, name).all()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    cache = {**getattr(instance, "_prefetched_objects_cache", {}), name: queryset}
    setattr(instance, "_prefetched_objects_cache", cache)  # noqa: B010 - not a declared field


def _image(values: dict) -> ListingImage:
    for name in ("created_at", "updated_at"):
        values[name] = datetime.fromisoformat(values[name])
    return ListingImage.from_db(
        connection.alias,
        [f.attname for f in _IMAGE_FIELDS],
        [values[f.attname] for f in _IMAGE_FIELDS],
    )


def listing_get_for_page(
    *, listing_id: object, user: User | None, company: Company | None
) -> Listing:
    """The listing ``listing_get_visible`` gives (the same visibility) with its seller,
    category (and its parent), HS code, price tiers and photos, in one query instead of four.
    ``NotFound`` for a listing the asker may not see, or a bad id."""
    return listing_get_for_page_versioned(listing_id=listing_id, user=user, company=company)[0]


def listing_get_for_page_versioned(
    *, listing_id: object, user: User | None, company: Company | None
) -> tuple[Listing, tuple | None]:
    """``listing_get_for_page`` and, from the same query, what ``listing_public_version``
    gives for it: its public version when it is published, ``None`` when it is not."""
    pk = id_parse(listing_id)
    if pk is None:  # not an id, or beyond bigint (the query would fail)
        raise NotFound("No such listing.")
    is_staff = staff_may(user, "listings.moderate_listing")
    row = _fetchone(
        "listings_page_v2",
        _PAGE_SQL,
        [pk, is_staff, ListingStatus.PUBLISHED.value, company.pk if company else None],
    )
    if row is None:
        raise NotFound("No such listing.")
    values = iter(row)
    taken = [
        [next(values) for _ in names]
        for names in (_LISTING_NAMES, _SELLER_NAMES, _CATEGORY_NAMES, _CATEGORY_NAMES, _HS_NAMES)
    ]
    tier_ids, quantities, prices, images = next(values), next(values), next(values), next(values)
    alias = connection.alias
    listing = Listing.from_db(alias, _LISTING_NAMES, taken[0])
    category = Category.from_db(alias, _CATEGORY_NAMES, taken[2])
    parent = Category.from_db(alias, _CATEGORY_NAMES, taken[3]) if taken[3][0] is not None else None
    Category.parent.field.set_cached_value(category, parent)
    Listing.seller.field.set_cached_value(listing, Company.from_db(alias, _SELLER_NAMES, taken[1]))
    Listing.category.field.set_cached_value(listing, category)
    Listing.hs_code.field.set_cached_value(listing, HSCode.from_db(alias, _HS_NAMES, taken[4]))
    tiers = [
        PriceTier.from_db(alias, _TIER_NAMES, [tier_id, listing.pk, quantity, price])
        for tier_id, quantity, price in zip(
            tier_ids or [], quantities or [], prices or [], strict=True
        )
    ]
    for tier in tiers:
        PriceTier.listing.field.set_cached_value(tier, listing)
    _prefetched(listing, "price_tiers", tiers)
    _prefetched(listing, "images", [_image(values) for values in images or []])
    version = tuple(row[-_PUBLIC_VERSION_LENGTH:])
    return listing, version if listing.status == ListingStatus.PUBLISHED else None


def listing_image_list_for_seller(*, listing: Listing) -> QuerySet[ListingImage]:
    """Every photo of the seller's own ``listing`` (the caller has checked it is theirs):
    pending, ready and failed, with the reason of a failure."""
    return ListingImage.objects.filter(listing=listing).order_by("position", "id")
