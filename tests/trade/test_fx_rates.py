import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from marketplace.trade.currencies import CURRENCIES
from marketplace.trade.models import FxRate
from marketplace.trade.money import Money
from marketplace.trade.selectors import FxRateUnavailable, convert, fx_rate_latest
from marketplace.trade.services import (
    FX_RATES_SAMPLE_CSV,
    ImportFileError,
    fx_rates_import,
    fx_rates_refresh,
)
from marketplace.trade.tasks import fx_rates_refresh_task

HEADER = "base,quote,rate,as_of,source\n"
NOV_20 = datetime.date(2026, 11, 20)


def rate(base, quote, value, as_of=NOV_20, source="Test"):
    return FxRate.objects.create(
        base=base, quote=quote, rate=Decimal(value), as_of=as_of, source=source
    )


def table():
    return sorted(FxRate.objects.values_list("base", "quote", "rate", "as_of", "source"))


# Import


@pytest.mark.django_db
def test_import_creates_rates_and_reports_counts(write_csv):
    path = write_csv(HEADER + "USD,EUR,0.8650,2026-11-20,ECB\nUSD,JPY,155.2,2026-11-20,ECB\n")
    out = StringIO()

    call_command("import_fx_rates", str(path), stdout=out)

    assert out.getvalue() == "FX rates: 2 rows read: 2 created, 0 updated, 0 unchanged\n"
    assert table() == [
        ("USD", "EUR", Decimal("0.86500000"), NOV_20, "ECB"),
        ("USD", "JPY", Decimal("155.20000000"), NOV_20, "ECB"),
    ]


@pytest.mark.django_db
def test_import_upserts_on_base_quote_and_day(write_csv):
    fx_rates_import(
        path=write_csv(HEADER + "USD,EUR,0.8650,2026-11-20,ECB\nUSD,GBP,0.762,2026-11-20,ECB\n")
    )

    result = fx_rates_import(
        path=write_csv(HEADER + "USD,EUR,0.8700,2026-11-20,ECB\nUSD,GBP,0.762,2026-11-20,ECB\n"
                       "USD,EUR,0.8600,2026-11-21,ECB\n")
    )  # fmt: skip

    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    assert table() == [
        ("USD", "EUR", Decimal("0.86000000"), datetime.date(2026, 11, 21), "ECB"),
        ("USD", "EUR", Decimal("0.87000000"), NOV_20, "ECB"),
        ("USD", "GBP", Decimal("0.76200000"), NOV_20, "ECB"),
    ]


@pytest.mark.django_db
def test_the_sample_file_covers_every_supported_currency():
    result = fx_rates_import(path=FX_RATES_SAMPLE_CSV)

    assert result.created == len(CURRENCIES) - 1 == 21
    quotes = set(FxRate.objects.values_list("quote", flat=True))
    assert quotes == set(CURRENCIES) - {"USD"}
    assert set(FxRate.objects.values_list("base", "as_of", "source")) == {
        ("USD", NOV_20, "Sample rates — check before use")
    }


@pytest.mark.django_db
def test_bad_rows_refuse_the_file_listing_every_line_and_write_nothing(write_csv):
    rate("USD", "EUR", "0.8650")
    before = table()
    path = write_csv(
        HEADER
        + "USD,EUR,0.9000,2026-11-20,ECB\n"  # fine, but must not be written
        + "USD,XXX,1.5,2026-11-20,ECB\n"
        + "USD,GBP,-0.76,2026-11-20,ECB\n"
        + "USD,GBP,abc,2026-11-20,ECB\n"
        + "USD,GBP,0.76,20/11/2026,ECB\n"
        + "USD,USD,1,2026-11-20,ECB\n"
        + "USD,JPY,155.123456789,2026-11-20,ECB\n"
        + "USD,JPY,155.2,2026-02-30,ECB\n"
        + "USD,EUR,0.91,2026-11-20,ECB\n"
    )

    with pytest.raises(CommandError) as excinfo:
        call_command("import_fx_rates", str(path))

    assert str(excinfo.value) == "\n".join(
        [
            f"{path}: nothing was imported.",
            "  line 3: quote 'XXX' is not a supported currency",
            "  line 4: rate '-0.76' is not a positive decimal number",
            "  line 5: rate 'abc' is not a positive decimal number",
            "  line 6: as_of '20/11/2026' is not an ISO date (YYYY-MM-DD)",
            "  line 7: base and quote are both USD",
            "  line 8: rate '155.123456789' needs more than 10 digits or 8 decimals",
            "  line 9: as_of '2026-02-30' is not an ISO date (YYYY-MM-DD)",
            "  line 10: USD/EUR on 2026-11-20 repeats line 2",
        ]
    )
    assert table() == before


@pytest.mark.django_db
def test_a_zero_rate_is_refused(write_csv):
    with pytest.raises(CommandError, match="line 2: rate '0' is not a positive decimal number"):
        call_command("import_fx_rates", str(write_csv(HEADER + "USD,EUR,0,2026-11-20,ECB\n")))
    assert FxRate.objects.count() == 0


@pytest.mark.django_db
def test_a_file_with_the_wrong_header_is_refused(write_csv):
    path = write_csv("from,to,rate,date\nUSD,EUR,0.86,2026-11-20\n")

    with pytest.raises(CommandError) as excinfo:
        call_command("import_fx_rates", str(path))

    assert str(excinfo.value) == (
        f"{path}: missing column(s) base, quote, as_of, source; "
        "expected the header base,quote,rate,as_of,source."
    )
    assert FxRate.objects.count() == 0


@pytest.mark.django_db
def test_the_database_refuses_non_positive_and_same_currency_rates():
    with pytest.raises(IntegrityError), transaction.atomic():
        rate("USD", "EUR", "0")
    with pytest.raises(IntegrityError), transaction.atomic():
        rate("USD", "USD", "1")
    assert FxRate.objects.count() == 0


@pytest.mark.django_db
def test_the_database_refuses_two_rates_for_one_pair_and_day():
    rate("USD", "EUR", "0.86")

    with pytest.raises(IntegrityError), transaction.atomic():
        rate("USD", "EUR", "0.87")
    assert table() == [("USD", "EUR", Decimal("0.86000000"), NOV_20, "Test")]


# Lookup


@pytest.mark.django_db
def test_latest_rate_is_the_newest_day():
    rate("USD", "EUR", "0.86", as_of=datetime.date(2026, 11, 19))
    newest = rate("USD", "EUR", "0.87")

    assert fx_rate_latest(base="USD", quote="EUR") == newest


@pytest.mark.django_db
def test_latest_rate_falls_back_to_the_inverse():
    rate("USD", "JPY", "160")

    found = fx_rate_latest(base="JPY", quote="USD")

    assert found is not None

    assert found.pk is None
    assert (found.base, found.quote, found.rate, found.as_of) == (
        "JPY",
        "USD",
        Decimal("0.00625000"),
        NOV_20,
    )
    assert found.source == "Inverse of USD/JPY: Test"


@pytest.mark.django_db
def test_a_newer_inverse_wins_over_an_older_direct_rate():
    rate("EUR", "USD", "1.10", as_of=datetime.date(2026, 11, 1))
    rate("USD", "EUR", "0.8", as_of=NOV_20)

    found = fx_rate_latest(base="EUR", quote="USD")

    assert found is not None

    assert (found.rate, found.as_of) == (Decimal("1.25000000"), NOV_20)


@pytest.mark.django_db
def test_same_currency_rate_is_one():
    found = fx_rate_latest(base="KWD", quote="KWD")
    assert found is not None

    assert (found.base, found.quote, found.rate) == ("KWD", "KWD", Decimal(1))


@pytest.mark.django_db
def test_other_pairs_are_crossed_through_usd():
    rate("USD", "EUR", "0.8")
    rate("USD", "GBP", "0.75", as_of=datetime.date(2026, 11, 18))

    found = fx_rate_latest(base="EUR", quote="GBP")

    assert found is not None

    assert (found.base, found.quote, found.rate) == ("EUR", "GBP", Decimal("0.93750000"))
    assert found.as_of == datetime.date(2026, 11, 18)


@pytest.mark.django_db
def test_no_rate_is_none():
    rate("USD", "EUR", "0.8")

    assert fx_rate_latest(base="GBP", quote="JPY") is None
    assert fx_rate_latest(base="GBP", quote="USD") is None


# Convert


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "base", "quote", "stored", "expected"),
    [
        ("100.00", "USD", "JPY", ("USD", "JPY", "155.205"), "15521"),  # 15520.5 -> 15521
        ("10.00", "USD", "EUR", ("USD", "EUR", "0.86505"), "8.65"),  # 8.6505 -> 8.65
        ("10.01", "USD", "EUR", ("USD", "EUR", "0.86505"), "8.66"),  # 8.6591505 -> 8.66
        ("10.00", "USD", "KWD", ("USD", "KWD", "0.30705"), "3.071"),  # 3.0705 -> 3.071
        ("-10.00", "USD", "KWD", ("USD", "KWD", "0.30705"), "-3.071"),
        ("1000000", "VND", "USD", ("USD", "VND", "25413"), "39.35"),  # 39.3499... -> 39.35
        ("100000000", "VND", "USD", ("USD", "VND", "25413"), "3934.99"),  # not 3935.00
    ],
)
def test_convert_rounds_half_up_to_the_target_exponent(amount, base, quote, stored, expected):
    stored_rate = rate(*stored)

    converted, used = convert(Money(Decimal(amount), base), quote)

    assert converted == Money(Decimal(expected), quote)
    assert str(converted.amount) == expected
    assert (used.base, used.quote) == (base, quote)
    if stored[0] == base:
        assert used == stored_rate


@pytest.mark.django_db
def test_convert_to_the_same_currency_only_rounds():
    converted, used = convert(Money(Decimal("2.675"), "USD"), "USD")

    assert converted == Money(Decimal("2.68"), "USD")
    assert used.rate == Decimal(1)


@pytest.mark.django_db
def test_convert_without_a_rate_is_refused():
    with pytest.raises(FxRateUnavailable, match="No exchange rate from GBP to JPY is known"):
        convert(Money(Decimal(1), "GBP"), "JPY")
    assert FxRate.objects.count() == 0


# Refresh task


@pytest.mark.django_db
def test_refresh_task_does_nothing_without_a_source(settings, caplog):
    settings.FX_RATES_SOURCE = ""

    assert fx_rates_refresh_task.apply().get() is None
    assert FxRate.objects.count() == 0
    assert "FX_RATES_SOURCE is not set" in caplog.text


@pytest.mark.django_db
def test_refresh_task_imports_from_a_file_source(settings, write_csv):
    settings.FX_RATES_SOURCE = str(write_csv(HEADER + "USD,EUR,0.8650,2026-11-20,Bank\n"))

    assert fx_rates_refresh_task.apply().get() == {"rows_read": 1, "created": 1, "updated": 0}
    assert fx_rates_refresh_task.apply().get() == {"rows_read": 1, "created": 0, "updated": 0}
    assert table() == [("USD", "EUR", Decimal("0.86500000"), NOV_20, "Bank")]


@pytest.mark.django_db
def test_refresh_imports_from_an_http_source(settings, httpserver):
    httpserver.expect_request("/rates.csv").respond_with_data(
        HEADER + "USD,GBP,0.7620,2026-11-20,Central bank\n", content_type="text/csv"
    )
    settings.FX_RATES_SOURCE = httpserver.url_for("/rates.csv")

    result = fx_rates_refresh()
    assert result is not None

    assert (result.rows_read, result.created) == (1, 1)
    assert table() == [("USD", "GBP", Decimal("0.76200000"), NOV_20, "Central bank")]


@pytest.mark.django_db
def test_refresh_with_a_bad_source_file_writes_nothing(settings, write_csv):
    rate("USD", "EUR", "0.86")
    settings.FX_RATES_SOURCE = str(
        write_csv(HEADER + "USD,EUR,0.9,2026-11-21,Bank\nUSD,GBP,x,2026-11-21,Bank\n")
    )

    with pytest.raises(ImportFileError, match="line 3: rate 'x' is not a positive decimal number"):
        fx_rates_refresh_task.apply().get()
    assert table() == [("USD", "EUR", Decimal("0.86000000"), NOV_20, "Test")]
