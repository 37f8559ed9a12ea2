"""A buyer whose email is unconfirmed cannot order: checkout page, checkout POST, the API and
the services all refuse (one check, accounts.selectors.user_email_confirmed), nothing changes."""

import pytest
from django.urls import reverse

from marketplace.accounts.selectors import EMAIL_UNCONFIRMED_MESSAGE
from marketplace.core.exceptions import Forbidden
from orders import services
from tests.orders.factories import orders_state
from tests.orders.test_api_orders import ORDERS_URL, as_company, order_body
from tests.orders.test_views import cart_with

CHECKOUT = {
    "name": "Rheinland Import GmbH",
    "line1": "Hansaring 61",
    "city": "Köln",
    "postal_code": "50670",
    "country": "DE",
}


@pytest.fixture
def unconfirmed_buyer(buyer, buyer_user, listing):
    """The buyer with 1,000 bolts in the cart, put there before the email was unconfirmed."""
    cart_with(buyer, buyer_user, (listing, 1000))
    buyer_user.email_confirmed_at = None
    buyer_user.save(update_fields=["email_confirmed_at"])
    return buyer_user


def test_checkout_page_refuses_with_a_resend_button(client, unconfirmed_buyer, listing):
    client.force_login(unconfirmed_buyer)

    response = client.get(reverse("orders:checkout"))

    assert response.status_code == 403
    assert "accounts/email_unconfirmed.html" in [t.name for t in response.templates]
    body = response.content.decode()
    assert "Confirm your email address" in body
    assert "Until then you cannot order, list products or send messages." in body
    assert f'action="{reverse("accounts:email_confirmation_resend")}"' in body
    assert "Send me a new link" in body


def test_checkout_post_places_nothing(client, unconfirmed_buyer, listing):
    client.force_login(unconfirmed_buyer)
    before = orders_state(listing)

    response = client.post(
        reverse("orders:checkout"),
        {
            **CHECKOUT,
            f"incoterm_{listing.seller_id}": "FOB",
            f"named_place_{listing.seller_id}": "Ningbo",
        },
    )

    assert response.status_code == 403
    assert orders_state(listing) == before
    assert before["cart_lines"] == 1 and before["stock"] == {listing.pk: 10_000}


def test_api_order_creation_is_403_with_the_reason_and_places_nothing(
    api_client, unconfirmed_buyer, buyer, listing
):
    before = orders_state(listing)

    response = as_company(api_client, unconfirmed_buyer, buyer).post(
        ORDERS_URL, order_body(listing), format="json"
    )

    assert response.status_code == 403
    assert response.json() == {"detail": EMAIL_UNCONFIRMED_MESSAGE, "code": "email_unconfirmed"}
    assert orders_state(listing) == before


def test_the_services_refuse_too(unconfirmed_buyer, buyer, listing):
    before = orders_state(listing)

    with pytest.raises(Forbidden):
        services.cart_checkout(
            buyer=buyer,
            actor=unconfirmed_buyer,
            terms={listing.seller_id: ("FOB", "Ningbo")},
            ship_to=services.ShipTo(**{**CHECKOUT, "line2": ""}),
        )
    with pytest.raises(Forbidden):
        services.order_place(
            buyer=buyer,
            actor=unconfirmed_buyer,
            lines=[services.LineInput(listing_id=listing.pk, quantity=1000)],
            incoterm="FOB",
            named_place="Ningbo",
            ship_to=services.ShipTo(**{**CHECKOUT, "line2": ""}),
        )

    assert orders_state(listing) == before


def test_once_confirmed_the_same_buyer_checks_out(client, unconfirmed_buyer, listing):
    from marketplace.accounts import services as account_services

    account_services.user_email_confirm(
        token=account_services._email_confirmation_token(unconfirmed_buyer)
    )
    client.force_login(unconfirmed_buyer)

    response = client.post(
        reverse("orders:checkout"),
        {
            **CHECKOUT,
            f"incoterm_{listing.seller_id}": "FOB",
            f"named_place_{listing.seller_id}": "Ningbo",
        },
    )

    assert response.status_code == 302
    assert orders_state(listing)["stock"] == {listing.pk: 9_000}
