"""The buyer's pages: catalogue search (full page and htmx), listing detail, storefront."""

import pytest
from django.urls import reverse

from listings.models import Listing
from marketplace.accounts.middleware import ACTIVE_COMPANY_SESSION_KEY
from tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.listings.factories import ListingFactory, category_leaf

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer_client(client, fx_rates):
    """Signed in for a buying company whose currency is the euro."""
    buyer = CompanyFactory(buyer=True, default_currency="EUR")
    user = MembershipFactory(company=buyer).user
    client.force_login(user)
    session = client.session
    session[ACTIVE_COMPANY_SESSION_KEY] = buyer.pk
    session.save()
    return client


@pytest.fixture
def catalogue(seller):
    """Three published listings and one draft, from two sellers."""
    vn_seller = CompanyFactory(
        seller=True, verified=True, legal_name="Lotus Ceramics JSC", slug="lotus", country="VN"
    )
    bolts = ListingFactory(
        seller=seller,
        title="Stainless steel hex bolts M8",
        description="DIN 933 hex bolts, fully threaded.",
        published=True,
        moq=1000,
        tiers=[(1000, "0.0350"), (10_000, "0.0310")],
    )
    bowls = ListingFactory(
        seller=vn_seller,
        title="Hand glazed tea bowls",
        description="Celadon glaze, gift boxed.",
        origin_country="VN",
        ship_from="Hai Phong, Vietnam",
        currency="JPY",
        moq=50,
        tiers=[(50, "1500"), (200, "1200")],
        incoterms=["FOB", "CIF"],
        published=True,
    )
    nuts = ListingFactory(seller=seller, title="Hex nuts M8 zinc plated", published=True, moq=5000)
    draft = ListingFactory(seller=seller, title="Secret prototype bolts")
    return {"bolts": bolts, "bowls": bowls, "nuts": nuts, "draft": draft}


# ---------- search ----------


def test_the_catalogue_shows_published_listings_as_cards(client, catalogue):
    response = client.get(reverse("listings:search"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1>Catalogue</h1>" in content
    assert "3 listings" in content
    assert "Stainless steel hex bolts M8" in content
    assert "Hand glazed tea bowls" in content
    assert "Secret prototype bolts" not in content
    assert "<strong>USD 0.0310</strong>" in content
    assert "<strong>JPY 1,200</strong>" in content
    assert "<dd>50 pieces</dd>" in content
    assert "<dd>Vietnam</dd>" in content
    assert (
        f'href="{reverse("listings:storefront", args=["lotus"])}">Lotus Ceramics JSC</a>' in content
    )
    assert '<span class="badge badge-success">Verified</span>' in content
    assert "indicative" not in content.split('id="search-results"')[1]  # signed out: no FX


def test_the_search_form_is_wired_for_htmx_and_works_without_javascript(client, catalogue):
    content = client.get(reverse("listings:search")).content.decode()

    assert 'method="get" action="/catalogue/"' in content
    assert 'hx-get="/catalogue/" hx-target="#search-results" hx-push-url="true"' in content
    assert 'hx-trigger="change, submit, keyup changed delay:400ms from:input[name=q]"' in content
    assert '<button type="submit" class="btn btn-primary">Search</button>' in content
    assert 'id="search-loading" class="htmx-indicator' in content


def test_a_word_with_a_typo_still_finds_the_listing(client, catalogue):
    content = client.get(reverse("listings:search"), {"q": "stainles"}).content.decode()

    results = content.split('id="search-results"')[1]
    assert "Stainless steel hex bolts M8" in results
    assert "Hand glazed tea bowls" not in results


def test_filters_live_in_the_url_and_a_full_load_shows_the_same_results(client, catalogue):
    response = client.get(reverse("listings:search"), {"origin": "VN", "incoterm": "CIF"})

    content = response.content.decode()
    results = content.split('id="search-results"')[1]
    assert "1 listing made in Vietnam" in results
    assert "Hand glazed tea bowls" in results
    assert "hex bolts" not in results
    assert '<option value="VN" selected>Vietnam (1)</option>' in content
    assert '<option value="CIF" selected>CIF — Cost, Insurance and Freight (1)</option>' in content
    assert "Clear filters" in content


def test_moq_and_verified_filters(client, catalogue):
    unverified = CompanyFactory(seller=True, legal_name="New Exporter Ltd")
    ListingFactory(seller=unverified, title="Hex bolts from a new exporter", published=True)

    content = client.get(
        reverse("listings:search"), {"q": "hex", "max_moq": "1000", "verified": "on"}
    ).content.decode()

    results = content.split('id="search-results"')[1]
    assert "Stainless steel hex bolts M8" in results
    assert "Hex nuts M8" not in results  # MOQ 5,000
    assert "new exporter" not in results
    assert 'name="verified" id="id_verified" checked' in content


def test_category_facet_lists_counts_and_opens_the_chosen_branch(client, catalogue):
    leaf = category_leaf()

    content = client.get(
        reverse("listings:search"), {"category": str(leaf.parent_id)}
    ).content.decode()

    assert f'value="{leaf.parent_id}" id="category-{leaf.parent_id}" checked' in content
    assert f'<label for="category-{leaf.pk}">' in content
    assert '<span class="facet-count">3</span>' in content


def test_sort_by_price_low_to_high(client, catalogue, fx_rates):
    content = client.get(reverse("listings:search"), {"ordering": "price"}).content.decode()

    results = content.split('id="search-results"')[1]
    order = [results.index(t) for t in ("hex bolts M8", "Hand glazed", "Hex nuts")]
    # 0.031 USD, JPY 1,200 ≈ 7.73 USD, 1.05 USD
    assert order[0] < order[2] < order[1]


def test_an_htmx_request_gets_only_the_results_and_the_facets_out_of_band(client, catalogue):
    response = client.get(
        reverse("listings:search"), {"origin": "VN"}, headers={"HX-Request": "true"}
    )

    content = response.content.decode()
    assert "<html" not in content
    assert "<h1>" not in content
    assert content.lstrip().startswith('<p class="results-summary" role="status">')
    assert "Hand glazed tea bowls" in content
    assert (
        '<aside id="search-facets" class="search-facets" aria-label="Filters" hx-swap-oob="true">'
        in content
    )
    assert 'name="q"' not in content  # the keyword box keeps its focus and caret
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_full_page(client, catalogue):
    response = client.get(
        reverse("listings:search"),
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )

    assert "<!doctype html>" in response.content.decode()


def test_no_match_shows_the_empty_state_with_a_way_out(client, catalogue):
    content = client.get(
        reverse("listings:search"), {"q": "bolts", "origin": "VN"}
    ).content.decode()

    assert "No listings match “bolts”" in content
    assert "Try removing a filter, or fewer or different words." in content
    assert 'href="/catalogue/?q=bolts">Clear all filters</a>' in content


def test_a_bad_filter_is_shown_next_to_its_field_and_the_rest_still_apply(client, catalogue):
    content = client.get(
        reverse("listings:search"), {"origin": "VN", "max_moq": "lots"}
    ).content.decode()

    assert 'id="id_max_moq_error"' in content
    assert "Hand glazed tea bowls" in content.split('id="search-results"')[1]
    assert "hex bolts" not in content.split('id="search-results"')[1]


def test_a_signed_in_buyer_sees_indicative_prices_and_filters_in_their_currency(
    buyer_client, catalogue
):
    content = buyer_client.get(reverse("listings:search")).content.decode()

    # USD 0.0310 × 0.8650 = EUR 0.0268 (4 decimals, half up)
    assert "≈ EUR 0.0268" in content
    assert "<legend>Unit price (EUR)</legend>" in content
    assert 'name="price_currency" value="EUR"' in content


def test_the_price_range_is_read_in_the_buyers_currency(buyer_client, catalogue):
    # EUR 0.50 ≈ USD 0.578: the bolts (USD 0.031) are cheaper, the nuts (USD 1.05) are not.
    content = buyer_client.get(reverse("listings:search"), {"max_price": "0.50"}).content.decode()

    results = content.split('id="search-results"')[1]
    assert "Stainless steel hex bolts M8" in results
    assert "Hex nuts" not in results


def _page_of(count: int, seller) -> None:
    for index in range(count):
        ListingFactory(seller=seller, title=f"Carriage bolt lot {index}", published=True)


@pytest.mark.parametrize("count", [5, 20])
def test_the_search_page_runs_the_same_number_of_queries_for_5_or_20_results(
    client, seller, django_assert_max_num_queries, count
):
    _page_of(count, seller)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("listings:search"), {"q": "carriage bolt"})
    assert response.content.decode().count('class="listing-card"') == count


@pytest.mark.parametrize("count", [5, 20])
def test_a_signed_in_buyers_search_page_has_a_constant_query_count(
    buyer_client, seller, django_assert_max_num_queries, count
):
    _page_of(count, seller)
    with django_assert_max_num_queries(17):
        response = buyer_client.get(reverse("listings:search"))
    assert response.content.decode().count('class="listing-card"') == count


def test_the_results_are_paginated_with_links_that_keep_the_filters(client, seller):
    _page_of(23, seller)

    content = client.get(reverse("listings:search"), {"origin": "CN"}).content.decode()

    assert content.count('class="listing-card"') == 20
    assert "Page 1 of 2" in content
    assert 'href="?origin=CN&amp;page=2"' in content
    second = client.get(reverse("listings:search"), {"origin": "CN", "page": "2"})
    assert second.content.decode().count('class="listing-card"') == 3


# ---------- detail ----------


def test_the_detail_page_shows_everything_a_buyer_needs(client, catalogue):
    bolts = catalogue["bolts"]

    response = client.get(reverse("listings:detail", args=[bolts.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1>Stainless steel hex bolts M8</h1>" in content
    assert '<td>1,000 pieces</td>\n            <td class="num">USD 0.0350</td>' in content
    assert '<td class="num">USD 0.0310</td>' in content
    assert "<dd>1,000 pieces</dd>" in content  # MOQ
    assert "<dd>14 days</dd>" in content
    assert "EXW</abbr> — Ex Works" in content and "FOB</abbr> — Free On Board" in content
    assert "Ships from</dt><dd>Ningbo, China</dd>" in content
    assert '<span class="mono">731815</span>' in content
    assert "<dd>0.045 kg</dd>" in content
    assert "<dd>35 × 25 × 15 cm</dd>" in content
    assert "Ningbo Fasteners Co., Ltd." in content
    assert "Verified seller" in content
    assert f'Member since</dt><dd><time datetime="{bolts.seller.created_at:%Y-%m-%d}">' in content
    assert f'href="{reverse("listings:storefront", args=[bolts.seller.slug])}"' in content
    assert "indicative" not in content  # signed out


def test_the_description_is_rendered_from_markdown_and_html_is_not_passed_through(client, seller):
    listing = ListingFactory(
        seller=seller,
        published=True,
        description="**Fully threaded**\n\n<script>alert(1)</script>",
    )

    content = client.get(reverse("listings:detail", args=[listing.pk])).content.decode()

    assert "<strong>Fully threaded</strong>" in content
    assert "<script>alert(1)</script>" not in content


def test_the_detail_page_shows_indicative_prices_with_the_rate_and_its_date(
    buyer_client, catalogue
):
    bowls = catalogue["bowls"]

    content = buyer_client.get(reverse("listings:detail", args=[bowls.pk])).content.decode()

    assert '<td class="num">JPY 1,500</td>' in content
    assert '<td class="num">JPY 1,200</td>' in content
    assert '≈ EUR<span class="visually-hidden"> (indicative)</span></th>' in content
    # JPY 1,200 ÷ 155.20 × 0.8650 = EUR 6.688…: EUR 6.69 (a price of 1 or more to the cent)
    assert '<td class="num indicative">≈ EUR 6.69</td>' in content
    assert "≈ EUR: indicative prices at the rate 1 JPY = " in content
    assert 'as of <time datetime="2026-11-20">20 Nov 2026</time>' in content
    assert "You pay in JPY." in content


def test_the_indicative_price_is_left_out_when_no_rate_is_known(client, catalogue):
    buyer = CompanyFactory(buyer=True, default_currency="KES")
    client.force_login(MembershipFactory(company=buyer).user)

    content = client.get(reverse("listings:detail", args=[catalogue["bolts"].pk])).content.decode()

    assert "USD 0.0350" in content
    assert "indicative" not in content


def test_a_draft_is_404_for_the_public_and_for_other_companies(client, catalogue):
    url = reverse("listings:detail", args=[catalogue["draft"].pk])

    assert client.get(url).status_code == 404
    client.force_login(MembershipFactory(company=CompanyFactory(buyer=True)).user)
    assert client.get(url).status_code == 404


def test_the_seller_sees_their_own_draft_with_a_status_banner(client, catalogue, seller_user):
    client.force_login(seller_user)

    response = client.get(reverse("listings:detail", args=[catalogue["draft"].pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Not in the catalogue: this listing is draft." in content
    assert "Only your company and marketplace admins can see this page." in content


def test_staff_see_a_pending_listing_with_a_status_banner(client, seller, staff_user):
    listing = ListingFactory(seller=seller, pending=True)
    client.force_login(staff_user)

    content = client.get(reverse("listings:detail", args=[listing.pk])).content.decode()

    assert "Not in the catalogue: this listing is pending review." in content


def test_an_unknown_listing_is_404(client, db):
    assert client.get(reverse("listings:detail", args=[999_999])).status_code == 404


# ---------- storefront ----------


def test_the_storefront_shows_the_sellers_card_and_published_listings(client, catalogue, seller):
    response = client.get(reverse("listings:storefront", args=[seller.slug]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1>Ningbo Fasteners Co., Ltd.</h1>" in content
    assert 'Products <span class="muted">(2)</span>' in content
    assert "Stainless steel hex bolts M8" in content
    assert "Hex nuts M8 zinc plated" in content
    assert "Secret prototype bolts" not in content
    assert "Hand glazed tea bowls" not in content
    assert "<dd>Germany</dd>" in content
    assert "Verified seller" in content


def test_a_storefront_without_listings_shows_the_empty_state(client, db):
    seller = CompanyFactory(seller=True, legal_name="Quiet Exporter Ltd", slug="quiet")

    content = client.get(reverse("listings:storefront", args=["quiet"])).content.decode()

    assert "No products in the catalogue yet" in content
    assert "Quiet Exporter Ltd has not published any listings." in content
    assert "Not verified" in content
    assert seller.listings.count() == 0


def test_a_buying_only_company_has_no_storefront(client, db):
    CompanyFactory(buyer=True, slug="importer")

    assert client.get(reverse("listings:storefront", args=["importer"])).status_code == 404
    assert client.get(reverse("listings:storefront", args=["nobody"])).status_code == 404
    assert Listing.objects.count() == 0


def test_users_without_a_company_can_browse(client, catalogue):
    client.force_login(UserFactory())

    response = client.get(reverse("listings:search"))

    assert response.status_code == 200
    assert "3 listings" in response.content.decode()
