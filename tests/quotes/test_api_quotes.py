"""The quotes API: exact JSON, the refusals of the issue (400 / 403 / 404 / 409 with nothing
changed), the lifecycle actions, JSON only, and constant query counts on the lists."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order
from orders.quotes.models import Quote, QuoteEvent, QuoteStatus
from tests.factories import CompanyFactory, MembershipFactory
from tests.orders.factories import buyer_member, seller_member
from tests.quotes.factories import conversation_about, rfq_open, submit

pytestmark = pytest.mark.django_db


def as_company(api_client, user, company):
    api_client.force_authenticate(user)
    api_client.credentials(HTTP_X_COMPANY=str(company.pk))
    return api_client


def quote_body(**overrides):
    body = {
        "lines": [
            {
                "description": "Hex bolt M8 x 40, A2-70, DIN 933",
                "hs_code": "731815",
                "origin_country": "CN",
                "quantity": 10000,
                "unit_price": "0.0345",
                "unit_net_weight_kg": "0.028",
                "units_per_carton": 500,
                "carton_gross_weight_kg": "14.500",
                "carton_length_cm": "40.0",
                "carton_width_cm": "30.0",
                "carton_height_cm": "20.5",
            }
        ],
        "currency": "USD",
        "incoterm": "CIF",
        "named_place": "Hamburg",
        "freight": {"amount": "850.00", "currency": "USD"},
        "insurance": {"amount": "12.00", "currency": "USD"},
        "lead_time_days": 30,
        "valid_until": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "notes": "Bulk packed.",
    }
    body.update(overrides)
    return body


def line_with(**overrides):
    line = dict(quote_body()["lines"][0])
    line.update(overrides)
    return line


def state():
    return {
        "quotes": list(Quote.objects.order_by("pk").values_list("pk", "status")),
        "events": QuoteEvent.objects.count(),
        "orders": Order.objects.count(),
    }


def test_post_a_quote_on_an_rfq(api_client, rfq, seller_pair, buyer):
    seller, user = seller_pair

    response = as_company(api_client, user, seller).post(
        f"/api/v1/rfqs/{rfq.pk}/quotes/", quote_body(), format="json"
    )

    assert response.status_code == 201, response.json()
    data = response.json()
    quote = Quote.objects.get()
    assert data["id"] == quote.pk
    assert data["number"] == quote.number
    assert (data["version"], data["status"], data["rfq"], data["conversation"]) == (
        1,
        "submitted",
        rfq.pk,
        None,
    )
    assert data["seller"] == {
        "id": seller.pk,
        "name": "Ningbo Fasteners Co., Ltd.",
        "country": "CN",
    }
    assert data["buyer"]["id"] == buyer.pk
    assert data["lines"] == [
        {
            "description": "Hex bolt M8 x 40, A2-70, DIN 933",
            "hs_code": "731815",
            "origin_country": "CN",
            "listing": None,
            "from_stock": False,
            "unit": "piece",
            "quantity": 10000,
            "unit_price": "0.0345",
            "line_total": {"amount": "345.00", "currency": "USD"},
            "unit_net_weight_kg": "0.028",
            "units_per_carton": 500,
            "carton_gross_weight_kg": "14.500",
            "carton_length_cm": "40.0",
            "carton_width_cm": "30.0",
            "carton_height_cm": "20.5",
        }
    ]
    assert data["goods"] == {"amount": "345.00", "currency": "USD"}
    assert data["freight"] == {"amount": "850.00", "currency": "USD"}
    assert data["insurance"] == {"amount": "12.00", "currency": "USD"}
    assert data["landed_cost"]["landed_total"] == {"amount": "1499.83", "currency": "USD"}
    assert data["destination_country"] == "DE"
    assert data["actions"] == ["revise", "withdraw"]
    assert [v["version"] for v in data["versions"]] == [1]


def test_post_a_quote_in_a_conversation(api_client, seller_pair, listing, buyer, fx_rates):
    seller, user = seller_pair
    conversation = conversation_about(listing=listing, buyer=buyer)

    response = as_company(api_client, user, seller).post(
        "/api/v1/quotes/",
        quote_body(
            conversation=conversation.pk,
            incoterm="FOB",
            named_place="Ningbo",
            freight=None,
            insurance=None,
        ),
        format="json",
    )

    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["conversation"], data["rfq"], data["status"]) == (
        conversation.pk,
        None,
        "submitted",
    )
    assert data["landed_cost"]["landed_total"] == {"amount": "436.10", "currency": "USD"}


def test_the_api_takes_json_only(api_client, rfq, seller_pair):
    seller, user = seller_pair

    response = as_company(api_client, user, seller).post(
        f"/api/v1/rfqs/{rfq.pk}/quotes/", {"currency": "USD"}, format="multipart"
    )

    assert response.status_code == 415
    assert Quote.objects.count() == 0


@pytest.mark.parametrize(
    ("line", "errors"),
    [
        ({"quantity": 0}, {"quantity": ["Ensure this value is greater than or equal to 1."]}),
        (
            {"unit_price": "0.0000"},
            {"unit_price": ["Ensure this value is greater than or equal to 0.0001."]},
        ),
        (
            {"unit_price": "0.03451"},
            {"unit_price": ["Ensure that there are no more than 4 decimal places."]},
        ),
        (
            {"hs_code": "999999"},
            {"hs_code": ["Enter an HS 2022 subheading of 6 digits, e.g. 731815."]},
        ),
    ],
)
def test_bad_lines_are_400_with_the_lines_errors(api_client, rfq, seller_pair, line, errors):
    seller, user = seller_pair
    before = state()

    response = as_company(api_client, user, seller).post(
        f"/api/v1/rfqs/{rfq.pk}/quotes/",
        quote_body(lines=[quote_body()["lines"][0], line_with(**line)]),
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"lines": {"1": errors}}
    assert state() == before


def test_an_incoterm_the_rfq_did_not_allow_is_400(api_client, rfq, seller_pair):
    seller, user = seller_pair
    before = state()

    response = as_company(api_client, user, seller).post(
        f"/api/v1/rfqs/{rfq.pk}/quotes/", quote_body(incoterm="DAP", insurance=None), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"incoterm": ["The request allows FOB, CIF; DAP is not one of them."]}
    assert state() == before


def test_freight_in_another_currency_is_400(api_client, rfq, seller_pair):
    seller, user = seller_pair

    response = as_company(api_client, user, seller).post(
        f"/api/v1/rfqs/{rfq.pk}/quotes/",
        quote_body(freight={"amount": "850.00", "currency": "EUR"}),
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"freight": ["Give the freight in the quote's currency, USD."]}


@pytest.mark.parametrize("rfq_status", ["closed", "cancelled"])
def test_a_quote_on_a_closed_or_cancelled_rfq_is_409(
    api_client, buyer, fx_rates, seller_pair, rfq_status
):
    seller, user = seller_pair
    rfq = rfq_open(buyer=buyer, visibility="invited", invited=[seller], status=rfq_status)
    before = state()

    response = as_company(api_client, user, seller).post(
        f"/api/v1/rfqs/{rfq.pk}/quotes/", quote_body(), format="json"
    )

    assert response.status_code == 409
    assert state() == before


def test_quoting_as_a_company_that_does_not_sell_is_403(api_client, rfq):
    company = CompanyFactory(buyer=True, country="FR")
    user = MembershipFactory(company=company).user
    before = state()

    response = as_company(api_client, user, company).post(
        f"/api/v1/rfqs/{rfq.pk}/quotes/", quote_body(), format="json"
    )

    assert response.status_code == 403
    assert state() == before


def test_an_invited_rfq_of_other_companies_is_404(api_client, seller_pair, fx_rates):
    other_buyer, _ = buyer_member(country="NL")
    invited, _ = seller_member()
    rfq = rfq_open(buyer=other_buyer, visibility="invited", invited=[invited])
    seller, user = seller_pair
    client = as_company(api_client, user, seller)

    assert (
        client.post(f"/api/v1/rfqs/{rfq.pk}/quotes/", quote_body(), format="json").status_code
        == 404
    )
    assert client.get(f"/api/v1/rfqs/{rfq.pk}/quotes/").status_code == 404
    assert Quote.objects.count() == 0


def test_a_quote_of_other_companies_is_404_everywhere(api_client, rfq, seller_pair, seller2_pair):
    quote = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    other, other_user = buyer_member(country="DE")
    client = as_company(api_client, other_user, other)
    before = state()

    assert client.get(f"/api/v1/quotes/{quote.pk}/").status_code == 404
    for action in ("withdraw", "decline"):
        assert (
            client.post(f"/api/v1/quotes/{quote.pk}/{action}/", {}, format="json").status_code
            == 404
        )
    response = client.post(
        f"/api/v1/quotes/{quote.pk}/accept/",
        {"ship_to": {"name": "X", "line1": "Y", "city": "Z", "country": "DE"}},
        format="json",
    )
    assert response.status_code == 404
    # Another seller on the same RFQ sees its own quotes only.
    client = as_company(api_client, seller2_pair[1], seller2_pair[0])
    assert client.get(f"/api/v1/quotes/{quote.pk}/").status_code == 404
    assert client.get(f"/api/v1/rfqs/{rfq.pk}/quotes/").json()["count"] == 0
    assert state() == before


def test_revise_then_compare_then_accept(
    api_client, rfq, seller_pair, seller2_pair, buyer, buyer_user
):
    first = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    submit(seller=seller2_pair[0], actor=seller2_pair[1], rfq=rfq)

    revised = as_company(api_client, seller_pair[1], seller_pair[0]).post(
        f"/api/v1/quotes/{first.pk}/revise/",
        quote_body(lines=[line_with(unit_price="0.0330")]),
        format="json",
    )
    assert revised.status_code == 201, revised.json()
    data = revised.json()
    assert (data["number"], data["version"], data["status"]) == (first.number, 2, "submitted")
    assert [(v["version"], v["status"]) for v in data["versions"]] == [
        (2, "submitted"),
        (1, "revised"),
    ]
    stale = api_client.post(f"/api/v1/quotes/{first.pk}/revise/", quote_body(), format="json")
    assert stale.status_code == 409

    client = as_company(api_client, buyer_user, buyer)
    listed = client.get(f"/api/v1/rfqs/{rfq.pk}/quotes/").json()
    assert listed["count"] == 2
    assert {(q["version"], q["seller"]["id"]) for q in listed["results"]} == {
        (2, seller_pair[0].pk),
        (1, seller2_pair[0].pk),
    }
    assert all(q["actions"] == ["accept", "decline"] for q in listed["results"])

    accepted = client.post(
        f"/api/v1/quotes/{data['id']}/accept/",
        {
            "ship_to": {
                "name": "Rheinland Import GmbH",
                "line1": "Hansaring 61",
                "city": "Köln",
                "postal_code": "50670",
                "country": "DE",
            },
            "buyer_reference": "PO-118",
        },
        format="json",
    )
    assert accepted.status_code == 201, accepted.json()
    body = accepted.json()
    order = Order.objects.get()
    assert body["order"] == order.pk and body["order_number"] == order.number
    assert (body["order_status"], body["quote"], body["quote_status"]) == (
        "placed",
        data["id"],
        "accepted",
    )
    assert body["landed_cost"] == Quote.objects.get(pk=data["id"]).landed_cost
    again = client.post(
        f"/api/v1/quotes/{data['id']}/accept/",
        {"ship_to": {"name": "X", "line1": "Y", "city": "Z", "country": "DE"}},
        format="json",
    )
    assert again.status_code == 409
    assert Order.objects.count() == 1
    statuses = dict(Quote.objects.values_list("seller_id", "status").filter(version=1))
    assert statuses[seller2_pair[0].pk] == QuoteStatus.DECLINED


def test_accepting_an_expired_quote_is_409(api_client, rfq, seller_pair, buyer, buyer_user):
    quote = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - timedelta(days=1))
    before = state()

    response = as_company(api_client, buyer_user, buyer).post(
        f"/api/v1/quotes/{quote.pk}/accept/",
        {"ship_to": {"name": "X", "line1": "Y", "city": "Z", "country": "DE"}},
        format="json",
    )

    assert response.status_code == 409
    assert state() == before


def test_accept_to_another_country_is_400_on_ship_to(
    api_client, rfq, seller_pair, buyer, buyer_user
):
    quote = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)

    response = as_company(api_client, buyer_user, buyer).post(
        f"/api/v1/quotes/{quote.pk}/accept/",
        {"ship_to": {"name": "X", "line1": "Y", "city": "Z", "country": "FR"}},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["ship_to"]
    assert list(response.json()["ship_to"]) == ["country"]


def test_withdraw_and_decline(api_client, rfq, seller_pair, seller2_pair, buyer, buyer_user):
    mine = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    theirs = submit(seller=seller2_pair[0], actor=seller2_pair[1], rfq=rfq)

    withdrawn = as_company(api_client, seller_pair[1], seller_pair[0]).post(
        f"/api/v1/quotes/{mine.pk}/withdraw/", {"reason": "Capacity full"}, format="json"
    )
    declined = as_company(api_client, buyer_user, buyer).post(
        f"/api/v1/quotes/{theirs.pk}/decline/", {"reason": "Lead time too long"}, format="json"
    )

    assert (withdrawn.status_code, withdrawn.json()["status"]) == (200, "withdrawn")
    assert (declined.status_code, declined.json()["status"]) == (200, "declined")
    assert declined.json()["decision_note"] == "Lead time too long"
    # The buyer cannot withdraw; a decided quote cannot be declined again.
    assert (
        api_client.post(f"/api/v1/quotes/{mine.pk}/withdraw/", {}, format="json").status_code == 404
    )
    assert (
        api_client.post(f"/api/v1/quotes/{theirs.pk}/decline/", {}, format="json").status_code
        == 409
    )


def test_my_quotes_list_as_seller_and_buyer(api_client, rfq, seller_pair, buyer, buyer_user):
    quote = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)

    as_buyer = as_company(api_client, buyer_user, buyer).get("/api/v1/quotes/").json()
    assert [q["id"] for q in as_buyer["results"]] == [quote.pk]
    assert (
        as_company(api_client, buyer_user, buyer).get("/api/v1/quotes/?role=seller").json()["count"]
        == 0
    )
    as_seller = as_company(api_client, seller_pair[1], seller_pair[0]).get("/api/v1/quotes/")
    assert as_seller.json()["count"] == 1


def test_lists_take_constant_queries(
    api_client, rfq, buyer, buyer_user, fx_rates, django_assert_max_num_queries
):
    def quote_from_new_seller():
        seller, user = seller_member(country="CN")
        from tests.listings.factories import ListingFactory

        ListingFactory(seller=seller, published=True)
        submit(seller=seller, actor=user, rfq=rfq)

    quote_from_new_seller()
    client = as_company(api_client, buyer_user, buyer)
    with django_assert_max_num_queries(30) as few:
        assert client.get(f"/api/v1/rfqs/{rfq.pk}/quotes/").json()["count"] == 1
        assert client.get("/api/v1/quotes/").json()["count"] == 1
    for _ in range(5):
        quote_from_new_seller()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"/api/v1/rfqs/{rfq.pk}/quotes/").json()["count"] == 6
        assert client.get("/api/v1/quotes/").json()["count"] == 6
