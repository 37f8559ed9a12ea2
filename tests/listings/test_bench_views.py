"""The bare ceiling view of bench/detail: mounted only with BENCH_VIEWS, one lookup, id + title."""

import importlib
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.urls import Resolver404, clear_url_caches, resolve

from listings.enums import ListingStatus
from listings.models import Category, Listing
from marketplace.trade.models import HSCode
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


def _listing(*, status: str = ListingStatus.PUBLISHED, title: str = "Arabica green coffee beans"):
    chapter, _ = HSCode.objects.get_or_create(
        code="09",
        defaults={"description": "Coffee, tea, maté and spices", "level": 2, "section": "II"},
    )
    heading, _ = HSCode.objects.get_or_create(
        code="0901",
        defaults={"description": "Coffee", "level": 4, "section": "II", "parent": chapter},
    )
    hs_code, _ = HSCode.objects.get_or_create(
        code="090111",
        defaults={
            "description": "Coffee; not roasted",
            "level": 6,
            "section": "II",
            "parent": heading,
        },
    )
    return Listing.objects.create(
        seller=CompanyFactory(seller=True, verified=True),
        title=title,
        description="Washed, grade 1.",
        category=Category.objects.filter(parent__isnull=False).order_by("id").first(),
        hs_code=hs_code,
        origin_country="ET",
        ship_from="Djibouti",
        moq=10,
        lead_time_days=14,
        incoterms=["FOB"],
        unit_net_weight_kg=Decimal("60.000"),
        units_per_carton=1,
        carton_gross_weight_kg=Decimal("60.500"),
        carton_length_cm=Decimal("90.0"),
        carton_width_cm=Decimal("60.0"),
        carton_height_cm=Decimal("20.0"),
        currency="USD",
        status=status,
        published_at=datetime(2026, 1, 5, tzinfo=UTC)
        if status == ListingStatus.PUBLISHED
        else None,
    )


@pytest.fixture
def bench_views_on(settings):
    """Reload the URLconf with BENCH_VIEWS on, and reload it again as it was afterwards."""
    import marketplace.urls

    was = django_settings.BENCH_VIEWS
    settings.BENCH_VIEWS = True
    importlib.reload(marketplace.urls)
    clear_url_caches()
    yield
    settings.BENCH_VIEWS = was
    importlib.reload(marketplace.urls)
    clear_url_caches()


def test_bench_views_are_off_by_default():
    assert django_settings.BENCH_VIEWS is False
    with pytest.raises(Resolver404):
        resolve("/bench/listing/1/")


def test_ceiling_url_is_not_mounted_without_bench_views(client):
    listing = _listing()

    response = client.get(f"/bench/listing/{listing.pk}/")

    assert response.status_code == 404


def test_ceiling_returns_id_and_title_of_a_published_listing(
    client, bench_views_on, django_assert_num_queries
):
    listing = _listing()

    with django_assert_num_queries(1):
        response = client.get(f"/bench/listing/{listing.pk}/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"id": listing.pk, "title": "Arabica green coffee beans"}


@pytest.mark.parametrize(
    "status", [ListingStatus.DRAFT, ListingStatus.PENDING_REVIEW, ListingStatus.ARCHIVED]
)
def test_ceiling_does_not_reveal_an_unpublished_listing(client, bench_views_on, status):
    listing = _listing(status=status, title="Secret prototype")

    response = client.get(f"/bench/listing/{listing.pk}/")

    assert response.status_code == 404
    assert b"Secret prototype" not in response.content
    assert Listing.objects.get(pk=listing.pk).status == status


def test_ceiling_of_a_missing_listing_is_404(client, bench_views_on):
    response = client.get("/bench/listing/987654321/")

    assert response.status_code == 404
