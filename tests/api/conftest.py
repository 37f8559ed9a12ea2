import pytest


@pytest.fixture
def in_process_requests(db):
    """As Django's test client does, keep the request signals from closing the test's
    connection (and with it the transaction that the test runs in)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
