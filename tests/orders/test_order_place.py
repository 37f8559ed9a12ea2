from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from listings.models import Listing
from orders.enums import OrderStatus
from orders.models import OrderEvent
from orders.services import LineInput, order_place
from tests.factories import CompanyFactory, MembershipFactory
from tests.listings.factories import ListingFactory
from tests.orders.factories import buyer_member, orders_state, ship_to


def place(buyer, actor, lines, **overrides):
    kwargs = {
        "incoterm": "FOB",
        "named_place": "Ningbo",
        "ship_to": ship_to(),
        "buyer_reference": "PO-4711",
    }
    kwargs.update(overrides)
    return order_place(buyer=buyer, actor=actor, lines=lines, **kwargs)


def refused(buyer, actor, lines, *watched, **overrides) -> dict:
    """Place, expect a ValidationError, check nothing changed, return its message dict."""
    before = orders_state(*watched)
    with pytest.raises(ValidationError) as caught:
        place(buyer, actor, lines, **overrides)
    assert orders_state(*watched) == before
    return caught.value.message_dict


# --- placed -----------------------------------------------------------------------------


def test_order_place_reserves_stock_snapshots_lines_and_freezes_totals(
    listing, buyer, buyer_user, seller
):
    order = place(buyer, buyer_user, [LineInput(listing.pk, 1000)])

    assert order.status == OrderStatus.PLACED
    assert order.number.startswith(f"ORD-{timezone.localdate().year}-")
    assert (order.buyer, order.seller, order.placed_by) == (buyer, seller, buyer_user)
    assert (order.currency, order.incoterm, order.named_place) == ("USD", "FOB", "Ningbo")
    assert order.buyer_reference == "PO-4711"
    assert (order.ship_to_name, order.ship_to_city, str(order.ship_to_country)) == (
        "Rheinland Import GmbH, Wareneingang",
        "Köln",
        "DE",
    )
    # 1,000 × 1.0500 (the 1,000 break) = 1,050.00; fee 3 % = 31.50; charged 1,081.50.
    # Estimate for DE: duty 3.7 % of 1,050.00 = 38.85; VAT 19 % of 1,088.85 = 206.88.
    assert {
        "goods": order.goods_minor,
        "freight": order.freight_minor,
        "insurance": order.insurance_minor,
        "fee": order.platform_fee_minor,
        "duty": order.duty_minor,
        "tax": order.import_tax_minor,
        "total": order.total_minor,
    } == {
        "goods": 105000,
        "freight": 0,
        "insurance": 0,
        "fee": 3150,
        "duty": 3885,
        "tax": 20688,
        "total": 108150,
    }
    assert order.platform_fee_bps == 300
    assert order.duty_and_tax_payer == "buyer"
    frozen = order.landed_cost
    assert frozen["destination"] == "DE"
    assert frozen["payer"] == "buyer"
    assert frozen["duty"] == {"amount": "38.85", "currency": "USD"}
    assert frozen["import_tax"] == {"amount": "206.88", "currency": "USD"}
    assert frozen["platform_fee"] == {"amount": "31.50", "currency": "USD"}
    assert frozen["landed_total"] == {"amount": "1327.23", "currency": "USD"}
    assert "freight_not_included" in frozen["flags"]
    (part,) = frozen["parts"]
    assert part["duty"]["rate"]["percent"] == "3.7000"
    assert part["duty"]["rate"]["source"].startswith("EU Common Customs Tariff")
    assert part["import_tax"]["rate"]["name"] == "VAT"
    assert abs(order.expires_at - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)

    (line,) = order.lines.all()
    assert line.listing == listing
    assert (line.title, line.hs_code, str(line.origin_country), line.unit) == (
        "Hex bolts M8",
        "731815",
        "CN",
        "piece",
    )
    assert (line.quantity, line.unit_price, line.line_total_minor) == (
        1000,
        Decimal("1.0500"),
        105000,
    )
    assert (line.unit_net_weight_kg, line.units_per_carton, line.carton_gross_weight_kg) == (
        listing.unit_net_weight_kg,
        listing.units_per_carton,
        listing.carton_gross_weight_kg,
    )
    assert (line.carton_length_cm, line.carton_width_cm, line.carton_height_cm) == (
        listing.carton_length_cm,
        listing.carton_width_cm,
        listing.carton_height_cm,
    )

    assert Listing.objects.get(pk=listing.pk).stock == 9000
    assert list(order.events.values_list("actor", "from_status", "to_status")) == [
        (buyer_user.pk, "", "placed")
    ]


def test_order_place_one_below_a_break_pays_the_lower_tier_price(listing, buyer, buyer_user):
    order = place(buyer, buyer_user, [LineInput(listing.pk, 999)])
    assert order.lines.get().unit_price == Decimal("1.2000")
    assert order.goods_minor == 119880  # 999 × 1.2000 = 1,198.80


def test_order_place_exactly_at_the_moq_and_the_whole_stock_is_accepted(buyer, buyer_user, seller):
    listing = ListingFactory(seller=seller, published=True, moq=50, stock=50, tiers=[(50, "2")])
    order = place(buyer, buyer_user, [LineInput(listing.pk, 50)], ship_to=ship_to(country="KE"))
    assert order.goods_minor == 10000
    assert Listing.objects.get(pk=listing.pk).stock == 0


def test_order_place_in_jpy_has_whole_yen_amounts(buyer, buyer_user, seller, fx_rates):
    listing = ListingFactory(
        seller=seller, published=True, currency="JPY", moq=10, tiers=[(10, "150.0000")]
    )
    # 13 × 150 = 1,950 yen; fee 58.5 → 59; KE: duty 10 % = 195, VAT 16 % of 2,145 = 343.2 → 343.
    order = place(buyer, buyer_user, [LineInput(listing.pk, 13)], ship_to=ship_to(country="KE"))
    assert (order.currency, order.goods_minor, order.platform_fee_minor, order.total_minor) == (
        "JPY",
        1950,
        59,
        2009,
    )
    assert (order.duty_minor, order.import_tax_minor) == (195, 343)


def test_order_place_of_several_lines_of_one_seller_sums_them(listing, buyer, buyer_user, seller):
    other = ListingFactory(seller=seller, published=True, moq=10, tiers=[(10, "0.0350")])
    order = place(buyer, buyer_user, [LineInput(other.pk, 1000), LineInput(listing.pk, 100)])
    # 1,000 × 0.0350 = 35.00 and 100 × 1.2000 = 120.00
    assert list(order.lines.values_list("listing_id", "line_total_minor")) == [
        (other.pk, 3500),
        (listing.pk, 12000),
    ]
    assert (order.goods_minor, order.platform_fee_minor, order.total_minor) == (15500, 465, 15965)


def test_order_place_under_ddp_puts_duty_and_tax_on_the_seller(buyer, buyer_user, seller, fx_rates):
    listing = ListingFactory(seller=seller, published=True, incoterms=["DDP"])
    order = place(
        buyer, buyer_user, [LineInput(listing.pk, 100)], incoterm="DDP", named_place="Köln"
    )
    assert order.duty_and_tax_payer == "seller"
    assert order.landed_cost["payer"] == "seller"
    assert order.landed_cost["borne_by_seller"]["amount"] != "0.00"


def test_order_place_enqueues_the_email_after_commit(
    listing, buyer, buyer_user, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr("orders.tasks.order_event_notify_task.delay", lambda **kw: sent.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        order = place(buyer, buyer_user, [LineInput(listing.pk, 100)])
    assert sent == [{"event_id": OrderEvent.objects.get(order=order).pk}]


# --- refused, nothing written -----------------------------------------------------------


def test_order_place_below_moq_is_refused(listing, buyer, buyer_user):
    errors = refused(buyer, buyer_user, [LineInput(listing.pk, 99)], listing)
    assert errors == {
        "lines": ["“Hex bolts M8” has a minimum order quantity of 100; you asked for 99."]
    }


def test_order_place_over_stock_is_refused(listing, buyer, buyer_user):
    errors = refused(buyer, buyer_user, [LineInput(listing.pk, 10_001)], listing)
    assert errors == {"lines": ["Only 10000 of “Hex bolts M8” are in stock; you asked for 10001."]}


def test_order_place_with_an_incoterm_the_listing_does_not_offer_is_refused(
    listing, buyer, buyer_user
):
    errors = refused(buyer, buyer_user, [LineInput(listing.pk, 100)], listing, incoterm="CPT")
    assert errors == {
        "incoterm": ["“Hex bolts M8” is not offered under CPT; offered: EXW, FOB, CIF, DAP."]
    }


def test_order_place_with_an_unknown_incoterm_is_refused(listing, buyer, buyer_user):
    errors = refused(buyer, buyer_user, [LineInput(listing.pk, 100)], listing, incoterm="FOO")
    assert errors == {"incoterm": ["“FOO” is not an Incoterms 2020 rule."]}


@pytest.mark.parametrize("named_place", ["", "   "])
def test_order_place_without_a_named_place_is_refused(listing, buyer, buyer_user, named_place):
    errors = refused(
        buyer, buyer_user, [LineInput(listing.pk, 100)], listing, named_place=named_place
    )
    assert errors == {"named_place": ["Enter the named port of shipment for the Incoterm."]}


def test_order_place_with_lines_of_two_sellers_is_refused(listing, buyer, buyer_user):
    other = ListingFactory(published=True)
    errors = refused(
        buyer, buyer_user, [LineInput(listing.pk, 100), LineInput(other.pk, 100)], listing, other
    )
    assert errors == {"lines": ["All lines of an order must come from one seller."]}


@pytest.mark.parametrize("status", ["draft", "pending", "rejected", "archived"])
def test_order_place_of_an_unpublished_listing_is_refused(buyer, buyer_user, seller, status):
    listing = ListingFactory(seller=seller, **{status: True} if status != "draft" else {})
    errors = refused(buyer, buyer_user, [LineInput(listing.pk, 100)], listing)
    assert errors == {"lines": [f"Listing {listing.pk} is not available."]}


def test_order_place_of_a_listing_that_does_not_exist_is_refused(buyer, buyer_user, db):
    errors = refused(buyer, buyer_user, [LineInput(987654, 100)])
    assert errors == {"lines": ["Listing 987654 is not available."]}


@pytest.mark.parametrize(
    ("country", "message"),
    [
        ("XX", "“XX” is not a known country code."),
        ("Germany", "“Germany” is not a known country code."),
        ("", "Choose the country the goods are shipped to."),
    ],
)
def test_order_place_to_an_unknown_country_is_refused(listing, buyer, buyer_user, country, message):
    errors = refused(
        buyer, buyer_user, [LineInput(listing.pk, 100)], listing, ship_to=ship_to(country=country)
    )
    assert errors == {"ship_to.country": [message]}


def test_order_place_without_the_address_lines_is_refused(listing, buyer, buyer_user):
    errors = refused(
        buyer,
        buyer_user,
        [LineInput(listing.pk, 100)],
        listing,
        ship_to=ship_to(name="", line1=" ", city=""),
    )
    assert errors == {
        "ship_to.name": ["Enter the recipient's name."],
        "ship_to.line1": ["Enter the street address."],
        "ship_to.city": ["Enter the city."],
    }


def test_order_place_by_the_seller_from_itself_is_refused(listing, seller, seller_user):
    seller.buys = True
    seller.save(update_fields=["buys"])
    errors = refused(seller, seller_user, [LineInput(listing.pk, 100)], listing)
    assert errors == {"lines": ["You cannot order your own company's listing “Hex bolts M8”."]}


def test_order_place_with_the_same_listing_twice_is_refused(listing, buyer, buyer_user):
    errors = refused(
        buyer, buyer_user, [LineInput(listing.pk, 100), LineInput(listing.pk, 200)], listing
    )
    assert errors == {"lines": ["“Hex bolts M8” appears more than once; order it in one line."]}


def test_order_place_of_lines_in_two_currencies_is_refused(listing, buyer, buyer_user, seller):
    euro = ListingFactory(seller=seller, published=True, currency="EUR")
    errors = refused(
        buyer, buyer_user, [LineInput(listing.pk, 100), LineInput(euro.pk, 100)], listing, euro
    )
    assert errors == {
        "lines": ["All lines of an order must be in one currency; these are in EUR, USD."]
    }


@pytest.mark.parametrize("quantity", [0, -5, True, "100"])
def test_order_place_with_a_bad_quantity_is_refused(listing, buyer, buyer_user, quantity):
    errors = refused(buyer, buyer_user, [LineInput(listing.pk, quantity)], listing)
    assert errors == {"lines": ["Enter a whole quantity of at least 1 for “Hex bolts M8”."]}


def test_order_place_without_lines_is_refused(buyer, buyer_user, db):
    assert refused(buyer, buyer_user, []) == {"lines": ["Add at least one line to the order."]}


def test_order_place_reports_every_problem_at_once(listing, buyer, buyer_user):
    errors = refused(
        buyer,
        buyer_user,
        [LineInput(listing.pk, 99)],
        listing,
        incoterm="DDP",
        named_place="",
        ship_to=ship_to(country="ZZ"),
        buyer_reference="P" * 65,
    )
    assert errors == {
        "lines": ["“Hex bolts M8” has a minimum order quantity of 100; you asked for 99."],
        "named_place": ["Enter the named place of destination for the Incoterm."],
        "ship_to.country": ["“ZZ” is not a known country code."],
        "buyer_reference": ["The buyer's reference may have at most 64 characters."],
    }


def test_order_place_by_a_company_that_does_not_buy_is_forbidden(listing, db):
    company = CompanyFactory(seller=True)
    actor = MembershipFactory(company=company).user
    before = orders_state(listing)
    with pytest.raises(PermissionDenied):
        place(company, actor, [LineInput(listing.pk, 100)])
    assert orders_state(listing) == before


def test_order_place_by_someone_outside_the_buying_company_is_forbidden(listing, outsider):
    buyer, _ = buyer_member()
    before = orders_state(listing)
    with pytest.raises(PermissionDenied):
        place(buyer, outsider, [LineInput(listing.pk, 100)])
    assert orders_state(listing) == before
