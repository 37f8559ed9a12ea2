"""The quote pages: send (RFQ and conversation), read with versions, revise, withdraw,
decline, compare side by side, accept into an order; refusals and other companies' quotes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import Order
from orders.quotes.models import Quote, QuoteStatus
from tests.factories import CompanyFactory, MembershipFactory
from tests.orders.factories import buyer_member
from tests.quotes.factories import conversation_about, submit

pytestmark = pytest.mark.django_db


def signed_in(client, user, company):
    client.force_login(user)
    session = client.session
    session["active_company_id"] = company.pk
    session.save()
    return client


def form_data(**overrides):
    data = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "100",
        "lines-0-description": "Hex bolt M8 x 40, A2-70",
        "lines-0-hs_code": "731815",
        "lines-0-origin_country": "CN",
        "lines-0-quantity": "10000",
        "lines-0-unit_price": "0.0345",
        "lines-0-unit_net_weight_kg": "0.028",
        "lines-0-units_per_carton": "500",
        "lines-0-carton_gross_weight_kg": "14.5",
        "lines-0-carton_length_cm": "40",
        "lines-0-carton_width_cm": "30",
        "lines-0-carton_height_cm": "20.5",
        "currency": "USD",
        "incoterm": "FOB",
        "named_place": "Ningbo",
        "lead_time_days": "30",
        "valid_until": (timezone.localdate() + timedelta(days=20)).isoformat(),
        "notes": "",
    }
    data.update(overrides)
    return data


def test_the_seller_sends_a_quote_through_the_form(client, rfq, seller_pair):
    client = signed_in(client, seller_pair[1], seller_pair[0])
    page = client.get(f"/rfqs/{rfq.pk}/quote/")
    assert page.status_code == 200
    assert b"Send a quote" in page.content
    assert b'id="quote-add-line"' in page.content

    response = client.post(f"/rfqs/{rfq.pk}/quote/", form_data())

    quote = Quote.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/quotes/{quote.pk}/"
    assert quote.goods_minor == 34500


def test_a_bad_line_comes_back_on_its_field(client, rfq, seller_pair):
    client = signed_in(client, seller_pair[1], seller_pair[0])

    response = client.post(f"/rfqs/{rfq.pk}/quote/", form_data(**{"lines-0-hs_code": "999999"}))

    assert response.status_code == 400
    assert "Enter an HS 2022 subheading of 6 digits, e.g. 731815." in response.content.decode()
    assert Quote.objects.count() == 0


def test_a_second_quote_through_the_form_is_409(client, rfq, seller_pair):
    submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    client = signed_in(client, seller_pair[1], seller_pair[0])

    response = client.post(f"/rfqs/{rfq.pk}/quote/", form_data())

    assert response.status_code == 409
    assert Quote.objects.count() == 1


def test_a_company_that_does_not_sell_gets_403(client, rfq):
    company = CompanyFactory(buyer=True)
    user = MembershipFactory(company=company).user

    assert signed_in(client, user, company).get(f"/rfqs/{rfq.pk}/quote/").status_code == 403


def test_quote_from_a_conversation_is_prefilled_from_its_listing(
    client, seller_pair, listing, buyer, fx_rates
):
    conversation = conversation_about(listing=listing, buyer=buyer)
    client = signed_in(client, seller_pair[1], seller_pair[0])

    page = client.get(f"/messages/{conversation.pk}/quote/")

    assert page.status_code == 200
    assert listing.title in page.content.decode()
    response = client.post(
        f"/messages/{conversation.pk}/quote/",
        form_data(**{"lines-0-listing": str(listing.pk), "lines-0-from_stock": "on"}),
    )
    assert response.status_code == 302
    assert Quote.objects.get().lines.get().from_stock is True


def test_compare_shows_each_sellers_landed_cost_and_marks_the_cheapest(
    client, rfq, seller_pair, seller2_pair, buyer, buyer_user
):
    submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    submit(
        seller=seller2_pair[0],
        actor=seller2_pair[1],
        rfq=rfq,
        incoterm="CIF",
        named_place="Hamburg",
        freight="850.00",
        insurance="12.00",
    )

    page = signed_in(client, buyer_user, buyer).get(f"/rfqs/{rfq.pk}/quotes/")

    text = page.content.decode()
    assert page.status_code == 200
    assert ("USD 436.10" in text and "USD 1,499.83" in text) or "USD 1499.83" in text
    assert text.count("Lowest landed cost") == 1
    assert text.index("Lowest landed cost") < text.index("Zhejiang Bolt Works")


def test_a_seller_cannot_see_the_comparison(client, rfq, seller_pair):
    response = signed_in(client, seller_pair[1], seller_pair[0]).get(f"/rfqs/{rfq.pk}/quotes/")

    assert response.status_code == 404


def test_the_buyer_accepts_on_the_page_and_lands_on_the_order(
    client, rfq, seller_pair, buyer, buyer_user
):
    quote = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    client = signed_in(client, buyer_user, buyer)
    page = client.get(f"/quotes/{quote.pk}/accept/")
    assert page.status_code == 200

    response = client.post(
        f"/quotes/{quote.pk}/accept/",
        {
            "name": "Rheinland Import GmbH",
            "line1": "Hansaring 61",
            "city": "Köln",
            "postal_code": "50670",
            "country": "DE",
            "buyer_reference": "PO-7",
        },
    )

    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/orders/{order.pk}/"
    detail = client.get(f"/orders/{order.pk}/").content.decode()
    assert "From quote" in detail and f"{quote.number} v1" in detail


def test_quote_page_shows_versions_and_actions(client, rfq, seller_pair, buyer, buyer_user):
    first = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    seller_client = signed_in(client, seller_pair[1], seller_pair[0])
    page = seller_client.get(f"/quotes/{first.pk}/revise/")
    assert page.status_code == 200
    response = seller_client.post(
        f"/quotes/{first.pk}/revise/", form_data(**{"lines-0-unit_price": "0.0330"})
    )
    second = Quote.objects.get(version=2)
    assert response["Location"] == f"/quotes/{second.pk}/"

    text = seller_client.get(f"/quotes/{second.pk}/").content.decode()
    assert "Version 2" in text and "Other versions" in text and "Revise" in text
    old = seller_client.get(f"/quotes/{first.pk}/").content.decode()
    assert "the current one is" in old

    buyer_client = signed_in(client, buyer_user, buyer)
    text = buyer_client.get(f"/quotes/{second.pk}/").content.decode()
    assert "Accept" in text and "Decline" in text
    response = buyer_client.post(f"/quotes/{second.pk}/decline/", {"reason": "Too slow"})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == QuoteStatus.DECLINED


def test_another_companys_quote_is_404(client, rfq, seller_pair):
    quote = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    other, user = buyer_member()
    client = signed_in(client, user, other)

    for url in ("", "accept/", "revise/"):
        assert client.get(f"/quotes/{quote.pk}/{url}").status_code == 404
    assert client.post(f"/quotes/{quote.pk}/decline/").status_code == 404
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SUBMITTED


def test_the_rfq_and_conversation_boxes(rfq, seller_pair, buyer, listing):
    from django.template.loader import render_to_string

    assert "Send a quote" in render_to_string(
        "quotes/_rfq_quotes.html", {"rfq": rfq, "company": seller_pair[0]}
    )
    quote = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)
    seller_box = render_to_string(
        "quotes/_rfq_quotes.html", {"rfq": rfq, "company": seller_pair[0]}
    )
    assert f"{quote.number} v1" in seller_box and "Send a quote" not in seller_box
    buyer_box = render_to_string("quotes/_rfq_quotes.html", {"rfq": rfq, "company": buyer})
    assert "1 seller quoted, 1 still open." in buyer_box and "Compare quotes" in buyer_box
    conversation = conversation_about(listing=listing, buyer=buyer)
    box = render_to_string(
        "quotes/_conversation_quotes.html",
        {"conversation": conversation, "company": seller_pair[0]},
    )
    assert "No quote in this conversation yet." in box and "Send a quote" in box


def test_the_confirm_form_of_a_quoted_order_is_prefilled_with_the_quoted_freight(
    client, rfq, seller_pair, buyer, buyer_user
):
    from orders.quotes import services
    from tests.orders.factories import ship_to

    quote = submit(
        seller=seller_pair[0],
        actor=seller_pair[1],
        rfq=rfq,
        incoterm="CIF",
        named_place="Hamburg",
        freight="850.00",
        insurance="12.00",
    )
    order = services.quote_accept(quote=quote, actor=buyer_user, buyer=buyer, ship_to=ship_to())

    page = signed_in(client, seller_pair[1], seller_pair[0]).get(f"/orders/{order.pk}/")

    text = page.content.decode()
    assert 'name="freight"' in text and 'value="850.00"' in text
    assert 'name="insurance"' in text and 'value="12.00"' in text
    assert "Prefilled from the accepted quote." in text
