import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture(autouse=True)
def _clear_cache():
    """Each test starts with an empty cache (throttles, rate limits) in its own key space."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker (in a thread of this process) consuming the real Redis broker.

    Tasks run against committed data, hence the transactional database. The queues are purged
    first so that a message left by an earlier run cannot leak in.
    """
    from celery.contrib.testing.worker import start_worker

    from marketplace.celery import app

    with app.connection_for_write() as connection:
        for queue in app.conf.task_queues:
            queue.bind(connection.default_channel).purge()
    with start_worker(
        app,
        pool="solo",
        perform_ping_check=False,  # results are off; the tests observe effects instead
        shutdown_timeout=20,
        queues=["default", "payments", "documents"],
    ) as worker:
        yield worker
