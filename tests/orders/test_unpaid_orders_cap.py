"""A buyer holds at most MAX_UNPAID_ORDERS_PER_BUYER unpaid orders (placed or confirmed), so it
cannot lock up sellers' stock: checkout, the API and the service refuse beyond it (inline error,
400 ``non_field_errors``), reserving nothing; paid and cancelled orders do not count."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from orders import services
from orders.enums import OrderStatus
from tests.listings.factories import ListingFactory
from tests.orders.factories import OrderFactory, orders_state, seller_member, ship_to
from tests.orders.test_api_orders import ORDERS_URL, as_company, order_body
from tests.orders.test_email_unconfirmed import CHECKOUT
from tests.orders.test_views import cart_with

pytestmark = pytest.mark.django_db


def _unpaid(buyer, *statuses):
    for status in statuses:
        OrderFactory(buyer=buyer, status=status)


def _place(buyer, actor, listing):
    return services.order_place(
        buyer=buyer,
        actor=actor,
        lines=[services.LineInput(listing_id=listing.pk, quantity=1000)],
        incoterm="FOB",
        named_place="Ningbo",
        ship_to=ship_to(),
    )


def test_the_default_cap_is_fifty(settings):
    from django.conf import settings as live

    assert live.MAX_UNPAID_ORDERS_PER_BUYER == 50


def test_an_order_up_to_the_cap_is_placed(settings, buyer, buyer_user, listing):
    settings.MAX_UNPAID_ORDERS_PER_BUYER = 3
    _unpaid(buyer, OrderStatus.PLACED, OrderStatus.CONFIRMED)

    order = _place(buyer, buyer_user, listing)

    assert order.status == OrderStatus.PLACED


def test_an_order_beyond_the_cap_is_refused_and_reserves_nothing(
    settings, buyer, buyer_user, listing
):
    settings.MAX_UNPAID_ORDERS_PER_BUYER = 2
    _unpaid(buyer, OrderStatus.PLACED, OrderStatus.CONFIRMED)
    before = orders_state(listing)

    with pytest.raises(ValidationError) as refused:
        _place(buyer, buyer_user, listing)

    assert refused.value.message_dict == {
        "non_field_errors": [
            "Your company has 2 unpaid orders; at most 2 may wait for payment at once, and "
            "this would place 1 more. Pay or cancel unpaid orders before placing new ones."
        ]
    }
    assert orders_state(listing) == before
    assert before["stock"] == {listing.pk: 10_000}


def test_paid_cancelled_and_other_buyers_orders_do_not_count(settings, buyer, buyer_user, listing):
    settings.MAX_UNPAID_ORDERS_PER_BUYER = 1
    _unpaid(buyer, OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.COMPLETED)
    OrderFactory(status=OrderStatus.PLACED)  # another buyer's

    assert _place(buyer, buyer_user, listing).status == OrderStatus.PLACED


def test_api_beyond_the_cap_is_400_non_field_errors_and_reserves_nothing(
    settings, api_client, buyer, buyer_user, listing
):
    settings.MAX_UNPAID_ORDERS_PER_BUYER = 1
    _unpaid(buyer, OrderStatus.CONFIRMED)
    before = orders_state(listing)

    response = as_company(api_client, buyer_user, buyer).post(
        ORDERS_URL, order_body(listing), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [
            "Your company has 1 unpaid order; at most 1 may wait for payment at once, and "
            "this would place 1 more. Pay or cancel unpaid orders before placing new ones."
        ]
    }
    assert orders_state(listing) == before


def test_checkout_of_two_sellers_counts_both_orders_inline_and_keeps_the_cart(
    settings, client, buyer, buyer_user, listing, fx_rates
):
    settings.MAX_UNPAID_ORDERS_PER_BUYER = 2
    _unpaid(buyer, OrderStatus.PLACED)
    other_seller, _ = seller_member(legal_name="Naniwa Tools K.K.", country="JP")
    other = ListingFactory(
        seller=other_seller,
        published=True,
        currency="JPY",
        moq=50,
        stock=2_000,
        incoterms=["FOB"],
        tiers=[(50, "1200")],
    )
    cart_with(buyer, buyer_user, (listing, 1000), (other, 60))
    before = orders_state(listing, other)
    client.force_login(buyer_user)

    response = client.post(
        reverse("orders:checkout"),
        {
            **CHECKOUT,
            f"incoterm_{listing.seller_id}": "FOB",
            f"named_place_{listing.seller_id}": "Ningbo",
            f"incoterm_{other.seller_id}": "FOB",
            f"named_place_{other.seller_id}": "Osaka",
        },
    )

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "Your company has 1 unpaid order; at most 2 may wait for payment at once, and this "
        "would place 2 more. Pay or cancel unpaid orders before placing new ones."
    ]
    assert "Pay or cancel unpaid orders before placing new ones." in response.content.decode()
    assert orders_state(listing, other) == before
    assert before["cart_lines"] == 2
