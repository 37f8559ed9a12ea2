"""Thin Celery tasks of trade documents, on the ``documents`` queue.

Retried with backoff only for transient database trouble (lost connection, lock timeout,
deadlock); bad data fails at once and is recorded on the document by the service.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from marketplace.core.models import OutboxEvent
from orders.documents import services

# Both tasks: the documents queue, acknowledged after the work, retried on transient trouble.
_DOCUMENT_TASK = {
    "queue": "documents",
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**_DOCUMENT_TASK)
def trade_document_generate_task(order_id: int, kind: str) -> int:
    return services.trade_document_generate(order_id=order_id, kind=kind).pk


@shared_task(**_DOCUMENT_TASK)
def trade_document_event_task(event_id: int) -> int:
    """The outbox's "make this document" (``services.DOCUMENTS_TOPIC``)."""
    payload = OutboxEvent.objects.values_list("payload", flat=True).get(pk=event_id)
    return services.trade_document_generate(order_id=payload["order_id"], kind=payload["kind"]).pk
