import re
from datetime import UTC, datetime

from orders.numbering import order_number_format, order_number_next


def test_order_number_format_pads_to_six_digits():
    assert order_number_format(year=2026, value=123) == "ORD-2026-000123"
    assert order_number_format(year=2026, value=1_234_567) == "ORD-2026-1234567"


def test_order_numbers_come_from_the_sequence_and_carry_the_year(db):
    now = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    first = order_number_next(now=now)
    second = order_number_next(now=now)
    assert re.fullmatch(r"ORD-2027-\d{6,}", first)
    assert int(second.rsplit("-", 1)[1]) == int(first.rsplit("-", 1)[1]) + 1
