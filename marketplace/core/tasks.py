from celery import shared_task

from marketplace.core.outbox import outbox_relay


@shared_task
def outbox_relay_task() -> int:
    return outbox_relay()
