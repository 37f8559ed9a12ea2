import pytest
from django.urls import reverse

from marketplace.trade.currencies import CURRENCIES
from marketplace.trade.models import HSCode
from marketplace.trade.services import hs_codes_seed_fallback


@pytest.fixture
def hs_fallback(db):
    return hs_codes_seed_fallback()


@pytest.mark.django_db
def test_hs_code_search_by_digits_is_public_and_paginated(api_client, hs_fallback):
    response = api_client.get("/api/v1/hs-codes/", {"q": "0901"})

    assert response.status_code == 200
    assert response.json() == {
        "count": 3,
        "next": None,
        "previous": None,
        "results": [
            {
                "code": "090111",
                "description": "Coffee; not roasted or decaffeinated",
                "level": 6,
                "section": "II",
                "parent": "0901",
            },
            {
                "code": "090121",
                "description": "Coffee; roasted, not decaffeinated",
                "level": 6,
                "section": "II",
                "parent": "0901",
            },
            {
                "code": "090122",
                "description": "Coffee; roasted, decaffeinated",
                "level": 6,
                "section": "II",
                "parent": "0901",
            },
        ],
    }


@pytest.mark.django_db
def test_hs_code_search_by_words_at_chapter_level(api_client, hs_fallback):
    response = api_client.get(reverse("trade_api:hs-code-list"), {"q": "coffee TEA", "level": "2"})

    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "code": "09",
            "description": "Coffee, tea, mate and spices",
            "level": 2,
            "section": "II",
            "parent": None,
        }
    ]


@pytest.mark.django_db
def test_hs_code_list_pages_through_subheadings(api_client, hs_fallback):
    response = api_client.get("/api/v1/hs-codes/", {"page_size": 2, "page": 2})

    body = response.json()
    assert body["count"] == 31
    assert body["next"] == "http://testserver/api/v1/hs-codes/?page=3&page_size=2"
    assert body["previous"] == "http://testserver/api/v1/hs-codes/?page_size=2"
    assert [r["code"] for r in body["results"]] == ["090121", "090122"]


@pytest.mark.django_db
@pytest.mark.parametrize("level", ["5", "abc", "8"])
def test_hs_code_search_refuses_an_invalid_level(api_client, hs_fallback, level):
    response = api_client.get("/api/v1/hs-codes/", {"level": level})

    assert response.status_code == 400
    assert response.json() == {"level": [f'"{level}" is not a valid choice.']}
    assert HSCode.objects.count() == 67


@pytest.mark.django_db
def test_hs_code_search_runs_a_bounded_number_of_queries(
    api_client, hs_fallback, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):
        response = api_client.get("/api/v1/hs-codes/", {"page_size": 50})
    assert len(response.json()["results"]) == 31


def test_incoterms_lists_the_eleven_rules_with_every_attribute(api_client):
    response = api_client.get("/api/v1/incoterms/")

    assert response.status_code == 200
    body = response.json()
    assert [rule["code"] for rule in body] == [
        "EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF",
    ]  # fmt: skip
    assert body[0] == {
        "code": "EXW",
        "name": "Ex Works",
        "mode": "any",
        "risk_passes": "When the seller places the goods at the buyer's disposal at the named "
        "place, not loaded on any collecting vehicle and not cleared for export.",
        "main_carriage_paid_by": "buyer",
        "insurance": "none",
        "export_clearance_by": "buyer",
        "import_clearance_by": "buyer",
        "duty_paid_by": "buyer",
        "named_place_means": "named place of delivery",
    }
    assert body[-1] == {
        "code": "CIF",
        "name": "Cost, Insurance and Freight",
        "mode": "sea",
        "risk_passes": "When the goods are on board the vessel at the port of shipment.",
        "main_carriage_paid_by": "seller",
        "insurance": "seller_min_icc_c",
        "export_clearance_by": "seller",
        "import_clearance_by": "buyer",
        "duty_paid_by": "buyer",
        "named_place_means": "named port of destination",
    }


def test_currencies_list_code_name_and_exponent(api_client):
    response = api_client.get("/api/v1/currencies/")

    assert response.status_code == 200
    body = response.json()
    assert len(body) == len(CURRENCIES) == 22
    assert body[0] == {"code": "USD", "name": "US dollar", "exponent": 2}
    assert {"code": "JPY", "name": "Japanese yen", "exponent": 0} in body
    assert {"code": "KWD", "name": "Kuwaiti dinar", "exponent": 3} in body


@pytest.mark.django_db
def test_schema_describes_the_trade_endpoints_exactly(api_client):
    response = api_client.get("/api/schema/", {"format": "json"})

    schema = response.json()
    hs = schema["paths"]["/api/v1/hs-codes/"]["get"]
    assert {p["name"] for p in hs["parameters"]} == {"q", "level", "page", "page_size"}
    level = next(p for p in hs["parameters"] if p["name"] == "level")
    assert level["schema"]["enum"] == [2, 4, 6]
    assert hs["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginatedHSCodeList"
    }
    incoterms = schema["paths"]["/api/v1/incoterms/"]["get"]
    assert "parameters" not in incoterms  # no page or page_size: not paginated
    assert incoterms["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Incoterm"},
    }
    assert "not paginated" in incoterms["description"]
    currencies = schema["paths"]["/api/v1/currencies/"]["get"]
    assert currencies["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Currency"},
    }
    party = schema["components"]["schemas"]["TradePartyEnum"]
    assert party["enum"] == ["buyer", "seller"]
