from decimal import Decimal

import pytest

from marketplace.trade.money import (
    CurrencyMismatch,
    Money,
    UnsupportedCurrency,
    quantize,
    quantize_unit_price,
)


def test_money_keeps_decimal_amount_and_code():
    money = Money(Decimal("12.5"), "USD")

    assert money.amount == Decimal("12.5")
    assert money.currency == "USD"
    assert repr(money) == "Money('12.5', 'USD')"


def test_money_accepts_int_and_decimal_strings():
    assert Money(3, "JPY").amount == Decimal(3)
    assert Money("0.035", "USD").amount == Decimal("0.035")


@pytest.mark.parametrize("amount", [1.5, 0.1, float("nan")])
def test_money_refuses_float_amounts(amount):
    with pytest.raises(TypeError, match="not float"):
        Money(amount, "USD")


def test_money_refuses_bool_amount():
    with pytest.raises(TypeError):
        Money(True, "USD")


@pytest.mark.parametrize("amount", ["abc", "NaN", "Infinity"])
def test_money_refuses_non_numbers_and_non_finite(amount):
    with pytest.raises(ValueError):
        Money(amount, "USD")


@pytest.mark.parametrize("code", ["XYZ", "usd", "", None])
def test_money_refuses_unknown_currency(code):
    with pytest.raises(UnsupportedCurrency):
        Money(Decimal(1), code)


def test_money_is_immutable():
    money = Money(Decimal(1), "USD")
    with pytest.raises(AttributeError):
        money.amount = Decimal(2)  # type: ignore[misc]


def test_addition_and_subtraction_in_one_currency():
    a = Money(Decimal("10.25"), "EUR")
    b = Money(Decimal("0.75"), "EUR")

    assert a + b == Money(Decimal("11.00"), "EUR")
    assert a - b == Money(Decimal("9.50"), "EUR")
    assert b - a == Money(Decimal("-9.50"), "EUR")
    assert -a == Money(Decimal("-10.25"), "EUR")
    assert abs(Money(Decimal("-3"), "EUR")) == Money(Decimal(3), "EUR")


def test_multiplication_by_int_and_decimal_keeps_full_precision():
    unit = Money(Decimal("0.0350"), "USD")

    assert unit * 1000 == Money(Decimal("35.0000"), "USD")
    assert 3 * unit == Money(Decimal("0.1050"), "USD")
    assert (unit * Decimal("0.5")).amount == Decimal("0.01750")


def test_multiplication_by_float_is_refused():
    with pytest.raises(TypeError):
        Money(Decimal(1), "USD") * 1.5
    with pytest.raises(TypeError):
        1.5 * Money(Decimal(1), "USD")


def test_multiplying_two_amounts_is_refused():
    with pytest.raises(TypeError):
        Money(Decimal(1), "USD") * Money(Decimal(2), "USD")


def test_mixed_currency_arithmetic_is_refused():
    usd = Money(Decimal(1), "USD")
    eur = Money(Decimal(1), "EUR")

    with pytest.raises(CurrencyMismatch, match="Cannot combine USD with EUR"):
        usd + eur
    with pytest.raises(CurrencyMismatch):
        usd - eur


@pytest.mark.parametrize(
    "compare",
    [
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
)
def test_mixed_currency_ordering_is_refused(compare):
    with pytest.raises(CurrencyMismatch):
        compare(Money(Decimal(1), "USD"), Money(Decimal(2), "EUR"))


def test_amounts_in_different_currencies_are_never_equal():
    assert Money(Decimal(1), "USD") != Money(Decimal(1), "EUR")


def test_adding_a_plain_number_is_refused():
    with pytest.raises(TypeError):
        Money(Decimal(1), "USD") + 1


def test_comparison_within_one_currency():
    small = Money(Decimal("1.00"), "USD")
    large = Money(Decimal("1.01"), "USD")

    assert small < large
    assert small <= large
    assert large > small
    assert large >= small
    assert small == Money(Decimal("1"), "USD")
    assert hash(small) == hash(Money(Decimal("1"), "USD"))
    assert max([small, large]) == large


def test_zero_and_is_zero():
    assert Money.zero("KWD") == Money(Decimal(0), "KWD")
    assert Money.zero("KWD").is_zero() is True
    assert Money(Decimal("0.001"), "KWD").is_zero() is False
    assert Money(Decimal("-0.00"), "USD").is_zero() is True


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("2.675", "USD", "2.68"),
        ("2.665", "USD", "2.67"),
        ("2.6749", "USD", "2.67"),
        ("-2.675", "USD", "-2.68"),
        ("1234.5", "JPY", "1235"),
        ("1234.4", "JPY", "1234"),
        ("-0.5", "JPY", "-1"),
        ("1.23456", "KWD", "1.235"),
        ("1.2344", "KWD", "1.234"),
        ("0.0005", "BHD", "0.001"),
        ("7", "USD", "7.00"),
    ],
)
def test_quantize_rounds_half_up_to_the_currency_exponent(amount, currency, expected):
    result = quantize(Decimal(amount), currency)

    assert result == Decimal(expected)
    assert str(result) == expected


def test_quantize_refuses_floats_and_unknown_currencies():
    with pytest.raises(TypeError):
        quantize(2.675, "USD")  # type: ignore[arg-type]
    with pytest.raises(UnsupportedCurrency):
        quantize(Decimal("1"), "XXX")


def test_rounded_uses_quantize():
    assert Money(Decimal("2.675"), "USD").rounded() == Money(Decimal("2.68"), "USD")
    assert str(Money(Decimal("1234.5"), "JPY").rounded().amount) == "1235"


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("12.50", "USD", 1250),
        ("2.675", "USD", 268),
        ("-12.345", "EUR", -1235),
        ("1235", "JPY", 1235),
        ("1234.5", "JPY", 1235),
        ("1.235", "KWD", 1235),
        ("1.23456", "KWD", 1235),
        ("-0.001", "KWD", -1),
        ("0", "USD", 0),
    ],
)
def test_to_minor_units_rounds_with_quantize(amount, currency, minor):
    assert Money(Decimal(amount), currency).to_minor_units() == minor


def test_to_minor_units_strict_refuses_amounts_finer_than_the_minor_unit():
    with pytest.raises(ValueError, match="not a whole number of minor units"):
        Money(Decimal("2.675"), "USD").to_minor_units(strict=True)
    assert Money(Decimal("2.670"), "USD").to_minor_units(strict=True) == 267


@pytest.mark.parametrize(
    ("minor", "currency", "amount"),
    [
        (1250, "USD", "12.50"),
        (-1250, "USD", "-12.50"),
        (1235, "JPY", "1235"),
        (1235, "KWD", "1.235"),
        (-1, "KWD", "-0.001"),
        (0, "EUR", "0.00"),
    ],
)
def test_from_minor_units(minor, currency, amount):
    money = Money.from_minor_units(minor, currency)

    assert money == Money(Decimal(amount), currency)
    assert str(money.amount) == amount
    assert money.to_minor_units() == minor


@pytest.mark.parametrize("minor", [12.5, "1250", Decimal(1250), True])
def test_from_minor_units_refuses_non_integers(minor):
    with pytest.raises(TypeError):
        Money.from_minor_units(minor, "USD")


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        ("1234.5", "USD", "USD 1,234.50"),
        ("1234.5", "JPY", "JPY 1,235"),
        ("1234567.8915", "KWD", "KWD 1,234,567.892"),
        ("-1234.5", "EUR", "EUR -1,234.50"),
        ("0", "USD", "USD 0.00"),
    ],
)
def test_str_formats_code_and_grouped_rounded_amount(amount, currency, text):
    money = Money(Decimal(amount), currency)

    assert str(money) == text
    assert f"{money}" == text


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("12.5", "USD", {"amount": "12.50", "currency": "USD"}),
        ("2.675", "USD", {"amount": "2.68", "currency": "USD"}),
        ("1234.5", "JPY", {"amount": "1235", "currency": "JPY"}),
        ("1.2", "KWD", {"amount": "1.200", "currency": "KWD"}),
        ("-0.5", "EUR", {"amount": "-0.50", "currency": "EUR"}),
        ("1000000", "USD", {"amount": "1000000.00", "currency": "USD"}),
    ],
)
def test_as_dict_has_exactly_the_exponent_decimals(amount, currency, expected):
    assert Money(Decimal(amount), currency).as_dict() == expected


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        ("0.035", "0.0350"),
        ("0.03555", "0.0356"),
        ("0.03554", "0.0355"),
        ("12", "12.0000"),
        ("-0.00005", "-0.0001"),
    ],
)
def test_quantize_unit_price_keeps_four_decimals(price, expected):
    result = quantize_unit_price(Decimal(price))

    assert str(result) == expected


def test_quantize_unit_price_refuses_floats():
    with pytest.raises(TypeError):
        quantize_unit_price(0.035)  # type: ignore[arg-type]


def test_line_total_rounds_once_at_the_end():
    unit = Money(quantize_unit_price(Decimal("0.0355")), "USD")

    assert (unit * 333).rounded() == Money(Decimal("11.82"), "USD")
    assert (unit * 333).to_minor_units() == 1182
