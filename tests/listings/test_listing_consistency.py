"""Values that cannot all be true together are refused on the field to correct, in the service,
the seller's form and the API, and nothing is changed: a carton lighter than the goods in it,
and stock below the minimum order quantity."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from listings import services
from listings.models import Listing, PriceTier
from tests.listings.factories import ListingFactory, listing_create_data
from tests.listings.test_api_listings import LIST_URL, detail_url, payload
from tests.listings.test_views_seller import edit_data, form_data

pytestmark = pytest.mark.django_db

CARTON_MESSAGE = (
    "A carton of 500 units at 0.028 kg each holds 14.000 kg net: "
    "its gross weight (13.999 kg) cannot be less."
)
STOCK_MESSAGE = (
    "The stock (999) is below the minimum order quantity (1,000): no buyer could order it. "
    "Enter at least the MOQ, or 0 while it is out of stock."
)


# ---------- the service ----------


def test_create_refuses_a_carton_lighter_than_its_goods(seller, seller_user):
    data = listing_create_data(seller=seller, carton_gross_weight_kg=Decimal("13.999"))

    with pytest.raises(ValidationError) as caught:
        services.listing_create(actor=seller_user, **data)

    assert caught.value.message_dict == {"carton_gross_weight_kg": [CARTON_MESSAGE]}
    assert Listing.objects.count() == 0


def test_create_accepts_a_carton_that_weighs_exactly_its_goods(seller, seller_user):
    data = listing_create_data(seller=seller, carton_gross_weight_kg=Decimal("14.000"))

    listing = services.listing_create(actor=seller_user, **data)

    assert listing.carton_gross_weight_kg == Decimal("14.000")


def test_create_refuses_stock_below_the_moq(seller, seller_user):
    data = listing_create_data(seller=seller, stock=999)

    with pytest.raises(ValidationError) as caught:
        services.listing_create(actor=seller_user, **data)

    assert caught.value.message_dict == {"stock": [STOCK_MESSAGE]}
    assert Listing.objects.count() == 0


@pytest.mark.parametrize("stock", [0, 1000, 1001])
def test_create_accepts_stock_at_the_moq_above_it_or_out_of_stock(seller, seller_user, stock):
    listing = services.listing_create(
        actor=seller_user, **listing_create_data(seller=seller, stock=stock)
    )

    assert listing.stock == stock


def test_both_problems_are_reported_together(seller, seller_user):
    data = listing_create_data(seller=seller, stock=999, carton_gross_weight_kg=Decimal("13.999"))

    with pytest.raises(ValidationError) as caught:
        services.listing_create(actor=seller_user, **data)

    assert caught.value.message_dict == {
        "stock": [STOCK_MESSAGE],
        "carton_gross_weight_kg": [CARTON_MESSAGE],
    }


def test_update_refuses_raising_units_per_carton_past_the_carton_weight(seller, seller_user):
    listing = ListingFactory(seller=seller)  # 200 × 0.045 kg = 9.000 kg in a 9.500 kg carton

    with pytest.raises(ValidationError) as caught:
        services.listing_update(listing=listing, actor=seller_user, units_per_carton=212)

    assert caught.value.message_dict == {
        "carton_gross_weight_kg": [
            "A carton of 212 units at 0.045 kg each holds 9.540 kg net: "
            "its gross weight (9.500 kg) cannot be less."
        ]
    }
    listing.refresh_from_db()
    assert (listing.units_per_carton, listing.carton_gross_weight_kg) == (200, Decimal("9.500"))


def test_update_refuses_raising_the_moq_above_the_stock(seller, seller_user):
    listing = ListingFactory(seller=seller, moq=100, stock=500)

    with pytest.raises(ValidationError) as caught:
        services.listing_update(
            listing=listing,
            actor=seller_user,
            moq=600,
            price_tiers=[{"min_quantity": 600, "unit_price": "1.0000"}],
        )

    assert caught.value.message_dict == {
        "stock": [
            "The stock (500) is below the minimum order quantity (600): no buyer could order "
            "it. Enter at least the MOQ, or 0 while it is out of stock."
        ]
    }
    listing.refresh_from_db()
    assert listing.moq == 100
    assert list(listing.price_tiers.values_list("min_quantity", flat=True)) == [100, 1000]


def test_stock_that_orders_brought_below_the_moq_does_not_block_other_edits(seller, seller_user):
    # Orders reserve stock without going through the form: 40 left of an MOQ of 100.
    listing = ListingFactory(seller=seller, moq=100, stock=40)

    updated = services.listing_update(listing=listing, actor=seller_user, title="Better title")

    assert (updated.title, updated.stock, updated.moq) == ("Better title", 40, 100)


# ---------- the seller's form ----------


@pytest.fixture
def seller_client(client, seller_user):
    client.force_login(seller_user)
    return client


def test_the_form_shows_the_carton_weight_error_inline_and_saves_nothing(seller_client, hs_codes):
    response = seller_client.post(
        reverse("listings:create"), form_data(carton_gross_weight_kg="13.999")
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="id_carton_gross_weight_kg_error"' in content
    assert CARTON_MESSAGE in content
    assert Listing.objects.count() == 0
    assert PriceTier.objects.count() == 0


def test_the_form_shows_the_stock_error_inline_and_changes_nothing(seller_client, seller):
    listing = ListingFactory(seller=seller, moq=100, stock=10_000, title="Original title")

    response = seller_client.post(
        reverse("listings:edit", args=[listing.pk]),
        edit_data(listing, stock="99", title="New title"),
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="id_stock_error"' in content
    assert (
        "The stock (99) is below the minimum order quantity (100): no buyer could order it."
        in content
    )
    listing.refresh_from_db()
    assert (listing.stock, listing.title) == (10_000, "Original title")


# ---------- the API ----------


def test_the_api_refuses_a_light_carton_with_a_field_error(api_client, seller, seller_user):
    api_client.force_authenticate(seller_user)

    response = api_client.post(
        LIST_URL, payload(seller, carton_gross_weight_kg="13.999"), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"carton_gross_weight_kg": [CARTON_MESSAGE]}
    assert Listing.objects.count() == 0


def test_the_api_refuses_stock_below_the_moq_and_changes_nothing(api_client, seller, seller_user):
    listing = ListingFactory(seller=seller, moq=100, stock=10_000)
    api_client.force_authenticate(seller_user)

    response = api_client.patch(detail_url(listing), {"stock": 50}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "stock": [
            "The stock (50) is below the minimum order quantity (100): no buyer could order it. "
            "Enter at least the MOQ, or 0 while it is out of stock."
        ]
    }
    listing.refresh_from_db()
    assert listing.stock == 10_000
