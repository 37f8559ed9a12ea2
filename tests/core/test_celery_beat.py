"""Every beat entry names a task the worker has registered, callable with the entry's arguments:
a renamed or moved task would otherwise fail silently in beat, once per schedule, forever."""

import inspect

import pytest
from celery.schedules import crontab

from marketplace.celery import app

# No rows needed, but tests/conftest.py seeds the test database for every session.
pytestmark = pytest.mark.django_db

BEAT_TASKS = {
    "relay-outbox": "marketplace.core.tasks.outbox_relay_task",
    "refresh-fx-rates": "marketplace.trade.tasks.fx_rates_refresh_task",
    "refresh-search-terms": "listings.tasks.search_terms_refresh_task",
    "resume-pending-listing-images": "listings.tasks.listing_images_pending_resume_task",
    "resume-settlements": "payments.tasks.settlements_resume_task",
    "retry-failed-stripe-events": "payments.tasks.stripe_events_retry_task",
    "reconcile-payments": "payments.tasks.reconcile_task",
    "expire-unpaid-orders": "orders.tasks.orders_expire_unpaid_task",
    "complete-inspected-orders": "orders.tasks.orders_complete_after_inspection_task",
    "expire-quotes": "orders.quotes.tasks.quotes_expire_task",
    "close-due-rfqs": "orders.rfqs.tasks.rfqs_close_due_task",
    "send-rfq-digests": "orders.rfqs.tasks.rfqs_digest_send_task",
    "email-conversation-digests": "orders.conversations.tasks.conversation_emails_send_task",
}


def _registered_tasks() -> set[str]:
    app.loader.import_default_modules()  # what a worker does at start: autodiscovery
    return set(app.tasks.keys())


def test_the_beat_schedule_is_the_expected_entries():
    schedule = app.conf.beat_schedule

    assert {name: entry["task"] for name, entry in schedule.items()} == BEAT_TASKS


def test_every_beat_entry_names_a_registered_task():
    registered = _registered_tasks()

    unregistered = {
        name: entry["task"]
        for name, entry in app.conf.beat_schedule.items()
        if entry["task"] not in registered
    }
    assert unregistered == {}


def test_every_beat_entry_binds_to_its_tasks_signature_and_has_a_schedule():
    _registered_tasks()
    for name, entry in app.conf.beat_schedule.items():
        task = app.tasks[entry["task"]]
        signature = inspect.signature(task.run)
        # Beat sends the entry's args and kwargs (none here): they must bind to the task.
        signature.bind(*entry.get("args", ()), **entry.get("kwargs", {}))
        assert isinstance(entry["schedule"], float | crontab), name
        if isinstance(entry["schedule"], float):
            assert entry["schedule"] > 0, name


def test_the_settlement_safety_net_runs_every_fifteen_minutes():
    assert app.conf.beat_schedule["resume-settlements"]["schedule"] == 900.0
