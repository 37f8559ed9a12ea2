"""Real threads, real transactions: one transaction per key, escrow and payables never
overdrawn, and the books balance afterwards."""

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from payments.ledger.enums import LedgerAccountCode as Code
from payments.ledger.models import LedgerTransaction
from payments.ledger.selectors import account_balance, ledger_check, order_escrow_held_minor
from payments.ledger.services import (
    EntryInput,
    LedgerInsufficientFunds,
    ledger_post,
    ledger_post_payment_captured,
    ledger_post_payout,
    ledger_post_refund,
    ledger_post_settlement_released,
)
from tests.factories import CompanyFactory
from tests.orders.factories import OrderFactory
from tests.payments.ledger.factories import platform_account, seller_account

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 4
PER_THREAD = 50
SHARED_KEYS = 10


def _run_in_threads(work: Callable[[int], object], count: int) -> list[object]:
    """Run ``work(i)`` in ``count`` threads started together; results or exceptions by i."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def target(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # collected and asserted by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_concurrent_posts_write_one_transaction_per_key_and_the_books_balance():
    fees = {c: platform_account(Code.PLATFORM_FEES, c) for c in ("USD", "JPY")}
    refunds = {c: platform_account(Code.BUYER_REFUNDS, c) for c in ("USD", "JPY")}

    def post(key: str, currency: str, amount: int) -> int:
        return ledger_post(
            idempotency_key=key,
            description=f"Concurrent {key}",
            entries=[
                EntryInput(fees[currency], -amount),
                EntryInput(refunds[currency], amount),
            ],
            kind="payout",
        ).pk

    def work(i: int) -> dict[str, int]:
        posted = {}
        # Every thread races for the same shared keys first, then posts its own.
        for k in range(SHARED_KEYS):
            posted[f"shared:{k}"] = post(f"shared:{k}", "JPY", 1000 + k)
        for n in range(PER_THREAD):
            currency = "USD" if n % 2 else "JPY"
            posted[f"own:{i}:{n}"] = post(f"own:{i}:{n}", currency, 1 + i * 100 + n)
        return posted

    results = _run_in_threads(work, THREADS)

    assert all(isinstance(r, dict) for r in results), results
    for k in range(SHARED_KEYS):
        assert len({r[f"shared:{k}"] for r in results}) == 1  # everyone got the same one
    keys = Counter(LedgerTransaction.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == THREADS * PER_THREAD + SHARED_KEYS
    assert set(keys.values()) == {1}
    assert ledger_check() == {"balanced": True, "transactions": 210}
    expected_usd = sum(1 + i * 100 + n for i in range(THREADS) for n in range(1, PER_THREAD, 2))
    expected_jpy = sum(1000 + k for k in range(SHARED_KEYS)) + sum(
        1 + i * 100 + n for i in range(THREADS) for n in range(0, PER_THREAD, 2)
    )
    assert account_balance(account=refunds["USD"]) == expected_usd == 17600
    assert account_balance(account=refunds["JPY"]) == expected_jpy == 27545
    assert account_balance(account=fees["JPY"]) == -27545


def test_concurrent_refunds_never_take_more_than_the_order_holds():
    order = OrderFactory(paid=True, total_minor=12360)
    ledger_post_payment_captured(order=order, amount_minor=12360, idempotency_key="c:1")

    results = _run_in_threads(
        lambda i: ledger_post_refund(order=order, amount_minor=5000, idempotency_key=f"r:{i}"), 6
    )

    succeeded = [r for r in results if isinstance(r, LedgerTransaction)]
    refused = [r for r in results if isinstance(r, LedgerInsufficientFunds)]
    assert (len(succeeded), len(refused)) == (2, 4)
    assert order_escrow_held_minor(order=order) == 2360
    assert ledger_check() == {"balanced": True, "transactions": 3}


def test_the_same_refund_delivered_concurrently_is_posted_once():
    order = OrderFactory(paid=True, total_minor=12360)
    ledger_post_payment_captured(order=order, amount_minor=12360, idempotency_key="c:1")

    results = _run_in_threads(
        lambda i: ledger_post_refund(order=order, amount_minor=12360, idempotency_key="r:full"), 5
    )

    assert all(isinstance(r, LedgerTransaction) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert order_escrow_held_minor(order=order) == 0
    assert ledger_check() == {"balanced": True, "transactions": 2}


def test_concurrent_payouts_never_take_more_than_is_payable():
    seller = CompanyFactory(seller=True, verified=True)
    order = OrderFactory(paid=True, seller=seller, total_minor=12360)
    ledger_post_payment_captured(order=order, amount_minor=12360, idempotency_key="c:1")
    ledger_post_settlement_released(
        order=order, seller_share_minor=12000, platform_fee_minor=360, idempotency_key="s:1"
    )

    results = _run_in_threads(
        lambda i: ledger_post_payout(
            seller=seller,
            currency="USD",
            amount_minor=5000,
            idempotency_key=f"p:{i}",
            method="bank_transfer",
        ),
        5,
    )

    assert Counter(type(r).__name__ for r in results) == {
        "LedgerTransaction": 2,
        "LedgerInsufficientFunds": 3,
    }
    assert account_balance(account=seller_account(Code.SELLER_PAYABLE, seller)) == 2000
    assert account_balance(account=seller_account(Code.SELLER_PAID_OUT, seller)) == 10000
    assert ledger_check() == {"balanced": True, "transactions": 4}
