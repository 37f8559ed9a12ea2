"""Balances derived from the entries, and the check that the books balance."""

import pytest
from django.db import connection

from payments.ledger.models import LedgerEntry, LedgerTransaction
from payments.ledger.selectors import (
    SellerMoney,
    UnbalancedTransaction,
    account_balance,
    ledger_balances,
    ledger_check,
    ledger_unbalanced_transactions,
    seller_money_summary,
)
from payments.ledger.services import (
    ledger_post_payment_captured,
    ledger_post_payout,
    ledger_post_refund,
    ledger_post_settlement_released,
)
from tests.factories import CompanyFactory
from tests.orders.factories import OrderFactory
from tests.payments.ledger.factories import constraints_check_now, platform_account


@pytest.fixture
def books(order, jpy_order, seller):
    """USD: 123.60 captured, settled 120.00 + 3.60 fee, 100.00 paid out.
    JPY: ¥51,500 captured, ¥1,500 refunded, the rest held."""
    ledger_post_payment_captured(order=order, amount_minor=12360, idempotency_key="c:usd")
    ledger_post_settlement_released(
        order=order, seller_share_minor=12000, platform_fee_minor=360, idempotency_key="s:usd"
    )
    ledger_post_payout(
        seller=seller,
        currency="USD",
        amount_minor=10000,
        idempotency_key="p:usd",
        method="transfer",
    )
    ledger_post_payment_captured(order=jpy_order, amount_minor=51500, idempotency_key="c:jpy")
    ledger_post_refund(order=jpy_order, amount_minor=1500, idempotency_key="r:jpy")


def _rows(balances):
    return [(b.account.code, b.account.company_id, b.currency, b.balance_minor) for b in balances]


def test_balances_are_the_sums_of_the_entries(books, seller):
    assert _rows(ledger_balances()) == [
        ("buyer_refunds", None, "JPY", 1500),
        ("escrow", None, "JPY", 50000),
        ("escrow", None, "USD", 0),
        ("gateway_clearing", None, "JPY", -51500),
        ("gateway_clearing", None, "USD", -12360),
        ("platform_fees", None, "USD", 360),
        ("seller_paid_out", seller.pk, "USD", 10000),
        ("seller_payable", seller.pk, "USD", 2000),
    ]
    assert account_balance(account=platform_account("gateway_clearing", "USD")) == -12360


def test_an_account_without_entries_has_a_zero_balance(db):
    account = platform_account("platform_fees", "KWD")

    assert account_balance(account=account) == 0
    assert _rows(ledger_balances()) == [("platform_fees", None, "KWD", 0)]


def test_the_balances_of_each_currency_sum_to_zero(books):
    totals: dict[str, int] = {}
    for balance in ledger_balances():
        totals[balance.currency] = totals.get(balance.currency, 0) + balance.balance_minor

    assert totals == {"JPY": 0, "USD": 0}


def test_the_check_passes_on_balanced_books_and_fails_on_an_entry_sneaked_in(books):
    assert ledger_check() == {"balanced": True, "transactions": 5}
    assert ledger_unbalanced_transactions() == []

    escrow = platform_account("escrow", "USD")
    fees = platform_account("platform_fees", "USD")
    constraints_check_now()  # ALTER TABLE waits for no pending trigger events
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ledger_entry DISABLE TRIGGER ledger_entry_balanced")
        try:
            sneaked = LedgerTransaction.objects.create(
                idempotency_key="sneaked", kind="payout", description="around the trigger"
            )
            LedgerEntry.objects.bulk_create(
                [
                    LedgerEntry(
                        transaction=sneaked, account=escrow, amount_minor=-500, currency="USD"
                    ),
                    LedgerEntry(
                        transaction=sneaked, account=fees, amount_minor=499, currency="USD"
                    ),
                ]
            )
            constraints_check_now()  # the foreign keys' checks, with the balance check off
        finally:
            # Also undone by the test's rollback: DDL is transactional in PostgreSQL.
            cursor.execute("ALTER TABLE ledger_entry ENABLE TRIGGER ledger_entry_balanced")

    assert ledger_check() == {"balanced": False, "transactions": 6}
    assert ledger_unbalanced_transactions() == [
        UnbalancedTransaction(transaction_id=sneaked.pk, currency="USD", total_minor=-1)
    ]


def test_the_check_of_an_empty_ledger_is_balanced(db):
    assert ledger_check() == {"balanced": True, "transactions": 0}


def test_the_check_runs_in_two_queries(books, django_assert_num_queries):
    with django_assert_num_queries(2):
        ledger_check()


def test_balances_are_read_in_one_query(books, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = _rows(ledger_balances())

    assert len(rows) == 8


def test_a_seller_sees_money_held_payable_and_paid_out_per_currency(books, seller, jpy_order):
    other_seller = CompanyFactory(seller=True, verified=True)
    other_order = OrderFactory(paid=True, seller=other_seller, currency="USD")
    ledger_post_payment_captured(order=other_order, amount_minor=999, idempotency_key="c:other")

    assert seller_money_summary(company=seller) == [
        SellerMoney(currency="JPY", held_minor=50000, payable_minor=0, paid_out_minor=0),
        SellerMoney(currency="USD", held_minor=0, payable_minor=2000, paid_out_minor=10000),
    ]
    assert seller_money_summary(company=other_seller) == [
        SellerMoney(currency="USD", held_minor=999, payable_minor=0, paid_out_minor=0)
    ]
    assert seller_money_summary(company=CompanyFactory()) == []
