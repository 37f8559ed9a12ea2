"""Catalogue search: full-text over the stored vector, trigram similarity for typos, facets.

How a search stays fast at a million listings:

- Words are matched with ``websearch_to_tsquery`` against ``Listing.search_vector`` (GIN).
  When they find fewer than ``TYPO_FALLBACK_BELOW`` listings and the query is plain words
  (no quotes, ``-word`` or ``or``, whose meaning a fuzzy match would break), titles whose
  words are similar to the query are added (``q <<% title``, pg_trgm, partial GIN index on
  published titles) — "bluetoth" still finds "Bluetooth".
- A search returns at most ``SEARCH_RESULT_LIMIT`` listings, as GitHub's search does: the
  count of a common word over a million rows would cost more than the page itself.
- Sorting by relevance ranks the ``SEARCH_RESULT_LIMIT`` most recently published matches
  (``ts_rank_cd`` over the title-A / description-B vector, plus the title's similarity to the
  query), so that a common word never ranks a hundred thousand rows.
"""

import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    TrigramStrictWordSimilarity,
)
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Count, Expression, F, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.fields import CharField
from django_countries import countries

from listings.enums import ListingStatus
from listings.models import SEARCH_CONFIG, Category, Listing
from marketplace.accounts.enums import VerificationStatus
from marketplace.accounts.models import Company
from marketplace.trade.currencies import CURRENCY_CHOICES
from marketplace.trade.incoterms import INCOTERM_CHOICES
from marketplace.trade.money import quantize_unit_price
from marketplace.trade.selectors import fx_rate_latest

SEARCH_RESULT_LIMIT = 500
TYPO_FALLBACK_BELOW = 10
QUERY_MAX_LENGTH = 200

ORDERING_RELEVANCE = "relevance"
ORDERING_CHOICES = [
    (ORDERING_RELEVANCE, "Relevance"),
    ("price", "Price, lowest first"),
    ("-price", "Price, highest first"),
    ("-created", "Newest first"),
]
_ORDER_BY: dict[str, tuple[Any, ...]] = {
    "price": (F("price_min_usd").asc(nulls_last=True), "-published_at", "-pk"),
    "-price": (F("price_min_usd").desc(nulls_last=True), "-published_at", "-pk"),
    "-created": ("-published_at", "-pk"),
}
# websearch operators: a quoted phrase, a "-word" exclusion, an "or" between words.
_OPERATOR = re.compile(r'"|(^|\s)-\S|(^|\s)or(\s|$)', re.IGNORECASE)


@dataclass(frozen=True)
class ListingSearchParams:
    q: str = ""
    category: Category | None = None  # includes its subcategories
    origin: str | None = None  # ISO 3166-1 alpha-2
    incoterm: str | None = None
    min_price: Decimal | None = None  # in price_currency, compared with the lowest tier price
    max_price: Decimal | None = None
    price_currency: str = "USD"
    max_moq: int | None = None
    verified: bool | None = None
    seller: Company | None = None
    ordering: str = ORDERING_RELEVANCE  # relevance | price | -price | -created


class _VerifiedField(forms.Field):
    """``true``/``false`` (also 1/0, yes/no, on); anything else is an error, not "unknown"."""

    _VALUES = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False}
    _VALUES |= {"no": False, "off": False}

    def to_python(self, value: Any) -> bool | None:
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in self._VALUES:
            raise ValidationError("Enter true or false.", code="invalid")
        return self._VALUES[text]


class ListingSearchForm(forms.Form):
    """Parses the search query string; the API and the search page share it."""

    q = forms.CharField(required=False, max_length=QUERY_MAX_LENGTH, strip=True)
    category = forms.ModelChoiceField(queryset=Category.objects.all(), required=False)
    origin = forms.CharField(required=False, max_length=2)
    incoterm = forms.CharField(required=False, max_length=3)
    min_price = forms.DecimalField(required=False, min_value=0, max_digits=14, decimal_places=4)
    max_price = forms.DecimalField(required=False, min_value=0, max_digits=14, decimal_places=4)
    price_currency = forms.ChoiceField(required=False, choices=CURRENCY_CHOICES)
    max_moq = forms.IntegerField(required=False, min_value=1, max_value=2_147_483_647)
    verified = _VerifiedField(required=False)
    seller = forms.ModelChoiceField(queryset=Company.objects.filter(sells=True), required=False)
    ordering = forms.ChoiceField(required=False, choices=ORDERING_CHOICES)

    def clean_origin(self) -> str | None:
        code = self.cleaned_data["origin"].strip().upper()
        if not code:
            return None
        if code not in dict(countries):
            raise ValidationError(f"“{code}” is not an ISO country code (e.g. CN, DE, VN).")
        return code

    def clean_incoterm(self) -> str | None:
        code = self.cleaned_data["incoterm"].strip().upper()
        if not code:
            return None
        if code not in dict(INCOTERM_CHOICES):
            raise ValidationError(f"“{code}” is not an Incoterms 2020 rule (e.g. FOB, EXW, DAP).")
        return code

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        low, high = cleaned.get("min_price"), cleaned.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", "The highest price must not be below the lowest price.")
        return cleaned


def parse_search_params(data: Any) -> ListingSearchParams:
    """Search parameters from a query string; ``ValidationError({field: [...]})`` if bad."""
    form = ListingSearchForm(data)
    if not form.is_valid():
        raise ValidationError(
            {
                field: [str(message) for message in messages]
                for field, messages in form.errors.items()
            }
        )
    values = form.cleaned_data
    return ListingSearchParams(
        q=values["q"],
        category=values["category"],
        origin=values["origin"],
        incoterm=values["incoterm"],
        min_price=values["min_price"],
        max_price=values["max_price"],
        price_currency=values["price_currency"] or "USD",
        max_moq=values["max_moq"],
        verified=values["verified"],
        seller=values["seller"],
        ordering=values["ordering"] or ORDERING_RELEVANCE,
    )


def _to_usd(amount: Decimal, currency: str) -> Decimal:
    rate = fx_rate_latest(base=currency, quote="USD")
    if rate is None:
        raise ValidationError(
            {"price_currency": [f"No exchange rate from {currency} to USD is known."]}
        )
    return quantize_unit_price(rate.apply(amount))


def _filtered(params: ListingSearchParams) -> QuerySet[Listing]:
    """Published listings narrowed by every facet (not by the words)."""
    queryset = Listing.objects.filter(status=ListingStatus.PUBLISHED)
    if params.category is not None:
        # The category and what sits below it (the tree is seeded two levels deep; a third
        # level is allowed). Ids rather than a join, so that the facets GIN index can use them.
        category = params.category
        within = Q(pk=category.pk) | Q(parent=category) | Q(parent__parent=category)
        ids = list(Category.objects.filter(within).values_list("pk", flat=True))
        queryset = queryset.filter(category_id__in=ids)
    if params.origin:
        queryset = queryset.filter(origin_country=params.origin)
    if params.incoterm:
        queryset = queryset.filter(incoterms__contains=[params.incoterm])
    if params.min_price is not None:
        low = _to_usd(params.min_price, params.price_currency)
        queryset = queryset.filter(price_min_usd__gte=low)
    if params.max_price is not None:
        high = _to_usd(params.max_price, params.price_currency)
        queryset = queryset.filter(price_min_usd__lte=high)
    if params.max_moq is not None:
        queryset = queryset.filter(moq__lte=params.max_moq)
    if params.verified is True:
        queryset = queryset.filter(seller__verification_status=VerificationStatus.VERIFIED)
    elif params.verified is False:
        queryset = queryset.exclude(seller__verification_status=VerificationStatus.VERIFIED)
    if params.seller is not None:
        queryset = queryset.filter(seller=params.seller)
    return queryset


def is_plain_query(q: str) -> bool:
    """Only words: no phrase, exclusion or OR (a fuzzy match would not honour them)."""
    return bool(q.strip()) and _OPERATOR.search(q) is None


def _search_query(q: str) -> SearchQuery:
    return SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)


def _words(q: str) -> Q:
    return Q(search_vector=_search_query(q))


def _words_or_similar_title(q: str) -> Q:
    # ``title %>> q`` is ``q <<% title``: a word of the title is similar to the query.
    return _words(q) | Q(title__trigram_strict_word_similar=q)


def _with_relations(queryset: QuerySet[Listing]) -> QuerySet[Listing]:
    return queryset.select_related("seller", "category", "hs_code").prefetch_related(
        "price_tiers", "images"
    )


def _listings_with_ids(ids: list[int]) -> QuerySet[Listing]:
    # One array parameter (``id = ANY(%s)``) instead of IN with 500 parameters, which Django
    # takes ~2 ms per query to build.
    any_of = RawSQL('"listings_listing"."id" = ANY(%s)', (ids,), output_field=BooleanField())
    return Listing.objects.filter(any_of)


def _fewer_than(queryset: QuerySet[Listing], n: int) -> bool:
    return len(queryset.order_by().values_list("pk", flat=True)[:n]) < n


def _newest_ids(queryset: QuerySet[Listing]) -> list[int]:
    newest = queryset.order_by("-published_at", "-pk").values_list("pk", flat=True)
    return list(newest[:SEARCH_RESULT_LIMIT])


def listing_search(*, params: ListingSearchParams) -> QuerySet[Listing]:
    """Published listings matching ``params``, ordered as asked, at most SEARCH_RESULT_LIMIT.

    With words and ``relevance``: the newest SEARCH_RESULT_LIMIT matches are fetched (one
    query), then ranked; the queryset is over those ids, annotated with ``rank``. Otherwise a
    lazy queryset in the requested order (the caller slices it; the API counts at most
    SEARCH_RESULT_LIMIT rows). Without words, ``relevance`` means newest first.
    """
    queryset = _filtered(params)
    ordering = params.ordering if params.ordering in _ORDER_BY else ORDERING_RELEVANCE
    if not params.q:
        order = _ORDER_BY["-created" if ordering == ORDERING_RELEVANCE else ordering]
        return _with_relations(queryset.order_by(*order))
    plain = is_plain_query(params.q)
    if ordering != ORDERING_RELEVANCE:
        matched = queryset.filter(_words(params.q))
        if not (plain and _fewer_than(matched, TYPO_FALLBACK_BELOW)):
            return _with_relations(matched.order_by(*_ORDER_BY[ordering]))
        # A typo: the similar titles are many and costly to test, so take the newest ones.
        window = _newest_ids(queryset.filter(_words_or_similar_title(params.q)))
        in_order = _listings_with_ids(window).order_by(*_ORDER_BY[ordering])
        return _with_relations(in_order)
    window = _newest_ids(queryset.filter(_words(params.q)))
    if plain and len(window) < TYPO_FALLBACK_BELOW:
        window = _newest_ids(queryset.filter(_words_or_similar_title(params.q)))
    rank: Expression = SearchRank(F("search_vector"), _search_query(params.q), cover_density=True)
    if plain:
        similarity = TrigramStrictWordSimilarity(
            Value(params.q, output_field=CharField()),  # type: ignore[arg-type]
            "title",
        )
        rank = rank + similarity
    ranked = (
        _listings_with_ids(window).annotate(rank=rank).order_by("-rank", "-published_at", "-pk")
    )
    return _with_relations(ranked)


def listing_search_count(queryset: QuerySet[Listing]) -> int:
    """How many results a search has, up to SEARCH_RESULT_LIMIT (cheap at any size)."""
    return queryset.order_by()[:SEARCH_RESULT_LIMIT].count()


def listing_search_facets(*, params: ListingSearchParams) -> dict[str, Any]:
    """Counts per category, country of origin and Incoterm for the search page's facets.

    Counted over the same results as ``listing_search`` (at most SEARCH_RESULT_LIMIT), so
    they stay cheap for a common word. ``categories`` lists top-level categories with their
    subcategories' listings included, then the subcategories, each
    ``{"category": Category, "count": n}``; ``origins`` ``{"code", "name", "count"}``;
    ``incoterms`` ``{"code", "count"}``; all by count, highest first. ``total`` is the number
    of results counted and ``capped`` whether there may be more.
    """
    results = listing_search(params=params)
    ids = list(results.order_by().values_list("pk", flat=True)[:SEARCH_RESULT_LIMIT])
    base = _listings_with_ids(ids)
    per_category = dict(
        base.values_list("category_id").annotate(n=Count("pk")).values_list("category_id", "n")
    )
    categories = {category.pk: category for category in Category.objects.all()}  # a few dozen
    rolled: dict[int, int] = {}
    for category_id, n in per_category.items():
        category = categories[category_id]
        rolled[category.pk] = rolled.get(category.pk, 0) + n
        if category.parent_id is not None:
            rolled[category.parent_id] = rolled.get(category.parent_id, 0) + n
    origins = (
        base.values_list("origin_country").annotate(n=Count("pk")).order_by("-n", "origin_country")
    )
    incoterms = Counter(
        code for offered in base.values_list("incoterms", flat=True) for code in offered
    )
    country_names = dict(countries)
    return {
        "categories": sorted(
            ({"category": categories[pk], "count": n} for pk, n in rolled.items()),
            key=lambda row: (row["category"].parent_id is not None, -row["count"]),
        ),
        "origins": [
            {"code": code, "name": country_names.get(code, code), "count": n} for code, n in origins
        ],
        "incoterms": [
            {"code": code, "count": n}
            for code, n in sorted(incoterms.items(), key=lambda item: (-item[1], item[0]))
        ],
        "total": len(ids),
        "capped": len(ids) >= SEARCH_RESULT_LIMIT,
    }
