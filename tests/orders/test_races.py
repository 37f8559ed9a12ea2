"""Two parties acting on one order (or one cart) at the same moment, through the API with real
threads and real transactions: the order row lock serialises them, the transition table decides,
and the loser gets 409 (or the cart's "empty" refusal). Stock moves once, events once."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework.test import APIClient

from listings.models import Listing
from marketplace.core.models import OutboxEvent
from orders import services
from orders.documents.services import DOCUMENTS_TOPIC
from orders.enums import OrderStatus
from orders.models import Cart, CartLine, Order, OrderEvent, OrderLine, Shipment
from orders.services import TOPIC_ORDER_CANCELLED
from tests.factories import MembershipFactory
from tests.listings.factories import ListingFactory
from tests.orders.factories import place_order, seller_member, ship_to
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS_URL = "/api/v1/orders/"
ROUNDS = 4  # several orders: each round may interleave differently


@pytest.fixture(autouse=True)
def _no_messages(monkeypatch):
    """Notifications and outbox messages are not what these tests race; rows are asserted."""
    monkeypatch.setattr("orders.services.notifications._notify_on_commit", lambda event: None)
    monkeypatch.setattr("marketplace.core.outbox.outbox_publish", lambda *, event_id: False)


def as_company(user, company) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    client.credentials(HTTP_X_COMPANY=str(company.pk))
    return client


def post(user, company, url: str, body: dict):
    return lambda: as_company(user, company).post(url, body, format="json")


def trail(order: Order) -> list[str]:
    return list(order.events.order_by("id").values_list("to_status", flat=True))


def test_confirm_and_cancel_at_once_end_cancelled_with_the_stock_back_once(
    listing, buyer, buyer_user, seller, seller_user
):
    """The seller confirms while the buyer cancels. A buyer may cancel a confirmed (unpaid)
    order, so the two serialise either way: confirm then cancel (both 200), or cancel then
    confirm (409, "cancelled"). Either way the order ends cancelled exactly once."""
    orders = [
        place_order(listing=listing, quantity=1000, buyer=buyer, actor=buyer_user)
        for _ in range(ROUNDS)
    ]
    assert Listing.objects.get(pk=listing.pk).stock == 10_000 - 1000 * ROUNDS

    for order in orders:
        url = f"{ORDERS_URL}{order.pk}"
        outcomes = run_together(
            [
                post(seller_user, seller, f"{url}/confirm/", {}),
                post(buyer_user, buyer, f"{url}/cancel/", {"reason": "Ordered twice."}),
            ]
        )
        assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
        confirm, cancel = (response for _, response in outcomes)
        assert cancel.status_code == 200, cancel.content
        assert cancel.json()["status"] == "cancelled"
        if confirm.status_code == 200:  # confirm committed first
            assert trail(order) == ["placed", "confirmed", "cancelled"]
            # The proforma invoice was asked for once, at confirmation.
            assert list(
                OutboxEvent.objects.filter(
                    topic=DOCUMENTS_TOPIC, payload__order_id=order.pk
                ).values_list("key", flat=True)
            ) == [f"{order.pk}:proforma_invoice"]
        else:
            assert confirm.status_code == 409, confirm.content
            assert confirm.json()["current_status"] == "cancelled"
            assert trail(order) == ["placed", "cancelled"]
            assert not OutboxEvent.objects.filter(
                topic=DOCUMENTS_TOPIC, payload__order_id=order.pk
            ).exists()
        final = Order.objects.get(pk=order.pk)
        assert (final.status, final.cancel_reason) == (OrderStatus.CANCELLED, "Ordered twice.")
        assert OrderEvent.objects.filter(order=order, to_status="cancelled").count() == 1
        # Unpaid: nothing to refund.
        assert not OutboxEvent.objects.filter(topic=TOPIC_ORDER_CANCELLED).exists()

    # Every reserved unit came back, once.
    assert Listing.objects.get(pk=listing.pk).stock == 10_000


def test_ship_and_cancel_of_a_paid_order_at_once_exactly_one_wins(
    listing, buyer, buyer_user, seller, seller_user
):
    """Two members of the seller: one ships while the other cancels the paid order. Shipped
    orders cannot be cancelled and cancelled ones cannot ship: one 200, one 409."""
    colleague = MembershipFactory(company=seller).user
    wins = {"ship": 0, "cancel": 0}
    for _ in range(ROUNDS):
        order = place_order(listing=listing, quantity=1000, buyer=buyer, actor=buyer_user)
        order = services.order_confirm(order=order, actor=seller_user)
        with transaction.atomic():
            services.order_mark_paid(order=order, payment_reference="pi_race")
        stock_paid = Listing.objects.get(pk=listing.pk).stock
        url = f"{ORDERS_URL}{order.pk}"

        outcomes = run_together(
            [
                post(
                    seller_user,
                    seller,
                    f"{url}/ship/",
                    {"carrier": "Maersk", "tracking_number": "MAEU1234567"},
                ),
                post(colleague, seller, f"{url}/cancel/", {"reason": "Out of stock."}),
            ]
        )

        assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
        ship, cancel = (response for _, response in outcomes)
        assert sorted([ship.status_code, cancel.status_code]) == [200, 409]
        final = Order.objects.get(pk=order.pk)
        cancelled_events = OutboxEvent.objects.filter(topic=TOPIC_ORDER_CANCELLED, key=order.number)
        if ship.status_code == 200:
            wins["ship"] += 1
            assert cancel.json()["current_status"] == "shipped"
            assert final.status == OrderStatus.SHIPPED
            assert trail(order) == ["placed", "confirmed", "paid", "shipped"]
            assert Shipment.objects.filter(order=order).count() == 1
            assert not cancelled_events.exists()
            assert Listing.objects.get(pk=listing.pk).stock == stock_paid
        else:
            wins["cancel"] += 1
            assert ship.json()["current_status"] == "cancelled"
            assert final.status == OrderStatus.CANCELLED
            assert trail(order) == ["placed", "confirmed", "paid", "cancelled"]
            assert Shipment.objects.filter(order=order).count() == 0
            # The refund is asked for once, for the whole total; the stock came back once.
            [refund] = cancelled_events
            assert refund.payload["total_minor"] == order.total_minor == 108150
            assert Listing.objects.get(pk=listing.pk).stock == stock_paid + 1000

    assert wins["ship"] + wins["cancel"] == ROUNDS
    assert Listing.objects.get(pk=listing.pk).stock == 10_000 - 1000 * wins["ship"]


def test_two_checkouts_of_one_cart_at_once_place_one_set_of_orders(
    listing, buyer, buyer_user, fx_rates
):
    """The buyer presses "Place orders" in two tabs: the cart row lock lets one through; the
    other finds the cart empty. One order per seller, stock reserved once."""
    other_seller, _ = seller_member(legal_name="Naniwa Tools K.K.", country="JP")
    chisels = ListingFactory(
        seller=other_seller,
        published=True,
        title="Chisel set",
        currency="JPY",
        moq=50,
        stock=2_000,
        incoterms=["FOB", "CIF"],
        tiers=[(50, "1200"), (500, "1050")],
    )
    second_user = MembershipFactory(company=buyer).user
    services.cart_line_set(buyer=buyer, actor=buyer_user, listing_id=listing.pk, quantity=1000)
    services.cart_line_set(buyer=buyer, actor=buyer_user, listing_id=chisels.pk, quantity=60)
    terms = {listing.seller_id: ("FOB", "Ningbo"), other_seller.pk: ("FOB", "Osaka")}

    def checkout(actor):
        return lambda: services.cart_checkout(
            buyer=buyer, actor=actor, terms=terms, ship_to=ship_to(), buyer_reference="PO-1"
        )

    outcomes = run_together([checkout(buyer_user), checkout(second_user)])

    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"], outcomes
    [placed] = [value for kind, value in outcomes if kind == "ok"]
    [refused] = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(refused, ValidationError), repr(refused)
    assert refused.message_dict == {"lines": ["Your cart is empty."]}
    assert len(placed) == 2
    assert Order.objects.count() == 2
    assert sorted(
        OrderLine.objects.values_list("listing__title", "quantity").order_by("listing__title")
    ) == [("Chisel set", 60), ("Hex bolts M8", 1000)]
    assert OrderEvent.objects.filter(to_status="placed").count() == 2
    assert Listing.objects.get(pk=listing.pk).stock == 9_000
    assert Listing.objects.get(pk=chisels.pk).stock == 1_940
    assert not CartLine.objects.filter(cart__in=Cart.objects.filter(buyer=buyer)).exists()
