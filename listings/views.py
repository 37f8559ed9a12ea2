"""Browser views for listings: parse the request, call a service, selector or search, render."""

import copy
import functools
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.context import make_context
from django.template.loader import get_template, render_to_string
from django.template.loader_tags import ExtendsNode
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods, require_POST
from django_countries import countries

from listings import selectors, services
from listings.enums import ListingStatus
from listings.forms import LISTING_FIELDS, PACKING_FIELDS, ListingForm, PriceTierFormSet, SearchForm
from listings.markdown import render_description
from listings.models import Category, Listing, ListingImage
from listings.search import (
    SEARCH_RESULT_LIMIT,
    ListingSearchParams,
    listing_search,
    listing_search_count,
    listing_search_facets,
    parse_search_params,
)
from listings.templatetags.listing_tags import (
    format_indicative_price,
    format_unit_price,
    incoterm_name,
)
from listings.templatetags.listing_tags import quantity as quantity_text
from marketplace.accounts.decorators import email_confirmed_required
from marketplace.accounts.models import Company
from marketplace.core.exceptions import Conflict, InvalidTransition, NotFound
from marketplace.trade.models import FxRate
from marketplace.trade.money import Money
from marketplace.trade.selectors import FxRateUnavailable, convert

SEARCH_PAGE_SIZE = 20
STOREFRONT_PAGE_SIZE = 24
MY_LISTINGS_PAGE_SIZE = 50
# Statuses whose listing the seller sends to review with "Save and submit for review".
SUBMITTABLE_STATUSES = frozenset({ListingStatus.DRAFT, ListingStatus.REJECTED})


# ---------- helpers ----------


def _active_company(request: HttpRequest) -> Company | None:
    company = getattr(request, "active_company", None)
    return company if company else None


def seller_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, acting for a company that sells; else a 403 page that says what is missing."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        company = _active_company(request)
        if company is None or not company.sells:
            return render(request, "listings/not_a_seller.html", {"company": company}, status=403)
        return view(request, company, *args, **kwargs)

    return wrapper


def _own_listing(company: Company, pk: int) -> Listing:
    try:
        return selectors.listing_get_for_company(company=company, listing_id=pk)
    except NotFound:
        raise Http404("No such listing among your company's.") from None


def _problem(exc: Exception) -> str:
    """One sentence for a refusal from a service, for a flash message."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return getattr(exc, "message", None) or str(exc)


class IndicativePrices:
    """Unit prices converted to the viewer's currency at the stored FX rate (one lookup per pair)."""

    def __init__(self, currency: str | None):
        self.currency = currency
        self._rates: dict[str, FxRate | None] = {}

    def rate(self, from_currency: str) -> FxRate | None:
        if not self.currency or from_currency == self.currency:
            return None
        if from_currency not in self._rates:
            try:
                _, rate = convert(Money(Decimal(1), from_currency), self.currency)
            except FxRateUnavailable:
                rate = None
            self._rates[from_currency] = rate
        return self._rates[from_currency]

    def price(self, amount: Decimal | None, from_currency: str) -> str | None:
        rate = self.rate(from_currency)
        if rate is None or amount is None or self.currency is None:
            return None
        return format_indicative_price(rate.apply(amount), self.currency)


def _viewer_currency(request: HttpRequest) -> str | None:
    company = _active_company(request)
    return company.default_currency if company else None


def _is_htmx(request: HttpRequest) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


# ---------- seller: my listings ----------


@seller_required
@require_http_methods(["GET"])
def my_listings(request: HttpRequest, company: Company) -> HttpResponse:
    status = request.GET.get("status") or None
    if status not in ListingStatus.values:
        status = None
    counts = selectors.listing_status_counts_for_company(company=company)
    tabs = [
        {"value": "", "label": "All", "count": sum(counts.values()), "current": status is None}
    ] + [
        {
            "value": value,
            "label": label,
            "count": counts.get(value, 0),
            "current": status == value,
        }
        for value, label in ListingStatus.choices
    ]
    listings = selectors.listing_list_for_company(company=company, status=status).order_by(
        "-updated_at", "-id"
    )
    page = Paginator(listings, MY_LISTINGS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "listings/my_listings.html",
        {
            "company": company,
            "page": page,
            "listings": page.object_list,
            "tabs": tabs,
            "status": status,
            "status_label": ListingStatus(status).label if status else "",
            "has_any": any(counts.values()),
            "submittable": SUBMITTABLE_STATUSES,
        },
    )


# ---------- seller: create and edit on one page ----------


def _tier_changes(listing: Listing, tiers: list[tuple[int, Decimal]]) -> bool:
    current = [(tier.min_quantity, tier.unit_price) for tier in listing.price_tiers.all()]
    return current != tiers


def _categories_by_id(tree: list[Category]) -> dict[int, Category]:
    found: dict[int, Category] = {}
    for top in tree:
        found[top.pk] = top
        for child in top.children.all():
            found[child.pk] = child
    return found


@seller_required
@email_confirmed_required
@require_http_methods(["GET", "POST"])
def listing_edit(request: HttpRequest, company: Company, pk: int | None = None) -> HttpResponse:
    listing = _own_listing(company, pk) if pk is not None else None
    if listing is not None and listing.status == ListingStatus.ARCHIVED:
        messages.error(request, f"“{listing.title}” is archived and can no longer be edited.")
        return redirect("listings:my_listings")
    tree = list(selectors.category_tree())
    # The seller sees every photo, with its processing status (others see ready ones only).
    images = list(selectors.listing_image_list_for_seller(listing=listing)) if listing else []

    def listing_form(*args: Any, **kwargs: Any) -> ListingForm:
        return ListingForm(*args, categories=tree, listing=listing, images=images, **kwargs)

    if request.method == "POST":
        form = listing_form(request.POST, request.FILES)
        tiers = PriceTierFormSet(request.POST, prefix="tiers")
        if form.is_valid() and tiers.is_valid():
            saved = _listing_save(request, company, form, tiers, tree, listing)
            if saved is not None:
                return redirect(
                    reverse("listings:my_listings")
                    if saved.status != ListingStatus.DRAFT
                    else reverse("listings:edit", args=[saved.pk])
                )
    else:
        if listing is not None:
            form = listing_form(initial=ListingForm.initial_for(listing))
            tiers = PriceTierFormSet(
                prefix="tiers",
                initial=[
                    {"min_quantity": tier.min_quantity, "unit_price": tier.unit_price}
                    for tier in listing.price_tiers.all()
                ],
            )
        else:
            form = listing_form(initial={"currency": company.default_currency})
            tiers = PriceTierFormSet(prefix="tiers")

    events = selectors.listing_events(listing=listing) if listing is not None else []
    return render(
        request,
        "listings/listing_form.html",
        {
            "company": company,
            "listing": listing,
            "form": form,
            "tiers": tiers,
            "events": events,
            "can_submit": listing is None or listing.status in SUBMITTABLE_STATUSES,
            "packing_fields": [form[name] for name in PACKING_FIELDS],
        },
    )


def _listing_save(
    request: HttpRequest,
    company: Company,
    form: ListingForm,
    tiers,
    tree: list[Category],
    listing: Listing | None,
) -> Listing | None:
    """Create or update the listing, its images, and submit it if asked; ``None`` on errors."""
    actor = request.user
    data = form.listing_data()
    data["category"] = _categories_by_id(tree)[data["category"]]  # type: ignore[index]
    price_tiers = [
        services.TierInput(min_quantity=quantity, unit_price=price)
        for quantity, price in tiers.tiers()
    ]
    uploads = form.cleaned_data.get("images") or []
    try:
        if listing is None:
            listing = services.listing_create(
                seller=company,
                actor=actor,  # type: ignore[arg-type]
                price_tiers=price_tiers,
                **data,  # type: ignore[arg-type]
            )
            created = True
        else:
            # Only what the seller changed, so that a stock-only edit keeps the listing published.
            changes = {name: data[name] for name in LISTING_FIELDS if name in form.changed_data}
            if _tier_changes(listing, tiers.tiers()):
                changes["price_tiers"] = price_tiers
            if changes:
                listing = services.listing_update(listing=listing, actor=actor, **changes)  # type: ignore[arg-type]
            created = False
    except ValidationError as exc:
        form.add_service_errors(exc, tiers)
        return None
    except (InvalidTransition, Conflict) as exc:
        form.add_error(None, _problem(exc))
        return None

    for image in form.cleaned_data.get("remove_images") or []:
        services.listing_image_remove(image=image, actor=actor)  # type: ignore[arg-type]
    for upload in uploads:
        try:
            services.listing_image_add(listing=listing, actor=actor, file=upload)  # type: ignore[arg-type]
        except ValidationError as exc:
            if created:
                # A new listing is all or nothing: the draft goes again with the bad upload.
                services.listing_delete(listing=listing, actor=actor)  # type: ignore[arg-type]
            else:
                messages.warning(request, "Your changes are saved, but not every image.")
            form.add_service_errors(exc, tiers)
            return None

    if "submit" in request.POST and listing.status in SUBMITTABLE_STATUSES:
        try:
            listing = services.listing_submit(listing=listing, actor=actor)  # type: ignore[arg-type]
        except (ValidationError, InvalidTransition, Conflict) as exc:
            messages.error(request, f"Saved, but not submitted for review: {_problem(exc)}")
            return listing
        messages.success(request, f"“{listing.title}” is submitted for review.")
    elif created:
        messages.success(request, f"“{listing.title}” is saved as a draft.")
    else:
        messages.success(request, f"“{listing.title}” is saved.")
        if listing.status == ListingStatus.PENDING_REVIEW and "submit" not in request.POST:
            messages.info(request, "It is waiting for review before buyers can see it.")
    return listing


@seller_required
@email_confirmed_required
@require_POST
def listing_submit(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    listing = _own_listing(company, pk)
    try:
        listing = services.listing_submit(listing=listing, actor=request.user)  # type: ignore[arg-type]
    except (ValidationError, InvalidTransition, Conflict) as exc:
        messages.error(request, f"“{listing.title}” was not submitted: {_problem(exc)}")
    else:
        messages.success(request, f"“{listing.title}” is submitted for review.")
    return redirect("listings:my_listings")


@seller_required
@require_POST
def listing_archive(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    listing = _own_listing(company, pk)
    try:
        listing = services.listing_archive(listing=listing, actor=request.user)  # type: ignore[arg-type]
    except (ValidationError, InvalidTransition, Conflict) as exc:
        messages.error(request, f"“{listing.title}” was not archived: {_problem(exc)}")
    else:
        messages.success(request, f"“{listing.title}” is archived; buyers no longer see it.")
    return redirect("listings:my_listings")


# ---------- buyers: search, detail, storefront ----------


class _CappedPaginator(Paginator):
    """Pages over a search whose count stops at SEARCH_RESULT_LIMIT (cheap at any size)."""

    @cached_property
    def count(self) -> int:
        return listing_search_count(self.object_list)  # type: ignore[arg-type]


def _search_params(request: HttpRequest) -> tuple[ListingSearchParams, dict[str, list[str]]]:
    """The filters from the URL; a bad one is dropped (and reported) so the rest still apply."""
    data: QueryDict = request.GET.copy()
    errors: dict[str, list[str]] = {}
    params = ListingSearchParams()
    for _ in range(len(data) + 1):
        try:
            params = parse_search_params(data)
            break
        except ValidationError as exc:
            bad = exc.message_dict if hasattr(exc, "error_dict") else {"q": exc.messages}
            errors.update(bad)
            if not any(key in data for key in bad):
                break
            for key in bad:
                data.pop(key, None)
    viewer_currency = _viewer_currency(request)
    if viewer_currency and "price_currency" not in request.GET:
        params = replace(params, price_currency=viewer_currency)
    return params, errors


def _searched(params: ListingSearchParams, errors: dict[str, list[str]]):
    try:
        return params, listing_search(params=params)
    except ValidationError as exc:
        # No FX rate for the price range's currency: search without the price range.
        errors.update(
            exc.message_dict if hasattr(exc, "error_dict") else {"min_price": exc.messages}
        )
        params = replace(params, min_price=None, max_price=None)
        return params, listing_search(params=params)


def _category_facets(rows: list[dict], selected: Category | None) -> list[dict]:
    """Top-level categories with counts; the selected one (or its parent) opened to its children."""
    open_id = None
    if selected is not None:
        open_id = selected.parent_id or selected.pk
    tops = [
        {"category": row["category"], "count": row["count"], "children": []}
        for row in rows
        if row["category"].parent_id is None
    ]
    by_id = {top["category"].pk: top for top in tops}
    for row in rows:
        parent_id = row["category"].parent_id
        if parent_id is not None and parent_id == open_id and parent_id in by_id:
            by_id[parent_id]["children"].append(row)
    if (
        selected is not None
        and selected.pk not in by_id
        and not any(row["category"].pk == selected.pk for top in tops for row in top["children"])
    ):
        # A chosen category with no results stays visible (and checked).
        tops.insert(0, {"category": selected, "count": 0, "children": []})
    return tops


@require_http_methods(["GET"])
def search(request: HttpRequest) -> HttpResponse:
    params, errors = _search_params(request)
    params, results_queryset = _searched(params, errors)
    page = _CappedPaginator(results_queryset, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
    prices = IndicativePrices(_viewer_currency(request))
    results = list(page.object_list)
    for listing in results:
        listing.indicative_price_from = prices.price(listing.price_min, listing.currency)
    facets = listing_search_facets(params=params, results=results_queryset)  # no new search
    origins = [(row["code"], f"{row['name']} ({row['count']})") for row in facets["origins"]]
    if params.origin and params.origin not in {code for code, _ in origins}:
        origins.insert(
            0, (params.origin, f"{dict(countries).get(params.origin, params.origin)} (0)")
        )
    incoterms = [
        (row["code"], f"{row['code']} — {incoterm_name(row['code'])} ({row['count']})")
        for row in facets["incoterms"]
    ]
    if params.incoterm and params.incoterm not in {code for code, _ in incoterms}:
        incoterms.insert(
            0, (params.incoterm, f"{params.incoterm} — {incoterm_name(params.incoterm)} (0)")
        )
    form = SearchForm(request.GET, origins=origins, incoterms=incoterms, errors=errors)
    context = {
        "form": form,
        "params": params,
        "errors": errors,
        "page": page,
        "results": results,
        "total": page.paginator.count,
        "capped": page.paginator.count >= SEARCH_RESULT_LIMIT,
        "corrected_query": getattr(results_queryset, "corrected_query", None),
        "categories": _category_facets(facets["categories"], params.category),
        "origin_name": dict(countries).get(params.origin, params.origin) if params.origin else "",
        "price_currency": params.price_currency,
        "viewer_currency": prices.currency,
        "has_filters": any(
            request.GET.get(key)
            for key in (
                "category",
                "origin",
                "incoterm",
                "min_price",
                "max_price",
                "max_moq",
                "verified",
            )
        ),
    }
    template = "listings/_search_update.html" if _is_htmx(request) else "listings/search.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


DETAIL_FRAGMENTS_SECONDS = 24 * 3600


@functools.cache
def _templates_version() -> str:
    """Changes when any project template changes (a deploy): cached pages and fragments are
    keyed by it, so that no page mixes old and new templates."""
    root = settings.BASE_DIR / "templates"
    files = sorted(
        (str(path.relative_to(root)), path.stat().st_mtime_ns, path.stat().st_size)
        for path in root.rglob("*.html")
    )
    return hashlib.blake2b(repr(files).encode(), digest_size=8).hexdigest()


def _detail_fragments_key(listing: Listing, images: list[ListingImage]) -> str:
    """A cache key that changes with anything the cached fragments show.

    The listing's own columns (``updated_at`` moves on every edit through the services; the
    columns themselves cover any other writer), the seller card, category, HS code and photos —
    all loaded with the listing already, so the key costs no query.
    """
    seller, category, hs_code = listing.seller, listing.category, listing.hs_code
    parent = category.parent
    shown = (
        _templates_version(),
        [
            getattr(listing, f.attname)
            for f in Listing._meta.concrete_fields
            if f.attname != "search_vector"
        ],
        (
            seller.pk,
            seller.display_name,
            seller.slug,
            seller.is_verified,
            str(seller.country),
            seller.created_at,
        ),
        (
            category.pk,
            category.name,
            parent.pk if parent else None,
            parent.name if parent else None,
        ),
        (hs_code.code, hs_code.description),
        [(i.pk, i.updated_at, i.original.name, i.detail.name, i.alt_text) for i in images],
    )
    digest = hashlib.blake2b(repr(shown).encode(), digest_size=16).hexdigest()
    return f"listings:detail:{listing.pk}:{digest}"


def _detail_fragments(listing: Listing, images: list[ListingImage]) -> dict[str, str]:
    """The viewer-independent parts of the detail page, rendered once per listing version."""
    key = _detail_fragments_key(listing, images)
    fragments = cache.get(key)
    if fragments is None:
        context = {"listing": listing, "images": images}
        fragments = {
            "breadcrumb": render_to_string("listings/_detail_breadcrumb.html", context),
            "head": render_to_string("listings/_detail_head.html", context),
            "seller": render_to_string(
                "listings/_seller_card.html", {"seller": listing.seller, "storefront_link": True}
            ),
            "main": render_to_string(
                "listings/_detail_main.html",
                {"listing": listing, "description": render_description(listing.description)},
            ),
        }
        cache.set(key, fragments, DETAIL_FRAGMENTS_SECONDS)
    # Rendered by our own templates (autoescaped) on a miss: safe HTML.
    return {name: mark_safe(html) for name, html in fragments.items()}  # noqa: S308


# Stands for the CSRF token in a cached anonymous page; each response gets its own token.
_CSRF_TOKEN_SLOT = "csrf-token-slot-of-this-response"  # noqa: S105 - not a secret
_CSRF_TOKEN_SLOT_BYTES = _CSRF_TOKEN_SLOT.encode()

# Anonymous pages rendered by this process, least recently served first: listing id -> (what
# the page was rendered from: templates version, language and the listing's public version;
# the page as UTF-8 with the CSRF token slot). ~7.5 kB a page. Kept in the process rather than
# in Redis: a first view then costs one query (the page with its version) and no round trip to
# Redis, and a page served again one small query (the version) and no round trip either.
ANONYMOUS_PAGES_MAX = 2000
_anonymous_pages: OrderedDict[int, tuple[tuple, bytes]] = OrderedDict()
_anonymous_pages_lock = threading.Lock()


def _anonymous_page_key(version: tuple) -> tuple:
    return (_templates_version(), get_language(), version)


def _anonymous_page_cached(pk: int) -> bytes | None:
    """The page this process rendered for listing ``pk`` if it is still up to date, else
    ``None``; ``Http404`` when no published listing has this id."""
    with _anonymous_pages_lock:
        cached = _anonymous_pages.get(pk)
    if cached is None:
        return None
    version = selectors.listing_public_version(listing_id=pk)
    if version is None:
        with _anonymous_pages_lock:
            _anonymous_pages.pop(pk, None)
        raise Http404("No such listing.")
    if cached[0] != _anonymous_page_key(version):
        return None
    with _anonymous_pages_lock:
        if pk in _anonymous_pages:
            _anonymous_pages.move_to_end(pk)
    return cached[1]


def _anonymous_page_keep(pk: int, key: tuple, page: bytes) -> None:
    with _anonymous_pages_lock:
        _anonymous_pages[pk] = (key, page)
        _anonymous_pages.move_to_end(pk)
        while len(_anonymous_pages) > ANONYMOUS_PAGES_MAX:
            _anonymous_pages.popitem(last=False)


@require_http_methods(["GET"])
def listing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A listing's page. Anonymous buyers all see the same page (no indicative prices, no cart
    form), so it is kept whole per listing version (in this process) and only the CSRF token
    is put in per response; a signed-in viewer gets the page rendered around the fragments
    cached per listing version."""
    if not request.user.is_authenticated and not len(get_messages(request)):
        page = _anonymous_page_cached(pk)
        if page is None:
            html, version = _anonymous_page_versioned(request, pk)
            page = html.encode()
            if version is not None:
                _anonymous_page_keep(pk, _anonymous_page_key(version), page)
        return HttpResponse(page.replace(_CSRF_TOKEN_SLOT_BYTES, get_token(request).encode()))
    return _listing_detail_page(request, pk)


def _detail_listing(request: HttpRequest, pk: int) -> tuple[Listing, tuple | None]:
    """The listing the viewer may see (``Http404`` otherwise) and its public version."""
    try:
        return selectors.listing_get_for_page_versioned(
            listing_id=pk,
            user=request.user,  # type: ignore[arg-type]
            company=_active_company(request),
        )
    except NotFound:
        raise Http404("No such listing.") from None


def _detail_context(
    request: HttpRequest, pk: int, *, cached_whole: bool, listing: Listing | None = None
) -> dict[str, Any]:
    if listing is None:
        listing = _detail_listing(request, pk)[0]
    company = _active_company(request)
    prices = IndicativePrices(_viewer_currency(request))
    tiers = [
        {
            "tier": tier,
            "quantity": quantity_text(tier.min_quantity, listing.unit),
            "price": format_unit_price(tier.unit_price, listing.currency),
            "indicative": prices.price(tier.unit_price, listing.currency),
        }
        for tier in listing.price_tiers.all()
    ]
    is_own = company is not None and listing.seller_id == company.pk
    images = list(listing.images.all())
    return {
        "listing": listing,
        "tiers": tiers,
        "fx_rate": prices.rate(listing.currency),
        "viewer_currency": prices.currency,
        "images": images,
        # A page cached whole renders its fragments in place rather than caching them apart.
        "fragments": None if cached_whole else _detail_fragments(listing, images),
        "is_own": is_own,
        "show_status": listing.status != ListingStatus.PUBLISHED,
        **(
            {
                "csrf_token": _CSRF_TOKEN_SLOT,
                "description": render_description(listing.description),
            }
            if cached_whole
            else {}
        ),
    }


def _listing_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "listings/detail.html", _detail_context(request, pk, cached_whole=False))


# The anonymous page is the layout every anonymous listing page shares (header, navigation,
# footer: base.html around detail.html) with three blocks of detail.html put in: the layout is
# rendered once per process (and templates version) with a marker in each block, and a first
# view renders only those blocks. The output is the page detail.html renders in one go.
_SHELL_BLOCKS = ("title", "meta_description", "content")
_SHELL_MARKERS = {name: f"@@listing-page-{name}-slot@@" for name in _SHELL_BLOCKS}
_shells: dict[str, list[str] | None] = {}


def _anonymous_shell(request: HttpRequest) -> list[str] | None:
    """The anonymous layout split at the block markers (``None`` if it cannot be shared)."""
    version = _templates_version()
    if version not in _shells:
        context = {"csrf_token": _CSRF_TOKEN_SLOT, "slots": _SHELL_MARKERS}
        shell = render_to_string("listings/_detail_shell.html", context, request=request)
        # The layout must not depend on which listing's page it is (e.g. a link back to it).
        other = copy.copy(request)
        other.path = other.path_info = reverse("listings:detail", args=[0])
        same = shell == render_to_string("listings/_detail_shell.html", context, request=other)
        parts = re.split("|".join(map(re.escape, _SHELL_MARKERS.values())), shell)
        markers = re.findall("|".join(map(re.escape, _SHELL_MARKERS.values())), shell)
        in_order = markers == [_SHELL_MARKERS[name] for name in _SHELL_BLOCKS]
        _shells[version] = parts if same and in_order else None
    return _shells[version]


@functools.lru_cache(maxsize=8)
def _blocks_of(template: Any) -> dict[str, Any]:
    # The block nodes of a template that extends another (the loader caches the template).
    return template.nodelist.get_nodes_by_type(ExtendsNode)[0].blocks


def _detail_blocks(request: HttpRequest, context: dict[str, Any]) -> list[str]:
    """The title, meta description and content blocks of detail.html, rendered on their own."""
    template = get_template("listings/detail.html").template  # type: ignore[attr-defined]
    blocks = _blocks_of(template)
    bound = make_context(context, request)
    with bound.bind_template(template):
        return [blocks[name].render(bound) for name in _SHELL_BLOCKS]


# Seller cards and breadcrumbs are shared by many listings (a few hundred sellers, a few dozen
# categories): kept rendered per process, keyed by everything they show.
_SHARED_FRAGMENTS_MAX = 4096
_shared_fragments: OrderedDict[tuple, str] = OrderedDict()


def _shared_fragment(key: tuple, template_name: str, context: dict[str, Any]) -> str:
    key = (_templates_version(), get_language(), template_name, *key)
    html = _shared_fragments.get(key)
    if html is None:
        html = render_to_string(template_name, context)
        _shared_fragments[key] = html
        if len(_shared_fragments) > _SHARED_FRAGMENTS_MAX:
            _shared_fragments.popitem(last=False)
    return html


def _anonymous_fragments(context: dict[str, Any]) -> dict[str, str]:
    """The fragments of an anonymous page: the seller card and breadcrumb shared, the head and
    the description with trade and packing data rendered for this listing."""
    listing, images = context["listing"], context["images"]
    seller, category = listing.seller, listing.category
    parent = category.parent
    fragments = {
        "breadcrumb": _shared_fragment(
            (
                category.pk,
                category.name,
                parent.pk if parent else None,
                parent.name if parent else None,
            ),
            "listings/_detail_breadcrumb.html",
            {"listing": listing},
        ),
        "seller": _shared_fragment(
            (
                seller.pk,
                seller.display_name,
                seller.slug,
                seller.is_verified,
                str(seller.country),
                seller.created_at,
            ),
            "listings/_seller_card.html",
            {"seller": seller, "storefront_link": True},
        ),
        "head": render_to_string(
            "listings/_detail_head.html", {"listing": listing, "images": images}
        ),
        "main": render_to_string(
            "listings/_detail_main.html",
            {"listing": listing, "description": context["description"]},
        ),
    }
    # Rendered by our own templates (autoescaped): safe HTML.
    return {name: mark_safe(html) for name, html in fragments.items()}  # noqa: S308


def _anonymous_page(request: HttpRequest, pk: int) -> str:
    """The anonymous page of listing ``pk`` with the CSRF token slot (``Http404`` if none)."""
    return _anonymous_page_versioned(request, pk)[0]


def _anonymous_page_versioned(request: HttpRequest, pk: int) -> tuple[str, tuple | None]:
    """``_anonymous_page`` and the public version of the listing it was rendered from."""
    listing, version = _detail_listing(request, pk)
    context = _detail_context(request, pk, cached_whole=True, listing=listing)
    shell = _anonymous_shell(request)
    if shell is None:
        return render_to_string("listings/detail.html", context, request=request), version
    blocks = _detail_blocks(request, {**context, "fragments": _anonymous_fragments(context)})
    html = "".join(
        part + (blocks[index] if index < len(blocks) else "") for index, part in enumerate(shell)
    )
    return html, version


@require_http_methods(["GET"])
def storefront(request: HttpRequest, slug: str) -> HttpResponse:
    # A storefront is public: any company that sells has one, whatever it has published.
    seller = get_object_or_404(Company, slug=slug, sells=True)
    params = ListingSearchParams(seller=seller, ordering="-created")
    page = _CappedPaginator(listing_search(params=params), STOREFRONT_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    prices = IndicativePrices(_viewer_currency(request))
    results = list(page.object_list)
    for listing in results:
        listing.indicative_price_from = prices.price(listing.price_min, listing.currency)
    return render(
        request,
        "listings/storefront.html",
        {"seller": seller, "page": page, "results": results},
    )
