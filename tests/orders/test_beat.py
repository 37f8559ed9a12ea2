from datetime import timedelta

import pytest
from django.utils import timezone

from listings.models import Listing
from marketplace.core.models import OutboxEvent
from orders import services, tasks
from orders.documents.services import DOCUMENTS_TOPIC
from orders.enums import OrderStatus
from orders.models import Order
from tests.orders.factories import OrderFactory, place_order


@pytest.fixture
def placed(listing, buyer, buyer_user):
    return place_order(listing=listing, quantity=1000, buyer=buyer, actor=buyer_user)


def status_of(order) -> str:
    return Order.objects.get(pk=order.pk).status


def test_expire_leaves_orders_inside_the_payment_window(placed, listing):
    assert services.orders_expire_unpaid(now=placed.expires_at - timedelta(seconds=1)) == 0
    assert status_of(placed) == OrderStatus.PLACED
    assert Listing.objects.get(pk=listing.pk).stock == 9000


@pytest.mark.parametrize("confirm", [False, True])
def test_expire_cancels_unpaid_orders_after_seven_days_and_releases_stock(
    placed, listing, seller_user, confirm
):
    if confirm:
        services.order_confirm(order=placed, actor=seller_user)
    later = timezone.now() + timedelta(days=7, minutes=1)
    assert services.orders_expire_unpaid(now=later) == 1
    order = Order.objects.get(pk=placed.pk)
    assert order.status == OrderStatus.CANCELLED
    assert (order.cancel_reason, order.cancelled_at) == ("Expired unpaid", later)
    assert Listing.objects.get(pk=listing.pk).stock == 10_000
    last = order.events.order_by("id").last()
    assert (last.actor, last.to_status, last.note) == (None, "cancelled", "Expired unpaid")
    # Never paid: no refund (the proforma invoice was asked for at confirmation).
    assert not OutboxEvent.objects.exclude(topic=DOCUMENTS_TOPIC).exists()
    # A second run finds nothing more to do.
    assert services.orders_expire_unpaid(now=later) == 0
    assert Listing.objects.get(pk=listing.pk).stock == 10_000


def test_expire_skips_paid_and_shipped_orders(db):
    long_ago = timezone.now() - timedelta(days=30)
    paid = OrderFactory(paid=True, expires_at=long_ago)
    shipped = OrderFactory(shipped=True, expires_at=long_ago)
    assert services.orders_expire_unpaid() == 0
    assert (status_of(paid), status_of(shipped)) == ("paid", "shipped")


def test_complete_after_inspection_completes_only_when_the_window_has_ended(db):
    order = OrderFactory(delivered=True)
    ends = order.inspection_ends_at
    assert services.orders_complete_after_inspection(now=ends - timedelta(seconds=1)) == 0
    assert status_of(order) == OrderStatus.DELIVERED

    assert services.orders_complete_after_inspection(now=ends) == 1
    order.refresh_from_db()
    assert (order.status, order.completed_at) == (OrderStatus.COMPLETED, ends)
    last = order.events.order_by("id").last()
    assert (last.actor, last.from_status, last.to_status, last.note) == (
        None,
        "delivered",
        "completed",
        "Inspection window ended with no dispute",
    )
    event = OutboxEvent.objects.get(topic="order.completed")
    assert (event.key, event.payload["total_minor"]) == (order.number, 12360)
    assert services.orders_complete_after_inspection(now=ends) == 0
    assert OutboxEvent.objects.count() == 1


def test_complete_after_inspection_leaves_disputed_orders_alone(db):
    disputed = OrderFactory(disputed=True)
    later = disputed.inspection_ends_at + timedelta(days=1)
    assert services.orders_complete_after_inspection(now=later) == 0
    assert status_of(disputed) == OrderStatus.DISPUTED
    assert not OutboxEvent.objects.exists()


def test_beat_tasks_call_the_services(db):
    OrderFactory(delivered=True, inspection_ends_at=timezone.now() - timedelta(hours=1))
    OrderFactory(expires_at=timezone.now() - timedelta(hours=1))
    assert tasks.orders_complete_after_inspection_task() == 1
    assert tasks.orders_expire_unpaid_task() == 1


def test_beat_schedule_runs_both_order_tasks(settings):
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "orders.tasks.orders_expire_unpaid_task",
        "orders.tasks.orders_complete_after_inspection_task",
    } <= scheduled
