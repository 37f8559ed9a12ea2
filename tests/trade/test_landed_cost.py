"""Landed-cost examples to the cent, on the sample rates the migration ships.

Sample rates used (as_of 2026-01-15): EU duty 6109 12 %, 6403 8 %, 61 (chapter) 12 %; DE VAT
19 % with duty in its base; EU customs value CIF, duty de minimis EUR 150. US duty 6109
16.5 %, 610990 32 % (FOB basis, no import tax, de minimis USD 800 until 2025-08-28, 0 after).
JP duty 6403 30 %, consumption tax 10 %, de minimis JPY 10,000. Insurance premium 30 bps.
"""

import json
from datetime import date
from decimal import Decimal

import pytest

from marketplace.core.exceptions import DomainError
from marketplace.trade.incoterms import get_incoterm
from marketplace.trade.landed_cost import (
    CustomsRates,
    CustomsRegimeUsed,
    DutyRateUsed,
    ImportTaxUsed,
    landed_cost_calculate,
    landed_cost_estimate,
)
from marketplace.trade.models import CustomsRegime, DutyRate, FxRate, ImportTax
from marketplace.trade.money import Money
from marketplace.trade.selectors import FxRateUnavailable

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 1, 15)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def usd(amount: str) -> Money:
    return Money(amount, "USD")


def estimate(**kwargs):
    arguments = {
        "origin": "CN",
        "freight": None,
        "insurance": None,
        "as_of": AS_OF,
        **kwargs,
    }
    return landed_cost_estimate(**arguments)


def table_counts() -> tuple[int, int, int, int]:
    return (
        DutyRate.objects.count(),
        ImportTax.objects.count(),
        CustomsRegime.objects.count(),
        FxRate.objects.count(),
    )


# The acceptance examples


def test_eu_destination_charges_duty_on_cif_and_vat_on_cif_plus_duty():
    result = estimate(
        goods=eur("10000.00"),
        hs_code="610910",
        destination="DE",
        incoterm="CIF",
        freight=eur("800.00"),
        insurance=eur("25.00"),
    )

    # customs value (CIF) = 10,000.00 + 800.00 + 25.00 = 10,825.00
    assert result.customs_value_basis == "CIF"
    assert result.customs_value == eur("10825.00")
    # duty = 12 % × 10,825.00 = 1,299.00
    assert result.duty.amount == eur("1299.00")
    assert result.duty.base == eur("10825.00")
    assert result.duty.rate is not None
    assert (result.duty.rate.territory, result.duty.rate.hs_prefix) == ("EU", "6109")
    assert result.duty.rate.percent == Decimal("12.0000")
    # VAT = 19 % × (10,825.00 + 1,299.00 = 12,124.00) = 2,303.56
    assert result.import_tax.base == eur("12124.00")
    assert result.import_tax.amount == eur("2303.56")
    assert result.import_tax.rate is not None
    assert (result.import_tax.rate.territory, result.import_tax.rate.name) == ("DE", "VAT")
    # buyer pays 10,000.00 + 800.00 + 25.00 + 1,299.00 + 2,303.56 = 14,427.56
    assert result.total_for_buyer == eur("14427.56")
    assert result.borne_by_seller == eur("0.00")
    # under CIF the seller contracts carriage and insurance and invoices them
    assert (result.freight.payer, result.freight.borne_by, result.freight.on_invoice) == (
        "seller",
        "buyer",
        True,
    )
    assert (result.duty.payer, result.import_tax.payer) == ("buyer", "buyer")
    assert result.flags == ("sample_rates",)


def test_us_destination_charges_duty_on_fob_value_and_no_import_tax():
    result = estimate(
        goods=usd("10000.00"),
        hs_code="610910",
        destination="US",
        incoterm="FOB",
        freight=usd("900.00"),
    )

    # customs value (FOB) = the goods alone, 10,000.00: freight and insurance are left out
    assert result.customs_value_basis == "FOB"
    assert result.customs_value == usd("10000.00")
    # duty = 16.5 % × 10,000.00 = 1,650.00
    assert result.duty.amount == usd("1650.00")
    # no federal import tax: a known 0 % row, not a missing one
    assert result.import_tax.amount == usd("0.00")
    assert result.import_tax.rate is not None
    assert result.import_tax.rate.percent == Decimal("0.0000")
    # buyer pays 10,000.00 + 900.00 (own forwarder) + 0.00 insurance + 1,650.00 = 12,550.00
    assert result.total_for_buyer == usd("12550.00")
    assert (result.freight.payer, result.freight.on_invoice) == ("buyer", False)
    assert result.insurance.amount == usd("0.00")
    assert "no_import_tax" not in result.flags


def test_ddp_duty_and_tax_are_borne_by_the_seller_and_left_out_of_the_buyer_total():
    result = estimate(
        goods=eur("2000.00"),
        hs_code="640399",
        destination="DE",
        incoterm="DDP",
        freight=eur("150.00"),
    )

    # customs value = 2,000.00 + 150.00 + 0.00 insurance = 2,150.00
    assert result.customs_value == eur("2150.00")
    # duty = 8 % × 2,150.00 = 172.00
    assert result.duty.amount == eur("172.00")
    # VAT = 19 % × (2,150.00 + 172.00 = 2,322.00) = 441.18
    assert result.import_tax.amount == eur("441.18")
    for charge in (result.duty, result.import_tax):
        assert (charge.payer, charge.borne_by, charge.in_buyer_total) == ("seller", "seller", False)
    # buyer pays goods and the invoiced freight: 2,000.00 + 150.00 = 2,150.00
    assert result.total_for_buyer == eur("2150.00")
    # seller absorbs 172.00 + 441.18 = 613.18
    assert result.borne_by_seller == eur("613.18")
    assert result.duty.note == "Paid and borne by the seller under DDP."


def test_goods_within_the_duty_de_minimis_pay_no_duty_but_vat():
    result = estimate(
        goods=eur("150.00"),
        hs_code="610910",
        destination="DE",
        incoterm="EXW",
        freight=eur("30.00"),
    )

    # goods 150.00 does not exceed the EU de minimis of EUR 150: no duty
    assert result.duty.amount == eur("0.00")
    assert (
        result.duty.note
        == "No duty: the goods' value does not exceed the de minimis of EUR 150.00."
    )
    # the EU has no VAT de minimis: 19 % × (150.00 + 30.00 + 0.00 duty) = 34.20
    assert result.import_tax.amount == eur("34.20")
    # 150.00 + 30.00 + 34.20 = 214.20
    assert result.total_for_buyer == eur("214.20")
    assert result.flags == ("duty_de_minimis", "sample_rates")


def test_goods_one_cent_over_the_de_minimis_pay_duty():
    result = estimate(goods=eur("150.01"), hs_code="610910", destination="DE", incoterm="DAP")

    # 12 % × 150.01 (no freight known, no insurance) = 18.0012 → 18.00
    assert result.duty.amount == eur("18.00")
    # 19 % × (150.01 + 18.00 = 168.01) = 31.9219 → 31.92
    assert result.import_tax.amount == eur("31.92")
    assert result.flags == ("freight_not_included", "sample_rates")


def test_de_minimis_in_another_currency_is_converted_at_the_latest_fx_rate():
    FxRate.objects.create(
        base="EUR", quote="USD", rate=Decimal("1.10"), source="Test desk", as_of=date(2026, 1, 14)
    )
    before = table_counts()

    # EUR 150 × 1.10 = USD 165.00; goods USD 160.00 do not exceed it
    result = estimate(goods=usd("160.00"), hs_code="610910", destination="DE", incoterm="EXW")

    assert result.duty.amount == usd("0.00")
    assert [(r.base, r.quote, r.rate) for r in result.fx_rates] == [
        ("EUR", "USD", Decimal("1.10000000"))
    ]
    # VAT 19 % × 160.00 = 30.40
    assert result.import_tax.amount == usd("30.40")
    assert table_counts() == before


def test_us_de_minimis_applied_before_its_suspension_and_not_after():
    before = estimate(
        goods=usd("700.00"),
        hs_code="610910",
        destination="US",
        incoterm="FOB",
        as_of=date(2025, 8, 28),
    )
    after = estimate(
        goods=usd("700.00"),
        hs_code="610910",
        destination="US",
        incoterm="FOB",
        as_of=date(2025, 8, 29),
    )

    # USD 700 ≤ USD 800 on 28 August 2025: no duty
    assert before.duty.amount == usd("0.00")
    assert before.regime is not None
    assert before.regime.duty_de_minimis == usd("800")
    # from 29 August 2025 the de minimis is 0: 16.5 % × 700.00 = 115.50
    assert after.duty.amount == usd("115.50")
    assert after.regime is not None
    assert after.regime.duty_de_minimis == usd("0")


def test_jpy_amounts_are_whole_yen_with_the_insurance_estimated_under_cif():
    result = estimate(
        goods=Money("1234567", "JPY"),
        hs_code="640399",
        destination="JP",
        incoterm="CIF",
        freight=Money("45678", "JPY"),
    )

    # insurance: k = 1.1 × 0.0030 = 0.0033; known C + F = 1,280,245
    # premium = 1,280,245 × 0.0033 / 0.9967 = 4,238.80… → 4,239
    assert result.insurance.amount == Money("4239", "JPY")
    # CIF = 1,280,245 + 4,239 = 1,284,484; insured value = 110 % = 1,412,932.4 → 1,412,932
    assert result.customs_value == Money("1284484", "JPY")
    assert result.insurance.base == Money("1412932", "JPY")
    # duty = 30 % × 1,284,484 = 385,345.2 → 385,345
    assert result.duty.amount == Money("385345", "JPY")
    # consumption tax = 10 % × (1,284,484 + 385,345 = 1,669,829) = 166,982.9 → 166,983
    assert result.import_tax.amount == Money("166983", "JPY")
    # 1,234,567 + 45,678 + 4,239 + 385,345 + 166,983 = 1,836,812
    assert result.total_for_buyer == Money("1836812", "JPY")
    assert result.as_dict()["total_for_buyer"] == {"amount": "1836812", "currency": "JPY"}


def test_a_six_digit_rate_beats_the_four_digit_one():
    synthetic = estimate(goods=usd("1000.00"), hs_code="610990", destination="US", incoterm="FOB")
    cotton = estimate(goods=usd("1000.00"), hs_code="610910", destination="US", incoterm="FOB")

    assert synthetic.duty.rate is not None and synthetic.duty.rate.hs_prefix == "610990"
    # 32 % × 1,000.00 = 320.00 (the subheading), not 16.5 % (the heading)
    assert synthetic.duty.amount == usd("320.00")
    assert cotton.duty.rate is not None and cotton.duty.rate.hs_prefix == "6109"
    assert cotton.duty.amount == usd("165.00")


def test_a_chapter_rate_applies_when_no_heading_matches():
    # 6110 (jerseys) has no heading row in the EU sample: the chapter 61 row applies
    result = estimate(goods=eur("1000.00"), hs_code="611020", destination="DE", incoterm="DAP")

    assert result.duty.rate is not None and result.duty.rate.hs_prefix == "61"
    assert result.duty.amount == eur("120.00")


def test_a_rate_not_yet_valid_is_ignored_until_its_day():
    DutyRate.objects.create(
        destination="EU",
        hs_prefix="6109",
        rate=Decimal("20"),
        source="Announced increase (test)",
        valid_from=date(2026, 2, 1),
        is_sample=False,
    )

    today = estimate(goods=eur("1000.00"), hs_code="610910", destination="FR", incoterm="DAP")
    later = estimate(
        goods=eur("1000.00"),
        hs_code="610910",
        destination="FR",
        incoterm="DAP",
        as_of=date(2026, 2, 1),
    )

    # 12 % × 1,000.00 = 120.00 on 15 January; 20 % × 1,000.00 = 200.00 from 1 February
    assert today.duty.amount == eur("120.00")
    assert later.duty.amount == eur("200.00")
    assert later.duty.rate is not None
    assert (later.duty.rate.source, later.duty.rate.is_sample) == (
        "Announced increase (test)",
        False,
    )
    # FR VAT 20 % × (1,000.00 + 200.00) = 240.00
    assert later.import_tax.amount == eur("240.00")


def test_a_destination_with_no_rates_has_unknown_duty_and_tax_and_an_incomplete_total():
    result = estimate(
        goods=usd("5000.00"),
        hs_code="610910",
        destination="NZ",
        incoterm="CFR",
        freight=usd("400.00"),
    )

    # Unknown, not 0.00: nothing is counted for them.
    assert (result.duty.amount, result.import_tax.amount) == (None, None)
    assert result.duty.note == "Unknown: no duty rate is known for this destination and HS code."
    assert result.import_tax.note == "Unknown: no import tax is known for this destination."
    assert (result.duty.rate, result.import_tax.rate, result.regime) == (None, None, None)
    assert result.flags == (
        "no_customs_regime",
        "no_duty_rate",
        "no_import_tax",
        "total_incomplete",
    )
    # CIF basis by default: 5,000.00 + 400.00 + 0.00 = 5,400.00
    assert result.customs_value == usd("5400.00")
    # the known costs only, flagged total_incomplete
    assert result.total_for_buyer == usd("5400.00")
    data = json.loads(json.dumps(result.as_dict()))
    assert (data["duty"]["amount"], data["duty"]["in_buyer_total"]) == (None, False)
    assert (data["import_tax"]["amount"], data["import_tax"]["in_buyer_total"]) == (None, False)
    assert "total_incomplete" in data["flags"]


def test_an_unknown_duty_makes_a_tax_with_the_duty_in_its_base_unknown_too():
    # Wheat (1001 99) has no sample EU duty rate; German VAT has the duty in its base.
    result = estimate(
        goods=eur("10000.00"),
        hs_code="100199",
        destination="DE",
        incoterm="CIF",
        freight=eur("800.00"),
        insurance=eur("25.00"),
    )

    assert (result.duty.amount, result.import_tax.amount) == (None, None)
    assert result.import_tax.note == "Unknown: it is charged on the duty, which is not known."
    assert result.import_tax.base is None
    assert result.flags == ("no_duty_rate", "sample_rates", "total_incomplete")
    assert result.total_for_buyer == eur("10825.00")


def test_an_unknown_duty_leaves_a_tax_on_the_customs_value_alone_known():
    rates = _rates(duty="10", tax="15", duty_in_base=False)
    result = _calculate(CustomsRates(duty=None, import_tax=rates.import_tax, regime=rates.regime))

    # GST 15 % × 1,100.00 = 165.00; the duty is unknown
    assert result.duty.amount is None
    assert result.import_tax.amount == usd("165.00")
    assert result.flags == ("no_duty_rate", "total_incomplete")
    # 1,000.00 + 100.00 + 165.00, the duty left out
    assert result.total_for_buyer == usd("1265.00")


def test_goods_within_the_de_minimis_pay_no_duty_even_without_a_rate():
    result = estimate(
        goods=eur("150.00"),
        hs_code="100199",
        destination="DE",
        incoterm="EXW",
        freight=eur("30.00"),
    )

    # no rate for wheat, but EUR 150 does not exceed the de minimis: 0.00, known
    assert result.duty.amount == eur("0.00")
    # 19 % × (150.00 + 30.00 + 0.00) = 34.20
    assert result.import_tax.amount == eur("34.20")
    assert result.flags == ("duty_de_minimis", "sample_rates")
    assert result.total_for_buyer == eur("214.20")


def test_insurance_under_cip_is_estimated_on_110_percent_of_the_cif_value():
    result = estimate(
        goods=eur("10000.00"),
        hs_code="610910",
        destination="DE",
        incoterm="CIP",
        freight=eur("800.00"),
    )

    # k = 1.1 × 0.0030 = 0.0033; premium = 10,800.00 × 0.0033 / 0.9967 = 35.7580… → 35.76
    assert result.insurance.amount == eur("35.76")
    # CIF = 10,835.76; insured value = 110 % × 10,835.76 = 11,919.336 → 11,919.34
    assert result.insurance.base == eur("11919.34")
    assert (result.insurance.payer, result.insurance.on_invoice) == ("seller", True)
    # duty 12 % × 10,835.76 = 1,300.2912 → 1,300.29
    assert result.duty.amount == eur("1300.29")
    # VAT 19 % × 12,136.05 = 2,305.8495 → 2,305.85
    assert result.import_tax.amount == eur("2305.85")
    # 10,000.00 + 800.00 + 35.76 + 1,300.29 + 2,305.85 = 14,441.90
    assert result.total_for_buyer == eur("14441.90")
    assert result.flags == ("insurance_estimated", "sample_rates")


def test_insurance_under_cif_without_freight_is_estimated_on_the_goods_alone():
    result = estimate(goods=eur("10000.00"), hs_code="610910", destination="DE", incoterm="CIF")

    # premium = 10,000.00 × 0.0033 / 0.9967 = 33.1092… → 33.11
    assert result.insurance.amount == eur("33.11")
    assert result.freight.amount is None
    assert result.freight.in_buyer_total is False
    # customs value leaves the unknown freight out: 10,000.00 + 33.11 = 10,033.11
    assert result.customs_value == eur("10033.11")
    assert result.duty.note == "The customs value leaves out the freight, not known yet."
    assert result.flags == ("freight_not_included", "insurance_estimated", "sample_rates")


def test_a_given_insurance_amount_is_used_as_it_is():
    result = estimate(
        goods=eur("10000.00"),
        hs_code="610910",
        destination="DE",
        incoterm="CIF",
        freight=eur("800.00"),
        insurance=eur("40.00"),
    )

    assert result.insurance.amount == eur("40.00")
    assert result.insurance.base is None
    assert "insurance_estimated" not in result.flags


def test_no_import_between_two_eu_member_states():
    result = estimate(
        goods=eur("1000.00"), hs_code="610910", origin="FR", destination="DE", incoterm="DAP"
    )

    assert (result.duty.amount, result.import_tax.amount) == (eur("0.00"), eur("0.00"))
    assert (result.customs_value, result.customs_value_basis) == (None, None)
    assert result.flags == ("freight_not_included", "same_customs_territory")
    assert result.total_for_buyer == eur("1000.00")


def test_as_dict_is_json_with_money_rates_and_payers_as_strings():
    result = estimate(
        goods=eur("10000.00"),
        hs_code="6109.10",
        destination="de",
        incoterm="fob",
        freight=eur("800.00"),
    )

    data = json.loads(json.dumps(result.as_dict()))

    assert data["hs_code"] == "610910"
    assert (data["destination"], data["incoterm"], data["currency"]) == ("DE", "FOB", "EUR")
    assert data["goods"]["amount"] == {"amount": "10000.00", "currency": "EUR"}
    assert data["freight"] == {
        "amount": {"amount": "800.00", "currency": "EUR"},
        "payer": "buyer",
        "borne_by": "buyer",
        "on_invoice": False,
        "in_buyer_total": True,
        "base": None,
        "rate": None,
        "note": "",
    }
    assert data["customs_value"] == {"amount": "10800.00", "currency": "EUR"}
    # 12 % × 10,800.00 = 1,296.00
    assert data["duty"]["amount"] == {"amount": "1296.00", "currency": "EUR"}
    assert data["duty"]["rate"] == {
        "territory": "EU",
        "hs_prefix": "6109",
        "percent": "12.0000",
        "source": "EU Common Customs Tariff (TARIC), third-country duty; sample value",
        "valid_from": "2024-01-01",
        "is_sample": True,
    }
    # 19 % × (10,800.00 + 1,296.00 = 12,096.00) = 2,298.24
    assert data["import_tax"]["amount"] == {"amount": "2298.24", "currency": "EUR"}
    assert data["import_tax"]["rate"]["duty_in_base"] is True
    # 10,000.00 + 800.00 + 1,296.00 + 2,298.24 = 14,394.24
    assert data["total_for_buyer"] == {"amount": "14394.24", "currency": "EUR"}
    assert data["regime"]["duty_de_minimis"] == {"amount": "150.00", "currency": "EUR"}
    assert data["as_of"] == "2026-01-15"
    assert data["flags"] == ["sample_rates"]
    assert data["insurance_premium_bps"] == 30


def test_the_insurance_premium_follows_the_setting(settings):
    settings.INSURANCE_PREMIUM_BPS = 50

    result = estimate(goods=eur("10000.00"), hs_code="610910", destination="DE", incoterm="CIP")

    # k = 1.1 × 0.0050 = 0.0055; premium = 10,000.00 × 0.0055 / 0.9945 = 55.3041… → 55.30
    assert result.insurance.amount == eur("55.30")
    assert result.insurance_premium_bps == 50


# Refusals: each a DomainError, and nothing written


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"freight": usd("800.00")}, "freight", "currency_mismatch"),
        ({"insurance": usd("10.00")}, "insurance", "currency_mismatch"),
        ({"freight": eur("-1.00")}, "freight", "negative_amount"),
        ({"goods": eur("-0.01")}, "goods", "negative_amount"),
        ({"destination": "XX"}, "destination", "unknown_country"),
        ({"destination": "EU"}, "destination", "unknown_country"),
        ({"origin": ""}, "origin", "unknown_country"),
        ({"incoterm": "FOX"}, "incoterm", "unknown_incoterm"),
        ({"hs_code": "6109"}, "hs_code", "invalid_hs_code"),
        ({"hs_code": "61091A"}, "hs_code", "invalid_hs_code"),
    ],
)
def test_bad_input_is_refused_with_a_domain_error(changes, field, code):
    before = table_counts()
    arguments = {
        "goods": eur("1000.00"),
        "hs_code": "610910",
        "destination": "DE",
        "incoterm": "CIF",
        "freight": eur("100.00"),
        **changes,
    }

    with pytest.raises(DomainError) as refused:
        estimate(**arguments)

    assert (refused.value.field, refused.value.code) == (field, code)
    assert table_counts() == before


def test_a_de_minimis_that_cannot_be_converted_is_refused():
    before = table_counts()

    with pytest.raises(FxRateUnavailable) as refused:
        estimate(goods=Money("1000.00", "CHF"), hs_code="610910", destination="DE", incoterm="EXW")

    assert refused.value.code == "no_fx_rate"
    assert table_counts() == before


# The pure calculation, with rates given by hand


def _rates(*, duty: str, tax: str, duty_in_base: bool, basis: str = "CIF") -> CustomsRates:
    day = date(2024, 1, 1)
    return CustomsRates(
        duty=DutyRateUsed("ZZ", "6109", Decimal(duty), "test", day, False),
        import_tax=ImportTaxUsed("ZZ", "GST", Decimal(tax), duty_in_base, "test", day, False),
        regime=CustomsRegimeUsed("ZZ", basis, usd("0"), usd("0"), "test", day, False),
    )


def _calculate(rates: CustomsRates, **kwargs):
    arguments = {
        "goods": usd("1000.00"),
        "hs_code": "610910",
        "origin": "CN",
        "destination": "ZZ",
        "incoterm": get_incoterm("CFR"),
        "freight": usd("100.00"),
        "insurance": None,
        "rates": rates,
        "as_of": AS_OF,
        "insurance_premium_bps": 30,
        **kwargs,
    }
    return landed_cost_calculate(**arguments)


def test_a_tax_without_duty_in_its_base_is_charged_on_the_customs_value_alone():
    result = _calculate(_rates(duty="10", tax="15", duty_in_base=False))

    # duty 10 % × 1,100.00 = 110.00; GST 15 % × 1,100.00 = 165.00 (duty not in the base)
    assert result.duty.amount == usd("110.00")
    assert result.import_tax.base == usd("1100.00")
    assert result.import_tax.amount == usd("165.00")
    assert result.flags == ()


def test_each_component_is_rounded_half_up_once():
    result = _calculate(
        _rates(duty="2.5", tax="7.5", duty_in_base=True),
        goods=usd("0.10"),
        freight=usd("0.10"),
    )

    # duty 2.5 % × 0.20 = 0.005 → 0.01; tax 7.5 % × (0.20 + 0.01) = 0.01575 → 0.02
    assert result.duty.amount == usd("0.01")
    assert result.import_tax.amount == usd("0.02")
    # 0.10 + 0.10 + 0.01 + 0.02 = 0.23
    assert result.total_for_buyer == usd("0.23")
