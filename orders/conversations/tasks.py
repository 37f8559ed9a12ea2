"""Thin Celery tasks of conversations (registered through orders/tasks.py)."""

from smtplib import SMTPException

from celery import shared_task

from orders.conversations import services


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=3,
)
def conversation_emails_send_task() -> int:
    return services.conversation_emails_send()
