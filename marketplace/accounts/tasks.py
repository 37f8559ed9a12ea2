"""Thin Celery tasks: take ids, call the service. Retries only for mail-server trouble."""

from smtplib import SMTPException

from celery import shared_task

from marketplace.accounts import services

_MAIL_RETRY = {
    "autoretry_for": (SMTPException, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
}


@shared_task(**_MAIL_RETRY)
def company_verification_result_notify_task(*, event_id: int) -> bool:
    return services.company_verification_result_notify(event_id=event_id)


@shared_task(**_MAIL_RETRY)
def password_reset_email_send_task(*, user_id: int, domain: str, protocol: str) -> bool:
    return services.password_reset_email_send(user_id=user_id, domain=domain, protocol=protocol)


@shared_task(**_MAIL_RETRY)
def user_email_confirmation_send_task(*, user_id: int) -> bool:
    return services.user_email_confirmation_send(user_id=user_id)
