"""The transactional outbox: record a fact with the business change, publish it after.

A domain calls ``outbox_record`` inside its own transaction (``orders`` when an order completes
or is cancelled). A higher package registers the Celery task that handles a topic
(``payments`` settles or refunds), so the lower one never imports the higher. The relay (beat,
and right after commit as a fast path) sends pending rows to their task; when the broker is
down the row stays pending and the next relay run catches up.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from marketplace.core.models import OutboxEvent

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxHandler:
    task_name: str
    queue: str


_HANDLERS: dict[str, OutboxHandler] = {}


def outbox_handler_register(*, topic: str, task_name: str, queue: str = "default") -> None:
    """Route a topic to a Celery task (by name) that takes ``event_id``."""
    _HANDLERS[topic] = OutboxHandler(task_name=task_name, queue=queue)


def outbox_handlers() -> dict[str, OutboxHandler]:
    return dict(_HANDLERS)


def outbox_record(*, topic: str, key: str, payload: dict) -> OutboxEvent:
    """Write the event in the caller's transaction; the same (topic, key) is recorded once."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_record() must run inside the business transaction")
    event, created = OutboxEvent.objects.get_or_create(
        topic=topic, key=key, defaults={"payload": payload}
    )
    if created:
        # Fast path: publish right after commit; the beat relay is the safety net.
        transaction.on_commit(lambda: outbox_publish(event_id=event.pk))
    return event


def outbox_publish(*, event_id: int) -> bool:
    """Send one pending event to its task. Returns True once it is published."""
    from marketplace.celery import app

    with transaction.atomic():
        event = (
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(pk=event_id, published_at__isnull=True)
            .first()
        )
        if event is None:
            return False
        handler = _HANDLERS.get(event.topic)
        if handler is None:
            # No handler yet (e.g. the handling package is not installed): keep it pending.
            return False
        event.attempts += 1
        try:
            app.send_task(handler.task_name, kwargs={"event_id": event.pk}, queue=handler.queue)
        except Exception as exc:  # the broker is unreachable: leave it for the relay
            event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            event.save(update_fields=["attempts", "last_error"])
            logger.warning("outbox event %s not published: %s", event.pk, event.last_error)
            return False
        event.published_at = timezone.now()
        event.last_error = ""
        event.save(update_fields=["attempts", "last_error", "published_at"])
        return True


def outbox_relay(*, limit: int = 200) -> int:
    """Publish pending events, oldest first; returns how many were published."""
    pending = list(
        OutboxEvent.objects.filter(published_at__isnull=True, topic__in=list(_HANDLERS))
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in pending if outbox_publish(event_id=pk))
