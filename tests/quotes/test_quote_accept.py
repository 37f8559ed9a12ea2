"""Accepting a quote: the order made from it (quoted prices and terms, landed cost frozen,
stock reserved only for lines from stock), the RFQ closed, the other quotes declined; the
order's confirm → pay flow and its documents; refusals that change nothing; races."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from listings.models import Listing
from marketplace.core.exceptions import Conflict, InvalidTransition, NotFound
from orders import services as order_services
from orders.documents import services as document_services
from orders.documents.enums import DocumentKind
from orders.enums import OrderStatus
from orders.models import Order, OrderEvent, OrderLine
from orders.quotes import services
from orders.quotes.models import Quote, QuoteEvent, QuoteStatus
from orders.rfqs.models import RFQEvent, RFQStatus
from tests.documents.conftest import pdf_text
from tests.factories import MembershipFactory
from tests.orders.factories import buyer_member, ship_to
from tests.quotes.factories import conversation_about, line, rfq_open, submit
from tests.threads import run_together

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"


def state(*listings: Listing) -> dict[str, object]:
    return {
        "quotes": list(Quote.objects.order_by("pk").values_list("pk", "status", "order_id")),
        "quote_events": QuoteEvent.objects.count(),
        "orders": Order.objects.count(),
        "order_lines": OrderLine.objects.count(),
        "order_events": OrderEvent.objects.count(),
        "rfq_events": RFQEvent.objects.count(),
        "stock": [Listing.objects.get(pk=listing.pk).stock for listing in listings],
    }


def accept(quote, buyer, user, **overrides):
    return services.quote_accept(
        quote=quote,
        actor=user,
        buyer=buyer,
        ship_to=overrides.pop("address", ship_to()),
        buyer_reference=overrides.pop("buyer_reference", "PO-2026-118"),
    )


@pytest.fixture
def cif_quote(rfq, seller_pair, listing):
    """CIF Hamburg: 5,000 from the listing's stock at 0.0340 and 10,000 made to order at
    0.0345; freight 850.00, insurance 12.00."""
    return submit(
        seller=seller_pair[0],
        actor=seller_pair[1],
        rfq=rfq,
        lines=[
            line(listing_id=listing.pk, from_stock=True, quantity=5000, unit_price="0.0340"),
            line(description="Hex bolt M8 x 40, blue zinc, made to order"),
        ],
        incoterm="CIF",
        named_place="Hamburg",
        freight="850.00",
        insurance="12.00",
    )


def test_accepting_a_quote_places_the_order_with_the_quoted_prices_and_terms(
    cif_quote, rfq, buyer, buyer_user, seller2_pair, listing
):
    other = submit(seller=seller2_pair[0], actor=seller2_pair[1], rfq=rfq)

    order = accept(cif_quote, buyer, buyer_user)

    assert (order.status, order.buyer, order.seller) == (
        OrderStatus.PLACED,
        buyer,
        cif_quote.seller,
    )
    assert (order.currency, order.incoterm, order.named_place) == ("USD", "CIF", "Hamburg")
    assert order.buyer_reference == "PO-2026-118"
    assert order.goods_minor == 17000 + 34500
    assert (order.freight_minor, order.insurance_minor) == (85000, 1200)
    assert order.platform_fee_minor == 1545  # 3 % of 515.00
    assert order.landed_cost == cif_quote.landed_cost
    stock_line, made_line = order.lines.order_by("pk")
    assert (stock_line.unit_price, stock_line.quantity, stock_line.stock_reserved) == (
        Decimal("0.0340"),
        5000,
        True,
    )
    assert stock_line.listing == listing
    assert (made_line.unit_price, made_line.stock_reserved, made_line.listing) == (
        Decimal("0.0345"),
        False,
        None,
    )
    assert made_line.title == "Hex bolt M8 x 40, blue zinc, made to order"
    assert (made_line.hs_code, str(made_line.origin_country)) == ("731815", "CN")
    assert made_line.carton_gross_weight_kg == Decimal("14.500")
    listing.refresh_from_db()
    assert listing.stock == 15_000
    (placed,) = order.events.all()
    assert (placed.from_status, placed.to_status) == ("", "placed")
    assert placed.note == f"From quote {cif_quote.number} v1"

    cif_quote.refresh_from_db()
    assert (cif_quote.status, cif_quote.order) == (QuoteStatus.ACCEPTED, order)
    other.refresh_from_db()
    assert (other.status, other.decision_note) == (
        QuoteStatus.DECLINED,
        "Another quote was accepted",
    )
    rfq.refresh_from_db()
    assert (rfq.status, rfq.close_reason) == (RFQStatus.CLOSED, "accepted")
    (closed,) = rfq.events.all()
    assert (closed.from_status, closed.to_status, closed.actor) == ("open", "closed", buyer_user)


def test_a_quoted_order_is_confirmed_with_the_quoted_freight_and_paid_as_any(
    cif_quote, buyer, buyer_user, seller_user
):
    order = accept(cif_quote, buyer, buyer_user)
    total_before = order.total_minor

    confirmed = order_services.order_confirm(order=order, actor=seller_user)

    assert (confirmed.freight_minor, confirmed.insurance_minor) == (85000, 1200)
    assert confirmed.total_minor == total_before
    assert confirmed.landed_cost == cif_quote.landed_cost
    paid = order_services.order_mark_paid(order=confirmed)
    assert paid.status == OrderStatus.PAID


def test_the_seller_may_still_give_new_freight_on_confirm(
    cif_quote, buyer, buyer_user, seller_user
):
    order = accept(cif_quote, buyer, buyer_user)

    confirmed = order_services.order_confirm(
        order=order, actor=seller_user, freight=Decimal("900.00")
    )

    assert (confirmed.freight_minor, confirmed.insurance_minor) == (90000, 1200)


def test_the_documents_carry_the_quoted_prices(cif_quote, buyer, buyer_user, seller_user):
    order = accept(cif_quote, buyer, buyer_user)
    order_services.order_confirm(order=order, actor=seller_user)

    texts = {
        kind: pdf_text(document_services.trade_document_generate(order_id=order.pk, kind=kind))
        for kind in (DocumentKind.PROFORMA_INVOICE, DocumentKind.COMMERCIAL_INVOICE)
    }

    for text in texts.values():
        assert "0.0340" in text
        assert "0.0345" in text
        assert "Hex bolt M8 x 40, blue zinc, made to order" in text
        assert "USD 345.00" in text and "USD 170.00" in text
        assert "Freight\nUSD 850.00" in text
        assert "CIF Hamburg" in text


def test_a_conversation_quote_becomes_an_order(seller_pair, listing, buyer, buyer_user, fx_rates):
    conversation = conversation_about(listing=listing, buyer=buyer)
    quote = submit(seller=seller_pair[0], actor=seller_pair[1], conversation=conversation)

    order = accept(quote, buyer, buyer_user)

    assert order.goods_minor == 34500
    assert order.lines.get().stock_reserved is False
    assert list(conversation.messages.values_list("body", flat=True))[-1] == (
        f"Quote {quote.number} v1 accepted: order {order.number}."
    )


# ---------- refusals ----------


@pytest.mark.parametrize("status", ["withdrawn", "declined", "accepted_once"])
def test_accepting_a_quote_that_is_not_live_is_a_conflict(
    cif_quote, buyer, buyer_user, listing, status
):
    if status == "withdrawn":
        services.quote_withdraw(
            quote=cif_quote, actor=cif_quote.created_by, seller=cif_quote.seller
        )
    elif status == "declined":
        services.quote_decline(quote=cif_quote, actor=buyer_user, buyer=buyer, reason="no")
    else:
        accept(cif_quote, buyer, buyer_user)
    before = state(listing)

    with pytest.raises(InvalidTransition):
        accept(cif_quote, buyer, buyer_user)

    assert state(listing) == before


def test_accepting_a_revised_version_is_a_conflict(cif_quote, buyer, buyer_user, listing):
    services.quote_revise(
        quote=cif_quote,
        actor=cif_quote.created_by,
        seller=cif_quote.seller,
        lines=[line()],
        currency="USD",
        incoterm="FOB",
        named_place="Ningbo",
        freight=None,
        insurance=None,
        lead_time_days=20,
        valid_until=timezone.localdate() + timedelta(days=10),
    )
    before = state(listing)

    with pytest.raises(InvalidTransition):
        accept(cif_quote, buyer, buyer_user)

    assert state(listing) == before


def test_accepting_an_expired_quote_is_a_conflict_even_before_the_beat(
    cif_quote, buyer, buyer_user, listing
):
    Quote.objects.filter(pk=cif_quote.pk).update(
        valid_until=timezone.localdate() - timedelta(days=1)
    )
    before = state(listing)

    with pytest.raises(Conflict, match="expired"):
        accept(cif_quote, buyer, buyer_user)
    services.quotes_expire()
    with pytest.raises(InvalidTransition):
        accept(cif_quote, buyer, buyer_user)

    after = state(listing)
    assert after["orders"] == before["orders"] and after["stock"] == before["stock"]


def test_a_quote_of_other_companies_is_not_found(cif_quote, listing):
    other_buyer, other_user = buyer_member(country="DE")
    before = state(listing)

    with pytest.raises(NotFound):
        accept(cif_quote, other_buyer, other_user)

    assert state(listing) == before


def test_shipping_elsewhere_than_the_quoted_destination_is_refused(
    cif_quote, buyer, buyer_user, listing
):
    before = state(listing)

    with pytest.raises(ValidationError) as caught:
        accept(cif_quote, buyer, buyer_user, address=ship_to(country="FR"))

    assert list(caught.value.message_dict) == ["ship_to.country"]
    assert state(listing) == before


def test_a_bad_address_is_a_field_error(cif_quote, buyer, buyer_user, listing):
    before = state(listing)

    with pytest.raises(ValidationError) as caught:
        accept(cif_quote, buyer, buyer_user, address=ship_to(line1=""))

    assert caught.value.message_dict == {"ship_to.line1": ["Enter the street address."]}
    assert state(listing) == before


def test_short_stock_at_acceptance_is_a_conflict(cif_quote, buyer, buyer_user, listing):
    Listing.objects.filter(pk=listing.pk).update(stock=4999)
    before = state(listing)

    with pytest.raises(Conflict, match="Only 4999 of"):
        accept(cif_quote, buyer, buyer_user)

    assert state(listing) == before


def test_the_unpaid_orders_cap_applies(cif_quote, buyer, buyer_user, listing, settings):
    settings.MAX_UNPAID_ORDERS_PER_BUYER = 0
    before = state(listing)

    with pytest.raises(ValidationError) as caught:
        accept(cif_quote, buyer, buyer_user)

    assert list(caught.value.message_dict) == ["non_field_errors"]
    assert state(listing) == before


# ---------- races ----------


@pytest.mark.django_db(transaction=True)
def test_two_members_accepting_one_quote_at_once_make_exactly_one_order(
    seller_pair, buyer_pair, fx_rates
):
    buyer, first_user = buyer_pair
    second_user = MembershipFactory(company=buyer).user
    rfq = rfq_open(buyer=buyer)
    quote = submit(seller=seller_pair[0], actor=seller_pair[1], rfq=rfq)

    outcomes = run_together(
        [lambda: accept(quote, buyer, first_user), lambda: accept(quote, buyer, second_user)]
    )

    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"]
    (error,) = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(error, InvalidTransition)
    assert Order.objects.count() == 1
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED
    assert quote.events.filter(to_status="accepted").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_quotes_taking_the_last_stock_cannot_oversell(seller_pair, fx_rates):
    seller, seller_user = seller_pair
    listing = seller.listings.get()
    Listing.objects.filter(pk=listing.pk).update(stock=15_000)
    quotes, buyers = [], []
    for country in ("DE", "NL"):
        buyer, user = buyer_member(country=country)
        conversation = conversation_about(listing=listing, buyer=buyer)
        quotes.append(
            submit(
                seller=seller,
                actor=seller_user,
                conversation=conversation,
                lines=[line(listing_id=listing.pk, from_stock=True, quantity=10_000)],
            )
        )
        buyers.append((buyer, user))

    outcomes = run_together(
        [
            lambda: accept(quotes[0], *buyers[0], address=ship_to(country="DE")),
            lambda: accept(quotes[1], *buyers[1], address=ship_to(country="NL")),
        ]
    )

    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"]
    (error,) = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(error, Conflict)
    assert "Only 5000 of" in error.message
    listing.refresh_from_db()
    assert listing.stock == 5000
    assert Order.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_members_of_one_seller_quoting_at_once_leave_one_live_quote(seller_pair, fx_rates):
    seller, first_user = seller_pair
    second_user = MembershipFactory(company=seller).user
    buyer, _ = buyer_member(country="DE")
    rfq = rfq_open(buyer=buyer)

    outcomes = run_together(
        [
            lambda: submit(seller=seller, actor=first_user, rfq=rfq),
            lambda: submit(seller=seller, actor=second_user, rfq=rfq),
        ]
    )

    assert sorted(kind for kind, _ in outcomes) == ["error", "ok"]
    (error,) = [value for kind, value in outcomes if kind == "error"]
    assert isinstance(error, Conflict)
    assert Quote.objects.filter(rfq=rfq, status=QuoteStatus.SUBMITTED).count() == 1
