"""Catalogue search: full-text over the stored vector, spelling correction for typos, facets.

How a search stays fast at a million listings:

- Words are matched with ``websearch_to_tsquery`` against ``Listing.search_vector`` (GIN).
  When they find fewer than ``TYPO_FALLBACK_BELOW`` listings and the query is plain words
  (no quotes, ``-word`` or ``or``, whose meaning a correction would break), each word that no
  published title uses is corrected to the most similar word that one does (``SearchTerm``, a
  few thousand distinct title words with a trigram index, instead of a trigram scan over a
  million titles), and titles with the corrected words are added — "bluetoth" still finds
  "Bluetooth".
- A search is settled by one query: the ids of at most ``SEARCH_RESULT_LIMIT`` listings in
  their final order (as GitHub's search does, the count of a common word over a million rows
  would cost more than the page itself), with the columns the facets count. A page then loads
  only its own listings; the count and the facets come from those ids, with no query more.
- Sorting by relevance ranks the ``SEARCH_RESULT_LIMIT`` most recently published matches
  (``ts_rank_cd`` over the title-A / description-B vector, plus the title's similarity to the
  query), so that a common word never ranks a hundred thousand rows; the rank is computed on
  those rows only, after the limit.
- A category with subcategories is searched one subcategory at a time (``UNION ALL`` of one
  ordered, limited query per category, each walking the category's own index of listings
  by date or price — migration 0006), instead of walking the whole catalogue's index past the
  listings of every other category; a walk newest first merges those indexes in date order,
  so it reads only the newest listings of the whole subtree.
- A corrected word must be in the title, so a corrected search reads that word's listings
  newest first from ``TitleWord`` (the title lexemes of published listings with their dates,
  kept by a trigger; migration 0008) and tests each against the words and facets until it has
  SEARCH_RESULT_LIMIT: about as many rows as results, where the words are often together.
"""

import functools
import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib.postgres.search import SearchQuery
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, F, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django_countries import countries

from listings.enums import ListingStatus
from listings.models import SEARCH_CONFIG, Category, Listing, ListingImage, PriceTier
from marketplace.accounts.enums import VerificationStatus
from marketplace.accounts.models import Company
from marketplace.trade.currencies import CURRENCY_CHOICES
from marketplace.trade.incoterms import INCOTERM_CHOICES
from marketplace.trade.money import quantize_unit_price
from marketplace.trade.selectors import fx_rate_latest

SEARCH_RESULT_LIMIT = 500
TYPO_FALLBACK_BELOW = 10
# How deep a search with words first walks each part newest first, and at most in a second walk.
WALK_FIRST = 2_500
WALK_MAX = 50_000
# Not a walk: every match from the words index, then the newest sorted out (few matches).
GIN_SORT = 0
# pg_trgm similarity a known word needs to replace an unknown one ("cofee" → "coffee" is 0.63).
SPELLING_MIN_SIMILARITY = 0.4
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
# The order a window query sorts by: "id" rather than "pk", which a UNION ALL can name.
_WINDOW_ORDER: dict[str, tuple[Any, ...]] = {
    "price": (F("price_min_usd").asc(nulls_last=True), "-published_at", "-id"),
    "-price": (F("price_min_usd").desc(nulls_last=True), "-published_at", "-id"),
    "-created": ("-published_at", "-id"),
}
# What a window query returns per listing: its id, what the facets count, what it is sorted by.
_WINDOW_COLUMNS = (
    "id",
    "category_id",
    "origin_country",
    "incoterms",
    "published_at",
    "price_min_usd",
)
_RANK_COLUMNS = (*_WINDOW_COLUMNS, "search_vector", "title")
# A word worth correcting: letters only, as SearchTerm keeps them (numbers and codes are not).
_WORD = re.compile(r"[^\W_]+")
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


def _category_ids(category: Category) -> list[int]:
    # The category and what sits below it (the tree is seeded two levels deep; a third level
    # is allowed).
    within = Q(pk=category.pk) | Q(parent=category) | Q(parent__parent=category)
    return sorted(Category.objects.filter(within).values_list("pk", flat=True))


def _filtered(
    params: ListingSearchParams, category_ids: list[int] | None
) -> list[QuerySet[Listing]]:
    """Published listings narrowed by every facet (not by the words): one queryset per category
    of ``category_ids`` (``params.category`` and its subcategories), or one for the whole
    catalogue.

    Each category has its own indexes of listings by date and by price (migration 0006), so
    the newest or cheapest of a category are read from its index in order; a single query over
    ``category_id IN (...)`` could only walk the catalogue-wide index past the other categories.
    """
    queryset = _faceted(params)
    if category_ids is None:
        return [queryset]
    return [queryset.filter(category_id=pk) for pk in category_ids]


def _faceted(params: ListingSearchParams) -> QuerySet[Listing]:
    """Published listings narrowed by every facet but the category."""
    queryset = Listing.objects.filter(status=ListingStatus.PUBLISHED)
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


# --- spelling correction ----------------------------------------------------------------


@dataclass(frozen=True)
class SpellingCorrection:
    """A plain query with its unknown words replaced by the most similar known title words.

    ``text`` is the corrected query ("coffee beans" for "cofee beans"); ``tsquery`` the
    ``to_tsquery`` input that finds titles with the corrected words (``'coffee':A & 'beans'``:
    a replaced word must be in the title, weight A, as the typo fallback always matched titles).
    ``title_lexemes`` maps each replaced word's replacement to its lexemes in the search
    configuration (none for a stop word, which the tsquery drops): words a match has in its
    title, whose newest listings TitleWord gives in date order.
    """

    text: str
    tsquery: str
    replaced: dict[str, str]
    title_lexemes: dict[str, list[str]] = field(default_factory=dict)


def spelling_correct(q: str) -> SpellingCorrection | None:
    """``q`` with each word that no published title uses replaced by the most similar one that
    does (``SearchTerm``, pg_trgm similarity at least SPELLING_MIN_SIMILARITY, the more common
    word on a tie); ``None`` when every word is known or nothing similar is."""
    tokens = _WORD.findall(q.lower())
    candidates = sorted({t for t in tokens if t.isalpha() and len(t) >= 3})
    if not candidates:
        return None
    with connection.cursor() as cursor:
        # One query for every word: a known word maps to itself (found by its key, and the
        # similar words are not looked for: a one-time filter skips them, ~4 ms a word over a
        # few thousand terms); an unknown one to the most similar known word (`%`).
        cursor.execute(
            """
            SELECT asked.word, coalesce(exact.word, best.word),
                tsvector_to_array(to_tsvector(%s::regconfig, coalesce(exact.word, best.word)))
            FROM unnest(%s::text[]) AS asked(word)
            LEFT JOIN listings_searchterm AS exact ON exact.word = asked.word
            LEFT JOIN LATERAL (
                SELECT term.word
                FROM listings_searchterm AS term
                WHERE exact.word IS NULL
                    AND term.word %% asked.word AND similarity(term.word, asked.word) >= %s
                ORDER BY term.listings > 0 DESC,
                    similarity(term.word, asked.word) DESC, term.listings DESC, term.word
                LIMIT 1
            ) AS best ON true
            """,
            [SEARCH_CONFIG, candidates, SPELLING_MIN_SIMILARITY],
        )
        found = cursor.fetchall()
    best = {word: known for word, known, _ in found}
    lexemes_of = {known: list(lexemes) for _, known, lexemes in found if known is not None}
    replaced = {word: known for word, known in best.items() if known is not None and known != word}
    if not replaced:
        return None
    words = [replaced.get(token, token) for token in tokens]
    lexemes = [f"'{replaced[t]}':A" if t in replaced else f"'{t}'" for t in tokens]
    return SpellingCorrection(
        text=" ".join(words),
        tsquery=" & ".join(lexemes),
        replaced=replaced,
        title_lexemes={known: lexemes_of[known] for known in sorted(set(replaced.values()))},
    )


def search_terms_refresh() -> int:
    """Recount the words of published titles into SearchTerm; returns how many words it has.

    A database trigger (migration 0006) adds the words of a title as soon as its listing is
    published or retitled, whatever the code path, so correction never misses a new word; this
    recount (a daily Celery beat task, and ``manage.py search_terms_refresh``) brings the
    listing counts up to date. Words no longer used keep a count of 0 rather than being deleted,
    so that a recount racing with a publication can never drop a word the trigger just added;
    correction prefers words with listings.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH counted AS (
                SELECT word, ndoc FROM ts_stat(
                    'SELECT to_tsvector(''simple'', title) FROM listings_listing
                     WHERE status = ''published''')
                WHERE word ~ '^[[:alpha:]]{3,40}$'
            ), upserted AS (
                INSERT INTO listings_searchterm (word, listings)
                SELECT word, ndoc FROM counted
                ON CONFLICT (word) DO UPDATE SET listings = EXCLUDED.listings
                WHERE listings_searchterm.listings IS DISTINCT FROM EXCLUDED.listings
            )
            UPDATE listings_searchterm SET listings = 0
            WHERE listings <> 0 AND word NOT IN (SELECT word FROM counted)
            """
        )
        cursor.execute("SELECT count(*) FROM listings_searchterm WHERE listings > 0")
        return cursor.fetchone()[0]


def title_words_refresh() -> int:
    """Rebuild TitleWord from the published listings; returns how many rows it has.

    The trigger of migration 0008 keeps the table as listings change; this is for a bulk load
    that ran with triggers off (bench/search/generate.py). It takes the table's lock for the
    rebuild: searches that need it wait for the commit.
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE listings_titleword")
        cursor.execute(
            """
            INSERT INTO listings_titleword (lexeme, published_at, listing_id)
            SELECT lexeme, listing.published_at, listing.id
            FROM listings_listing AS listing,
                unnest(tsvector_to_array(to_tsvector(%s::regconfig, listing.title))) AS lexeme
            WHERE listing.status = %s
            """,
            [SEARCH_CONFIG, ListingStatus.PUBLISHED.value],
        )
        return cursor.rowcount


# --- the window: a search's ids in their final order -------------------------------------


def _window(parts: list[QuerySet[Listing]], order: tuple[Any, ...], columns=_WINDOW_COLUMNS):
    """The first SEARCH_RESULT_LIMIT rows of ``parts`` together, in ``order``: one query."""
    limited = [part.order_by(*order).values_list(*columns)[:SEARCH_RESULT_LIMIT] for part in parts]
    if len(limited) == 1:
        return limited[0]
    return limited[0].union(*limited[1:], all=True).order_by(*order)[:SEARCH_RESULT_LIMIT]


def _compiled(expression: Any, queryset: QuerySet) -> tuple[str, list]:
    compiler = queryset.query.get_compiler(connection=connection)
    sql, params = compiler.compile(expression.resolve_expression(queryset.query))
    return sql, list(params)


def _newest_matches_sql(part: QuerySet[Listing], query: SearchQuery, walk: int | None):
    """SQL for the SEARCH_RESULT_LIMIT newest matches of ``query`` in ``part``.

    With ``walk``, only among the ``walk`` newest listings of the part, read in date order
    from its index; when it finds fewer than SEARCH_RESULT_LIMIT, a row with ``rn = walk``
    (and nothing else) tells that the part has more listings than that. Without ``walk``, as
    the planner likes (for few matches: the GIN index, then those rows sorted).
    """
    newest = part.order_by("-published_at", "-id")
    matched = newest.filter(search_vector=query).values_list(*_RANK_COLUMNS)
    if walk == GIN_SORT:
        # OFFSET 0 keeps the order out of the inner query: the planner fetches the matches
        # (the words index) instead of walking the dates index for them.
        every = part.filter(search_vector=query).values_list(*_RANK_COLUMNS).order_by()
        sql, params = every.query.sql_with_params()
        return (
            f"SELECT m.*, true AS matched, 0 AS rn FROM ({sql} OFFSET 0) AS m "  # noqa: S608
            f"ORDER BY m.published_at DESC, m.id DESC LIMIT {SEARCH_RESULT_LIMIT}",
            list(params),
        )
    if walk is None:
        sql, params = matched[:SEARCH_RESULT_LIMIT].query.sql_with_params()
        return f"SELECT m.*, true AS matched, 0 AS rn FROM ({sql}) AS m", list(params)  # noqa: S608
    return _walk_sql([part], query, walk)


def _newest_sql(parts: list[QuerySet[Listing]], columns: tuple[str, ...], limit: int):
    """SQL for the ``limit`` newest listings of ``parts`` together (``columns``, which include
    ``id`` and ``published_at``): one part's index read in date order, or several parts' indexes
    merged in date order (Merge Append: each is read only as far as the merge needs)."""
    pieces = [
        part.order_by("-published_at", "-id").values_list(*columns)[:limit].query.sql_with_params()
        for part in parts
    ]
    if len(pieces) == 1:
        return pieces[0][0], list(pieces[0][1])
    union = " UNION ALL ".join(f"({sql})" for sql, _ in pieces)
    return (
        f"SELECT u.* FROM ({union}) AS u "  # noqa: S608
        f"ORDER BY u.published_at DESC, u.id DESC LIMIT {limit}",
        [param for _, params in pieces for param in params],
    )


def _walk_sql(parts: list[QuerySet[Listing]], query: SearchQuery, walk: int):
    """SQL for the SEARCH_RESULT_LIMIT newest matches of ``query`` among the ``walk`` newest
    listings of ``parts`` together; when it finds fewer than SEARCH_RESULT_LIMIT, a row with
    ``rn = walk`` (and nothing else) tells that the parts have more listings than that.

    A category with subcategories is walked once, its subcategories' indexes merged in date
    order, rather than each subcategory ``walk`` deep: the merge reads only the newest
    listings of them all, as many as it takes to find SEARCH_RESULT_LIMIT matches.
    """
    # The walk is a plain ordered, limited index scan, the words tested on the rows it reads
    # (no window function: numbering the rows spooled every one of them, half the cost). Whether
    # the part goes deeper is asked only when the walk found too few (an initplan runs lazily).
    sql, params = _newest_sql(parts, _RANK_COLUMNS, walk)
    if len(parts) == 1:
        newest = parts[0].order_by("-published_at", "-id").values_list("id")
        beyond_sql, beyond_params = newest[walk : walk + 1].query.sql_with_params()
    else:
        # The (walk + 1)-th newest of them all is among the walk + 1 newest of its own part.
        beyond_sql, beyond_params = _newest_sql(parts, ("id", "published_at"), walk + 1)
        beyond_sql = f"SELECT b.id FROM ({beyond_sql}) AS b OFFSET {walk}"  # noqa: S608
    words_sql, words_params = _compiled(query, parts[0])
    blanks = ", ".join(["NULL"] * len(_RANK_COLUMNS))
    return (
        f"WITH m AS (SELECT r.* FROM ({sql}) AS r WHERE r.search_vector @@ {words_sql} "  # noqa: S608
        f"ORDER BY r.published_at DESC, r.id DESC LIMIT {SEARCH_RESULT_LIMIT}) "
        "SELECT m.*, true AS matched, 0 AS rn FROM m "
        f"UNION ALL SELECT {blanks}, false, %s "
        # CASE, not AND: the planner may test the EXISTS first, walking the part's index
        # ``walk`` rows deep again even when the walk found enough (10 ms at 30,000 rows).
        f"WHERE CASE WHEN (SELECT count(*) FROM m) < {SEARCH_RESULT_LIMIT} "
        f"THEN EXISTS ({beyond_sql}) ELSE false END",
        [*params, *words_params, walk, *beyond_params],
    )


# How often each word is in published titles, from SearchTerm, per process for a few minutes:
# what a first walk needs to guess its depth (a guess: any depth gives the same results).
TERM_COUNTS_SECONDS = 300
_term_counts: dict[str, Any] = {"until": 0.0, "counts": {}, "listings": 0}


def _title_share(text: str | None) -> float | None:
    """At most the share of listings all the words of ``text`` can match in titles (that of its
    rarest word), 0 if a word is in no title; ``None`` when that is not known."""
    words = {t for t in _WORD.findall((text or "").lower()) if t.isalpha() and len(t) >= 3}
    if not words:
        return None
    now = time.monotonic()
    if _term_counts["until"] < now:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT word, listings, (SELECT reltuples FROM pg_class "
                "WHERE oid = 'listings_listing'::regclass) FROM listings_searchterm "
                "WHERE listings > 0"
            )
            rows = cursor.fetchall()
        counts = {word: n for word, n, _ in rows}
        listings = max([int(rows[0][2]), *counts.values()]) if rows else 0
        _term_counts.update(until=now + TERM_COUNTS_SECONDS, counts=counts, listings=listings)
    if not _term_counts["listings"]:
        return None
    counts = _term_counts["counts"]
    return min(counts.get(word, 0) for word in words) / _term_counts["listings"]


def _first_walk(text: str | None, *, parts: int, in_titles: bool = False) -> int | None:
    """How deep the first walk of a search for the plain words ``text`` goes (``None``: not a
    walk but the planner's way). A word in no title: the planner's way at once (its statistics
    find few matches, or a common description word, by themselves). Over the whole catalogue,
    deep enough to find SEARCH_RESULT_LIMIT matches if the words are in titles as often as the
    rarest is (a walk stops at SEARCH_RESULT_LIMIT matches, so too deep costs nothing), or the
    planner's way when that is deeper than WALK_MAX; per category, whose shares differ from
    the catalogue's, WALK_FIRST.

    ``in_titles``: the words must be in titles (a spelling correction), so their title share
    is the share of matches: below what a WALK_MAX walk needs, the matches are fetched from
    the words index and sorted (GIN_SORT) — fewer rows than any walk would read (the planner
    walks 60,000 listings for the 9,000 with "backpack" in the title)."""
    share = _title_share(text)
    if share is None:
        return WALK_FIRST
    if share == 0:
        return None
    if parts > 1:
        return WALK_FIRST
    depth = math.ceil(SEARCH_RESULT_LIMIT * 3 / (2 * share))
    if depth > WALK_MAX:
        return GIN_SORT if in_titles else None
    return max(depth, WALK_FIRST)


def _newest_window(
    parts: list[QuerySet[Listing]],
    query: SearchQuery,
    rank_text: str | None,
    *,
    ranked: bool,
    walk: bool,
    in_titles: bool = False,
) -> list[tuple]:
    """The SEARCH_RESULT_LIMIT newest matches of ``query`` over ``parts``; ranked if asked.

    The query planner cannot tell how many listings two words match together ("stainless
    steel", "cotton" within apparel) and then sorts thousands of rows fetched all over the
    table. So the parts are first walked newest first (several parts together, their indexes
    merged in date order), WALK_FIRST listings deep: where the
    words are common that finds the newest matches at once; where they are less common, the
    share found says how deep to walk again; where they are rare (or nothing was found) the
    planner's way is cheap (then each part on its own). One query a round, at most three. Over the
    whole catalogue with a facet (``walk`` false) a walk would fetch every listing the facet
    then rejects, so the planner's way (the words-and-facets GIN index) is taken at once.
    """
    first = _first_walk(rank_text, parts=len(parts), in_titles=in_titles) if walk else None
    # The parts walked together (one merged walk), or each on its own.
    groups = [parts] if walk and len(parts) > 1 else [[part] for part in parts]
    walks: dict[int, int | None] = dict.fromkeys(range(len(groups)), first)
    found: dict[int, list[tuple]] = {}
    rank_sql, rank_params = "0", []
    if ranked:
        words_sql, words_params = _compiled(query, parts[0])
        rank_sql, rank_params = f"ts_rank_cd(w.search_vector, {words_sql})", words_params
        if rank_text is not None:
            rank_sql += " + strict_word_similarity(%s, w.title)"
            rank_params = [*rank_params, rank_text]
    # When several parts' matches are fetched each on its own (up to SEARCH_RESULT_LIMIT a
    # part) only the newest SEARCH_RESULT_LIMIT of them all are kept: those alone are ranked,
    # afterwards (the same expression over the same columns), not up to parts × 500 rows.
    rank_later = False
    columns = ", ".join(f"w.{name}" for name in _WINDOW_COLUMNS)
    while walks:
        branches, params = [], []
        for index, depth in walks.items():
            group = groups[index]
            if len(group) > 1 and depth is not None and depth != GIN_SORT:
                pieces = [_walk_sql(group, query, depth)]
            else:
                pieces = [_newest_matches_sql(part, query, depth) for part in group]
            branch_rank_sql, branch_rank_params = rank_sql, rank_params
            if len(pieces) > 1:
                branch_rank_sql, branch_rank_params = "0", []
                rank_later = ranked
            for sql, part_params in pieces:
                # The rank is computed on the rows a part returns only, after its limit.
                branches.append(
                    f"(SELECT %s AS part, {columns}, w.matched, w.rn, "  # noqa: S608
                    f"{branch_rank_sql} AS rank FROM ({sql}) AS w)"
                )
                params += [index, *branch_rank_params, *part_params]
        with connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(branches), params)
            rows = cursor.fetchall()
        by_part: dict[int, list[tuple]] = {index: [] for index in walks}
        for row in rows:
            by_part[row[0]].append(row)
        next_walks: dict[int, int | None] = {}
        for index, depth in walks.items():
            part_rows = by_part[index]
            matches = [row for row in part_rows if row[-3]]
            deeper = bool(depth) and any(row[-2] == depth for row in part_rows)
            if len(matches) >= SEARCH_RESULT_LIMIT or not deeper:
                found[index] = matches  # at most SEARCH_RESULT_LIMIT a part
            elif matches and depth == first and depth is not None:
                needed = depth * SEARCH_RESULT_LIMIT * 3 // (2 * len(matches))
                next_walks[index] = needed if depth < needed <= WALK_MAX else None
            else:
                next_walks[index] = None
        walks = next_walks
    newest = sorted(
        (row for rows in found.values() for row in rows),
        key=lambda row: (row[5], row[1]),
        reverse=True,
    )[:SEARCH_RESULT_LIMIT]
    if rank_later and newest:
        ids = [row[1] for row in newest]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT w.id, {rank_sql} FROM listings_listing AS w "  # noqa: S608
                "WHERE w.id = ANY(%s::bigint[])",
                [*rank_params, ids],
            )
            ranks = dict(cursor.fetchall())
        newest = [(*row[:-1], ranks[row[1]]) for row in newest]
    if ranked:
        newest.sort(key=lambda row: (row[-1], row[5], row[1]), reverse=True)
    return [row[1 : 1 + len(_WINDOW_COLUMNS)] for row in newest]


def _matches(
    parts: list[QuerySet[Listing]],
    query: SearchQuery,
    ordering: str,
    similar_to: str | None,
    *,
    walk: bool,
    in_titles: bool = False,
) -> list[tuple]:
    if ordering in (ORDERING_RELEVANCE, "-created"):
        ranked = ordering == ORDERING_RELEVANCE
        return _newest_window(
            parts, query, similar_to, ranked=ranked, walk=walk, in_titles=in_titles
        )
    return list(
        _window([part.filter(search_vector=query) for part in parts], _WINDOW_ORDER[ordering])
    )


def _in_order(ids: list[int]) -> "ListingSearchResults":
    """The listings ``ids`` in that order, with what a card, a page or the API shows."""
    # One array parameter (``id = ANY(%s)``) instead of IN with 500 parameters, which Django
    # takes ~2 ms per query to build.
    any_of = RawSQL(
        '"listings_listing"."id" = ANY(%s::bigint[])', (ids,), output_field=BooleanField()
    )
    position = RawSQL('array_position(%s::bigint[], "listings_listing"."id")', (ids,))
    return cast(
        ListingSearchResults,
        ListingSearchResults(Listing)
        .filter(any_of)
        .order_by(position.asc())
        .defer("search_vector")  # ~300 bytes a row that nothing shown needs
        .select_related("seller", "category", "hs_code")
        .prefetch_related(
            # Ordered by their own columns: the models' default ordering joins the listing.
            Prefetch("price_tiers", queryset=PriceTier.objects.order_by("min_quantity")),
            Prefetch("images", queryset=ListingImage.objects.ready().order_by("position", "id")),
        ),
    )


class ListingSearchResults(QuerySet):
    """Search results: the listings of a window (``window``: its rows, in result order).

    Sliced — as a paginator does — it loads only the listings of the slice; ``count()`` is the
    window's length. Any other use is an ordinary queryset over the whole window.
    """

    window: list[tuple] | None = None
    # The spelling-corrected words whose matches were added (few listings matched the words).
    corrected_query: str | None = None

    def count(self) -> int:
        if self.window is not None and not self.query.is_sliced:
            return len(self.window)
        return super().count()

    def __getitem__(self, k):
        if (
            self.window is not None
            and isinstance(k, slice)
            and k.step is None
            and not self.query.is_sliced
        ):
            return _in_order([row[0] for row in self.window[k]])
        return super().__getitem__(k)


def _results(rows: list[tuple], corrected_query: str | None = None) -> ListingSearchResults:
    results = _in_order([row[0] for row in rows])
    results.window = rows
    results.corrected_query = corrected_query
    return results


def listing_search(*, params: ListingSearchParams) -> QuerySet[Listing]:
    """Published listings matching ``params``, ordered as asked, at most SEARCH_RESULT_LIMIT.

    Without words, ``relevance`` means newest first. With words and ``relevance``, the newest
    SEARCH_RESULT_LIMIT matches ranked. The result is a queryset over the ids that one query
    settled (see ``ListingSearchResults``): a page of it loads just that page. When few listings
    match the words and a spelling correction adds some, ``corrected_query`` is the corrected
    words ("stainless steel" for "stainles steel").
    """
    return _results(*_search_window(params))


def _search_window(params: ListingSearchParams) -> tuple[list[tuple], str | None]:
    """The window of a search: one row per result, in order (``_WINDOW_COLUMNS``); and the
    corrected words if a spelling correction added results."""
    category_ids = None if params.category is None else _category_ids(params.category)
    parts = _filtered(params, category_ids)
    ordering = params.ordering if params.ordering in _ORDER_BY else ORDERING_RELEVANCE
    if not params.q:
        order = _WINDOW_ORDER["-created" if ordering == ORDERING_RELEVANCE else ordering]
        return list(_window(parts, order)), None
    plain = is_plain_query(params.q)
    query = _search_query(params.q)
    # A walk reads a category from its own index; over the whole catalogue, only when no
    # other facet would reject most of the listings it reads.
    walk = params.category is not None or replace(params, q="", seller=None) == ListingSearchParams(
        price_currency=params.price_currency, ordering=params.ordering
    )
    rows = _matches(parts, query, ordering, params.q if plain else None, walk=walk)
    if plain and len(rows) < TYPO_FALLBACK_BELOW:
        correction = spelling_correct(params.q)
        if correction is not None:
            corrected = query | SearchQuery(
                correction.tsquery, search_type="raw", config=SEARCH_CONFIG
            )
            found = _corrected_window(
                params,
                category_ids,
                parts,
                corrected,
                correction,
                ordering=ordering,
                walk=walk,
                also=[row[0] for row in rows],
            )
            if len(found) > len(rows):
                return found, correction.text
    return rows, None


# A search whose corrected words must be in titles reads the listings with its rarest corrected
# word newest first (TitleWord) when most of them should match (as far as the words' counts in
# titles tell): TITLE_WALK_FIRST of them first; from the share that matched, a second walk goes
# as deep as the rest needs if that is at most TITLE_WALK_MAX listings. Else (and when the
# share is low from the start) the words index gives every match: few, when so few match.
TITLE_WALK_FIRST = 1_000
TITLE_WALK_MAX = 5_000
TITLE_WALK_MIN_SHARE = 0.5


def _corrected_window(
    params: ListingSearchParams,
    category_ids: list[int] | None,
    parts: list[QuerySet[Listing]],
    query: SearchQuery,
    correction: SpellingCorrection,
    *,
    ordering: str,
    walk: bool,
    also: list[int],
) -> list[tuple]:
    """The window of a spelling-corrected search: ``query`` is the original words OR the
    corrected ones, ``also`` the original words' matches (the few the uncorrected search found,
    all of them). Any way gives the same rows; the choice is only about speed."""
    driver = _title_driver(correction)
    if driver is not None and ordering in (ORDERING_RELEVANCE, "-created"):
        lexeme, share = driver
        ranked = ordering == ORDERING_RELEVANCE
        window = functools.partial(
            _title_word_window, params, category_ids, query, correction.text, lexeme=lexeme
        )
        if share >= TITLE_WALK_MIN_SHARE:
            rows, matched, more = window(also=also, ranked=ranked, depth=TITLE_WALK_FIRST)
            if matched >= SEARCH_RESULT_LIMIT or (rows and not more):
                return rows
            needed = TITLE_WALK_MAX + 1
            if matched:
                needed = math.ceil(TITLE_WALK_FIRST * SEARCH_RESULT_LIMIT * 5 / (4 * matched))
            if needed <= TITLE_WALK_MAX:
                return window(also=also, ranked=ranked, depth=None)[0]
    return _matches(parts, query, ordering, correction.text, walk=walk, in_titles=True)


def _title_driver(correction: SpellingCorrection) -> tuple[str, float] | None:
    """The lexeme of the correction's rarest replacement word (by how many published titles use
    it), which every listing the correction finds has in its title, and the share of that
    word's listings the words can match in titles (that of the rarest word of the query over
    it); ``None`` if no replacement has a lexeme (a stop word)."""
    share = _title_share(correction.text)  # also loads the per-process title word counts
    counts = _term_counts["counts"]
    candidates = [
        (counts.get(word, 0), lexemes[0])
        for word, lexemes in correction.title_lexemes.items()
        if len(lexemes) == 1
    ]
    if not candidates:
        return None
    count, lexeme = min(candidates)
    if share is None or not count:
        return lexeme, 1.0
    return lexeme, min(1.0, share * _term_counts["listings"] / count)


def _title_word_window(
    params: ListingSearchParams,
    category_ids: list[int] | None,
    query: SearchQuery,
    rank_text: str,
    *,
    lexeme: str,
    also: list[int],
    ranked: bool,
    depth: int | None,
) -> tuple[list[tuple], int, bool]:
    """The SEARCH_RESULT_LIMIT newest matches of ``query`` among the listings with ``lexeme``
    in their title (at most the ``depth`` newest of those) and the listings ``also``, ranked
    if asked, in one query; with how many the walk matched and whether the word has listings
    beyond ``depth``.

    Every match of the corrected words has ``lexeme`` in its title: TitleWord's primary key,
    read backwards, gives the listings with it newest first, each tested against the query and
    the facets, until SEARCH_RESULT_LIMIT match — about as many rows as results where most of
    the word's listings match, where a walk of the catalogue by date reads 40 listings for
    each ("stainless steel": 21,000) and the GIN index gives all of a word's listings unsorted
    ("backpack": 9,000).
    """
    base = _faceted(params)
    if category_ids is not None:
        base = base.filter(category_id__in=category_ids)
    # The listing of each title word, tested: a lateral subquery that the planner cannot
    # flatten (OFFSET 0) into a join it would run the other way round — every listing the GIN
    # index finds, hashed, joined and sorted (its estimate of a tsquery's matches is too low).
    listing = (
        base.filter(search_vector=query, id=RawSQL("tw.listing_id", ()))
        .order_by()
        .values_list(*_RANK_COLUMNS)
    )
    listing_sql, listing_params = listing.query.sql_with_params()
    newest = (
        "SELECT listing_id, published_at FROM listings_titleword WHERE lexeme = %s "
        "ORDER BY published_at DESC, listing_id DESC"
    )
    walk_sql = (
        f"SELECT l.*, true AS walked FROM ({newest}{'' if depth is None else f' LIMIT {depth}'}) AS tw "  # noqa: S608
        f"CROSS JOIN LATERAL ({listing_sql} OFFSET 0) AS l "
        f"ORDER BY tw.published_at DESC, tw.listing_id DESC LIMIT {SEARCH_RESULT_LIMIT}"
    )
    walk_params: list[Any] = [lexeme, *listing_params]
    if also:
        named = ", ".join(f"l.{name}" for name in _RANK_COLUMNS)
        walk_sql = (
            f"SELECT u.* FROM (({walk_sql}) UNION ALL SELECT {named}, false "  # noqa: S608
            "FROM listings_listing AS l WHERE l.id = ANY(%s::bigint[])) AS u"
        )
        walk_params = [*walk_params, also]
    columns = ", ".join(f"w.{name}" for name in _WINDOW_COLUMNS)
    rank_sql, rank_params = "0", []
    if ranked:
        words_sql, words_params = _compiled(query, base)
        rank_sql = f"ts_rank_cd(w.search_vector, {words_sql}) + strict_word_similarity(%s, w.title)"
        rank_params = [*words_params, rank_text]
    more_sql, more_params = "false", []
    if depth is not None:
        more_sql = f"EXISTS ({newest} OFFSET {depth})"
        more_params = [lexeme]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns}, w.walked, {rank_sql}, {more_sql} "  # noqa: S608
            f"FROM (SELECT DISTINCT ON (v.published_at, v.id) v.* "
            f"FROM ({walk_sql}) AS v ORDER BY v.published_at DESC, v.id DESC, v.walked DESC "
            f"LIMIT {SEARCH_RESULT_LIMIT}) AS w",
            [*rank_params, *more_params, *walk_params],
        )
        rows = cursor.fetchall()
    width = len(_WINDOW_COLUMNS)
    matched = sum(1 for row in rows if row[width])
    more = bool(rows and rows[0][-1])
    if ranked:
        rows.sort(key=lambda row: (row[width + 1], row[4], row[0]), reverse=True)
    else:
        rows.sort(key=lambda row: (row[4], row[0]), reverse=True)
    return [row[:width] for row in rows], matched, more


def listing_search_ids(*, params: ListingSearchParams) -> list[int]:
    """The ids of ``listing_search``'s results, in order (at most SEARCH_RESULT_LIMIT)."""
    return listing_search_hits(params=params)[0]


def listing_search_hits(*, params: ListingSearchParams) -> tuple[list[int], str | None]:
    """``listing_search_ids`` and the corrected words whose results were added, if a spelling
    correction added any (``corrected_query`` of ``listing_search``)."""
    rows, corrected_query = _search_window(params)
    return [row[0] for row in rows], corrected_query


def listing_search_count(queryset: QuerySet[Listing]) -> int:
    """How many results a search has, up to SEARCH_RESULT_LIMIT (cheap at any size)."""
    if isinstance(queryset, ListingSearchResults) and queryset.window is not None:
        return len(queryset.window)
    return queryset.order_by()[:SEARCH_RESULT_LIMIT].count()


def listing_search_facets(
    *, params: ListingSearchParams, results: QuerySet[Listing] | None = None
) -> dict[str, Any]:
    """Counts per category, country of origin and Incoterm for the search page's facets.

    Counted over the same results as ``listing_search`` (at most SEARCH_RESULT_LIMIT), so
    they stay cheap for a common word; pass the ``results`` of ``listing_search`` to count
    them without searching again. ``categories`` lists top-level categories with their
    subcategories' listings included, then the subcategories, each
    ``{"category": Category, "count": n}``; ``origins`` ``{"code", "name", "count"}``;
    ``incoterms`` ``{"code", "count"}``; all by count, highest first. ``total`` is the number
    of results counted and ``capped`` whether there may be more.
    """
    window = results.window if isinstance(results, ListingSearchResults) else None
    if window is None:
        window = cast(ListingSearchResults, listing_search(params=params)).window or []
    per_category = Counter(row[1] for row in window)
    origins = Counter(row[2] for row in window)
    incoterms = Counter(code for row in window for code in row[3])
    categories = {category.pk: category for category in Category.objects.all()}  # a few dozen
    rolled: Counter[int] = Counter()
    for category_id, n in per_category.items():
        rolled[category_id] += n
        parent_id = categories[category_id].parent_id
        if parent_id is not None:
            rolled[parent_id] += n
    country_names = dict(countries)
    return {
        "categories": [
            {"category": categories[pk], "count": n}
            for pk, n in sorted(
                rolled.items(),
                key=lambda item: (
                    categories[item[0]].parent_id is not None,
                    -item[1],
                    categories[item[0]].position,
                    categories[item[0]].name,
                ),
            )
        ],
        "origins": [
            {"code": code, "name": country_names.get(code, code), "count": n}
            for code, n in sorted(origins.items(), key=lambda item: (-item[1], item[0]))
        ],
        "incoterms": [
            {"code": code, "count": n}
            for code, n in sorted(incoterms.items(), key=lambda item: (-item[1], item[0]))
        ],
        "total": len(window),
        "capped": len(window) >= SEARCH_RESULT_LIMIT,
    }
