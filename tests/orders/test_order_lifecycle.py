from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from listings.models import Listing
from marketplace.core.exceptions import Conflict, InvalidTransition
from marketplace.core.models import OutboxEvent
from orders import services
from orders.documents.services import DOCUMENTS_TOPIC
from orders.enums import OrderStatus
from orders.models import Dispute, Order, Shipment
from tests.listings.factories import ListingFactory
from tests.orders.factories import orders_state, place_order


@pytest.fixture
def order(listing, buyer, buyer_user):
    """1,000 × 1.0500 USD FOB Ningbo to Köln; stock 10,000 → 9,000."""
    return place_order(listing=listing, quantity=1000, buyer=buyer, actor=buyer_user)


def refused_with(exc_type, call, *watched):
    before = orders_state(*watched)
    with pytest.raises(exc_type) as caught:
        call()
    assert orders_state(*watched) == before
    return caught.value


def stock(listing) -> int:
    return Listing.objects.get(pk=listing.pk).stock


def test_full_lifecycle_records_every_event_with_actor(order, seller_user, buyer_user, listing):
    order = services.order_confirm(order=order, actor=seller_user)
    assert order.status == OrderStatus.CONFIRMED and order.confirmed_at is not None
    order = services.order_mark_paid(order=order, payment_reference="pi_123")
    assert order.status == OrderStatus.PAID and order.paid_at is not None
    order = services.order_ship(
        order=order, actor=seller_user, carrier="Maersk", tracking_number="MAEU7654321"
    )
    assert order.status == OrderStatus.SHIPPED and order.shipped_at is not None
    shipment = Shipment.objects.get(order=order)
    assert (shipment.carrier, shipment.tracking_number, shipment.ship_date) == (
        "Maersk",
        "MAEU7654321",
        timezone.localdate(),
    )
    order = services.order_confirm_delivery(order=order, actor=buyer_user)
    assert order.status == OrderStatus.DELIVERED
    assert order.inspection_ends_at - order.delivered_at == timedelta(days=14)
    order = services.order_accept(order=order, actor=buyer_user)
    assert order.status == OrderStatus.COMPLETED and order.completed_at is not None

    assert list(
        order.events.order_by("id").values_list("actor", "from_status", "to_status", "note")
    ) == [
        (buyer_user.pk, "", "placed", ""),
        (seller_user.pk, "placed", "confirmed", ""),
        (None, "confirmed", "paid", "Payment pi_123"),
        (seller_user.pk, "paid", "shipped", "Maersk MAEU7654321"),
        (buyer_user.pk, "shipped", "delivered", ""),
        (buyer_user.pk, "delivered", "completed", "Accepted by the buyer"),
    ]
    event = OutboxEvent.objects.get(topic="order.completed")
    assert event.key == order.number
    assert event.payload == {
        "order_id": order.pk,
        "number": order.number,
        "currency": "USD",
        "total_minor": 108150,
        "platform_fee_minor": 3150,
    }
    assert stock(listing) == 9000  # sold: the reservation stays taken


# --- confirm: freight and insurance by the Incoterm -------------------------------------


def test_confirm_under_fob_keeps_the_totals_and_refuses_freight(order, seller_user, listing):
    error = refused_with(
        ValidationError,
        lambda: services.order_confirm(order=order, actor=seller_user, freight=Decimal("100")),
        listing,
    )
    assert error.message_dict == {
        "freight": ["Under FOB the buyer pays the main carriage: leave the freight empty."]
    }
    confirmed = services.order_confirm(order=order, actor=seller_user)
    assert (confirmed.freight_minor, confirmed.total_minor) == (0, 108150)


def test_confirm_under_cif_requires_freight_and_insurance(listing, buyer, buyer_user, seller_user):
    order = place_order(
        listing=listing,
        quantity=1000,
        buyer=buyer,
        actor=buyer_user,
        incoterm="CIF",
        named_place="Hamburg",
    )
    assert (order.freight_minor, order.insurance_minor) == (0, 0)
    error = refused_with(
        ValidationError, lambda: services.order_confirm(order=order, actor=seller_user), listing
    )
    assert error.message_dict == {
        "freight": ["Under CIF the seller pays the main carriage: enter the freight."],
        "insurance": ["Under CIF the seller insures the goods: enter the insurance premium."],
    }
    error = refused_with(
        ValidationError,
        lambda: services.order_confirm(
            order=order, actor=seller_user, freight=Decimal("-1"), insurance=Decimal("1.234")
        ),
        listing,
    )
    assert error.message_dict == {
        "freight": ["The freight cannot be negative."],
        "insurance": ["Enter the insurance with at most 2 decimals (USD)."],
    }

    confirmed = services.order_confirm(
        order=order, actor=seller_user, freight=Decimal("150.00"), insurance=Decimal("3.60")
    )
    # CIF value 1,050 + 150 + 3.60 = 1,203.60; duty 3.7 % = 44.53; VAT 19 % of 1,248.13 = 237.14
    assert {
        "freight": confirmed.freight_minor,
        "insurance": confirmed.insurance_minor,
        "fee": confirmed.platform_fee_minor,
        "duty": confirmed.duty_minor,
        "tax": confirmed.import_tax_minor,
        "total": confirmed.total_minor,
    } == {
        "freight": 15000,
        "insurance": 360,
        "fee": 3150,
        "duty": 4453,
        "tax": 23714,
        "total": 123510,
    }
    assert confirmed.landed_cost["freight"] == {"amount": "150.00", "currency": "USD"}
    assert "freight_not_included" not in confirmed.landed_cost["flags"]
    assert Order.objects.get(pk=order.pk).total_minor == 123510


def test_confirm_under_dap_requires_freight_only(buyer, buyer_user, seller, seller_user, fx_rates):
    listing = ListingFactory(seller=seller, published=True, incoterms=["DAP"])
    order = place_order(
        listing=listing, buyer=buyer, actor=buyer_user, incoterm="DAP", named_place="Köln"
    )
    confirmed = services.order_confirm(order=order, actor=seller_user, freight=Decimal("80"))
    # 100 × 1.2000 = 120.00 + freight 80.00 + fee 3.60
    assert (confirmed.freight_minor, confirmed.insurance_minor, confirmed.total_minor) == (
        8000,
        0,
        20360,
    )


# --- wrong party: 403, nothing changes --------------------------------------------------


def test_buyer_cannot_confirm_or_ship(order, buyer_user, listing):
    refused_with(
        PermissionDenied, lambda: services.order_confirm(order=order, actor=buyer_user), listing
    )
    refused_with(
        PermissionDenied,
        lambda: services.order_ship(
            order=order, actor=buyer_user, carrier="DHL", tracking_number="1"
        ),
        listing,
    )


def test_seller_cannot_confirm_delivery_accept_or_dispute(order, seller_user, listing):
    for call in (
        lambda: services.order_confirm_delivery(order=order, actor=seller_user),
        lambda: services.order_accept(order=order, actor=seller_user),
        lambda: services.order_dispute_open(order=order, actor=seller_user, reason="x"),
    ):
        refused_with(PermissionDenied, call, listing)


def test_an_outsider_can_do_nothing(order, outsider, buyer, listing):
    refused_with(
        PermissionDenied, lambda: services.order_confirm(order=order, actor=outsider), listing
    )
    refused_with(
        PermissionDenied,
        lambda: services.order_cancel(order=order, actor=outsider, company=buyer, reason="x"),
        listing,
    )
    refused_with(
        PermissionDenied,
        lambda: services.order_cancel(
            order=order, actor=outsider, company=outsider.memberships.get().company, reason="x"
        ),
        listing,
    )


# --- transitions the table refuses: 409, nothing changes ---------------------------------


def test_ship_before_paid_is_refused(order, seller_user, listing):
    for current in (order, services.order_confirm(order=order, actor=seller_user)):
        error = refused_with(
            InvalidTransition,
            lambda current=current: services.order_ship(
                order=current, actor=seller_user, carrier="DHL", tracking_number="1"
            ),
            listing,
        )
        assert error.target == "shipped"


def test_ship_before_paid_is_409_even_with_a_bad_body(order, seller_user, listing):
    refused_with(
        InvalidTransition,
        lambda: services.order_ship(order=order, actor=seller_user, carrier="", tracking_number=""),
        listing,
    )


def test_confirm_delivery_twice_is_refused(order, seller_user, buyer_user, listing):
    services.order_confirm(order=order, actor=seller_user)
    services.order_mark_paid(order=order)
    services.order_ship(order=order, actor=seller_user, carrier="DHL", tracking_number="1")
    services.order_confirm_delivery(order=order, actor=buyer_user)
    error = refused_with(
        InvalidTransition,
        lambda: services.order_confirm_delivery(order=order, actor=buyer_user),
        listing,
    )
    assert (error.current, error.target) == ("delivered", "delivered")


def test_cancel_after_shipping_is_refused_for_both_parties(
    order, seller, seller_user, buyer, buyer_user, listing
):
    services.order_confirm(order=order, actor=seller_user)
    services.order_mark_paid(order=order)
    services.order_ship(order=order, actor=seller_user, carrier="DHL", tracking_number="1")
    for company, actor in ((seller, seller_user), (buyer, buyer_user)):
        error = refused_with(
            InvalidTransition,
            lambda company=company, actor=actor: services.order_cancel(
                order=order, actor=actor, company=company, reason="Too late"
            ),
            listing,
        )
        assert (error.current, error.target) == ("shipped", "cancelled")


def test_confirm_twice_and_pay_before_confirmation_are_refused(order, seller_user, listing):
    refused_with(InvalidTransition, lambda: services.order_mark_paid(order=order), listing)
    services.order_confirm(order=order, actor=seller_user)
    refused_with(
        InvalidTransition, lambda: services.order_confirm(order=order, actor=seller_user), listing
    )


def test_accept_or_dispute_before_delivery_is_refused(order, buyer_user, listing):
    refused_with(
        InvalidTransition, lambda: services.order_accept(order=order, actor=buyer_user), listing
    )
    refused_with(
        InvalidTransition,
        lambda: services.order_dispute_open(order=order, actor=buyer_user, reason="Broken"),
        listing,
    )


# --- cancel -----------------------------------------------------------------------------


@pytest.mark.parametrize("confirm_first", [False, True])
def test_buyer_cancels_before_payment_and_the_stock_comes_back(
    order, buyer, buyer_user, seller_user, listing, confirm_first
):
    if confirm_first:
        services.order_confirm(order=order, actor=seller_user)
    assert stock(listing) == 9000
    cancelled = services.order_cancel(
        order=order, actor=buyer_user, company=buyer, reason="Found a closer supplier"
    )
    assert cancelled.status == OrderStatus.CANCELLED
    assert cancelled.cancel_reason == "Found a closer supplier"
    assert cancelled.cancelled_at is not None
    assert stock(listing) == 10_000
    last = cancelled.events.order_by("id").last()
    assert (last.actor, last.to_status, last.note) == (
        buyer_user,
        "cancelled",
        "Found a closer supplier",
    )
    # Nothing was paid, nothing to refund (only trade documents were asked for).
    assert not OutboxEvent.objects.exclude(topic=DOCUMENTS_TOPIC).exists()


def test_buyer_cannot_cancel_a_paid_order(order, buyer, buyer_user, seller_user, listing):
    services.order_confirm(order=order, actor=seller_user)
    services.order_mark_paid(order=order)
    error = refused_with(
        Conflict,
        lambda: services.order_cancel(order=order, actor=buyer_user, company=buyer, reason="x"),
        listing,
    )
    assert error.code == "buyer_cannot_cancel_paid"


def test_seller_cancels_a_paid_order_which_records_the_refund_event(
    order, seller, seller_user, listing
):
    services.order_confirm(order=order, actor=seller_user)
    services.order_mark_paid(order=order)
    cancelled = services.order_cancel(
        order=order, actor=seller_user, company=seller, reason="Out of production"
    )
    assert cancelled.status == OrderStatus.CANCELLED
    assert stock(listing) == 10_000
    event = OutboxEvent.objects.get(topic="order.cancelled")
    assert event.key == order.number
    assert event.payload == {
        "order_id": order.pk,
        "number": order.number,
        "currency": "USD",
        "total_minor": 108150,
        "reason": "Out of production",
    }


def test_cancel_without_a_reason_is_refused(order, buyer, buyer_user, listing):
    error = refused_with(
        ValidationError,
        lambda: services.order_cancel(order=order, actor=buyer_user, company=buyer, reason=" "),
        listing,
    )
    assert error.message_dict == {"reason": ["Enter the reason."]}


def test_cancel_releases_stock_of_a_listing_changed_meanwhile(order, buyer, buyer_user, listing):
    Listing.objects.filter(pk=listing.pk).update(stock=50)  # the seller recounted
    services.order_cancel(order=order, actor=buyer_user, company=buyer, reason="No longer needed")
    assert stock(listing) == 1050


# --- ship -------------------------------------------------------------------------------


def test_ship_requires_carrier_and_tracking_and_no_future_date(order, seller_user, listing):
    services.order_confirm(order=order, actor=seller_user)
    services.order_mark_paid(order=order)
    error = refused_with(
        ValidationError,
        lambda: services.order_ship(
            order=order,
            actor=seller_user,
            carrier="",
            tracking_number=" ",
            ship_date=timezone.localdate() + timedelta(days=1),
        ),
        listing,
    )
    assert error.message_dict == {
        "carrier": ["Enter the carrier."],
        "tracking_number": ["Enter the tracking number."],
        "ship_date": ["The ship date cannot be in the future."],
    }
    shipped = services.order_ship(
        order=order,
        actor=seller_user,
        carrier=" DHL Global Forwarding ",
        tracking_number="DHL-1",
        ship_date=date(2026, 1, 5),
    )
    assert shipped.shipment.ship_date == date(2026, 1, 5)
    assert shipped.shipment.carrier == "DHL Global Forwarding"


# --- dispute ----------------------------------------------------------------------------


@pytest.fixture
def delivered(order, seller_user, buyer_user):
    services.order_confirm(order=order, actor=seller_user)
    services.order_mark_paid(order=order)
    services.order_ship(order=order, actor=seller_user, carrier="DHL", tracking_number="1")
    return services.order_confirm_delivery(order=order, actor=buyer_user)


def test_buyer_opens_a_dispute_within_the_window(delivered, buyer_user):
    disputed = services.order_dispute_open(
        order=delivered, actor=buyer_user, reason="Half the bolts are M6, not M8."
    )
    assert disputed.status == OrderStatus.DISPUTED
    dispute = Dispute.objects.get(order=disputed)
    assert (dispute.opened_by, dispute.reason, dispute.status) == (
        buyer_user,
        "Half the bolts are M6, not M8.",
        "open",
    )
    assert disputed.events.order_by("id").last().note == "Half the bolts are M6, not M8."
    assert not OutboxEvent.objects.exclude(topic=DOCUMENTS_TOPIC).exists()


def test_dispute_after_the_window_is_refused(delivered, buyer_user, listing):
    Order.objects.filter(pk=delivered.pk).update(
        inspection_ends_at=timezone.now() - timedelta(seconds=1)
    )
    error = refused_with(
        Conflict,
        lambda: services.order_dispute_open(order=delivered, actor=buyer_user, reason="Late"),
        listing,
    )
    assert error.code == "inspection_window_closed"


def test_dispute_without_a_reason_is_refused(delivered, buyer_user, listing):
    error = refused_with(
        ValidationError,
        lambda: services.order_dispute_open(order=delivered, actor=buyer_user, reason=""),
        listing,
    )
    assert error.message_dict == {"reason": ["Enter the reason."]}


def test_a_disputed_order_cannot_be_accepted_or_disputed_again(delivered, buyer_user, listing):
    services.order_dispute_open(order=delivered, actor=buyer_user, reason="Wrong size")
    refused_with(
        InvalidTransition,
        lambda: services.order_accept(order=delivered, actor=buyer_user),
        listing,
    )
    refused_with(
        InvalidTransition,
        lambda: services.order_dispute_open(order=delivered, actor=buyer_user, reason="Again"),
        listing,
    )


def test_the_payment_window_starts_again_when_the_seller_confirms(
    order, seller_user, settings, listing
):
    settings.ORDER_PAYMENT_WINDOW_DAYS = 3
    placed_at = timezone.now() - timedelta(days=2)
    Order.objects.filter(pk=order.pk).update(
        created_at=placed_at, expires_at=placed_at + timedelta(days=3)
    )
    order.refresh_from_db()

    confirmed = services.order_confirm(order=order, actor=seller_user)

    assert confirmed.expires_at == confirmed.confirmed_at + timedelta(days=3)
    stored = Order.objects.get(pk=order.pk)
    assert (stored.status, stored.expires_at) == (
        OrderStatus.CONFIRMED,
        stored.confirmed_at + timedelta(days=3),
    )
    # Not expired a day after the placement window would have ended.
    assert services.orders_expire_unpaid(now=placed_at + timedelta(days=4)) == 0
    assert services.orders_expire_unpaid(now=stored.expires_at) == 1
    assert stock(listing) == 10_000
