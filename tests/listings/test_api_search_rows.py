"""The search API builds its page from plain rows (one query) instead of model instances and
ListingSerializer: the JSON must be exactly what ListingSerializer gives for the same listings."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from listings.api.serializers import ListingSerializer, listing_rows_data
from listings.models import Listing, ListingImage, PriceTier
from listings.search import ListingSearchParams, listing_search, listing_search_ids
from listings.selectors import listing_public_rows
from marketplace.accounts.enums import VerificationStatus
from tests.factories import CompanyFactory, staff_user
from tests.listings.factories import ListingFactory

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/listings/"


@pytest.fixture
def varied(hs_codes):
    """Published listings that exercise every field: photos (one without its derived sizes),
    a trading name, an unverified seller, no price tiers, odd decimals, a kept rejection
    reason, and a draft that must never show."""
    now = timezone.now()
    traded = CompanyFactory(seller=True, verified=True, legal_name="Acme Ltd", trading_name="Acme")
    unverified = CompanyFactory(seller=True, legal_name="Small Works")
    unverified.verification_status = VerificationStatus.UNVERIFIED
    unverified.save(update_fields=["verification_status"])
    with_photos = ListingFactory(
        published=True,
        title="Zinc bolt with photos",
        description="**Strong** bolts.\n\n- zinc\n- M8",
        published_at=now - timedelta(minutes=1),
        seller=traded,
        incoterms=["FOB", "CIF", "DAP"],
        tiers=[(100, "1.2345"), (1000, "0.9999"), (5000, "0.0001")],
        unit_net_weight_kg=Decimal("1234.567"),
        carton_length_cm=Decimal("0.1"),
    )
    ListingImage.objects.create(
        listing=with_photos,
        original=f"listings/{with_photos.pk}/b.png",
        card=f"listings/{with_photos.pk}/b-card.jpg",
        detail=f"listings/{with_photos.pk}/b-detail.jpg",
        status="ready",
        width=1024,
        height=768,
        content_type="image/png",
        alt_text="Second",
        position=1,
    )
    ListingImage.objects.create(
        listing=with_photos,
        original=f"listings/{with_photos.pk}/a.png",
        card=f"listings/{with_photos.pk}/a-card.jpg",
        detail=f"listings/{with_photos.pk}/a-detail.jpg",
        status="ready",
        width=800,
        height=600,
        content_type="image/png",
        position=0,
    )
    no_tiers = ListingFactory(
        published=True,
        title="Zinc bolt without tiers",
        description="",
        seller=unverified,
        origin_country="VN",
        unit="kg",
        currency="EUR",
        published_at=now - timedelta(minutes=2),
    )
    PriceTier.objects.filter(listing=no_tiers).delete()
    Listing.objects.filter(pk=no_tiers.pk).update(
        price_min=None, price_max=None, price_min_usd=None
    )
    ListingFactory(
        published=True,
        title="Zinc bolt once rejected",
        rejection_reason="Blurry photo.",
        published_at=now - timedelta(minutes=3),
        carton_gross_weight_kg=Decimal("0.001"),
    )
    ListingFactory(title="Zinc bolt draft")
    return with_photos


def expected(params: ListingSearchParams, *, user=None) -> list[dict]:
    django_request = APIRequestFactory().get(LIST_URL)
    request = Request(django_request)
    request.user = user if user is not None else AnonymousUser()
    listings = list(listing_search(params=params)[0:20])
    data = ListingSerializer(listings, many=True, context={"request": request, "company": None})
    return json.loads(json.dumps(data.data))


def test_the_search_api_gives_exactly_what_the_listing_serializer_gives(api_client, varied):
    params = ListingSearchParams(q="zinc bolt", ordering="-created")

    body = api_client.get(LIST_URL, {"q": "zinc bolt", "ordering": "-created"}).json()

    assert body["count"] == 3
    assert [row["title"] for row in body["results"]] == [
        "Zinc bolt with photos",
        "Zinc bolt without tiers",
        "Zinc bolt once rejected",
    ]
    assert body["results"] == expected(params)
    photos = body["results"][0]["images"]
    assert [image["alt_text"] for image in photos] == ["", "Second"]
    assert photos[0]["card_url"] == (f"http://testserver/media/listings/{varied.pk}/a-card.jpg")
    assert photos[1]["card_url"] == (f"http://testserver/media/listings/{varied.pk}/b-card.jpg")
    assert body["results"][0]["price_tiers"] == [
        {"min_quantity": 100, "unit_price": "1.2345"},
        {"min_quantity": 1000, "unit_price": "0.9999"},
        {"min_quantity": 5000, "unit_price": "0.0001"},
    ]
    assert body["results"][1]["price_tiers"] == []
    assert body["results"][1]["price_from"] is None
    assert body["results"][1]["seller"]["verified"] is False
    assert body["results"][0]["seller"]["name"] == "Acme"
    assert body["results"][2]["rejection_reason"] is None


def test_staff_see_the_rejection_reason_as_with_the_serializer(api_client, varied):
    staff = staff_user("moderators", email="staff@platform.test")
    api_client.force_authenticate(staff)
    params = ListingSearchParams(q="zinc bolt", ordering="-created")

    body = api_client.get(LIST_URL, {"q": "zinc bolt", "ordering": "-created"}).json()

    assert body["results"] == expected(params, user=staff)
    assert body["results"][2]["rejection_reason"] == "Blurry photo."


def test_a_page_of_rows_is_one_query_in_the_order_of_the_ids(varied):
    ids = listing_search_ids(params=ListingSearchParams(q="zinc", ordering="-created"))
    draft = Listing.objects.get(title="Zinc bolt draft")

    with CaptureQueriesContext(connection) as captured:
        rows = listing_public_rows(ids=[ids[2], draft.pk, ids[0], ids[1]])

    assert len(captured.captured_queries) == 1
    assert [row["id"] for row in rows] == [ids[2], ids[0], ids[1]]  # never the draft
    assert listing_public_rows(ids=[]) == []
    assert listing_rows_data([], request=None) == []


# ---------- the API detail reads one plain row for a public read ----------


def serialized(listing: Listing, *, user=None, company=None) -> dict:
    request = Request(APIRequestFactory().get(f"{LIST_URL}{listing.pk}/"))
    request.user = user if user is not None else AnonymousUser()
    listing = Listing.objects.get(pk=listing.pk)
    data = ListingSerializer(listing, context={"request": request, "company": company}).data
    return json.loads(json.dumps(data))


def test_a_public_api_detail_is_one_query_and_what_the_serializer_gives(api_client, varied):
    rejected_once = Listing.objects.get(title="Zinc bolt once rejected")

    for listing in (varied, rejected_once):
        with CaptureQueriesContext(connection) as captured:
            response = api_client.get(f"{LIST_URL}{listing.pk}/")
        assert response.status_code == 200
        assert len(captured.captured_queries) == 1
        assert response.json() == serialized(listing)
    assert response.json()["rejection_reason"] is None
    assert varied.images.count() == 2
    assert [
        image["alt_text"] for image in api_client.get(f"{LIST_URL}{varied.pk}/").json()["images"]
    ] == ["", "Second"]


def test_staff_with_no_company_get_the_row_with_the_rejection_reason(api_client, varied):
    staff = staff_user("moderators", email="staff@platform.test")
    api_client.force_authenticate(staff)
    rejected_once = Listing.objects.get(title="Zinc bolt once rejected")
    draft = Listing.objects.get(title="Zinc bolt draft")

    body = api_client.get(f"{LIST_URL}{rejected_once.pk}/").json()

    assert body == serialized(rejected_once, user=staff)
    assert body["rejection_reason"] == "Blurry photo."
    # Not published: not a public row, but staff see it (the selector's way).
    assert api_client.get(f"{LIST_URL}{draft.pk}/").json()["status"] == "draft"


def test_a_draft_is_404_to_anyone_else_and_an_id_beyond_bigint_too(api_client, varied):
    draft = Listing.objects.get(title="Zinc bolt draft")

    assert api_client.get(f"{LIST_URL}{draft.pk}/").status_code == 404
    assert api_client.get(f"{LIST_URL}{2**63}/").status_code == 404
