"""When documents are made: the proforma invoice on confirmation, the shipping set on
shipment, each queued after the commit; and a real worker making all four."""

import time
from decimal import Decimal
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from marketplace.core import outbox
from marketplace.core.models import OutboxEvent
from orders import services as order_services
from orders.documents.enums import DocumentKind, DocumentStatus
from orders.documents.models import TradeDocument
from orders.documents.services import DOCUMENTS_TOPIC
from orders.documents.tasks import trade_document_event_task
from orders.enums import OrderStatus
from tests.documents.conftest import pdf_text
from tests.documents.factories import SELLER_NAME, document_order
from tests.factories import MembershipFactory


def queued_documents(callbacks) -> list[tuple[int, str]]:
    """The documents asked for in the transaction (outbox events), each to be published by a
    callback after the commit."""
    events = OutboxEvent.objects.filter(topic=DOCUMENTS_TOPIC, published_at__isnull=True)
    queued = [(e.payload["order_id"], e.payload["kind"]) for e in events.order_by("id")]
    publishing = [cb for cb in callbacks if cb.__qualname__.startswith("outbox_record.")]
    assert len(publishing) == len(queued)
    return queued


@pytest.mark.django_db
def test_confirming_queues_the_proforma_invoice_after_commit(django_capture_on_commit_callbacks):
    order = document_order(status=OrderStatus.PLACED, confirmed_at=None)
    seller_user = MembershipFactory(company=order.seller).user

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order_services.order_confirm(
            order=order, actor=seller_user, freight=Decimal("120.00"), insurance=Decimal("8.50")
        )

    assert queued_documents(callbacks) == [(order.pk, DocumentKind.PROFORMA_INVOICE)]
    assert not TradeDocument.objects.exists()  # nothing is made inside the transaction


@pytest.mark.django_db
def test_shipping_queues_invoice_packing_list_and_origin_application(
    django_capture_on_commit_callbacks,
):
    order = document_order(status=OrderStatus.PAID)
    seller_user = MembershipFactory(company=order.seller).user

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order_services.order_ship(
            order=order, actor=seller_user, carrier="Maersk", tracking_number="MAEU7654321"
        )

    assert queued_documents(callbacks) == [
        (order.pk, DocumentKind.COMMERCIAL_INVOICE),
        (order.pk, DocumentKind.PACKING_LIST),
        (order.pk, DocumentKind.CERTIFICATE_OF_ORIGIN),
    ]
    assert not TradeDocument.objects.exists()


@pytest.mark.django_db
def test_a_refused_shipment_queues_nothing(django_capture_on_commit_callbacks):
    order = document_order(status=OrderStatus.PAID)
    seller_user = MembershipFactory(company=order.seller).user

    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(ValidationError),
    ):
        order_services.order_ship(order=order, actor=seller_user, carrier="", tracking_number="")

    assert queued_documents(callbacks) == []
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert not TradeDocument.objects.exists()


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_makes_the_four_documents_within_seconds(celery_worker):
    order = document_order(status=OrderStatus.PLACED, confirmed_at=None)
    seller_user = MembershipFactory(company=order.seller).user

    order_services.order_confirm(
        order=order, actor=seller_user, freight=Decimal("120.00"), insurance=Decimal("8.50")
    )
    order_services.order_mark_paid(order=order, payment_reference="pi_test")
    order_services.order_ship(
        order=order, actor=seller_user, carrier="Maersk", tracking_number="MAEU7654321"
    )

    deadline = time.monotonic() + 30
    ready = TradeDocument.objects.none()
    while time.monotonic() < deadline:
        ready = TradeDocument.objects.filter(order=order, status=DocumentStatus.READY)
        if ready.count() == 4:
            break
        time.sleep(0.2)
    assert sorted(ready.values_list("kind", flat=True)) == sorted(DocumentKind.values)
    assert TradeDocument.objects.filter(order=order).count() == 4
    for document in ready:
        text = pdf_text(document)
        assert document.number in text and SELLER_NAME in text and order.number in text


@pytest.mark.django_db
def test_with_the_broker_down_at_commit_the_relay_sends_the_document_later(
    django_capture_on_commit_callbacks,
):
    order = document_order(status=OrderStatus.PLACED, confirmed_at=None)
    seller_user = MembershipFactory(company=order.seller).user

    with (
        mock.patch(
            "marketplace.celery.app.send_task", side_effect=ConnectionError("Redis is down")
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order_services.order_confirm(
            order=order, actor=seller_user, freight=Decimal("120.00"), insurance=Decimal("8.50")
        )
        assert outbox.outbox_relay() == 0

    event = OutboxEvent.objects.get(topic=DOCUMENTS_TOPIC)
    assert (event.key, event.published_at, event.attempts) == (
        f"{order.pk}:{DocumentKind.PROFORMA_INVOICE}",
        None,
        2,  # the fast path after the commit, then the relay
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED  # the confirmation stands
    with mock.patch("marketplace.celery.app.send_task") as send_task:
        assert outbox.outbox_relay() == 1
    send_task.assert_called_once_with(
        "orders.documents.tasks.trade_document_event_task",
        kwargs={"event_id": event.pk},
        queue="documents",
    )

    document_id = trade_document_event_task.apply(kwargs={"event_id": event.pk}).get()

    document = TradeDocument.objects.get()
    assert (document.pk, document.kind, document.status) == (
        document_id,
        DocumentKind.PROFORMA_INVOICE,
        DocumentStatus.READY,
    )
    assert order.number in pdf_text(document)
