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


def migration_seed_data_ensure() -> None:
    """Put back the rows that data migrations seed (the category tree, the sample duty rates,
    the staff groups).

    A transactional test ends with a flush that empties every table, and with --reuse-db the
    migrations do not run again; tests that rely on migration data get it back from here.
    (Not serialized_rollback: its reload clashes with the content types that a plain
    transactional test's flush recreates.)
    """
    import importlib

    from django.apps import apps

    if not apps.get_model("listings", "Category").objects.exists():
        importlib.import_module("listings.migrations.0002_seed_categories").seed(apps, None)
    if not apps.get_model("auth", "Group").objects.exists():
        from marketplace.accounts.staff import staff_groups_sync

        staff_groups_sync()  # the table payments.migrations.0006_staff_groups froze (tested)
    if not apps.get_model("trade", "DutyRate").objects.exists():
        importlib.import_module(
            "marketplace.trade.migrations.0003_sample_landed_cost_rates"
        ).load_samples(apps, None)


@pytest.fixture(scope="session", autouse=True)
def _migration_seed_data(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        migration_seed_data_ensure()


@pytest.fixture(autouse=True)
def _migration_seed_data_after_flush(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(
        marker and (marker.kwargs.get("transaction") or (marker.args[:1] == (True,)))
    )
    if transactional or {"transactional_db", "live_server"} & set(request.fixturenames):
        request.getfixturevalue("transactional_db")
        migration_seed_data_ensure()
