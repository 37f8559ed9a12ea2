from dataclasses import dataclass
from decimal import Decimal

import pytest

from marketplace.trade.money import Money
from orders.pricing import line_total, order_totals, platform_fee, tier_unit_price


@dataclass(frozen=True)
class T:
    min_quantity: int
    unit_price: Decimal


TIERS = [T(1000, Decimal("0.0350")), T(10_000, Decimal("0.0310")), T(50_000, Decimal("0.0285"))]


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (999, None),  # below the first break (the MOQ): no price
        (1000, Decimal("0.0350")),  # exactly at the first break
        (1001, Decimal("0.0350")),
        (9999, Decimal("0.0350")),  # one below the second break
        (10_000, Decimal("0.0310")),  # exactly at a break takes that break's price
        (49_999, Decimal("0.0310")),
        (50_000, Decimal("0.0285")),
        (1_000_000, Decimal("0.0285")),  # beyond the last break keeps the last price
    ],
)
def test_tier_unit_price_is_the_highest_break_at_or_below_the_quantity(quantity, expected):
    assert tier_unit_price(tiers=TIERS, quantity=quantity) == expected


def test_tier_unit_price_does_not_depend_on_the_order_of_the_tiers():
    assert tier_unit_price(tiers=list(reversed(TIERS)), quantity=12_000) == Decimal("0.0310")


@pytest.mark.parametrize(
    ("unit_price", "quantity", "currency", "expected"),
    [
        ("0.0350", 1000, "USD", "35.00"),  # 4-decimal unit price, whole cents
        ("0.0285", 50_001, "USD", "1425.03"),  # 1425.028500 rounds up
        ("1.0050", 1, "USD", "1.01"),  # exactly half a cent: half-up
        ("1.0049", 1, "USD", "1.00"),
        ("0.0125", 1, "EUR", "0.01"),  # 0.0125 → 0.01 (below half)
        ("12.5000", 3, "JPY", "38"),  # JPY has no decimals: 37.5 → 38
        ("12.4000", 3, "JPY", "37"),  # 37.2 → 37
        ("0.1235", 10, "KWD", "1.235"),  # KWD keeps 3 decimals
        ("0.12345", 10, "KWD", "1.235"),  # 1.2345 → 1.235 (half-up)
    ],
)
def test_line_total_rounds_once_to_the_currency_exponent_half_up(
    unit_price, quantity, currency, expected
):
    total = line_total(unit_price=Decimal(unit_price), quantity=quantity, currency=currency)
    assert total == Money(expected, currency)
    assert str(total.amount) == expected


@pytest.mark.parametrize(
    ("goods", "currency", "bps", "expected"),
    [
        ("1000.00", "USD", 300, "30.00"),
        ("35.00", "USD", 300, "1.05"),
        ("0.50", "USD", 300, "0.02"),  # 0.015 → 0.02 half-up
        ("0.49", "USD", 300, "0.01"),  # 0.0147 → 0.01
        ("1999", "JPY", 300, "60"),  # 59.97 → 60
        ("50", "JPY", 300, "2"),  # 1.5 → 2 half-up
        ("10.000", "KWD", 250, "0.250"),
        ("1000.00", "USD", 0, "0.00"),
    ],
)
def test_platform_fee_is_goods_times_bps_rounded_half_up(goods, currency, bps, expected):
    assert platform_fee(goods=Money(goods, currency), bps=bps) == Money(expected, currency)


def test_order_totals_charge_goods_carriage_insurance_and_fee_but_not_duty_and_tax():
    totals = order_totals(
        line_totals=[Money("35.00", "USD"), Money("1050.00", "USD")],
        currency="USD",
        fee_bps=300,
        freight=Money("120.50", "USD"),
        insurance=Money("3.75", "USD"),
        duty=Money("44.76", "USD"),
        import_tax=Money("230.00", "USD"),
    )
    assert totals.goods == Money("1085.00", "USD")
    assert totals.platform_fee == Money("32.55", "USD")
    assert totals.total == Money("1241.80", "USD")
    assert totals.as_minor_units() == {
        "goods_minor": 108500,
        "freight_minor": 12050,
        "insurance_minor": 375,
        "platform_fee_minor": 3255,
        "duty_minor": 4476,
        "import_tax_minor": 23000,
        "total_minor": 124180,
    }


def test_order_totals_in_jpy_are_whole_yen():
    totals = order_totals(line_totals=[Money("38", "JPY")], currency="JPY", fee_bps=300)
    assert totals.as_minor_units() == {
        "goods_minor": 38,
        "freight_minor": 0,
        "insurance_minor": 0,
        "platform_fee_minor": 1,
        "duty_minor": 0,
        "import_tax_minor": 0,
        "total_minor": 39,
    }
