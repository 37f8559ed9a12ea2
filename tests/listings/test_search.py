"""Catalogue search: words, websearch syntax, typos, ranking, facets, orderings."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone

from listings.models import Category
from listings.search import (
    ListingSearchParams,
    listing_search,
    listing_search_facets,
    parse_search_params,
)
from tests.factories import CompanyFactory
from tests.listings.factories import ListingFactory

pytestmark = pytest.mark.django_db


def titles(params: ListingSearchParams) -> list[str]:
    return [listing.title for listing in listing_search(params=params)]


def search(**kwargs) -> list[str]:
    return titles(ListingSearchParams(**kwargs))


def published(title: str, description: str = "", age_minutes: int = 0, **kwargs):
    return ListingFactory(
        published=True,
        title=title,
        description=description,
        published_at=timezone.now() - timedelta(minutes=age_minutes),
        **kwargs,
    )


@pytest.fixture
def catalogue(hs_codes):
    published("Ceramic coffee mug 350 ml", "Hand-glazed stoneware.", age_minutes=1)
    published("Bluetooth speaker 20 W", "Waterproof portable speaker.", age_minutes=2)
    published("Stainless steel hex bolt M8", "DIN 933, A2-70.", age_minutes=3)
    published("Enamel camping mug", "Light and tough for outdoor use.", age_minutes=4)
    published("Porcelain tea cup", "Ceramic cup with saucer.", age_minutes=5)
    ListingFactory(title="Ceramic mug prototype", description="Not yet reviewed.")  # draft
    ListingFactory(pending=True, title="Ceramic mug awaiting review", description="")


def test_a_word_finds_the_published_listings_that_contain_it(catalogue):
    assert search(q="mug") == ["Ceramic coffee mug 350 ml", "Enamel camping mug"]


def test_two_words_must_both_appear(catalogue):
    assert search(q="ceramic mug") == ["Ceramic coffee mug 350 ml"]


def test_a_stemmed_word_matches_its_other_forms(catalogue):
    assert search(q="mugs") == ["Ceramic coffee mug 350 ml", "Enamel camping mug"]


def test_websearch_quoted_phrase_matches_only_adjacent_words(catalogue):
    assert search(q='"coffee mug"') == ["Ceramic coffee mug 350 ml"]
    assert search(q='"mug coffee"') == []


def test_websearch_minus_excludes_a_word(catalogue):
    assert search(q="mug -ceramic") == ["Enamel camping mug"]


def test_websearch_or_matches_either_word(catalogue):
    assert search(q="speaker or bolt", ordering="-created") == [
        "Bluetooth speaker 20 W",
        "Stainless steel hex bolt M8",
    ]


@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        ("bluetoth", ["Bluetooth speaker 20 W"]),
        ("ceramik", ["Ceramic coffee mug 350 ml"]),
        ("stainles", ["Stainless steel hex bolt M8"]),
        ("bluetoth speaker", ["Bluetooth speaker 20 W"]),
    ],
)
def test_a_typo_still_finds_the_product_by_its_title(catalogue, typo, expected):
    assert search(q=typo) == expected


def test_a_typo_is_found_whatever_the_ordering(catalogue):
    assert search(q="bluetoth", ordering="price") == ["Bluetooth speaker 20 W"]


def test_websearch_operators_switch_the_typo_fallback_off(catalogue):
    """A fuzzy match would ignore the exclusion, so a query with operators is taken literally."""
    assert search(q="ceramik -mug") == []


def test_a_title_match_ranks_above_a_description_only_match(hs_codes):
    published("Porcelain plate", "Fine ceramic dinnerware.", age_minutes=0)
    published("Ceramic plate", "Fine dinnerware.", age_minutes=10)

    assert search(q="ceramic") == ["Ceramic plate", "Porcelain plate"]


def test_a_listing_that_is_not_published_is_never_found(catalogue):
    assert "Ceramic mug prototype" not in search(q="prototype")
    assert search(q="awaiting") == []


def test_without_words_relevance_means_newest_first(catalogue):
    assert search() == [
        "Ceramic coffee mug 350 ml",
        "Bluetooth speaker 20 W",
        "Stainless steel hex bolt M8",
        "Enamel camping mug",
        "Porcelain tea cup",
    ]


def test_category_includes_its_subcategories(hs_codes):
    kitchen = Category.objects.get(slug="home-furniture-kitchenware")
    ceramics = Category.objects.get(slug="home-furniture-ceramics-tableware")
    fasteners = Category.objects.get(slug="machinery-tools-fasteners")
    published("Chef knife", category=kitchen, age_minutes=1)
    published("Stoneware bowl", category=ceramics, age_minutes=2)
    published("Wood screw", category=fasteners, age_minutes=3)
    home = Category.objects.get(slug="home-furniture")

    assert search(category=home) == ["Chef knife", "Stoneware bowl"]
    assert search(category=ceramics) == ["Stoneware bowl"]


def test_origin_incoterm_moq_verified_and_seller_filters(hs_codes):
    unverified = CompanyFactory(seller=True)
    vietnam = published("Cashew nuts W320", origin_country="VN", incoterms=["FOB"], moq=500)
    published("Green tea", origin_country="CN", incoterms=["EXW", "DAP"], moq=50, age_minutes=1)
    published("Black pepper", origin_country="VN", seller=unverified, moq=10, age_minutes=2)

    assert search(origin="VN") == ["Cashew nuts W320", "Black pepper"]
    assert search(incoterm="DAP") == ["Green tea"]
    assert search(max_moq=50) == ["Green tea", "Black pepper"]
    assert search(verified=True) == ["Cashew nuts W320", "Green tea"]
    assert search(verified=False) == ["Black pepper"]
    assert search(seller=vietnam.seller) == ["Cashew nuts W320"]
    assert search(origin="VN", max_moq=100) == ["Black pepper"]


def test_price_filter_converts_the_bounds_and_compares_the_lowest_tier_in_usd(hs_codes, fx_rates):
    # 1.0000 EUR at USD/EUR 0.8650 is 1.1561 USD; 1.1000 USD; 0.5000 USD.
    published("Euro widget", currency="EUR", tiers=[(100, "1.2000"), (1000, "1.0000")])
    published("Dollar widget", tiers=[(100, "1.2500"), (1000, "1.1000")], age_minutes=1)
    published("Cheap widget", tiers=[(100, "0.6000"), (1000, "0.5000")], age_minutes=2)

    assert search(min_price=Decimal("1.10")) == ["Euro widget", "Dollar widget"]
    assert search(min_price=Decimal("1.12")) == ["Euro widget"]
    assert search(max_price=Decimal("1.10")) == ["Dollar widget", "Cheap widget"]
    # In euros: 1.0000 EUR is 1.1561 USD, so only the euro widget costs at least that.
    assert search(min_price=Decimal("1.0000"), price_currency="EUR") == ["Euro widget"]
    # 0.9600 EUR is 1.1098 USD: the dollar widget (1.1000) is below it, the euro one is not.
    assert search(max_price=Decimal("0.9600"), price_currency="EUR") == [
        "Dollar widget",
        "Cheap widget",
    ]


def test_orderings_by_price_and_newest(hs_codes):
    published("Widget B", tiers=[(100, "2.0000")], age_minutes=3)
    published("Widget A", tiers=[(100, "1.0000")], age_minutes=1)
    published("Widget C", tiers=[(100, "3.0000")], age_minutes=2)

    assert search(q="widget", ordering="price") == ["Widget A", "Widget B", "Widget C"]
    assert search(q="widget", ordering="-price") == ["Widget C", "Widget B", "Widget A"]
    assert search(q="widget", ordering="-created") == ["Widget A", "Widget C", "Widget B"]
    assert search(ordering="price") == ["Widget A", "Widget B", "Widget C"]


def test_parse_search_params_reads_a_query_string(hs_codes):
    home = Category.objects.get(slug="home-furniture")
    params = parse_search_params(
        QueryDict(
            f"q=+mug+&category={home.pk}&origin=cn&incoterm=fob&min_price=1.5&max_price=9"
            "&price_currency=EUR&max_moq=100&verified=true&ordering=-price"
        )
    )

    assert params == ListingSearchParams(
        q="mug",
        category=home,
        origin="CN",
        incoterm="FOB",
        min_price=Decimal("1.5"),
        max_price=Decimal("9"),
        price_currency="EUR",
        max_moq=100,
        verified=True,
        seller=None,
        ordering="-price",
    )
    assert parse_search_params(QueryDict("")) == ListingSearchParams()


def test_parse_search_params_reports_every_bad_field(db):
    with pytest.raises(ValidationError) as caught:
        parse_search_params(
            QueryDict(
                "origin=XX&incoterm=ABC&min_price=-1&max_moq=0&verified=maybe&ordering=cheapest"
                "&price_currency=XYZ&category=999999"
            )
        )

    assert caught.value.message_dict == {
        "origin": ["“XX” is not an ISO country code (e.g. CN, DE, VN)."],
        "incoterm": ["“ABC” is not an Incoterms 2020 rule (e.g. FOB, EXW, DAP)."],
        "min_price": ["Ensure this value is greater than or equal to 0."],
        "max_moq": ["Ensure this value is greater than or equal to 1."],
        "verified": ["Enter true or false."],
        "ordering": ["Select a valid choice. cheapest is not one of the available choices."],
        "price_currency": ["Select a valid choice. XYZ is not one of the available choices."],
        "category": ["Select a valid choice. That choice is not one of the available choices."],
    }


def test_parse_search_params_refuses_a_minimum_above_the_maximum(db):
    with pytest.raises(ValidationError) as caught:
        parse_search_params(QueryDict("min_price=10&max_price=5"))

    assert caught.value.message_dict == {
        "max_price": ["The highest price must not be below the lowest price."]
    }


def test_facets_count_categories_with_their_parents_origins_and_incoterms(hs_codes):
    kitchen = Category.objects.get(slug="home-furniture-kitchenware")
    ceramics = Category.objects.get(slug="home-furniture-ceramics-tableware")
    published("Mug A", category=ceramics, origin_country="CN", incoterms=["FOB", "EXW"])
    published("Mug B", category=ceramics, origin_country="VN", incoterms=["FOB"])
    published("Mug rack", category=kitchen, origin_country="CN", incoterms=["DAP"])
    published("Bolt", origin_country="DE", incoterms=["EXW"])

    facets = listing_search_facets(params=ListingSearchParams(q="mug"))

    assert [(row["category"].slug, row["count"]) for row in facets["categories"]] == [
        ("home-furniture", 3),
        ("home-furniture-ceramics-tableware", 2),
        ("home-furniture-kitchenware", 1),
    ]
    assert facets["origins"] == [
        {"code": "CN", "name": "China", "count": 2},
        {"code": "VN", "name": "Vietnam", "count": 1},
    ]
    assert facets["incoterms"] == [
        {"code": "FOB", "count": 2},
        {"code": "DAP", "count": 1},
        {"code": "EXW", "count": 1},
    ]
    assert (facets["total"], facets["capped"]) == (3, False)
