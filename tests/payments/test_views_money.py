"""The seller's money dashboard: held, payable and paid out per currency (from the ledger),
recent settlements with their status, the payout account, the empty state."""

import re

import pytest
from django.urls import reverse

from orders import services as order_services
from orders.models import Order
from payments import settlement
from payments.enums import SettlementStatus
from payments.models import Settlement
from tests.factories import UserFactory
from tests.listings.factories import ListingFactory
from tests.orders.factories import place_order, seller_member
from tests.payments.conftest import pay, stripe_account_ready

pytestmark = pytest.mark.django_db

MONEY_URL = "/payments/money/"


def _complete(order: Order, *, buyer_user, seller_user) -> Order:
    order = order_services.order_ship(
        order=order, actor=seller_user, carrier="Maersk", tracking_number="MSKU1234567"
    )
    order = order_services.order_confirm_delivery(order=order, actor=buyer_user)
    return order_services.order_accept(order=order, actor=buyer_user)


def _figures(page: str) -> dict[str, list[str]]:
    """The three figures of each currency card, in page order."""
    return {
        kind: re.findall(rf'<dd data-money="{kind}">([^<]+)</dd>', page)
        for kind in ("held", "payable", "paid-out")
    }


def test_the_money_dashboard_url():
    assert reverse("payments:money") == MONEY_URL


def test_a_seller_with_no_money_yet_sees_the_empty_state(client, seller, seller_user):
    client.force_login(seller_user)

    response = client.get(MONEY_URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "No settlements yet" in page
    assert _figures(page) == {"held": [], "payable": [], "paid-out": []}
    assert "Not set up" in page


def test_money_paid_by_the_buyer_shows_as_held(
    client, confirmed_order, buyer, buyer_user, seller_user
):
    pay(confirmed_order, company=buyer, actor=buyer_user)
    client.force_login(seller_user)

    page = client.get(MONEY_URL).content.decode()

    assert _figures(page) == {
        "held": ["USD 1,081.50"],
        "payable": ["USD 0.00"],
        "paid-out": ["USD 0.00"],
    }
    assert "No settlements yet" in page


def test_a_transferred_settlement_shows_as_paid_out_with_its_order(
    client, confirmed_order, buyer, buyer_user, seller, seller_user
):
    pay(confirmed_order, company=buyer, actor=buyer_user)
    stripe_account_ready(seller)
    order = _complete(confirmed_order, buyer_user=buyer_user, seller_user=seller_user)
    done = settlement.settlement_run(order_id=order.pk)
    assert done.status == SettlementStatus.TRANSFERRED
    client.force_login(seller_user)

    page = client.get(MONEY_URL).content.decode()

    assert _figures(page) == {
        "held": ["USD 0.00"],
        "payable": ["USD 0.00"],
        "paid-out": ["USD 1,050.00"],
    }
    order_link = f'<a href="{reverse("orders:detail", args=[order.pk])}">{order.number}</a>'
    assert order_link in page
    assert '<td data-label="Your share" class="num">USD 1,050.00</td>' in page
    assert '<td data-label="Platform fee" class="num">USD 31.50</td>' in page
    assert '<span class="badge badge-success">Transferred</span>' in page
    assert "Sent to your Stripe account." in page
    assert "Ready" in page
    assert "No settlements yet" not in page


def test_without_a_payout_account_the_share_is_payable_and_awaits_the_account(
    client, confirmed_order, buyer, buyer_user, seller_user
):
    pay(confirmed_order, company=buyer, actor=buyer_user)
    order = _complete(confirmed_order, buyer_user=buyer_user, seller_user=seller_user)
    assert settlement.settlement_run(order_id=order.pk).status == SettlementStatus.AWAITING_ACCOUNT
    client.force_login(seller_user)

    page = client.get(MONEY_URL).content.decode()

    assert _figures(page) == {
        "held": ["USD 0.00"],
        "payable": ["USD 1,050.00"],
        "paid-out": ["USD 0.00"],
    }
    assert (
        '<span class="badge badge-warning">Awaiting the seller&#x27;s payout account</span>' in page
    )
    assert "Waiting for your payout account: set it up to be paid." in page


def test_a_failed_settlement_shows_its_reason(
    client, confirmed_order, buyer, buyer_user, seller_user
):
    pay(confirmed_order, company=buyer, actor=buyer_user)
    order = _complete(confirmed_order, buyer_user=buyer_user, seller_user=seller_user)
    released = settlement.settlement_release(order_id=order.pk)
    settlement.settlement_mark_failed(
        settlement_id=released.pk, reason="Destination account cannot receive transfers."
    )
    assert Settlement.objects.get(pk=released.pk).status == SettlementStatus.FAILED
    client.force_login(seller_user)

    page = client.get(MONEY_URL).content.decode()

    assert '<span class="badge badge-danger">Failed</span>' in page
    assert "Reason: Destination account cannot receive transfers." in page


def test_zero_decimal_currencies_are_shown_without_decimals(
    client, seller, seller_user, buyer, buyer_user, fx_rates
):
    chisels = ListingFactory(
        seller=seller,
        published=True,
        title="Chisel set",
        currency="JPY",
        moq=50,
        stock=2_000,
        incoterms=["FOB"],
        tiers=[(50, "1200")],
    )
    order = place_order(listing=chisels, quantity=60, buyer=buyer, actor=buyer_user)
    order = order_services.order_confirm(order=order, actor=seller_user)
    assert (order.currency, order.total_minor) == ("JPY", 74_160)  # ¥72,000 + 3 % fee
    pay(order, company=buyer, actor=buyer_user)
    client.force_login(seller_user)

    page = client.get(MONEY_URL).content.decode()

    assert _figures(page) == {"held": ["JPY 74,160"], "payable": ["JPY 0"], "paid-out": ["JPY 0"]}


def test_a_seller_sees_only_its_own_money(
    client, confirmed_order, buyer, buyer_user, seller, seller_user
):
    pay(confirmed_order, company=buyer, actor=buyer_user)
    stripe_account_ready(seller)
    order = _complete(confirmed_order, buyer_user=buyer_user, seller_user=seller_user)
    settlement.settlement_run(order_id=order.pk)
    _, other_user = seller_member(legal_name="Naniwa Tools K.K.", country="JP")
    client.force_login(other_user)

    page = client.get(MONEY_URL).content.decode()

    assert "No settlements yet" in page
    assert order.number not in page
    assert _figures(page) == {"held": [], "payable": [], "paid-out": []}


def test_a_company_that_only_buys_has_no_money_dashboard(client, buyer_user):
    client.force_login(buyer_user)

    response = client.get(MONEY_URL)

    assert response.status_code == 403
    assert "Only for selling companies" in response.content.decode()


def test_signed_out_and_companyless_visitors_are_turned_away(client):
    signed_out = client.get(MONEY_URL)
    client.force_login(UserFactory(email="nobody@example.test"))
    no_company = client.get(MONEY_URL)

    assert signed_out.status_code == 302
    assert signed_out.url.startswith(reverse("accounts:login"))
    assert no_company.status_code == 403


def test_the_dashboard_reads_in_a_fixed_number_of_queries(
    client, listing, seller, seller_user, buyer, buyer_user, django_assert_max_num_queries
):
    stripe_account_ready(seller)
    for _ in range(3):
        order = place_order(listing=listing, quantity=1000, buyer=buyer, actor=buyer_user)
        order = order_services.order_confirm(order=order, actor=seller_user)
        pay(order, company=buyer, actor=buyer_user)
        order = _complete(order, buyer_user=buyer_user, seller_user=seller_user)
        settlement.settlement_run(order_id=order.pk)
    client.force_login(seller_user)

    with django_assert_max_num_queries(12):
        page = client.get(MONEY_URL).content.decode()

    assert page.count('<span class="badge badge-success">Transferred</span>') == 3
    assert _figures(page)["paid-out"] == ["USD 3,150.00"]


def test_the_dashboard_links_to_the_payout_account_page(client, seller_user):
    client.force_login(seller_user)

    page = client.get(MONEY_URL).content.decode()

    assert f'href="{reverse("payments:payout-account")}"' in page
