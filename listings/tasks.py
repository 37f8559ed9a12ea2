"""Thin Celery tasks: take ids, call the service. Retries only for mail-server trouble."""

from smtplib import SMTPException

from celery import shared_task

from listings import search, services


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def listing_moderation_notify_task(*, event_id: int) -> bool:
    return services.listing_moderation_notify(event_id=event_id)


@shared_task
def search_terms_refresh_task() -> int:
    """Daily (beat): recount the spelling vocabulary; the trigger adds new words as they come."""
    return search.search_terms_refresh()
