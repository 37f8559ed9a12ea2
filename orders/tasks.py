"""Thin Celery tasks: take ids, call the service. Retries only for mail-server trouble."""

from smtplib import SMTPException

from celery import shared_task

from orders import services
from orders.conversations.tasks import conversation_emails_send_task  # noqa: F401  # registered


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def order_event_notify_task(*, event_id: int) -> bool:
    return services.order_event_notify(event_id=event_id)


@shared_task
def orders_expire_unpaid_task() -> int:
    return services.orders_expire_unpaid()


@shared_task
def orders_complete_after_inspection_task() -> int:
    return services.orders_complete_after_inspection()


# The RFQ and quote tasks live beside their services; imported here so the worker's
# autodiscovery of ``orders.tasks`` registers them.
from orders.quotes.tasks import quote_event_notify_task, quotes_expire_task  # noqa: E402, F401
from orders.rfqs.tasks import (  # noqa: E402, F401
    rfq_invitations_notify_task,
    rfqs_close_due_task,
    rfqs_digest_send_task,
)
