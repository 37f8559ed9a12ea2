"""The orders API: exact JSON, every refusal of issue 4 (400/404/409 with nothing changed),
the lifecycle actions, and constant query counts on the list."""

from decimal import Decimal

import pytest
from django.utils import timezone

from listings.models import Listing
from orders import services
from orders.enums import OrderStatus
from orders.models import Dispute, Order
from tests.factories import MembershipFactory
from tests.listings.factories import ListingFactory
from tests.orders.factories import (
    OrderFactory,
    buyer_member,
    orders_state,
    place_order,
    seller_member,
)

ORDERS_URL = "/api/v1/orders/"


def as_company(api_client, user, company):
    api_client.force_authenticate(user)
    api_client.credentials(HTTP_X_COMPANY=str(company.pk))
    return api_client


def order_body(listing, **overrides):
    body = {
        "lines": [{"listing": listing.pk, "quantity": 1000}],
        "incoterm": "FOB",
        "named_place": "Ningbo",
        "ship_to": {
            "name": "Rheinland Import GmbH, Wareneingang",
            "line1": "Hansaring 61",
            "city": "Köln",
            "postal_code": "50670",
            "country": "DE",
        },
        "buyer_reference": "PO-4711",
    }
    body.update(overrides)
    return body


def money(amount, currency="USD"):
    return {"amount": amount, "currency": currency}


# --- POST /orders/ ----------------------------------------------------------------------


def test_post_order_returns_201_with_the_order(api_client, listing, buyer, buyer_user, seller):
    client = as_company(api_client, buyer_user, buyer)

    response = client.post(ORDERS_URL, order_body(listing), format="json")

    assert response.status_code == 201, response.json()
    order = Order.objects.get()
    body = response.json()
    line = order.lines.get()
    event = order.events.get()
    assert body == {
        "id": order.pk,
        "number": order.number,
        "status": "placed",
        "buyer": {"id": buyer.pk, "name": "Rheinland Import GmbH", "country": "DE"},
        "seller": {"id": seller.pk, "name": "Ningbo Fasteners Co., Ltd.", "country": "CN"},
        "currency": "USD",
        "incoterm": "FOB",
        "named_place": "Ningbo",
        "buyer_reference": "PO-4711",
        "ship_to": {
            "name": "Rheinland Import GmbH, Wareneingang",
            "line1": "Hansaring 61",
            "line2": "",
            "city": "Köln",
            "region": "",
            "postal_code": "50670",
            "country": "DE",
        },
        "lines": [
            {
                "id": line.pk,
                "listing": listing.pk,
                "title": "Hex bolts M8",
                "hs_code": "731815",
                "origin_country": "CN",
                "unit": "piece",
                "quantity": 1000,
                "unit_price": "1.0500",
                "line_total": money("1050.00"),
                "unit_net_weight_kg": "0.045",
                "units_per_carton": 200,
                "carton_gross_weight_kg": "9.500",
                "carton_length_cm": "35.0",
                "carton_width_cm": "25.0",
                "carton_height_cm": "15.0",
            }
        ],
        # 1,000 × 1.0500 = 1,050.00; fee 3 % = 31.50; DE duty 3.7 % = 38.85, VAT 19 % of
        # 1,088.85 = 206.88 (estimates, not charged).
        "totals": {
            "goods": money("1050.00"),
            "freight": money("0.00"),
            "insurance": money("0.00"),
            "platform_fee": money("31.50"),
            "duty_estimate": money("38.85"),
            "import_tax_estimate": money("206.88"),
            "total": money("1081.50"),
        },
        "landed_cost": order.landed_cost,
        "events": [
            {
                "from_status": "",
                "to_status": "placed",
                "actor": buyer_user.email,
                "note": "",
                "created_at": event.created_at.astimezone(timezone.get_current_timezone())
                .isoformat()
                .replace("+00:00", "Z"),
            }
        ],
        "shipment": None,
        "dispute": None,
        "created_at": body["created_at"],
        "expires_at": body["expires_at"],
        "inspection_ends_at": None,
        "actions": ["cancel"],
    }
    assert body["landed_cost"]["duty"] == money("38.85")
    assert body["landed_cost"]["landed_total"] == money("1327.23")
    assert "sample_rates" in body["landed_cost"]["flags"]
    assert Listing.objects.get(pk=listing.pk).stock == 9000


def test_the_seller_sees_its_actions_on_the_same_order(
    api_client, listing, buyer, buyer_user, seller, seller_user
):
    order = place_order(listing=listing, buyer=buyer, actor=buyer_user, quantity=100)

    body = as_company(api_client, seller_user, seller).get(f"{ORDERS_URL}{order.pk}/").json()

    assert body["actions"] == ["confirm", "cancel"]
    assert body["totals"]["total"] == money("123.60")


def _refusal(api_client, buyer, buyer_user, body, *listings):
    before = orders_state(*listings)
    response = as_company(api_client, buyer_user, buyer).post(ORDERS_URL, body, format="json")
    assert response.status_code == 400, response.json()
    assert orders_state(*listings) == before
    return response.json()


def test_quantity_below_moq_is_400_and_nothing_reserved(api_client, listing, buyer, buyer_user):
    body = order_body(listing, lines=[{"listing": listing.pk, "quantity": 99}])

    assert _refusal(api_client, buyer, buyer_user, body, listing) == {
        "lines": ["“Hex bolts M8” has a minimum order quantity of 100; you asked for 99."]
    }


def test_quantity_over_stock_is_400_and_nothing_reserved(api_client, listing, buyer, buyer_user):
    body = order_body(listing, lines=[{"listing": listing.pk, "quantity": 10_001}])

    assert _refusal(api_client, buyer, buyer_user, body, listing) == {
        "lines": ["Only 10000 of “Hex bolts M8” are in stock; you asked for 10001."]
    }


def test_an_incoterm_the_listing_does_not_offer_is_400(api_client, listing, buyer, buyer_user):
    body = order_body(listing, incoterm="DDP")

    assert _refusal(api_client, buyer, buyer_user, body, listing) == {
        "incoterm": ["“Hex bolts M8” is not offered under DDP; offered: EXW, FOB, CIF, DAP."]
    }


def test_no_named_place_is_400(api_client, listing, buyer, buyer_user):
    body = order_body(listing, named_place="  ")

    assert _refusal(api_client, buyer, buyer_user, body, listing) == {
        "named_place": ["Enter the named port of shipment for the Incoterm."]
    }


def test_lines_of_two_sellers_are_400(api_client, listing, buyer, buyer_user):
    other = ListingFactory(published=True, title="Washers M8")
    body = order_body(
        listing,
        lines=[
            {"listing": listing.pk, "quantity": 100},
            {"listing": other.pk, "quantity": 100},
        ],
    )

    assert _refusal(api_client, buyer, buyer_user, body, listing, other) == {
        "lines": ["All lines of an order must come from one seller."]
    }


def test_an_unpublished_listing_is_400(api_client, seller, buyer, buyer_user, fx_rates):
    draft = ListingFactory(seller=seller)
    body = order_body(draft, lines=[{"listing": draft.pk, "quantity": 100}])

    assert _refusal(api_client, buyer, buyer_user, body, draft) == {
        "lines": [f"Listing {draft.pk} is not available."]
    }


def test_an_unknown_country_is_400_nested_under_ship_to(api_client, listing, buyer, buyer_user):
    body = order_body(listing)
    body["ship_to"] = {**body["ship_to"], "country": "XX", "city": ""}

    assert _refusal(api_client, buyer, buyer_user, body, listing) == {
        "ship_to": {
            "city": ["Enter the city."],
            "country": ["“XX” is not a known country code."],
        }
    }


def test_a_seller_ordering_from_itself_is_400(api_client, listing, seller, fx_rates):
    seller.buys = True
    seller.save(update_fields=["buys"])
    user = MembershipFactory(company=seller).user

    assert _refusal(api_client, seller, user, order_body(listing), listing) == {
        "lines": ["You cannot order your own company's listing “Hex bolts M8”."]
    }


def test_a_malformed_body_is_400_with_field_errors(api_client, listing, buyer, buyer_user):
    body = {"lines": [{"listing": "x", "quantity": 1.5}], "ship_to": {}}

    errors = _refusal(api_client, buyer, buyer_user, body, listing)

    assert errors["lines"] == {
        "0": {
            "listing": ["A valid integer is required."],
            "quantity": ["A valid integer is required."],
        }
    }
    assert errors["incoterm"] == ["This field is required."]
    assert errors["ship_to"]["country"] == ["This field is required."]


def test_a_seller_only_company_cannot_order(api_client, listing, fx_rates):
    company, user = seller_member()
    before = orders_state(listing)

    response = as_company(api_client, user, company).post(
        ORDERS_URL, order_body(listing), format="json"
    )

    assert response.status_code == 403
    assert orders_state(listing) == before


def test_an_anonymous_client_is_401(api_client, listing):
    assert api_client.post(ORDERS_URL, order_body(listing), format="json").status_code == 401


# --- GET /orders/ and /orders/{id}/ -----------------------------------------------------


def test_list_filters_by_role_and_status_and_pages(api_client, buyer, buyer_user, seller):
    placed = OrderFactory(buyer=buyer, seller=seller)
    shipped = OrderFactory(buyer=buyer, seller=seller, shipped=True)
    received = OrderFactory(seller=buyer)
    OrderFactory()  # someone else's
    client = as_company(api_client, buyer_user, buyer)

    everything = client.get(ORDERS_URL).json()
    as_buyer = client.get(ORDERS_URL, {"role": "buyer"}).json()
    as_seller = client.get(ORDERS_URL, {"role": "seller"}).json()
    only_shipped = client.get(ORDERS_URL, {"role": "buyer", "status": "shipped"}).json()
    paged = client.get(ORDERS_URL, {"page_size": 2, "page": 2}).json()

    assert [o["id"] for o in everything["results"]] == [received.pk, shipped.pk, placed.pk]
    assert everything["count"] == 3
    assert [o["id"] for o in as_buyer["results"]] == [shipped.pk, placed.pk]
    assert [o["id"] for o in as_seller["results"]] == [received.pk]
    assert [o["id"] for o in only_shipped["results"]] == [shipped.pk]
    assert only_shipped["results"][0]["shipment"] == {
        "carrier": "Maersk",
        "tracking_number": "MAEU1234567",
        "ship_date": timezone.localdate().isoformat(),
    }
    assert only_shipped["results"][0]["actions"] == ["confirm-delivery"]
    assert paged["count"] == 3
    assert paged["previous"] is not None and paged["next"] is None
    assert [o["id"] for o in paged["results"]] == [placed.pk]


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"role": "owner"}, {"role": ["“owner” is not a role; use buyer or seller."]}),
        (
            {"status": "lost"},
            {
                "status": [
                    "“lost” is not an order status; use one of placed, confirmed, paid, "
                    "shipped, delivered, completed, cancelled, disputed, refunded."
                ]
            },
        ),
    ],
)
def test_list_with_an_unknown_role_or_status_is_400(api_client, buyer, buyer_user, params, errors):
    response = as_company(api_client, buyer_user, buyer).get(ORDERS_URL, params)

    assert response.status_code == 400
    assert response.json() == errors


@pytest.mark.parametrize("count", [3, 15])
def test_list_queries_do_not_grow_with_the_orders(
    api_client, buyer, buyer_user, seller, count, django_assert_max_num_queries
):
    for index in range(count):
        traits = [{}, {"shipped": True}, {"disputed": True}][index % 3]
        order = OrderFactory(buyer=buyer, seller=seller, **traits)
        if traits.get("disputed"):
            Dispute.objects.create(order=order, opened_by=buyer_user, reason="Wrong size.")
    client = as_company(api_client, buyer_user, buyer)

    # session-less token auth: company, count, orders, lines, events (with actors)
    with django_assert_max_num_queries(7):
        response = client.get(ORDERS_URL, {"page_size": 100})

    assert response.status_code == 200
    assert response.json()["count"] == count


def test_another_companys_order_is_404(api_client, buyer, buyer_user, outsider):
    foreign = OrderFactory()
    client = as_company(api_client, buyer_user, buyer)

    assert client.get(f"{ORDERS_URL}{foreign.pk}/").status_code == 404
    before = orders_state()
    for action in ("confirm", "cancel", "ship", "confirm-delivery", "accept", "dispute"):
        response = client.post(f"{ORDERS_URL}{foreign.pk}/{action}/", {"reason": "x"})
        assert (action, response.status_code) == (action, 404)
    assert orders_state() == before


# --- actions ----------------------------------------------------------------------------


@pytest.fixture
def cif_order(listing, buyer, buyer_user):
    return place_order(
        listing=listing, buyer=buyer, actor=buyer_user, quantity=1000, incoterm="CIF",
        named_place="Hamburg",
    )  # fmt: skip


def test_seller_confirms_a_cif_order_with_freight_and_insurance(
    api_client, cif_order, seller, seller_user
):
    response = as_company(api_client, seller_user, seller).post(
        f"{ORDERS_URL}{cif_order.pk}/confirm/",
        {"freight": "850.00", "insurance": "12.50"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "confirmed"
    # 1,050.00 + 850.00 + 12.50 + fee 31.50 = 1,944.00
    assert body["totals"]["freight"] == money("850.00")
    assert body["totals"]["insurance"] == money("12.50")
    assert body["totals"]["total"] == money("1944.00")
    assert body["events"][-1]["to_status"] == "confirmed"
    assert body["events"][-1]["actor"] == seller_user.email
    assert body["actions"] == ["cancel"]


def test_confirm_cif_without_freight_is_400_and_changes_nothing(
    api_client, cif_order, seller, seller_user, listing
):
    before = orders_state(listing)

    response = as_company(api_client, seller_user, seller).post(
        f"{ORDERS_URL}{cif_order.pk}/confirm/", {}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "freight": ["Under CIF the seller pays the main carriage: enter the freight."],
        "insurance": ["Under CIF the seller insures the goods: enter the insurance premium."],
    }
    assert orders_state(listing) == before


def test_the_buyer_cannot_confirm_403(api_client, cif_order, buyer, buyer_user, listing):
    before = orders_state(listing)

    response = as_company(api_client, buyer_user, buyer).post(
        f"{ORDERS_URL}{cif_order.pk}/confirm/", {"freight": "1.00", "insurance": "1.00"}
    )

    assert response.status_code == 403
    assert orders_state(listing) == before


def test_ship_before_paid_is_409(api_client, listing, buyer, buyer_user, seller, seller_user):
    order = place_order(listing=listing, buyer=buyer, actor=buyer_user)
    before = orders_state(listing)

    response = as_company(api_client, seller_user, seller).post(
        f"{ORDERS_URL}{order.pk}/ship/", {"carrier": "Maersk", "tracking_number": "MAEU1"}
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "A order that is placed cannot become shipped.",
        "code": "invalid_transition",
        "current_status": "placed",
        "requested_status": "shipped",
    }
    assert orders_state(listing) == before


def test_the_whole_lifecycle_through_the_api(
    api_client, listing, buyer, buyer_user, seller, seller_user
):
    order = place_order(listing=listing, buyer=buyer, actor=buyer_user)
    seller_client = as_company(api_client.__class__(), seller_user, seller)
    buyer_client = as_company(api_client, buyer_user, buyer)
    url = f"{ORDERS_URL}{order.pk}"

    assert seller_client.post(f"{url}/confirm/", {}, format="json").status_code == 200
    services.order_mark_paid(order=order, payment_reference="pi_123")
    shipped = seller_client.post(
        f"{url}/ship/",
        {"carrier": "Maersk", "tracking_number": "MAEU7654321", "ship_date": "2025-03-01"},
        format="json",
    )
    delivered = buyer_client.post(f"{url}/confirm-delivery/")
    again = buyer_client.post(f"{url}/confirm-delivery/")
    accepted = buyer_client.post(f"{url}/accept/")

    assert shipped.status_code == 200
    assert shipped.json()["shipment"] == {
        "carrier": "Maersk",
        "tracking_number": "MAEU7654321",
        "ship_date": "2025-03-01",
    }
    assert delivered.status_code == 200
    assert delivered.json()["actions"] == ["accept", "dispute"]
    assert delivered.json()["inspection_ends_at"] is not None
    assert again.status_code == 409
    assert accepted.status_code == 200
    body = accepted.json()
    assert body["status"] == "completed"
    assert body["actions"] == []
    assert [(e["from_status"], e["to_status"], e["actor"]) for e in body["events"]] == [
        ("", "placed", buyer_user.email),
        ("placed", "confirmed", seller_user.email),
        ("confirmed", "paid", None),
        ("paid", "shipped", seller_user.email),
        ("shipped", "delivered", buyer_user.email),
        ("delivered", "completed", buyer_user.email),
    ]
    assert body["events"][2]["note"] == "Payment pi_123"


def test_cancel_after_shipping_is_409_for_both_parties(
    api_client, buyer, buyer_user, seller, seller_user
):
    order = OrderFactory(buyer=buyer, seller=seller, shipped=True)
    before = orders_state()

    by_buyer = as_company(api_client, buyer_user, buyer).post(
        f"{ORDERS_URL}{order.pk}/cancel/", {"reason": "Too late"}
    )
    by_seller = as_company(api_client.__class__(), seller_user, seller).post(
        f"{ORDERS_URL}{order.pk}/cancel/", {"reason": "Too late"}
    )

    assert (by_buyer.status_code, by_seller.status_code) == (409, 409)
    assert by_buyer.json()["current_status"] == "shipped"
    assert orders_state() == before


def test_confirm_delivery_twice_is_409(api_client, buyer, buyer_user, seller):
    order = OrderFactory(buyer=buyer, seller=seller, shipped=True)
    client = as_company(api_client, buyer_user, buyer)

    first = client.post(f"{ORDERS_URL}{order.pk}/confirm-delivery/")
    before = orders_state()
    second = client.post(f"{ORDERS_URL}{order.pk}/confirm-delivery/")

    assert (first.status_code, second.status_code) == (200, 409)
    assert second.json()["current_status"] == "delivered"
    assert orders_state() == before


def test_buyer_cancels_a_placed_order_and_the_stock_comes_back(
    api_client, listing, buyer, buyer_user
):
    order = place_order(listing=listing, buyer=buyer, actor=buyer_user, quantity=500)

    response = as_company(api_client, buyer_user, buyer).post(
        f"{ORDERS_URL}{order.pk}/cancel/", {"reason": "Ordered twice."}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["events"][-1]["note"] == "Ordered twice."
    assert Listing.objects.get(pk=listing.pk).stock == 10_000


def test_buyer_cancelling_a_paid_order_is_409(api_client, buyer, buyer_user, seller):
    order = OrderFactory(buyer=buyer, seller=seller, paid=True)
    before = orders_state()

    response = as_company(api_client, buyer_user, buyer).post(
        f"{ORDERS_URL}{order.pk}/cancel/", {"reason": "No longer needed."}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "buyer_cannot_cancel_paid"
    assert orders_state() == before


def test_cancel_without_a_reason_is_400(api_client, buyer, buyer_user, seller):
    order = OrderFactory(buyer=buyer, seller=seller)
    before = orders_state()

    response = as_company(api_client, buyer_user, buyer).post(
        f"{ORDERS_URL}{order.pk}/cancel/", {"reason": " "}
    )

    assert response.status_code == 400
    assert response.json() == {"reason": ["Enter the reason."]}
    assert orders_state() == before


def test_buyer_opens_a_dispute_with_a_reason(api_client, buyer, buyer_user, seller):
    order = OrderFactory(buyer=buyer, seller=seller, delivered=True)

    response = as_company(api_client, buyer_user, buyer).post(
        f"{ORDERS_URL}{order.pk}/dispute/", {"reason": "Half the cartons are wet."}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "disputed"
    assert body["dispute"] == {
        "status": "open",
        "reason": "Half the cartons are wet.",
        "opened_at": body["dispute"]["opened_at"],
        "resolution_note": "",
        "resolved_at": None,
    }
    assert body["actions"] == []


def test_confirm_with_a_malformed_amount_is_400(api_client, cif_order, seller, seller_user):
    response = as_company(api_client, seller_user, seller).post(
        f"{ORDERS_URL}{cif_order.pk}/confirm/",
        {"freight": "lots", "insurance": "1e999999"},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"freight", "insurance"}
    assert Order.objects.get(pk=cif_order.pk).status == OrderStatus.PLACED


def test_confirm_amount_with_too_many_decimals_is_400(api_client, cif_order, seller, seller_user):
    response = as_company(api_client, seller_user, seller).post(
        f"{ORDERS_URL}{cif_order.pk}/confirm/",
        {"freight": "850.005", "insurance": "10"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"freight": ["Enter the freight with at most 2 decimals (USD)."]}
    assert Order.objects.get(pk=cif_order.pk).freight_minor == 0
    assert Decimal(Order.objects.get(pk=cif_order.pk).total_minor) == Decimal(108150)


def test_another_buyer_company_of_the_same_user_sees_nothing(api_client, listing, buyer_user):
    order = place_order(listing=listing)
    other_company, _ = buyer_member()
    MembershipFactory(company=other_company, user=buyer_user)

    response = as_company(api_client, buyer_user, other_company).get(f"{ORDERS_URL}{order.pk}/")

    assert response.status_code == 404
