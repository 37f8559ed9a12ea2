"""The demo catalogue: exact counts per seller and status, valid data, generated photos, and a
second run that creates nothing."""

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image

from listings.models import Listing, ListingImage, ModerationEvent, PriceTier
from marketplace.demo.listings import DEMO_LISTINGS, REJECTION_REASON
from marketplace.demo.services import demo_seed
from marketplace.trade.models import HSCode

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    settings.HS_CODES_CSV = str(tmp_path / "no-such-file.csv")  # the built-in HS slice only
    return demo_seed()


def _counts() -> Counter:
    return Counter(Listing.objects.values_list("seller__slug", "status"))


def test_the_demo_catalogue_is_complete_valid_and_illustrated(seeded):
    assert _counts() == Counter(
        {
            ("hangzhou-westlake-trading", "published"): 20,
            ("hangzhou-westlake-trading", "pending_review"): 1,
            ("hangzhou-westlake-trading", "rejected"): 1,
            ("naniwa-precision-tools", "published"): 21,
            ("naniwa-precision-tools", "pending_review"): 1,
            ("schwarzwald-feinmechanik", "pending_review"): 1,
        }
    )
    assert seeded.listings is not None
    assert seeded.listings.created == Counter(published=41, pending_review=3, rejected=1)
    assert len(DEMO_LISTINGS) == 45

    # every demo listing uses its sellers currency and origin
    rows = set(Listing.objects.values_list("seller__slug", "currency", "origin_country").distinct())
    assert rows == {
        ("hangzhou-westlake-trading", "USD", "CN"),
        ("naniwa-precision-tools", "JPY", "JP"),
        ("schwarzwald-feinmechanik", "EUR", "DE"),
    }
    # Yen prices are whole yen; a screw costs fractions of a cent.
    yen = PriceTier.objects.filter(listing__currency="JPY").values_list("unit_price", flat=True)
    assert all(price == price.to_integral_value() for price in yen)
    bolts = Listing.objects.get(title="Stainless steel hex bolts M8 x 40, DIN 933, A2-70")
    assert list(bolts.price_tiers.values_list("min_quantity", "unit_price")) == [
        (5000, Decimal("0.0350")),
        (20_000, Decimal("0.0310")),
        (100_000, Decimal("0.0285")),
    ]
    assert (bolts.moq, bolts.price_min_usd) == (5000, Decimal("0.0285"))

    # demo hs codes all exist in the fallback slice
    used = set(Listing.objects.values_list("hs_code_id", flat=True))
    assert used <= set(HSCode.objects.filter(level=6).values_list("code", flat=True))
    assert len(used) >= 20

    # published listings have dates events and no pending emails
    published = Listing.objects.filter(status="published")
    assert published.filter(published_at__isnull=True).count() == 0
    decisions = ModerationEvent.objects.filter(to_status__in=["published", "rejected"])
    assert decisions.count() == 42
    assert decisions.filter(notified_at__isnull=True).count() == 0  # no demo emails queued
    assert set(decisions.values_list("actor__email", flat=True)) == {"admin@demo.test"}

    # the rejected demo listing carries its reason
    rejected = Listing.objects.get(status="rejected")
    assert rejected.title == "Ceramic brake pads for Toyota Corolla (front)"
    assert rejected.rejection_reason == REJECTION_REASON

    # every demo listing has one generated photo with copies
    assert ListingImage.objects.count() == 45
    assert Listing.objects.filter(images__isnull=True).count() == 0
    image = ListingImage.objects.select_related("listing").first()
    assert image is not None
    assert (image.content_type, image.width, image.height) == ("image/jpeg", 800, 600)
    with Image.open(Path(image.card.path)) as card:
        assert card.size == (480, 360)


def test_seeding_again_creates_no_listing(seeded):
    before = sorted(Listing.objects.values_list("pk", "status", "updated_at"))
    images = ListingImage.objects.count()

    again = demo_seed()

    assert again.listings is not None
    assert again.listings.created == Counter()
    assert again.listings.unchanged == 45
    assert sorted(Listing.objects.values_list("pk", "status", "updated_at")) == before
    assert ListingImage.objects.count() == images


def test_the_command_reports_the_listings(settings, tmp_path, capsys):
    settings.HS_CODES_CSV = str(tmp_path / "no-such-file.csv")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "Listings: 3 pending_review, 41 published, 1 rejected created, 0 already there." in out
