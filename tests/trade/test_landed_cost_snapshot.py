"""The landed-cost snapshot as a typed value: ``LandedCostSnapshot.from_dict(stored).as_dict()``
gives back exactly the JSON that placement and confirmation stored (so stored orders and the
API do not change), for real orders of every kind and for rows stored earlier; older rows
with missing keys are read without error."""

import copy
import importlib
import json
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.conf import settings

from marketplace.demo.services import FX_RATES_SAMPLE_CSV
from marketplace.trade.incoterms import INCOTERMS
from marketplace.trade.landed_cost import (
    DutyRateUsed,
    ImportTaxUsed,
    LandedCost,
    landed_cost_estimate,
)
from marketplace.trade.landed_cost_snapshot import LandedCostSnapshot, snapshot_from_stored
from marketplace.trade.models import DutyRate, FxRate
from marketplace.trade.money import Money
from marketplace.trade.services import fx_rates_import
from orders import selectors, services
from orders.pricing import OrderTotals
from orders.services import LineInput, order_place
from orders.services.placement import _totals_and_landed_cost
from tests.listings.factories import ListingFactory
from tests.orders.factories import OrderFactory, buyer_member, place_order, seller_member, ship_to


def usd(amount: str) -> Money:
    return Money(amount, "USD")


@pytest.fixture
def rates(db):
    """The sample FX rates and the sample duty rates, import taxes and customs regimes."""
    fx_rates_import(path=FX_RATES_SAMPLE_CSV)
    if not apps.get_model("trade", "DutyRate").objects.exists():
        samples = importlib.import_module(
            "marketplace.trade.migrations.0003_sample_landed_cost_rates"
        )
        samples.load_samples(apps, None)


@pytest.fixture
def seller_pair(db):
    return seller_member(legal_name="Ningbo Fasteners Co., Ltd.", country="CN")


@pytest.fixture
def buyer_pair(db):
    return buyer_member(legal_name="Rheinland Import GmbH", country="DE")


@pytest.fixture
def bolts(seller_pair, rates):
    return ListingFactory(
        seller=seller_pair[0],
        published=True,
        title="Hex bolts M8",
        moq=100,
        stock=10_000,
        incoterms=["EXW", "FOB", "CIF", "DAP", "DDP"],
        tiers=[(100, "1.2000"), (1000, "1.0500")],
    )


def round_trips(stored: dict) -> LandedCostSnapshot:
    """The stored JSON read and written back is the same JSON, value for value and type for
    type; returns the typed value."""
    snapshot = LandedCostSnapshot.from_dict(stored)
    again = snapshot.as_dict()
    assert again == stored
    assert json.dumps(again, sort_keys=True) == json.dumps(stored, sort_keys=True)
    # and reading the written JSON gives the same value
    assert LandedCostSnapshot.from_dict(again) == snapshot
    return snapshot


def stored(order) -> dict:
    order.refresh_from_db()
    return order.landed_cost


# --- real placed orders ------------------------------------------------------------------


def test_a_fob_order_round_trips_and_reads_as_typed_values(bolts):
    order = place_order(listing=bolts, quantity=500)

    snapshot = round_trips(stored(order))

    # 500 × 1.2000 = 600.00; EU duty 3.7 % = 22.20; German VAT 19 % of 622.20 = 118.22
    assert snapshot.currency == "USD"
    assert snapshot.incoterm == "FOB"
    assert snapshot.destination == "DE"
    assert snapshot.payer == "buyer"
    assert snapshot.goods == usd("600.00")
    assert snapshot.freight is None
    assert snapshot.insurance == usd("0.00")
    assert snapshot.duty == usd("22.20")
    assert snapshot.import_tax == usd("118.22")
    assert snapshot.total_for_buyer == usd("740.42")
    assert snapshot.borne_by_seller == usd("0.00")
    assert snapshot.platform_fee == usd("18.00")
    assert snapshot.landed_total == usd("758.42")
    assert snapshot.buyer_total == usd("758.42")
    assert snapshot.flags == ("freight_not_included", "sample_rates")
    assert snapshot.note == ""
    assert (snapshot.estimated, snapshot.is_sample, snapshot.total_incomplete) == (
        True,
        True,
        False,
    )
    assert (snapshot.known("freight"), snapshot.known("duty"), snapshot.known("import_tax")) == (
        False,
        True,
        True,
    )
    (part,) = snapshot.parts
    assert isinstance(part, LandedCost)
    assert (part.origin, part.hs_code, part.customs_value_basis) == ("CN", "731815", "CIF")
    assert part.duty.rate == DutyRateUsed(
        territory="EU",
        hs_prefix="7318",
        percent=Decimal("3.7000"),
        source="EU Common Customs Tariff (TARIC), third-country duty; sample value",
        valid_from=date(2024, 1, 1),
        is_sample=True,
    )
    assert isinstance(part.import_tax.rate, ImportTaxUsed)
    assert (part.import_tax.rate.name, part.import_tax.rate.duty_in_base) == ("VAT", True)
    assert part.regime is not None
    assert part.regime.duty_de_minimis == Money("150.00", "EUR")
    assert [(r.base, r.quote) for r in part.fx_rates] == [("EUR", "USD")]
    assert order.landed_cost_snapshot == snapshot


def test_an_order_of_two_origins_round_trips_with_two_parts(bolts, seller_pair, buyer_pair):
    vietnamese = ListingFactory(
        seller=seller_pair[0],
        published=True,
        origin_country="VN",
        moq=10,
        stock=5_000,
        tiers=[(10, "0.0350")],
    )
    buyer, actor = buyer_pair
    order = order_place(
        buyer=buyer,
        actor=actor,
        lines=[LineInput(bolts.pk, 100), LineInput(vietnamese.pk, 1000)],
        incoterm="FOB",
        named_place="Ningbo",
        ship_to=ship_to(),
    )

    snapshot = round_trips(stored(order))

    assert [(p.origin, p.goods.amount) for p in snapshot.parts] == [
        ("CN", usd("120.00")),
        ("VN", usd("35.00")),
    ]
    assert snapshot.goods == usd("155.00")


def test_a_ddp_order_round_trips_with_duty_and_tax_on_the_seller(bolts):
    order = place_order(listing=bolts, quantity=100, incoterm="DDP", named_place="Köln")

    snapshot = round_trips(stored(order))

    assert snapshot.payer == "seller"
    assert snapshot.borne_by_seller is not None
    assert not snapshot.borne_by_seller.is_zero()
    assert snapshot.total_for_buyer == usd("120.00")  # the goods only: no freight known yet


def test_a_cif_order_confirmed_with_freight_round_trips(bolts, seller_pair):
    order = place_order(listing=bolts, quantity=1000, incoterm="CIF", named_place="Hamburg")
    placed = round_trips(stored(order))
    assert placed.freight is None
    assert "insurance_estimated" in placed.flags

    confirmed = services.order_confirm(
        order=order, actor=seller_pair[1], freight=Decimal("250.00"), insurance=Decimal("4.10")
    )

    snapshot = round_trips(stored(confirmed))
    assert snapshot.freight == usd("250.00")
    assert snapshot.insurance == usd("4.10")
    assert "freight_not_included" not in snapshot.flags
    assert snapshot.parts[0].freight.on_invoice is True


def test_an_order_with_an_unknown_duty_round_trips_with_nulls(bolts):
    DutyRate.objects.filter(destination="EU", hs_prefix="7318").delete()
    order = place_order(listing=bolts, quantity=500)

    data = stored(order)
    snapshot = round_trips(data)

    assert (data["duty"], data["import_tax"]) == (None, None)
    assert (snapshot.duty, snapshot.import_tax) == (None, None)
    assert snapshot.total_incomplete is True
    assert (snapshot.known("duty"), snapshot.known("import_tax")) == (False, False)
    assert selectors.order_estimate_known(order=order, part="duty") is False


def test_an_order_inside_one_customs_territory_round_trips(seller_pair, rates):
    french = ListingFactory(
        seller=seller_pair[0], published=True, origin_country="FR", moq=10, tiers=[(10, "2.0000")]
    )
    order = place_order(listing=french, quantity=10)

    snapshot = round_trips(stored(order))

    assert snapshot.flags == ("freight_not_included", "same_customs_territory")
    assert (snapshot.duty, snapshot.import_tax) == (usd("0.00"), usd("0.00"))
    assert snapshot.parts[0].customs_value_basis is None


def test_an_order_in_yen_round_trips(seller_pair, rates):
    yen = ListingFactory(
        seller=seller_pair[0], published=True, currency="JPY", moq=10, tiers=[(10, "150.0000")]
    )
    order = place_order(listing=yen, quantity=13, address=ship_to(country="KE"))

    snapshot = round_trips(stored(order))

    assert (snapshot.duty, snapshot.import_tax) == (Money(195, "JPY"), Money(343, "JPY"))
    assert snapshot.as_dict()["duty"] == {"amount": "195", "currency": "JPY"}


def test_an_order_placed_without_an_estimate_round_trips(bolts):
    FxRate.objects.all().delete()  # the EU de minimis (EUR) cannot be converted into USD
    order = place_order(listing=bolts, quantity=500)

    data = stored(order)
    snapshot = round_trips(data)

    assert data == {
        "currency": "USD",
        "incoterm": "FOB",
        "destination": "DE",
        "as_of": data["as_of"],
        "payer": "buyer",
        "flags": ["estimate_unavailable"],
        "note": "No exchange rate from EUR to USD is known.",
        "parts": [],
        "platform_fee": {"amount": "18.00", "currency": "USD"},
    }
    assert snapshot.estimated is False
    assert (snapshot.goods, snapshot.total_for_buyer, snapshot.landed_total) == (None, None, None)
    assert snapshot.platform_fee == usd("18.00")
    assert snapshot.known("duty") is False
    assert selectors.order_estimate_known(order=order, part="import_tax") is False


def test_the_api_shows_the_stored_json(bolts, api_client, buyer_pair):
    buyer, actor = buyer_pair
    order = place_order(listing=bolts, quantity=500, buyer=buyer, actor=actor)
    api_client.force_authenticate(actor)
    api_client.credentials(HTTP_X_COMPANY=str(buyer.pk))

    response = api_client.get(f"/api/v1/orders/{order.pk}/")

    assert response.status_code == 200
    assert response.json()["landed_cost"] == stored(order)


# --- rows stored earlier -------------------------------------------------------------------

# Copied verbatim from the row of an order placed by the code before this change (FOB to DE).
STORED_FOB = {
    "currency": "USD",
    "incoterm": "FOB",
    "destination": "DE",
    "as_of": "2026-12-04",
    "payer": "buyer",
    "goods": {"amount": "600.00", "currency": "USD"},
    "freight": None,
    "insurance": {"amount": "0.00", "currency": "USD"},
    "duty": {"amount": "22.20", "currency": "USD"},
    "import_tax": {"amount": "118.22", "currency": "USD"},
    "total_for_buyer": {"amount": "740.42", "currency": "USD"},
    "borne_by_seller": {"amount": "0.00", "currency": "USD"},
    "flags": ["freight_not_included", "sample_rates"],
    "parts": [
        {
            "currency": "USD",
            "incoterm": "FOB",
            "origin": "CN",
            "destination": "DE",
            "hs_code": "731815",
            "as_of": "2026-12-04",
            "goods": {
                "amount": {"amount": "600.00", "currency": "USD"},
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
                "amount": {"amount": "0.00", "currency": "USD"},
                "payer": "buyer",
                "borne_by": "buyer",
                "on_invoice": False,
                "in_buyer_total": True,
                "base": None,
                "rate": None,
                "note": "None given; FOB does not require insurance.",
            },
            "customs_value_basis": "CIF",
            "customs_value": {"amount": "600.00", "currency": "USD"},
            "duty": {
                "amount": {"amount": "22.20", "currency": "USD"},
                "payer": "buyer",
                "borne_by": "buyer",
                "on_invoice": False,
                "in_buyer_total": True,
                "base": {"amount": "600.00", "currency": "USD"},
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
                "amount": {"amount": "118.22", "currency": "USD"},
                "payer": "buyer",
                "borne_by": "buyer",
                "on_invoice": False,
                "in_buyer_total": True,
                "base": {"amount": "622.20", "currency": "USD"},
                "rate": {
                    "territory": "DE",
                    "name": "VAT",
                    "percent": "19.0000",
                    "duty_in_base": True,
                    "source": "Standard VAT rate (European Commission, VAT rates in the EU); sample value",
                    "valid_from": "2021-01-01",
                    "is_sample": True,
                },
                "note": "",
            },
            "total_for_buyer": {"amount": "740.42", "currency": "USD"},
            "borne_by_seller": {"amount": "0.00", "currency": "USD"},
            "insurance_premium_bps": 30,
            "regime": {
                "territory": "EU",
                "customs_value_basis": "CIF",
                "duty_de_minimis": {"amount": "150.00", "currency": "EUR"},
                "tax_de_minimis": {"amount": "0.00", "currency": "EUR"},
                "source": "Union Customs Code (customs value incl. transport and insurance to the EU border); Regulation (EC) 1186/2009 art. 23 duty relief up to EUR 150; the EUR 22 import VAT relief ended on 1 July 2021; sample",
                "valid_from": "2021-07-01",
                "is_sample": True,
            },
            "fx_rates": [
                {
                    "base": "EUR",
                    "quote": "USD",
                    "rate": "1.15606936",
                    "source": "Inverse of USD/EUR: Sample rates — check before use",
                    "as_of": "2026-11-20",
                }
            ],
            "flags": ["freight_not_included", "sample_rates"],
        }
    ],
    "platform_fee": {"amount": "18.00", "currency": "USD"},
    "landed_total": {"amount": "758.42", "currency": "USD"},
}

# The shape stored when no estimate could be made (an FX rate missing), as stored.
STORED_UNAVAILABLE = {
    "note": "No exchange rate from EUR to USD is known.",
    "as_of": "2026-03-02",
    "flags": ["estimate_unavailable"],
    "parts": [],
    "payer": "buyer",
    "currency": "USD",
    "incoterm": "FOB",
    "destination": "DE",
    "platform_fee": {"amount": "18.00", "currency": "USD"},
}


@pytest.mark.parametrize("row", [STORED_FOB, STORED_UNAVAILABLE], ids=["fob", "unavailable"])
def test_stored_rows_round_trip(row):
    before = copy.deepcopy(row)

    round_trips(row)

    assert row == before  # reading never changes the stored JSON


def test_stored_rows_round_trip_through_the_database(db):
    for row in (STORED_FOB, STORED_UNAVAILABLE):
        order = OrderFactory(landed_cost=row)
        order.refresh_from_db()
        assert order.landed_cost_snapshot is not None
        assert order.landed_cost_snapshot.as_dict() == row


def test_a_row_missing_keys_is_read_with_what_it_has():
    # An older row with neither payer, platform fee, landed total nor parts.
    row = {
        "currency": "USD",
        "incoterm": "DDP",
        "destination": "DE",
        "as_of": "2025-06-30",
        "goods": {"amount": "120.00", "currency": "USD"},
        "insurance": {"amount": "0.00", "currency": "USD"},
        "duty": {"amount": "4.44", "currency": "USD"},
        "total_for_buyer": {"amount": "120.00", "currency": "USD"},
    }

    snapshot = LandedCostSnapshot.from_dict(row)

    assert snapshot.payer == "seller"  # the Incoterm's: DDP puts duty and tax on the seller
    assert snapshot.as_of == date(2025, 6, 30)
    assert (snapshot.freight, snapshot.import_tax, snapshot.borne_by_seller) == (None, None, None)
    assert (snapshot.platform_fee, snapshot.landed_total) == (None, None)
    assert snapshot.buyer_total == usd("120.00")  # no fee recorded: the estimate's total
    assert (snapshot.flags, snapshot.parts, snapshot.note) == ((), (), "")
    assert snapshot.estimated is True
    assert (snapshot.known("duty"), snapshot.known("import_tax")) == (True, False)


def test_a_row_of_flags_alone_is_an_unavailable_estimate():
    snapshot = LandedCostSnapshot.from_dict({"flags": ["estimate_unavailable"]})

    assert (snapshot.estimated, snapshot.currency, snapshot.as_of, snapshot.payer) == (
        False,
        "",
        None,
        "buyer",
    )


def test_an_empty_row_is_no_snapshot(db):
    assert snapshot_from_stored({}) is None
    assert snapshot_from_stored(None) is None
    with pytest.raises(ValueError, match="empty landed-cost snapshot"):
        LandedCostSnapshot.from_dict({})
    order = OrderFactory(landed_cost={})
    assert order.landed_cost_snapshot is None
    assert selectors.order_estimate_known(order=order, part="duty") is True


def test_known_refuses_a_part_that_cannot_be_unknown():
    with pytest.raises(ValueError, match="goods"):
        LandedCostSnapshot.from_dict(STORED_FOB).known("goods")


# --- building -------------------------------------------------------------------------------


def test_totals_and_landed_cost_returns_the_typed_snapshot_with_the_fee(rates):
    lines = [("731815", "CN", usd("600.00"))]

    totals, snapshot = _totals_and_landed_cost(
        lines=lines,
        currency="USD",
        destination="DE",
        incoterm=INCOTERMS["FOB"],
        fee_bps=300,
        freight=None,
        insurance=None,
    )

    assert isinstance(totals, OrderTotals)
    assert isinstance(snapshot, LandedCostSnapshot)
    assert (snapshot.platform_fee, snapshot.landed_total) == (usd("18.00"), usd("758.42"))
    assert totals.platform_fee == usd("18.00")
    preview = services.order_landed_cost_preview(
        lines=lines, currency="USD", destination="DE", incoterm=INCOTERMS["FOB"]
    )
    fee = Money(Decimal(600) * settings.PLATFORM_FEE_BPS / 10_000, "USD").rounded()
    assert preview == snapshot.with_platform_fee(fee).as_dict()


def test_of_parts_adds_up_the_estimates_and_keeps_an_unknown_unknown(rates):
    known = landed_cost_estimate(
        goods=usd("600.00"),
        hs_code="731815",
        origin="CN",
        destination="DE",
        incoterm="FOB",
        freight=usd("40.00"),
        insurance=None,
    )
    unknown_freight = landed_cost_estimate(
        goods=usd("35.00"),
        hs_code="731815",
        origin="VN",
        destination="DE",
        incoterm="FOB",
        freight=None,
        insurance=None,
    )

    snapshot = LandedCostSnapshot.of_parts(
        currency="USD",
        incoterm=INCOTERMS["FOB"],
        destination="DE",
        as_of=known.as_of,
        goods=usd("635.00"),
        parts=[known, unknown_freight],
    )

    assert snapshot.freight is None  # unknown in one part: unknown in the sum, never 40.00
    assert snapshot.total_for_buyer == known.total_for_buyer + unknown_freight.total_for_buyer
    assert "freight_not_included" in snapshot.flags
    assert snapshot.with_platform_fee(usd("19.05")).landed_total == (
        snapshot.total_for_buyer + usd("19.05")
    )
