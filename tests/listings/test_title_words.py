"""The title words of published listings in date order (TitleWord, kept by a trigger), and the
spelling-corrected searches that read a word's newest listings from them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from listings import search
from listings.models import Category, Listing, TitleWord
from listings.search import ListingSearchParams, listing_search, title_words_refresh
from tests.listings.factories import ListingFactory

pytestmark = pytest.mark.django_db


def published(title: str, description: str = "", age_minutes: int = 0, **kwargs) -> Listing:
    return ListingFactory(
        published=True,
        title=title,
        description=description,
        published_at=timezone.now() - timedelta(minutes=age_minutes),
        **kwargs,
    )


def title_words() -> set[tuple[str, int]]:
    return set(TitleWord.objects.values_list("lexeme", "listing_id"))


def dates(listing: Listing) -> set:
    return set(TitleWord.objects.filter(listing=listing).values_list("published_at", flat=True))


# ---------- the table, kept by the trigger ----------


def test_publishing_adds_the_title_lexemes_with_the_date_and_a_draft_has_none(hs_codes):
    ListingFactory(title="Secret prototype backpack")  # a draft
    beans = published("Roasted coffee beans", "Arabica from Huila.")

    # The lexemes of the search configuration ('english': "coffee" → "coffe"), of the title
    # only, exactly the title-weighted lexemes of the search vector.
    assert title_words() == {("roast", beans.pk), ("coffe", beans.pk), ("bean", beans.pk)}
    assert dates(beans) == {beans.published_at}


def test_a_retitled_listing_has_its_new_words_only(hs_codes):
    listing = published("Ceramic mug")

    listing.title = "Ceramic tumbler 350 ml"
    listing.save(update_fields=["title"])

    assert title_words() == {
        ("ceram", listing.pk),
        ("tumbler", listing.pk),
        ("350", listing.pk),
        ("ml", listing.pk),
    }


def test_a_new_publication_date_moves_the_words(hs_codes):
    listing = published("Canvas backpack", age_minutes=60)
    later = timezone.now()

    listing.published_at = later
    listing.save(update_fields=["published_at"])

    assert dates(listing) == {later}
    assert TitleWord.objects.count() == 2


def test_a_listing_leaving_the_catalogue_or_deleted_takes_its_words_along(hs_codes):
    archived = published("Canvas backpack")
    deleted = published("Leather backpack")
    kept = published("Nylon backpack")

    archived.status = "archived"
    archived.save(update_fields=["status"])
    Listing.objects.filter(pk=deleted.pk).delete()

    assert title_words() == {("nylon", kept.pk), ("backpack", kept.pk)}


def test_a_draft_published_later_adds_its_words(hs_codes):
    listing = ListingFactory(title="Walnut chopping board")
    assert title_words() == set()

    listing.status = "published"
    listing.published_at = timezone.now()
    listing.save(update_fields=["status", "published_at"])

    assert title_words() == {("walnut", listing.pk), ("chop", listing.pk), ("board", listing.pk)}


def test_the_refresh_rebuilds_the_table_from_the_published_listings(hs_codes):
    beans = published("Roasted coffee beans")
    mug = published("Ceramic mug")
    ListingFactory(title="Draft backpack")
    with connection.cursor() as cursor:  # as after a bulk load with triggers off
        cursor.execute("DELETE FROM listings_titleword WHERE listing_id = %s", [beans.pk])
        cursor.execute(
            "INSERT INTO listings_titleword VALUES ('stale', now(), %s)", [mug.pk + 1000]
        )

    assert title_words_refresh() == 5

    assert title_words() == {
        ("roast", beans.pk),
        ("coffe", beans.pk),
        ("bean", beans.pk),
        ("ceram", mug.pk),
        ("mug", mug.pk),
    }


# ---------- corrected searches read a word's newest listings ----------


@pytest.fixture
def backpacks(hs_codes):
    """Backpacks, newest first; "Hiking pack" has the typo "backpak" in its description."""
    return [
        published("Canvas backpack", "Waxed canvas, 20 litres.", age_minutes=1),
        published("Leather backpack", "Full-grain leather.", age_minutes=2, origin_country="IN"),
        published("Hiking pack", "A backpak for day hikes.", age_minutes=3),
        published("Nylon backpack", "Ripstop nylon.", age_minutes=4),
        published("Travel bag", "Fits a backpack inside.", age_minutes=5),  # description only
        published("Laptop backpack", "Padded sleeve.", age_minutes=6),
        published("Kids backpack", "Reflective strips.", age_minutes=7),
    ]


@pytest.fixture
def limit_three(monkeypatch):
    """Windows of three results, so that the walks' limits are reached with a few listings."""
    monkeypatch.setattr(search, "SEARCH_RESULT_LIMIT", 3)
    search._term_counts.update(until=0.0)
    yield
    search._term_counts.update(until=0.0)


def titles(params: ListingSearchParams) -> list[str]:
    return [x.title for x in listing_search(params=params)]


def test_a_typo_finds_the_newest_titles_with_the_corrected_word_and_its_own_matches(
    backpacks, limit_three
):
    # "backpak" matches "Hiking pack" (its description); the correction "backpack" must be in a title
    # ("Travel bag" has it in its description only). The three newest of them all:
    assert titles(ListingSearchParams(q="backpak", ordering="-created")) == [
        "Canvas backpack",
        "Leather backpack",
        "Hiking pack",
    ]


def test_the_walk_stops_at_the_window_and_takes_three_queries(backpacks, limit_three):
    params = ListingSearchParams(q="backpak", ordering="-created")
    search._title_share("backpack")  # the per-process word counts, loaded once

    with CaptureQueriesContext(connection) as captured:
        ids = search.listing_search_ids(params=params)

    # The search with the typo, the spelling correction, one walk of the title words.
    assert len(captured.captured_queries) == 3
    assert "listings_titleword" in captured.captured_queries[2]["sql"]
    assert ids == [backpacks[0].pk, backpacks[1].pk, backpacks[2].pk]


def test_a_ranked_corrected_search_ranks_the_newest_matches(backpacks, limit_three):
    # The window is the three newest matches; ranked among themselves: the title most like
    # "backpack" first ("Canvas backpack" and "Leather backpack" are as similar: newest first).
    assert titles(ListingSearchParams(q="backpak")) == [
        "Canvas backpack",
        "Leather backpack",
        "Hiking pack",
    ]


def test_a_corrected_search_with_facets_tests_them_on_the_walk(backpacks, limit_three):
    machinery = Category.objects.get(slug="machinery-tools")  # the factory's leaf's parent

    assert titles(ListingSearchParams(q="backpak", origin="CN", ordering="-created")) == [
        "Canvas backpack",
        "Hiking pack",
        "Nylon backpack",
    ]
    assert titles(ListingSearchParams(q="backpak", origin="IN", ordering="-created")) == [
        "Leather backpack"
    ]
    assert titles(
        ListingSearchParams(q="backpak", category=machinery, origin="CN", ordering="-created")
    ) == ["Canvas backpack", "Hiking pack", "Nylon backpack"]


def two_word_catalogue() -> list[Listing]:
    """Ten canvas listings, newest first: only every third one is a backpack."""
    kinds = ["backpack", "tote", "apron"]
    return [
        published(f"Canvas {kinds[n % 3]} {n}", age_minutes=n) for n in range(10)
    ]  # backpacks: 0, 3, 6, 9


@pytest.mark.parametrize(
    ("first", "most", "walks"),
    [
        (100, 5_000, 1),  # the first walk reads every canvas listing: done
        (3, 5_000, 2),  # one match in three: a second walk deep enough
        (3, 4, 1),  # too deep for a second walk: the words index gives every match
    ],
)
def test_every_way_of_reading_a_correction_gives_the_same_results(
    hs_codes, limit_three, monkeypatch, first, most, walks
):
    listings = two_word_catalogue()
    monkeypatch.setattr(search, "TITLE_WALK_FIRST", first)
    monkeypatch.setattr(search, "TITLE_WALK_MAX", most)
    search._term_counts.update(  # "canvas" in every title, "backpack" in 6 of 10: a walk
        until=float("inf"), counts={"canvas": 10, "backpack": 6}, listings=10
    )

    with CaptureQueriesContext(connection) as captured:
        found = search.listing_search_ids(params=ListingSearchParams(q="canvaz backpack"))
    newest = search.listing_search_ids(
        params=ListingSearchParams(q="canvaz backpack", ordering="-created")
    )

    walked = [q for q in captured.captured_queries if "listings_titleword" in q["sql"]]
    assert len(walked) == walks
    backpacks = [listings[n].pk for n in (0, 3, 6)]
    assert newest == backpacks
    assert sorted(found) == sorted(backpacks)


def test_a_correction_whose_words_rarely_go_together_is_read_from_the_words_index(
    hs_codes, limit_three
):
    listings = two_word_catalogue()
    # "backpack" in 1 title of 10 by the counts, "canvas" in all: few canvas listings should
    # match, so no title word walk at all.
    search._term_counts.update(
        until=float("inf"), counts={"canvas": 10, "backpack": 1}, listings=10
    )

    with CaptureQueriesContext(connection) as captured:
        found = search.listing_search_ids(
            params=ListingSearchParams(q="canvaz backpack", ordering="-created")
        )

    assert not [q for q in captured.captured_queries if "listings_titleword" in q["sql"]]
    assert found == [listings[n].pk for n in (0, 3, 6)]


def test_a_corrected_search_ordered_by_price_is_not_a_walk(backpacks, limit_three):
    params = ListingSearchParams(q="backpak", ordering="price")

    with CaptureQueriesContext(connection) as captured:
        found = search.listing_search_ids(params=params)

    assert not [q for q in captured.captured_queries if "listings_titleword" in q["sql"]]
    assert len(found) == 3


# ---------- the search page says what it corrected ----------


def test_the_search_page_says_which_corrected_words_it_added_results_for(client, backpacks):
    response = client.get("/catalogue/", {"q": "backpak"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "6 listings for “backpak”" in html  # five titles with "backpack" and "Hiking pack"
    assert (
        '<p class="results-correction">Few listings matched your words, so these include '
        "results for “<strong>backpack</strong>”.</p>"
    ) in html
    assert listing_search(params=ListingSearchParams(q="backpak")).corrected_query == "backpack"


def test_no_correction_is_mentioned_when_the_words_match_or_it_adds_nothing(client, backpacks):
    exact = client.get("/catalogue/", {"q": "backpack"}).content.decode()
    # "Hiking pack" is the only match of "backpak"; "trekpack" is like no title word.
    nothing_added = client.get("/catalogue/", {"q": "trekpack"}).content.decode()

    assert "6 listings for “backpack”" in exact
    assert "results-correction" not in exact
    assert "No listings match “trekpack”" in nothing_added
    assert "results-correction" not in nothing_added
    assert listing_search(params=ListingSearchParams(q="backpack")).corrected_query is None


# ---------- the API tells an ERP which corrected words it added results for ----------


def test_the_search_api_gives_the_corrected_words_beside_the_count(api_client, backpacks):
    typo = api_client.get("/api/v1/listings/", {"q": "backpak", "page_size": 2}).json()
    exact = api_client.get("/api/v1/listings/", {"q": "backpack", "page_size": 2}).json()

    assert list(typo) == ["count", "corrected_query", "next", "previous", "results"]
    assert (typo["count"], typo["corrected_query"]) == (6, "backpack")
    assert [row["title"] for row in typo["results"]] == ["Canvas backpack", "Leather backpack"]
    assert (exact["count"], exact["corrected_query"]) == (6, None)


def test_the_schema_documents_the_corrected_words_in_the_search_envelope(api_client):
    schema = api_client.get("/api/schema/", {"format": "json"}).json()

    envelope = schema["components"]["schemas"]["ListingSearchPage"]
    others = schema["components"]["schemas"]["PaginatedListingList"]  # /my/listings/
    assert "corrected_query" not in others["properties"]
    assert list(envelope["properties"]) == [
        "count",
        "corrected_query",
        "next",
        "previous",
        "results",
    ]
    assert envelope["properties"]["corrected_query"]["type"] == "string"
    assert envelope["properties"]["corrected_query"]["nullable"] is True
