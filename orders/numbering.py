"""Human-readable order numbers: ``ORD-2026-000123``.

The counter is a PostgreSQL sequence (created by migration 0002): ``nextval`` never blocks
and never hands the same value out twice, so concurrent checkouts do not serialise on it.
Numbers are not gap-free (a rolled-back checkout burns one); trade documents, which must
be sequential, are numbered by the documents package.
"""

from datetime import datetime

from django.db import connection
from django.utils import timezone

ORDER_NUMBER_SEQUENCE = "orders_order_number_seq"
ORDER_NUMBER_PREFIX = "ORD"


def order_number_format(*, year: int, value: int) -> str:
    return f"{ORDER_NUMBER_PREFIX}-{year}-{value:06d}"


def order_number_next(*, now: datetime | None = None) -> str:
    """The next order number, with the current year (in the configured time zone)."""
    year = timezone.localtime(now or timezone.now()).year
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [ORDER_NUMBER_SEQUENCE])
        row = cursor.fetchone()
    if row is None:  # nextval always returns a row; guards the type
        raise RuntimeError(f"Sequence {ORDER_NUMBER_SEQUENCE} returned nothing")
    return order_number_format(year=year, value=int(row[0]))
