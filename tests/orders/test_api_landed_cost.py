"""GET /api/v1/listings/{id}/landed-cost/: the estimate to the cent with the sample rates, and
every bad parameter as a 400."""

import pytest
from django.utils import timezone

from tests.listings.factories import ListingFactory


def url(listing) -> str:
    return f"/api/v1/listings/{listing.pk}/landed-cost/"


def money(amount, currency="USD"):
    return {"amount": amount, "currency": currency}


def test_estimate_for_germany_under_fob_to_the_cent(api_client, listing):
    response = api_client.get(
        url(listing), {"destination": "DE", "quantity": 500, "incoterm": "FOB"}
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    # 500 × 1.2000 = 600.00; customs value (CIF basis, freight unknown) 600.00;
    # duty 3.7 % = 22.20; VAT 19 % of 622.20 = 118.22; total 740.42.
    assert {key: body[key] for key in body if key not in ("fx_rates", "regime")} == {
        "listing": listing.pk,
        "quantity": 500,
        "unit_price": {"amount": "1.2000", "currency": "USD"},
        "currency": "USD",
        "incoterm": "FOB",
        "origin": "CN",
        "destination": "DE",
        "hs_code": "731815",
        "as_of": timezone.localdate().isoformat(),
        "goods": {
            "amount": money("600.00"),
            "payer": "buyer",
            "borne_by": "buyer",
            "on_invoice": True,
            "in_buyer_total": True,
            "base": None,
            "rate": None,
            "note": "",
        },
        "freight": {
            "amount": None,
            "payer": "buyer",
            "borne_by": "buyer",
            "on_invoice": False,
            "in_buyer_total": False,
            "base": None,
            "rate": None,
            "note": "Not known yet: left out of the totals.",
        },
        "insurance": {
            "amount": money("0.00"),
            "payer": "buyer",
            "borne_by": "buyer",
            "on_invoice": False,
            "in_buyer_total": True,
            "base": None,
            "rate": None,
            "note": "None given; FOB does not require insurance.",
        },
        "customs_value_basis": "CIF",
        "customs_value": money("600.00"),
        "duty": {
            "amount": money("22.20"),
            "payer": "buyer",
            "borne_by": "buyer",
            "on_invoice": False,
            "in_buyer_total": True,
            "base": money("600.00"),
            "rate": {
                "territory": "EU",
                "hs_prefix": "7318",
                "percent": "3.7000",
                "source": "EU Common Customs Tariff (TARIC), third-country duty; sample value",
                "valid_from": "2024-01-01",
                "is_sample": True,
            },
            "note": "The customs value leaves out the freight, not known yet.",
        },
        "import_tax": {
            "amount": money("118.22"),
            "payer": "buyer",
            "borne_by": "buyer",
            "on_invoice": False,
            "in_buyer_total": True,
            "base": money("622.20"),
            "rate": {
                "territory": "DE",
                "name": "VAT",
                "percent": "19.0000",
                "duty_in_base": True,
                "source": "Standard VAT rate (European Commission, VAT rates in the EU); "
                "sample value",
                "valid_from": "2021-01-01",
                "is_sample": True,
            },
            "note": "",
        },
        "total_for_buyer": money("740.42"),
        "borne_by_seller": money("0.00"),
        "insurance_premium_bps": 30,
        "flags": ["freight_not_included", "sample_rates"],
    }
    assert body["regime"]["duty_de_minimis"] == money("150.00", "EUR")


def test_estimate_with_freight_puts_it_in_the_customs_value(api_client, listing):
    response = api_client.get(
        url(listing),
        {"destination": "de", "quantity": 1000, "incoterm": "FOB", "freight": "150.00"},
    )

    body = response.json()
    # 1,000 × 1.0500 = 1,050.00 + freight 150.00 = 1,200.00 customs value; duty 44.40;
    # VAT 19 % of 1,244.40 = 236.44; total 1,050 + 150 + 44.40 + 236.44 = 1,480.84.
    assert response.status_code == 200
    assert body["unit_price"] == {"amount": "1.0500", "currency": "USD"}
    assert body["customs_value"] == money("1200.00")
    assert body["duty"]["amount"] == money("44.40")
    assert body["import_tax"]["amount"] == money("236.44")
    assert body["total_for_buyer"] == money("1480.84")
    assert body["flags"] == ["sample_rates"]


def test_the_us_charges_duty_on_the_fob_value(api_client, listing):
    body = api_client.get(
        url(listing), {"destination": "US", "quantity": 1000, "incoterm": "CIF"}
    ).json()

    assert body["customs_value_basis"] == "FOB"
    assert body["customs_value"] == money("1050.00")
    assert body["insurance"]["payer"] == "seller"
    assert body["insurance"]["on_invoice"] is True


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        (
            {"destination": "DE", "quantity": 99, "incoterm": "FOB"},
            {"quantity": ["The minimum order quantity is 100."]},
        ),
        (
            {"destination": "DE", "quantity": 500, "incoterm": "DDP"},
            {"incoterm": ["“DDP” is not offered for this listing; offered: EXW, FOB, CIF, DAP."]},
        ),
        (
            {"destination": "XX", "quantity": 500, "incoterm": "FOB"},
            {"destination": ["“XX” is not a country code (ISO 3166-1 alpha-2)."]},
        ),
        (
            {"quantity": "many", "incoterm": "FOB"},
            {"quantity": ["Enter a whole number."], "destination": ["Choose a country."]},
        ),
        (
            {"destination": "DE", "quantity": 500, "incoterm": "FOB", "freight": "-1"},
            {"freight": ["Ensure this value is greater than or equal to 0."]},
        ),
        (
            {"destination": "DE", "quantity": 99999999999, "incoterm": "FOB"},
            {"quantity": ["Ensure this value is less than or equal to 2147483647."]},
        ),
    ],
)
def test_bad_parameters_are_400(api_client, listing, params, errors):
    response = api_client.get(url(listing), params)

    assert response.status_code == 400
    assert response.json() == errors


def test_an_unpublished_listing_is_404(api_client, seller, fx_rates):
    draft = ListingFactory(seller=seller)

    response = api_client.get(url(draft), {"destination": "DE", "quantity": 100, "incoterm": "FOB"})

    assert response.status_code == 404
