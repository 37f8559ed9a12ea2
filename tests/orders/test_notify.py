from functools import partial

import pytest
from django.core import mail

from orders import services
from orders.models import OrderEvent
from orders.tasks import order_event_notify_task
from tests.factories import MembershipFactory, UserFactory
from tests.orders.factories import place_order


@pytest.fixture
def order(listing, buyer, buyer_user):
    return place_order(listing=listing, quantity=1000, buyer=buyer, actor=buyer_user)


def test_each_transition_enqueues_one_email_task_after_commit(
    order, seller_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.order_confirm(order=order, actor=seller_user)
    event = OrderEvent.objects.get(order=order, to_status="confirmed")
    # Confirmation also enqueues the proforma invoice (documents); exactly one email task.
    notifications = [
        callback
        for callback in callbacks
        if isinstance(callback, partial) and callback.func == order_event_notify_task.delay
    ]
    assert len(notifications) == 1
    assert notifications[0].keywords == {"event_id": event.pk}


def test_notify_emails_both_parties_once(order, buyer_user, seller_user, seller):
    MembershipFactory(company=seller, user=UserFactory(email="ops@ningbo.test"), role="staff")
    event = OrderEvent.objects.get(order=order)
    assert order_event_notify_task.run(event_id=event.pk) is True

    assert len(mail.outbox) == 2
    to_buyer, to_seller = mail.outbox
    assert to_buyer.to == [buyer_user.email]
    assert to_seller.to == sorted(["ops@ningbo.test", seller_user.email])
    assert to_buyer.subject == f"Order {order.number}: placed"
    assert f"Your order {order.number} with Ningbo Fasteners Co., Ltd. has been placed." in (
        to_buyer.body
    )
    assert f"Rheinland Import GmbH has placed order {order.number} with you." in to_seller.body
    assert "Total: USD 1,081.50" in to_seller.body
    assert "Incoterm: FOB Ningbo" in to_seller.body
    event.refresh_from_db()
    assert event.notified_at is not None

    # A redelivered task sends nothing again.
    assert order_event_notify_task.run(event_id=event.pk) is False
    assert len(mail.outbox) == 2


def test_notify_of_an_unknown_event_does_nothing(db):
    assert order_event_notify_task.run(event_id=987654) is False
    assert mail.outbox == []


def test_shipped_email_names_the_carrier_and_tracking(order, seller_user, buyer_user):
    services.order_confirm(order=order, actor=seller_user)
    services.order_mark_paid(order=order)
    services.order_ship(order=order, actor=seller_user, carrier="Maersk", tracking_number="MAEU1")
    event = OrderEvent.objects.get(order=order, to_status="shipped")
    services.order_event_notify(event_id=event.pk)
    assert mail.outbox[0].subject == f"Order {order.number}: shipped"
    assert "Carrier: Maersk, tracking number: MAEU1." in mail.outbox[0].body


def test_cancel_email_gives_the_reason(order, buyer, buyer_user):
    services.order_cancel(order=order, actor=buyer_user, company=buyer, reason="Budget cut")
    event = OrderEvent.objects.get(order=order, to_status="cancelled")
    services.order_event_notify(event_id=event.pk)
    assert [m.subject for m in mail.outbox] == [f"Order {order.number}: cancelled"] * 2
    assert f"Order {order.number} has been cancelled. Reason: Budget cut" in mail.outbox[1].body
