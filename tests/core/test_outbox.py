from unittest import mock

import pytest
from django.db import transaction

from marketplace.core import outbox
from marketplace.core.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def handler():
    saved = dict(outbox._HANDLERS)
    outbox.outbox_handler_register(topic="test.happened", task_name="tests.fake", queue="payments")
    yield
    outbox._HANDLERS.clear()
    outbox._HANDLERS.update(saved)


@pytest.mark.django_db(transaction=True)
def test_outbox_record_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        outbox.outbox_record(topic="test.happened", key="A-1", payload={})

    assert OutboxEvent.objects.count() == 0


def test_outbox_record_is_idempotent_per_topic_and_key(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        first = outbox.outbox_record(topic="test.happened", key="A-1", payload={"n": 1})
        second = outbox.outbox_record(topic="test.happened", key="A-1", payload={"n": 2})

    assert first.pk == second.pk
    assert OutboxEvent.objects.get().payload == {"n": 1}
    assert len(callbacks) == 1


def test_publish_sends_the_task_by_name_and_marks_the_event(handler):
    with transaction.atomic():
        event = outbox.outbox_record(topic="test.happened", key="A-1", payload={})

    with mock.patch("marketplace.celery.app.send_task") as send_task:
        assert outbox.outbox_publish(event_id=event.pk) is True
        assert outbox.outbox_publish(event_id=event.pk) is False

    send_task.assert_called_once_with("tests.fake", kwargs={"event_id": event.pk}, queue="payments")
    event.refresh_from_db()
    assert event.published_at is not None
    assert (event.attempts, event.last_error) == (1, "")


def test_broker_down_leaves_the_event_pending_and_the_relay_catches_up(handler):
    with transaction.atomic():
        event = outbox.outbox_record(topic="test.happened", key="A-1", payload={})

    with mock.patch(
        "marketplace.celery.app.send_task", side_effect=ConnectionError("Redis is down")
    ):
        assert outbox.outbox_relay() == 0
    event.refresh_from_db()
    assert event.published_at is None
    assert (event.attempts, event.last_error) == (1, "ConnectionError: Redis is down")

    with mock.patch("marketplace.celery.app.send_task") as send_task:
        assert outbox.outbox_relay() == 1
    send_task.assert_called_once()
    event.refresh_from_db()
    assert event.published_at is not None
    assert event.attempts == 2


def test_events_without_a_registered_handler_stay_pending():
    with transaction.atomic():
        event = outbox.outbox_record(topic="nobody.listens", key="X", payload={})

    with mock.patch("marketplace.celery.app.send_task") as send_task:
        assert outbox.outbox_publish(event_id=event.pk) is False
        assert outbox.outbox_relay() == 0

    send_task.assert_not_called()
    event.refresh_from_db()
    assert event.published_at is None
