"""Thin Celery tasks of quotes: take ids, call the service."""

from smtplib import SMTPException

from celery import shared_task

from orders.quotes import notifications, services


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def quote_event_notify_task(*, event_id: int) -> bool:
    return notifications.quote_event_notify(event_id=event_id)


@shared_task
def quotes_expire_task() -> int:
    return services.quotes_expire()
