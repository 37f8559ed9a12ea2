"""What a party may do to an order now: ``orders.selectors.order_actions_for`` is what the
services really permit, for every status and every party (each service is called in a
savepoint that is rolled back), and the order page, the emails and the API show that list."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from marketplace.core.exceptions import Conflict, InvalidTransition
from orders import selectors, services
from orders.enums import OrderStatus
from orders.models import Order, OrderEvent
from orders.selectors import ORDER_ACTIONS, order_actions_for
from payments import collection
from tests.factories import CompanyFactory, MembershipFactory
from tests.orders.factories import place_order

REFUSALS = (PermissionDenied, InvalidTransition, Conflict)

# Every status, and delivered twice: within the inspection window and after it.
STATES = [
    (OrderStatus.PLACED, None),
    (OrderStatus.CONFIRMED, None),
    (OrderStatus.PAID, None),
    (OrderStatus.SHIPPED, None),
    (OrderStatus.DELIVERED, "window open"),
    (OrderStatus.DELIVERED, "window ended"),
    (OrderStatus.COMPLETED, None),
    (OrderStatus.CANCELLED, None),
    (OrderStatus.DISPUTED, None),
    (OrderStatus.REFUNDED, None),
]

# The services permit exactly this; the test below proves the selector agrees with them.
EXPECTED = {
    ("buyer", "placed"): ["cancel"],
    ("buyer", "confirmed"): ["pay", "cancel"],
    ("buyer", "shipped"): ["confirm-delivery"],
    ("buyer", "delivered/window open"): ["accept", "dispute"],
    ("buyer", "delivered/window ended"): ["accept"],
    ("seller", "placed"): ["confirm", "cancel"],
    ("seller", "confirmed"): ["cancel"],
    ("seller", "paid"): ["ship", "cancel"],
}


@pytest.fixture
def stranger(db):
    """A company that buys and sells, and is neither party of the order."""
    company = CompanyFactory(buyer=True, seller=True, verified=True)
    return company, MembershipFactory(company=company).user


@pytest.fixture
def placed(listing, buyer, buyer_user):
    """1,000 × 1.0500 USD FOB Ningbo (the seller confirms without freight)."""
    return place_order(listing=listing, quantity=1000, buyer=buyer, actor=buyer_user)


def put_in(order: Order, status: str, window: str | None) -> Order:
    now = timezone.now()
    fields: dict[str, object] = {"status": status}
    if status == OrderStatus.DELIVERED:
        fields["delivered_at"] = now - timedelta(days=3)
        fields["inspection_ends_at"] = now + (
            timedelta(days=4) if window == "window open" else -timedelta(minutes=1)
        )
    Order.objects.filter(pk=order.pk).update(**fields)
    return Order.objects.get(pk=order.pk)


def service_calls(company, actor) -> dict[str, Callable[[Order], object]]:
    """Each action as the service that performs it, with valid input."""
    return {
        "confirm": lambda o: services.order_confirm(order=o, actor=actor),
        "pay": lambda o: collection.payment_start(order=o, company=company, actor=actor),
        "ship": lambda o: services.order_ship(
            order=o, actor=actor, carrier="Maersk", tracking_number="MAEU1234567"
        ),
        "confirm-delivery": lambda o: services.order_confirm_delivery(order=o, actor=actor),
        "accept": lambda o: services.order_accept(order=o, actor=actor),
        "dispute": lambda o: services.order_dispute_open(
            order=o, actor=actor, reason="Half the bolts are M6."
        ),
        "cancel": lambda o: services.order_cancel(
            order=o, actor=actor, company=company, reason="Budget cut"
        ),
    }


def permitted(order: Order, call: Callable[[Order], object]) -> bool:
    """Whether the service does it; whatever it wrote is rolled back."""
    sid = transaction.savepoint()
    try:
        call(Order.objects.get(pk=order.pk))
    except REFUSALS:
        return False
    finally:
        transaction.savepoint_rollback(sid)
    return True


def test_every_action_has_a_service():
    assert set(service_calls(None, None)) == set(ORDER_ACTIONS)
    assert ORDER_ACTIONS == (
        "confirm",
        "pay",
        "ship",
        "confirm-delivery",
        "accept",
        "dispute",
        "cancel",
    )


@pytest.mark.parametrize(
    ("status", "window"), STATES, ids=[f"{s}-{w}" if w else s for s, w in STATES]
)
def test_the_selector_lists_what_the_services_permit(
    placed, buyer, buyer_user, seller, seller_user, stranger, status, window
):
    order = put_in(placed, status, window)
    key = f"{status}/{window}" if window else status
    for party, company, actor in (
        ("buyer", buyer, buyer_user),
        ("seller", seller, seller_user),
        ("stranger", *stranger),
    ):
        calls = service_calls(company, actor)
        by_services = [name for name in ORDER_ACTIONS if permitted(order, calls[name])]

        listed = order_actions_for(order=order, company=company)

        assert listed == by_services, (party, key)
        assert listed == EXPECTED.get((party, key), []), (party, key)
        # nothing the services did was kept
        assert Order.objects.get(pk=order.pk).status == status


def test_no_company_may_do_nothing(placed):
    assert order_actions_for(order=placed, company=None) == []


def test_the_window_is_read_at_the_time_given(placed, buyer):
    order = put_in(placed, OrderStatus.DELIVERED, "window open")
    later = order.inspection_ends_at + timedelta(seconds=1)

    assert order_actions_for(order=order, company=buyer) == ["accept", "dispute"]
    assert order_actions_for(order=order, company=buyer, now=later) == ["accept"]
    assert selectors.order_inspection_window_ended(order=order, now=later) is True


# --- the page, the emails and the API show the selector's list -----------------------------


def test_the_order_page_shows_the_buyer_the_pay_and_cancel_actions(
    client, placed, buyer_user, seller_user
):
    order = services.order_confirm(order=placed, actor=seller_user)
    client.force_login(buyer_user)

    response = client.get(reverse("orders:detail", args=[order.pk]))

    assert response.status_code == 200
    assert response.context["actions"] == ["pay", "cancel"]
    page = response.content.decode()
    assert reverse("payments:order-pay", args=[order.pk]) in page
    assert "Cancel order" in page and "Confirm order" not in page


def test_the_order_page_shows_the_seller_no_pay_button(client, placed, seller_user):
    order = services.order_confirm(order=placed, actor=seller_user)
    client.force_login(seller_user)

    response = client.get(reverse("orders:detail", args=[order.pk]))

    assert response.context["actions"] == ["cancel"]
    assert reverse("payments:order-pay", args=[order.pk]) not in response.content.decode()


def test_a_cancelled_order_page_has_no_actions(client, placed, buyer_user):
    services.order_cancel(order=placed, actor=buyer_user, company=placed.buyer, reason="No")
    client.force_login(buyer_user)

    response = client.get(reverse("orders:detail", args=[placed.pk]))

    assert response.context["actions"] == []
    assert "What you can do" not in response.content.decode()


def test_the_emails_tell_each_party_what_it_may_do_now(placed, buyer, seller):
    event = OrderEvent.objects.get(order=placed, to_status=OrderStatus.PLACED)

    assert services.order_event_notify(event_id=event.pk) is True

    to_buyer, to_seller = mail.outbox
    assert "What you can do now: Cancel the order." in to_buyer.body
    assert "What you can do now: Confirm the order, Cancel the order." in to_seller.body


def test_an_email_about_a_finished_order_lists_no_actions(placed, buyer_user):
    services.order_cancel(order=placed, actor=buyer_user, company=placed.buyer, reason="No")
    event = OrderEvent.objects.get(order=placed, to_status=OrderStatus.CANCELLED)

    services.order_event_notify(event_id=event.pk)

    assert [m.body.count("What you can do now") for m in mail.outbox] == [0, 0]


def test_the_api_returns_the_actions_of_the_reading_company(
    api_client, placed, buyer, buyer_user, seller, seller_user
):
    order = services.order_confirm(order=placed, actor=seller_user)
    url = f"/api/v1/orders/{order.pk}/"

    api_client.force_authenticate(buyer_user)
    api_client.credentials(HTTP_X_COMPANY=str(buyer.pk))
    as_buyer = api_client.get(url).json()["actions"]
    api_client.force_authenticate(seller_user)
    api_client.credentials(HTTP_X_COMPANY=str(seller.pk))
    as_seller = api_client.get(url).json()["actions"]

    assert (as_buyer, as_seller) == (["pay", "cancel"], ["cancel"])


def test_the_schema_documents_the_actions(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    actions = schema["components"]["schemas"]["Order"]["properties"]["actions"]

    enum = actions["items"]["$ref"].rsplit("/", 1)[-1]
    assert schema["components"]["schemas"][enum]["enum"] == list(ORDER_ACTIONS)
    assert "same rules the order's endpoints enforce" in actions["description"]
