"""How listing pages write prices, quantities and measures."""

from decimal import Decimal

import pytest

from listings.templatetags.listing_tags import (
    country_name,
    format_indicative_price,
    format_unit_price,
    quantity,
    trim_decimal,
    unit_name,
)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.035", "USD", "USD 0.0350"),
        ("12.5", "USD", "USD 12.50"),
        ("1200", "JPY", "JPY 1,200"),
        ("1200.5", "JPY", "JPY 1,200.5000"),
        ("1.234", "KWD", "KWD 1.234"),
        ("1.2345", "KWD", "KWD 1.2345"),
        ("1234567.8", "EUR", "EUR 1,234,567.80"),
    ],
)
def test_unit_prices_use_the_currency_decimals_or_four_when_needed(amount, currency, expected):
    assert format_unit_price(Decimal(amount), currency) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("6.68814", "EUR", "EUR 6.69"),
        ("0.030275", "EUR", "EUR 0.0303"),
        ("186.23", "JPY", "JPY 186"),
    ],
)
def test_indicative_prices_round_to_the_cent_from_one_up(amount, currency, expected):
    assert format_indicative_price(Decimal(amount), currency) == expected


@pytest.mark.parametrize(
    ("amount", "unit", "expected"),
    [
        (1000, "piece", "1,000 pieces"),
        (1, "piece", "1 piece"),
        (3, "box", "3 boxes"),
        (5, "dozen", "5 dozen"),
        (250, "kg", "250 kilograms"),
        (12, "m2", "12 square metres"),
        (1, "dozen", "1 dozen"),
        (2, "pair", "2 pairs"),
        (0, "piece", "0 pieces"),
        (3, "crate", "3 crates"),  # a unit no longer offered: its code, in full
        (1, "crate", "1 crate"),
    ],
)
def test_quantities_name_their_unit(amount, unit, expected):
    assert quantity(amount, unit) == expected


def test_measures_lose_their_padding_zeros():
    assert [trim_decimal(Decimal(v)) for v in ("11.200", "40.0", "0.028", "0.86500000")] == [
        "11.2",
        "40",
        "0.028",
        "0.865",
    ]


def test_country_names_are_the_names_django_countries_gives():
    from django.utils import translation
    from django_countries.fields import Country

    assert [country_name(code) for code in ("CN", "DE", "GB", "", None, "XX")] == [
        "China",
        "Germany",
        "United Kingdom",
        "",
        "",
        "",
    ]
    assert country_name(Country("VN")) == Country("VN").name == "Vietnam"
    assert country_name(Country("VN")) == "Vietnam"  # remembered, the same
    with translation.override("de"):
        assert country_name(Country("DE")) == str(Country("DE").name) == "Deutschland"
    assert country_name("DE") == "Germany"


def test_unit_names_are_the_units_display_in_lower_case():
    from listings.enums import UnitOfSale
    from listings.models import Listing

    for unit in [*UnitOfSale.values, "Crate"]:
        assert unit_name(unit) == Listing(unit=unit).get_unit_display().lower()
    assert unit_name("m2") == "square metre"
    assert unit_name("Crate") == "crate"  # a unit no longer offered: its code
