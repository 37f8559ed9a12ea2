"""One worker at a time on a money row, across a gateway call and the transactions around it.

A row lock lasts one transaction, but paying out takes two: the attempt (with its idempotency
key) is committed BEFORE the gateway is called, and the answer is recorded after. A
session-level PostgreSQL advisory lock spans both; a killed worker's connection closes and
PostgreSQL releases its lock, so the redelivered task can go on.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

SETTLEMENT = 0x5E77  # advisory lock namespaces (the first key of the two-key form)
REFUND = 0x5EF0


@contextmanager
def exclusive(namespace: int, pk: int) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [namespace, pk])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [namespace, pk])
