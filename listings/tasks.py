"""Thin Celery tasks: take ids, call the service. Retries only for mail-server trouble."""

from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError

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


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=300,
    max_retries=5,
)
def listing_image_process_task(*, image_id: int) -> str | None:
    """Decode an uploaded photo and make its public copies (never in a web request)."""
    image = services.listing_image_process(image_id=image_id)
    return None if image is None else image.status


@shared_task
def listing_images_pending_resume_task() -> int:
    """Beat: process photos whose task was lost (pending for more than a few minutes)."""
    return services.listing_images_pending_resume()
