"""The staff ledger API: balances per account and currency, and the balance check."""

import pytest

from payments.ledger.services import (
    ledger_post_payment_captured,
    ledger_post_settlement_released,
)
from tests.factories import (
    CompanyFactory,
    MembershipFactory,
    api_token_for,
    staff_user,
)
from tests.orders.factories import OrderFactory

BALANCES_URL = "/api/v1/ledger/balances/"
CHECK_URL = "/api/v1/ledger/check/"


@pytest.fixture
def staff_client(api_client, staff_user):
    api_client.force_authenticate(staff_user)
    return api_client


@pytest.fixture
def books(order, seller):
    kwd_order = OrderFactory(paid=True, seller=seller, currency="KWD", number="ORD-KWD-1")
    ledger_post_payment_captured(order=order, amount_minor=12360, idempotency_key="c:usd")
    ledger_post_settlement_released(
        order=order, seller_share_minor=12000, platform_fee_minor=360, idempotency_key="s:usd"
    )
    ledger_post_payment_captured(order=kwd_order, amount_minor=1234, idempotency_key="c:kwd")


def test_staff_get_every_balance_per_account_and_currency(staff_client, books, seller):
    response = staff_client.get(BALANCES_URL)

    assert response.status_code == 200
    assert response.json() == [
        {
            "account": "escrow",
            "company": None,
            "currency": "KWD",
            "balance": {"amount": "1.234", "currency": "KWD"},
            "balance_minor": 1234,
        },
        {
            "account": "escrow",
            "company": None,
            "currency": "USD",
            "balance": {"amount": "0.00", "currency": "USD"},
            "balance_minor": 0,
        },
        {
            "account": "gateway_clearing",
            "company": None,
            "currency": "KWD",
            "balance": {"amount": "-1.234", "currency": "KWD"},
            "balance_minor": -1234,
        },
        {
            "account": "gateway_clearing",
            "company": None,
            "currency": "USD",
            "balance": {"amount": "-123.60", "currency": "USD"},
            "balance_minor": -12360,
        },
        {
            "account": "platform_fees",
            "company": None,
            "currency": "USD",
            "balance": {"amount": "3.60", "currency": "USD"},
            "balance_minor": 360,
        },
        {
            "account": "seller_payable",
            "company": seller.pk,
            "currency": "USD",
            "balance": {"amount": "120.00", "currency": "USD"},
            "balance_minor": 12000,
        },
    ]


def test_staff_check_that_the_books_balance(staff_client, books):
    response = staff_client.get(CHECK_URL)

    assert response.status_code == 200
    assert response.json() == {"balanced": True, "transactions": 3}


def test_an_empty_ledger_has_no_balances_and_is_balanced(staff_client):
    assert staff_client.get(BALANCES_URL).json() == []
    assert staff_client.get(CHECK_URL).json() == {"balanced": True, "transactions": 0}


def test_balances_take_a_constant_number_of_queries(
    staff_client, books, seller, django_assert_max_num_queries
):
    with django_assert_max_num_queries(1):
        small = staff_client.get(BALANCES_URL)
    for n in range(5):
        more = OrderFactory(paid=True, seller=CompanyFactory(seller=True), currency="EUR")
        ledger_post_payment_captured(order=more, amount_minor=100 + n, idempotency_key=f"c:{n}")
        ledger_post_settlement_released(
            order=more, seller_share_minor=100 + n, platform_fee_minor=0, idempotency_key=f"s:{n}"
        )
    with django_assert_max_num_queries(1):
        large = staff_client.get(BALANCES_URL)

    assert (len(small.json()), len(large.json())) == (6, 14)


@pytest.mark.parametrize("url", [BALANCES_URL, CHECK_URL])
def test_a_member_who_is_not_staff_is_forbidden(api_client, books, url):
    member = MembershipFactory(company=CompanyFactory(seller=True)).user
    token = api_token_for(member)

    response = api_client.get(url, HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "This needs platform staff with a permission you do not have."
    }


@pytest.mark.parametrize("url", [BALANCES_URL, CHECK_URL])
def test_an_anonymous_caller_must_authenticate(api_client, db, url):
    response = api_client.get(url)

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_the_ledger_endpoints_are_in_the_schema_for_staff_only(staff_client):
    document = staff_client.get("/api/schema/?format=json").json()

    assert set(document["paths"]) >= {BALANCES_URL, CHECK_URL}
    balance = document["components"]["schemas"]["LedgerBalance"]
    assert balance["required"] == ["account", "balance", "balance_minor", "company", "currency"]
    assert document["components"]["schemas"]["LedgerCheck"]["properties"] == {
        "balanced": {
            "type": "boolean",
            "description": "Every transaction's entries sum to zero in each currency.",
        },
        "transactions": {"type": "integer", "description": "How many transactions were checked."},
    }


def test_a_finance_staff_user_without_a_company_may_read_the_ledger(api_client, db):
    user = staff_user("finance")
    api_client.force_authenticate(user)

    assert api_client.get(CHECK_URL).status_code == 200
