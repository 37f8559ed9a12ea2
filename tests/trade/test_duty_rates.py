"""Duty rates, import taxes and customs regimes: lookups, constraints, sample data, admin."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from marketplace.trade.models import CustomsRegime, DutyRate, ImportTax
from marketplace.trade.selectors import (
    customs_regime_for,
    customs_territories,
    duty_rate_for,
    import_tax_for,
)
from tests.factories import admin_login

pytestmark = pytest.mark.django_db

DAY = date(2026, 1, 15)
# The headings of the demo catalogue and the destinations the sample rates must cover.
CATALOGUE_HS_CODES = [
    "090111",
    "090230",
    "610910",
    "640399",
    "420222",
    "940360",
    "853952",
    "851713",
    "847130",
    "731815",
    "691010",
    "870899",
    "392690",
    "330499",
    "950691",
]
SAMPLE_DESTINATIONS = ["DE", "US", "GB", "KE", "JP", "IN", "BR", "AE"]


def duty(destination: str, prefix: str, rate: str, valid_from: date = date(2024, 1, 1), **kw):
    return DutyRate.objects.create(
        destination=destination,
        hs_prefix=prefix,
        rate=Decimal(rate),
        source=kw.pop("source", "Test tariff"),
        valid_from=valid_from,
        is_sample=kw.pop("is_sample", False),
        **kw,
    )


def found[T](row: T | None) -> T:
    assert row is not None
    return row


# Lookups


def test_customs_territories_put_the_country_before_its_union():
    assert customs_territories("DE") == ["DE", "EU"]
    assert customs_territories("GB") == ["GB"]


def test_duty_rate_for_takes_the_longest_prefix():
    duty("CH", "61", "5")
    duty("CH", "6109", "8")
    duty("CH", "610910", "9")

    assert found(duty_rate_for(destination="CH", hs_code="610910", as_of=DAY)).rate == Decimal("9")
    assert found(duty_rate_for(destination="CH", hs_code="610990", as_of=DAY)).rate == Decimal("8")
    assert found(duty_rate_for(destination="CH", hs_code="611020", as_of=DAY)).rate == Decimal("5")
    assert duty_rate_for(destination="CH", hs_code="620520", as_of=DAY) is None


def test_duty_rate_for_takes_the_latest_rate_in_force_on_the_day():
    duty("CH", "6109", "8", valid_from=date(2024, 1, 1))
    duty("CH", "6109", "6", valid_from=date(2025, 1, 1))
    duty("CH", "6109", "4", valid_from=date(2026, 2, 1))

    def on(day: date) -> Decimal | None:
        row = duty_rate_for(destination="CH", hs_code="610910", as_of=day)
        return None if row is None else row.rate

    assert on(date(2023, 12, 31)) is None
    assert on(date(2024, 6, 1)) == Decimal("8")
    assert on(date(2025, 1, 1)) == Decimal("6")
    assert on(DAY) == Decimal("6")
    assert on(date(2026, 2, 1)) == Decimal("4")


def test_a_member_state_row_overrides_the_union_tariff():
    duty("DE", "6109", "1.5")

    assert found(duty_rate_for(destination="DE", hs_code="610910", as_of=DAY)).rate == Decimal(
        "1.5"
    )
    # other member states keep the union's sample rate
    fr = found(duty_rate_for(destination="FR", hs_code="610910", as_of=DAY))
    assert (fr.destination, fr.rate) == ("EU", Decimal("12.0000"))


def test_import_tax_and_regime_follow_the_day_and_the_union():
    estonia = [
        found(import_tax_for(destination="EE", as_of=day)).rate
        for day in (
            date(2023, 6, 1),
            date(2024, 6, 1),
            date(2025, 7, 1),
        )
    ]
    regime = found(customs_regime_for(destination="IT", as_of=DAY))

    assert estonia == [Decimal("20.0000"), Decimal("22.0000"), Decimal("24.0000")]
    assert (regime.destination, regime.customs_value_basis) == ("EU", "CIF")
    assert (regime.duty_de_minimis, regime.de_minimis_currency) == (Decimal("150.0000"), "EUR")
    assert import_tax_for(destination="NZ", as_of=DAY) is None
    assert customs_regime_for(destination="NZ", as_of=DAY) is None


def test_duty_rate_lookup_is_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        duty_rate_for(destination="DE", hs_code="610910", as_of=DAY)


# Sample data shipped by the migration


@pytest.mark.parametrize("destination", SAMPLE_DESTINATIONS)
def test_sample_rates_cover_every_catalogue_heading_of_each_destination(destination):
    missing = [
        code
        for code in CATALOGUE_HS_CODES
        if duty_rate_for(destination=destination, hs_code=code, as_of=DAY) is None
    ]

    assert missing == []
    assert import_tax_for(destination=destination, as_of=DAY) is not None
    assert customs_regime_for(destination=destination, as_of=DAY) is not None


def test_sample_import_taxes_of_the_acceptance_destinations():
    rates = {
        code: (tax.name, tax.rate, tax.duty_in_base)
        for code in SAMPLE_DESTINATIONS
        if (tax := import_tax_for(destination=code, as_of=DAY)) is not None
    }

    assert rates == {
        "DE": ("VAT", Decimal("19.0000"), True),
        "US": ("None (no federal import VAT or sales tax)", Decimal("0.0000"), False),
        "GB": ("VAT", Decimal("20.0000"), True),
        "KE": ("VAT", Decimal("16.0000"), True),
        "JP": ("Consumption tax", Decimal("10.0000"), True),
        "IN": ("IGST", Decimal("18.0000"), True),
        "BR": ("Import taxes (IPI, PIS/COFINS, ICMS; simplified)", Decimal("35.0000"), True),
        "AE": ("VAT", Decimal("5.0000"), True),
    }


def test_every_eu_member_state_has_an_import_vat():
    from marketplace.trade.countries import EU_MEMBER_STATES

    missing = sorted(
        c for c in EU_MEMBER_STATES if import_tax_for(destination=c, as_of=DAY) is None
    )

    assert missing == []


def test_every_seeded_row_is_a_sample_with_a_source():
    for model in (DutyRate, ImportTax, CustomsRegime):
        assert model.objects.count() > 0
        assert not model.objects.filter(is_sample=False).exists()
        assert not model.objects.filter(source="").exists()


def test_us_values_goods_fob_and_other_destinations_cif():
    bases = {
        code: found(customs_regime_for(destination=code, as_of=DAY)).customs_value_basis
        for code in SAMPLE_DESTINATIONS
    }

    assert bases == {code: ("FOB" if code == "US" else "CIF") for code in SAMPLE_DESTINATIONS}


# Database constraints and validation


@pytest.mark.parametrize("prefix", ["6", "610", "61091", "61a9", "6a"])
def test_an_hs_prefix_of_other_than_2_4_or_6_digits_is_refused(prefix):
    before = DutyRate.objects.count()

    with pytest.raises(IntegrityError), transaction.atomic():
        duty("CH", prefix, "5")

    assert DutyRate.objects.count() == before


def test_a_negative_rate_is_refused():
    before = (DutyRate.objects.count(), ImportTax.objects.count())

    with pytest.raises(IntegrityError), transaction.atomic():
        duty("CH", "6109", "-0.0001")
    with pytest.raises(IntegrityError), transaction.atomic():
        ImportTax.objects.create(
            destination="CH", name="VAT", rate=Decimal("-1"), source="x", valid_from=DAY
        )

    assert (DutyRate.objects.count(), ImportTax.objects.count()) == before


def test_two_rates_for_one_prefix_on_one_day_are_refused():
    duty("CH", "6109", "5")
    before = DutyRate.objects.count()

    with pytest.raises(IntegrityError), transaction.atomic():
        duty("CH", "6109", "6")

    assert DutyRate.objects.count() == before


def test_a_rate_without_a_source_is_refused():
    before = DutyRate.objects.count()

    with pytest.raises(IntegrityError), transaction.atomic():
        duty("CH", "6109", "5", source="")

    assert DutyRate.objects.count() == before


def test_a_negative_de_minimis_is_refused():
    before = CustomsRegime.objects.count()

    with pytest.raises(IntegrityError), transaction.atomic():
        CustomsRegime.objects.create(
            destination="CH",
            duty_de_minimis=Decimal("-5"),
            de_minimis_currency="CHF",
            source="x",
            valid_from=DAY,
        )

    assert CustomsRegime.objects.count() == before


@pytest.mark.parametrize("destination", ["XX", "de", "E"])
def test_a_destination_that_is_neither_a_country_nor_a_union_fails_validation(destination):
    row = DutyRate(
        destination=destination,
        hs_prefix="6109",
        rate=Decimal("5"),
        source="x",
        valid_from=DAY,
    )

    with pytest.raises(ValidationError) as refused:
        row.full_clean()

    assert "destination" in refused.value.message_dict


def test_the_eu_union_code_is_a_valid_destination():
    DutyRate(
        destination="EU", hs_prefix="9999", rate=Decimal("5"), source="x", valid_from=DAY
    ).full_clean()


# Admin


@pytest.fixture
def superuser_client(client):
    admin = get_user_model().objects.create_superuser(email="admin@example.com", password="x" * 12)
    admin_login(client, admin)
    return client


def test_duty_rate_list_marks_sample_rates(superuser_client):
    checked = duty("CH", "6109", "5")

    response = superuser_client.get("/admin/trade/dutyrate/", {"destination": "EU"})
    content = response.content.decode()

    assert response.status_code == 200
    assert "Sample rate — check before use" in content
    chosen = superuser_client.get("/admin/trade/dutyrate/", {"destination": "CH"})
    assert [r.pk for r in chosen.context["cl"].result_list] == [checked.pk]
    assert "Sample rate — check before use" not in chosen.content.decode()


def test_duty_rate_admin_searches_by_prefix_and_filters_samples(superuser_client):
    duty("CH", "6109", "5")

    searched = superuser_client.get("/admin/trade/dutyrate/", {"q": "610990"})
    checked_only = superuser_client.get("/admin/trade/dutyrate/", {"is_sample__exact": "0"})

    assert [(r.destination, r.hs_prefix) for r in searched.context["cl"].result_list] == [
        ("US", "610990")
    ]
    assert [(r.destination, r.hs_prefix) for r in checked_only.context["cl"].result_list] == [
        ("CH", "6109")
    ]


def test_the_change_form_of_a_sample_rate_warns(superuser_client):
    sample = DutyRate.objects.get(destination="EU", hs_prefix="6109")
    checked = duty("CH", "6109", "5")

    warned = superuser_client.get(f"/admin/trade/dutyrate/{sample.pk}/change/")
    quiet = superuser_client.get(f"/admin/trade/dutyrate/{checked.pk}/change/")

    assert warned.status_code == 200
    assert [str(m) for m in warned.context["messages"]] == [
        "Sample rate — check before use: this is a seeded sample value (EU Common Customs "
        "Tariff (TARIC), third-country duty; sample value). Check it against the tariff in "
        "force, then untick “sample”."
    ]
    assert quiet.status_code == 200
    assert list(quiet.context["messages"]) == []


def test_the_admin_adds_a_duty_rate(superuser_client):
    response = superuser_client.post(
        "/admin/trade/dutyrate/add/",
        {
            "destination": "CH",
            "hs_prefix": "610910",
            "rate": "7.25",
            "source": "Swiss tariff (Tares)",
            "valid_from": "2026-01-01",
        },
    )

    assert response.status_code == 302
    assert list(
        DutyRate.objects.filter(destination="CH").values_list("hs_prefix", "rate", "is_sample")
    ) == [("610910", Decimal("7.2500"), False)]


def test_the_admin_refuses_a_three_digit_prefix(superuser_client):
    before = DutyRate.objects.count()

    response = superuser_client.post(
        "/admin/trade/dutyrate/add/",
        {
            "destination": "CH",
            "hs_prefix": "610",
            "rate": "5",
            "source": "Swiss tariff",
            "valid_from": "2026-01-01",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert DutyRate.objects.count() == before


def test_the_mark_checked_action_clears_the_sample_flag(superuser_client):
    rows = list(ImportTax.objects.filter(destination__in=["DE", "FR"]).order_by("destination"))

    response = superuser_client.post(
        "/admin/trade/importtax/",
        {"action": "mark_checked", "_selected_action": [r.pk for r in rows]},
    )

    assert response.status_code == 302
    assert list(
        ImportTax.objects.filter(is_sample=False).values_list("destination", flat=True)
    ) == ["DE", "FR"]


def test_customs_regime_admin_lists_and_filters_by_basis(superuser_client):
    response = superuser_client.get(
        "/admin/trade/customsregime/", {"customs_value_basis__exact": "FOB"}
    )

    assert response.status_code == 200
    assert [(r.destination, r.duty_de_minimis) for r in response.context["cl"].result_list] == [
        ("US", Decimal("0.0000")),
        ("US", Decimal("800.0000")),
    ]
