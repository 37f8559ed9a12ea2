"""Thin Celery tasks of RFQs: take ids, call the service. Retries only for mail-server trouble."""

from smtplib import SMTPException

from celery import shared_task

from orders.rfqs import services

_MAIL_RETRY = {
    "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
}


@shared_task(**_MAIL_RETRY)
def rfq_invitations_notify_task(*, rfq_id: int) -> int:
    return services.rfq_invitations_notify(rfq_id=rfq_id)


@shared_task
def rfqs_close_due_task() -> int:
    return services.rfqs_close_due()


@shared_task
def rfqs_digest_send_task() -> int:
    return services.rfqs_digest_send()
