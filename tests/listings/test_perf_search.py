"""What the search and detail-page speed-ups must not change: spelling correction against the
vocabulary of published titles, results settled by one window query, facets from that window,
categories searched child by child, and detail fragments cached per listing version."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from listings import services
from listings.models import Category, SearchTerm
from listings.search import (
    ListingSearchParams,
    listing_search,
    listing_search_count,
    listing_search_facets,
    search_terms_refresh,
    spelling_correct,
)
from listings.tasks import search_terms_refresh_task
from marketplace.accounts.enums import VerificationStatus
from tests.listings.factories import ListingFactory, image_add_ready, image_upload

pytestmark = pytest.mark.django_db


def published(title: str, description: str = "", age_minutes: int = 0, **kwargs):
    return ListingFactory(
        published=True,
        title=title,
        description=description,
        published_at=timezone.now() - timedelta(minutes=age_minutes),
        **kwargs,
    )


def without_csrf_tokens(html: str) -> str:
    html = re.sub(r'"X-CSRFToken": "\w+"', "", html)
    return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", html)


def words() -> dict[str, int]:
    return dict(SearchTerm.objects.values_list("word", "listings"))


# ---------- the vocabulary ----------


def test_publishing_a_listing_adds_the_words_of_its_title_to_the_vocabulary(hs_codes):
    ListingFactory(title="Secret prototype bolts")  # a draft: not in the catalogue
    published("Bluetooth speaker 20 W", "Waterproof portable speaker.")

    # Letters only, three or more: "20" and "w" are not words to correct to; nor is the
    # description.
    assert words() == {"bluetooth": 1, "speaker": 1}


def test_a_retitled_listing_adds_its_new_words(hs_codes):
    listing = published("Ceramic mug")

    listing.title = "Ceramic tumbler"
    listing.save()

    assert set(words()) == {"ceramic", "mug", "tumbler"}


def test_a_draft_that_is_published_later_adds_its_words(hs_codes):
    listing = ListingFactory(title="Walnut chopping board")
    assert words() == {}

    listing.status = "published"
    listing.published_at = timezone.now()
    listing.save(update_fields=["status", "published_at"])

    assert set(words()) == {"walnut", "chopping", "board"}


def test_the_refresh_recounts_listings_per_word_and_keeps_unused_words_at_zero(hs_codes):
    published("Ceramic mug")
    published("Ceramic bowl")
    archived = published("Enamel mug")
    archived.status = "archived"
    archived.save(update_fields=["status"])

    live = search_terms_refresh()

    assert live == 3
    assert words() == {"ceramic": 2, "mug": 1, "bowl": 1, "enamel": 0}


def test_the_command_and_the_beat_task_recount_the_vocabulary(hs_codes):
    published("Ceramic mug")
    SearchTerm.objects.update(listings=7)
    out = io.StringIO()

    call_command("search_terms_refresh", stdout=out)

    assert out.getvalue() == "2 words in published titles.\n"
    assert words() == {"ceramic": 1, "mug": 1}
    SearchTerm.objects.update(listings=7)
    assert search_terms_refresh_task() == 2
    assert words() == {"ceramic": 1, "mug": 1}


# ---------- spelling correction ----------


@pytest.fixture
def catalogue(hs_codes):
    published("Ceramic coffee mug 350 ml", "Hand-glazed stoneware.", age_minutes=1)
    published("Bluetooth speaker 20 W", "Waterproof portable speaker.", age_minutes=2)
    published("Porcelain tea cup", "Ceramic cup with saucer.", age_minutes=3)
    published("Roasted coffee beans", "Arabica, medium roast.", age_minutes=4)


def test_an_unknown_word_is_corrected_to_the_most_similar_title_word(catalogue):
    correction = spelling_correct("Cofee beanz")

    assert correction is not None
    assert correction.text == "coffee beans"
    assert correction.replaced == {"cofee": "coffee", "beanz": "beans"}
    assert correction.tsquery == "'coffee':A & 'beans':A"


def test_known_words_numbers_and_short_words_are_kept(catalogue):
    correction = spelling_correct("bluetoth speaker 20 w")

    assert correction is not None
    assert correction.text == "bluetooth speaker 20 w"
    assert correction.tsquery == "'bluetooth':A & 'speaker' & '20' & 'w'"


def test_a_query_of_known_words_needs_no_correction(catalogue):
    assert spelling_correct("ceramic mug") is None


def test_a_word_like_no_title_word_is_not_corrected(catalogue):
    assert spelling_correct("xylophone") is None


def test_a_typo_finds_the_title_with_the_corrected_word_and_not_descriptions(catalogue):
    # "Porcelain tea cup" has "ceramic" in its description only: a corrected word must be in a
    # title, as the typo fallback always matched titles.
    assert [x.title for x in listing_search(params=ListingSearchParams(q="ceramik"))] == [
        "Ceramic coffee mug 350 ml"
    ]


def test_a_typo_in_one_of_two_words_finds_the_listing(catalogue):
    results = listing_search(params=ListingSearchParams(q="cofee beans"))

    assert [listing.title for listing in results] == ["Roasted coffee beans"]


def test_a_typo_is_corrected_with_a_facet_and_an_ordering(catalogue):
    params = ListingSearchParams(q="cofee", origin="CN", ordering="-created")

    assert [x.title for x in listing_search(params=params)] == [
        "Ceramic coffee mug 350 ml",
        "Roasted coffee beans",
    ]


def test_enough_exact_matches_are_not_mixed_with_corrections(hs_codes):
    for n in range(10):
        published(f"Coffee grinder {n}", age_minutes=n)
    published("Toffee hammer", age_minutes=20)

    titles = [x.title for x in listing_search(params=ListingSearchParams(q="coffee"))]

    assert len(titles) == 10
    assert "Toffee hammer" not in titles


# ---------- the window ----------


@pytest.fixture
def thirty_bolts(hs_codes):
    return [published(f"Steel bolt {n}", age_minutes=n) for n in range(30)]


def test_a_slice_of_the_results_loads_only_that_slice_in_order(thirty_bolts):
    results = listing_search(params=ListingSearchParams(q="bolt", ordering="-created"))

    with CaptureQueriesContext(connection) as captured:
        page = list(results[10:15])

    assert [listing.title for listing in page] == [f"Steel bolt {n}" for n in range(10, 15)]
    rows_query = captured.captured_queries[0]["sql"]
    assert str(thirty_bolts[10].pk) in rows_query
    assert str(thirty_bolts[9].pk) not in rows_query
    assert str(thirty_bolts[15].pk) not in rows_query
    assert '"search_vector"' not in rows_query  # never loaded for display


def test_the_count_and_the_facets_come_from_the_window_without_searching_again(thirty_bolts):
    params = ListingSearchParams(q="bolt")
    results = listing_search(params=params)

    with CaptureQueriesContext(connection) as captured:
        count = results.count()
        also = listing_search_count(results)
        facets = listing_search_facets(params=params, results=results)

    assert (count, also) == (30, 30)
    assert (facets["total"], facets["capped"]) == (30, False)
    assert facets["origins"] == [{"code": "CN", "name": "China", "count": 30}]
    assert facets["incoterms"] == [{"code": "EXW", "count": 30}, {"code": "FOB", "count": 30}]
    assert [(row["category"].slug, row["count"]) for row in facets["categories"]] == [
        ("machinery-tools", 30),
        ("machinery-tools-fasteners", 30),
    ]
    assert len(captured.captured_queries) == 1  # the category names


def test_a_search_with_words_takes_one_query_before_its_page(thirty_bolts):
    listing_search(params=ListingSearchParams(q="bolt"))  # title word counts, once a while

    with CaptureQueriesContext(connection) as captured:
        results = listing_search(params=ListingSearchParams(q="steel bolt"))

    assert len(captured.captured_queries) == 1
    assert results.count() == 30


# ---------- a category is searched one subcategory at a time ----------


@pytest.fixture
def home(hs_codes):
    kitchen = Category.objects.get(slug="home-furniture-kitchenware")
    ceramics = Category.objects.get(slug="home-furniture-ceramics-tableware")
    rows = [
        ("Chef knife", kitchen, "3.0000", 1),
        ("Stoneware bowl", ceramics, "1.0000", 2),
        ("Pepper mill", kitchen, "2.0000", 3),
        ("Porcelain mug", ceramics, "4.0000", 4),
    ]
    for title, category, price, age in rows:
        published(title, category=category, tiers=[(100, price)], age_minutes=age)
    published("Wood screw", tiers=[(100, "0.5000")])  # fasteners: another top category
    return Category.objects.get(slug="home-furniture")


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("relevance", ["Chef knife", "Stoneware bowl", "Pepper mill", "Porcelain mug"]),
        ("-created", ["Chef knife", "Stoneware bowl", "Pepper mill", "Porcelain mug"]),
        ("price", ["Stoneware bowl", "Pepper mill", "Chef knife", "Porcelain mug"]),
        ("-price", ["Porcelain mug", "Chef knife", "Pepper mill", "Stoneware bowl"]),
    ],
)
def test_a_top_category_interleaves_its_subcategories_in_the_order_asked(home, ordering, expected):
    params = ListingSearchParams(category=home, ordering=ordering)

    assert [x.title for x in listing_search(params=params)] == expected


def test_a_top_category_with_words_and_a_price_cap(home):
    params = ListingSearchParams(
        q="mug or bowl or knife", category=home, max_price=Decimal("3.5"), ordering="price"
    )

    assert [x.title for x in listing_search(params=params)] == ["Stoneware bowl", "Chef knife"]


def test_a_top_category_with_the_verified_filter(home):
    bowl = home.children.get(slug="home-furniture-ceramics-tableware").listings.get(
        title="Stoneware bowl"
    )
    bowl.seller.verification_status = VerificationStatus.UNVERIFIED
    bowl.seller.save(update_fields=["verification_status"])

    verified = ListingSearchParams(category=home, verified=True, ordering="price")
    unverified = ListingSearchParams(category=home, verified=False)

    assert [x.title for x in listing_search(params=verified)] == [
        "Pepper mill",
        "Chef knife",
        "Porcelain mug",
    ]
    assert [x.title for x in listing_search(params=unverified)] == ["Stoneware bowl"]


# ---------- the detail page's cached fragments ----------


def executed(captured: CaptureQueriesContext) -> list[str]:
    """The statements run, without preparing them (once per database connection)."""
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("PREPARE")]


def test_an_anonymous_detail_page_is_kept_whole_after_one_small_query(client, seller, monkeypatch):
    from listings import views

    monkeypatch.setattr(views, "cache", None)  # no round trip to Redis for an anonymous page
    listing = ListingFactory(seller=seller, published=True, description="**Bolts**")
    url = reverse("listings:detail", args=[listing.pk])
    with CaptureQueriesContext(connection) as first_captured:
        first = client.get(url)

    with CaptureQueriesContext(connection) as captured:
        second = client.get(url)

    # A first view: the page's query, which gives the listing's version with it.
    assert len(executed(first_captured)) == 1
    assert executed(first_captured)[0].startswith("EXECUTE listings_page_v2 ")
    # Then only the version of the listing (published?, edited?, seller, category, photos).
    assert executed(captured) == [f"EXECUTE listings_public_version_v1 ({listing.pk}, 'published')"]
    html = second.content.decode()
    assert "<strong>Bolts</strong>" in html
    assert "<h1>Galvanised carriage bolt" in html
    assert "Sign in to order" in html
    # The same page but for the CSRF token, which is this response's own, with its cookie.
    assert without_csrf_tokens(html) == without_csrf_tokens(first.content.decode())
    assert "csrf-token-slot" not in html
    token = html.split('"X-CSRFToken": "')[1].split('"')[0]
    assert len(token) == 64
    assert second.cookies["csrftoken"].value
    assert second["Content-Type"] == "text/html; charset=utf-8"


def test_a_changed_listing_shows_its_new_text_and_title_on_its_next_view(
    client, seller, seller_user, staff_user
):
    listing = ListingFactory(
        seller=seller, published=True, title="Hex bolt M8", description="Old text."
    )
    url = reverse("listings:detail", args=[listing.pk])
    assert "<h1>Hex bolt M8</h1>" in client.get(url).content.decode()

    services.listing_update(listing=listing, actor=seller_user, description="New *text*.")
    content = client.get(url).content.decode()
    assert '<div class="prose"><p>New <em>text</em>.</p></div>' in content
    assert "Old text." not in content

    # A new title goes back to review (not public), then is shown once approved again.
    listing = services.listing_update(listing=listing, actor=seller_user, title="Hex bolt M10")
    assert client.get(url).status_code == 404
    services.listing_approve(listing=listing, actor=staff_user, notify_seller=False)
    content = client.get(url).content.decode()
    assert "<title>Hex bolt M10 · Open Trade Marketplace</title>" in content
    assert "<h1>Hex bolt M10</h1>" in content
    assert "Hex bolt M8" not in content


def test_the_kept_anonymous_pages_are_bounded_least_recently_served_first_out(
    client, seller, monkeypatch
):
    from listings import views

    monkeypatch.setattr(views, "ANONYMOUS_PAGES_MAX", 2)
    monkeypatch.setattr(views, "_anonymous_pages", views.OrderedDict())
    first, second, third = (ListingFactory(seller=seller, published=True) for _ in range(3))
    for listing in (first, second, first, third):  # ``first`` served again before ``third``
        assert client.get(reverse("listings:detail", args=[listing.pk])).status_code == 200

    assert list(views._anonymous_pages) == [first.pk, third.pk]
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("listings:detail", args=[second.pk]))  # rendered again
    assert executed(captured)[0].startswith("EXECUTE listings_page_v2 ")
    assert list(views._anonymous_pages) == [third.pk, second.pk]


def test_a_page_kept_for_a_listing_no_longer_published_is_404_and_forgotten(
    client, seller, seller_user
):
    from listings import views

    listing = ListingFactory(seller=seller, published=True)
    url = reverse("listings:detail", args=[listing.pk])
    assert client.get(url).status_code == 200
    assert listing.pk in views._anonymous_pages

    services.listing_archive(listing=listing, actor=seller_user)

    assert client.get(url).status_code == 404
    assert listing.pk not in views._anonymous_pages
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("pk", [2**63, 10**20])
def test_a_detail_page_id_beyond_bigint_is_404_not_a_server_error(client, db, pk):
    assert client.get(f"/listings/{pk}/").status_code == 404


def test_an_anonymous_viewer_with_a_message_gets_it_on_a_page_that_is_not_kept(client, seller):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.test import RequestFactory

    from listings import views

    listing = ListingFactory(seller=seller, published=True)
    url = reverse("listings:detail", args=[listing.pk])
    storage = CookieStorage(RequestFactory().get("/"))
    client.cookies[storage.cookie_name] = storage._encode(  # type: ignore[attr-defined]
        [Message(constants.INFO, "Signed out.")]
    )

    with_message = client.get(url).content.decode()
    assert "Signed out." in with_message
    assert listing.pk not in views._anonymous_pages

    without = client.get(url).content.decode()  # the message was shown: its cookie is gone
    assert "Signed out." not in without
    assert listing.pk in views._anonymous_pages
    assert "<h1>Galvanised carriage bolt" in without


def test_a_signed_in_viewer_gets_the_page_around_the_cached_fragments(client, seller, seller_user):
    listing = ListingFactory(seller=seller, published=True, description="**Bolts**")
    url = reverse("listings:detail", args=[listing.pk])
    client.force_login(seller_user)
    first = client.get(url).content.decode()

    with CaptureQueriesContext(connection) as captured:
        second = client.get(url).content.decode()

    assert "<strong>Bolts</strong>" in second
    assert without_csrf_tokens(second) == without_csrf_tokens(first)
    listing_queries = [q for q in captured.captured_queries if "listings_" in q["sql"]]
    # One query for the listing with its seller, category, HS code, tiers and photos
    # (listing_get_for_page): the fragments (description, seller card, photos, trade data)
    # come from the cache.
    assert len(listing_queries) == 1


def test_a_stock_change_shows_on_the_cached_anonymous_page(client, seller):
    listing = ListingFactory(seller=seller, published=True, stock=5000)
    url = reverse("listings:detail", args=[listing.pk])
    assert "<dd>5,000 pieces</dd>" in client.get(url).content.decode()

    type(listing).objects.filter(pk=listing.pk).update(stock=4000)  # e.g. an order reserved

    assert "<dd>4,000 pieces</dd>" in client.get(url).content.decode()


def test_an_archived_listing_is_not_served_from_the_anonymous_cache(client, seller):
    listing = ListingFactory(seller=seller, published=True)
    url = reverse("listings:detail", args=[listing.pk])
    assert client.get(url).status_code == 200

    type(listing).objects.filter(pk=listing.pk).update(status="archived")

    assert client.get(url).status_code == 404


def test_an_edit_through_the_services_shows_at_once(client, seller, seller_user):
    listing = ListingFactory(seller=seller, published=True, description="Old text.", stock=10)
    url = reverse("listings:detail", args=[listing.pk])
    client.get(url)

    services.listing_update(listing=listing, actor=seller_user, stock=200)
    Listing = type(listing)
    Listing.objects.filter(pk=listing.pk).update(description="New text.")  # any writer

    content = client.get(url).content.decode()
    assert "<p>New text.</p>" in content
    assert "Old text." not in content
    assert "<dd>200 pieces</dd>" in content


def test_a_new_photo_and_a_seller_verification_change_show_at_once(client, seller, seller_user):
    listing = ListingFactory(seller=seller, status="draft")
    listing_url = reverse("listings:detail", args=[listing.pk])
    client.force_login(seller_user)
    assert "listing-gallery" not in client.get(listing_url).content.decode()

    image_add_ready(listing=listing, actor=seller_user, file=image_upload())
    assert "listing-gallery" in client.get(listing_url).content.decode()

    seller.verification_status = VerificationStatus.UNVERIFIED
    seller.save(update_fields=["verification_status"])
    content = client.get(listing_url).content.decode()
    assert "Not verified" in content
    assert "Verified seller" not in content


def test_indicative_prices_stay_per_viewer_with_cached_fragments(client, seller, fx_rates):
    from marketplace.accounts.middleware import ACTIVE_COMPANY_SESSION_KEY
    from tests.factories import CompanyFactory, MembershipFactory

    listing = ListingFactory(seller=seller, published=True, tiers=[(100, "10.0000")])
    url = reverse("listings:detail", args=[listing.pk])
    assert "indicative" not in client.get(url).content.decode()  # anonymous, fills the cache

    buyer = CompanyFactory(buyer=True, default_currency="EUR")
    client.force_login(MembershipFactory(company=buyer).user)
    session = client.session
    session[ACTIVE_COMPANY_SESSION_KEY] = buyer.pk
    session.save()
    content = client.get(url).content.decode()

    # USD 10.0000 at USD/EUR 0.8650
    assert '<td class="num indicative">≈ EUR 8.65</td>' in content


def test_the_anonymous_page_built_on_the_shared_layout_is_the_page_rendered_in_one_go(
    client, seller, seller_user
):
    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from listings import views

    listing = ListingFactory(
        seller=seller,
        published=True,
        title='Bolts <b>"M8"</b> & nuts',
        description="**Bolts** & <script>nuts</script>",
    )
    image_add_ready(listing=listing, actor=seller_user, file=image_upload())
    request = RequestFactory().get(reverse("listings:detail", args=[listing.pk]))
    request.user = AnonymousUser()
    request.session = {}

    built = views._anonymous_page(request, listing.pk)
    context = views._detail_context(request, listing.pk, cached_whole=True)
    in_one_go = render_to_string("listings/detail.html", context, request=request)

    assert views._anonymous_shell(request) is not None  # the shared layout was used
    assert built == in_one_go
    assert "<title>Bolts &lt;b&gt;&quot;M8&quot;&lt;/b&gt; &amp; nuts · Open Trade" in built
    assert "<strong>Bolts</strong>" in built
    assert "listing-gallery" in built
    served = client.get(reverse("listings:detail", args=[listing.pk])).content.decode()
    assert without_csrf_tokens(served) == without_csrf_tokens(
        built.replace(views._CSRF_TOKEN_SLOT, "x")
    )


@pytest.mark.parametrize(
    "counts",
    [
        {},  # every word in no title: the planner's way at once
        {"steel": 1, "bolt": 1},  # rare: deeper than WALK_MAX, the planner's way
        {"steel": 10**6, "bolt": 10**6},  # in every title: the shortest walk
        {"steel": 30, "bolt": 3},  # a walk of SEARCH_RESULT_LIMIT × 1.5 / share
    ],
)
def test_the_guessed_depth_of_the_first_walk_never_changes_the_results(thirty_bolts, counts):
    from listings import search

    expected = [x.pk for x in thirty_bolts]
    search._term_counts.update(until=float("inf"), counts=counts, listings=10**6)
    try:
        for ordering in ("relevance", "-created"):
            params = ListingSearchParams(q="steel bolt", ordering=ordering)
            found = [x.pk for x in listing_search(params=params)]
            assert sorted(found) == sorted(expected)
            if ordering == "-created":
                assert found == expected
    finally:
        search._term_counts.update(until=0.0)


@pytest.mark.parametrize("coffee_in_titles", [1, 10**6])
def test_a_correction_found_by_the_words_index_and_sorted_gives_the_same_results(
    catalogue, coffee_in_titles
):
    from listings import search

    # Rare in titles: every match is fetched from the words index and sorted (GIN_SORT);
    # common: walked.
    counts = {"coffee": coffee_in_titles, "ceramic": 10**6, "mug": 10**6}
    search._term_counts.update(until=float("inf"), counts=counts, listings=10**6)
    try:
        found = listing_search(params=ListingSearchParams(q="cofee", ordering="-created"))
        ranked = listing_search(params=ListingSearchParams(q="cofee"))
    finally:
        search._term_counts.update(until=0.0)

    assert [x.title for x in found] == ["Ceramic coffee mug 350 ml", "Roasted coffee beans"]
    assert sorted(x.title for x in ranked) == ["Ceramic coffee mug 350 ml", "Roasted coffee beans"]
