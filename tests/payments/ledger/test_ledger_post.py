"""ledger_post and ledger_account_get: balanced, idempotent, refusing bad input up front."""

from decimal import Decimal

import pytest
from django.db import transaction

from marketplace.core.exceptions import DomainError
from payments.ledger.enums import LedgerAccountCode as Code
from payments.ledger.models import LedgerAccount, LedgerTransaction
from payments.ledger.services import (
    EntryInput,
    LedgerIdempotencyConflict,
    LedgerPostingRefused,
    ledger_account_get,
    ledger_post,
)
from tests.payments.ledger.factories import (
    constraints_check_now,
    entries_of,
    ledger_snapshot,
    platform_account,
    seller_account,
)


def _capture_entries(amount: int, currency: str = "USD") -> list[EntryInput]:
    return [
        EntryInput(platform_account(Code.GATEWAY_CLEARING, currency), -amount),
        EntryInput(platform_account(Code.ESCROW, currency), amount),
    ]


def test_a_balanced_posting_is_written_with_its_entries(order):
    posted = ledger_post(
        idempotency_key="capture:pi_123",
        description="Payment captured for order ORD-LEDGER-0001",
        entries=_capture_entries(12360),
        kind="payment_captured",
        order=order,
    )
    constraints_check_now()

    posted.refresh_from_db()
    assert (posted.idempotency_key, posted.kind, posted.order_id, posted.description) == (
        "capture:pi_123",
        "payment_captured",
        order.pk,
        "Payment captured for order ORD-LEDGER-0001",
    )
    assert entries_of(posted) == [
        ("gateway_clearing", None, -12360, "USD"),
        ("escrow", None, 12360, "USD"),
    ]


def test_a_posting_over_several_currencies_balances_in_each(db, seller):
    posted = ledger_post(
        idempotency_key="multi",
        description="Two currencies at once",
        entries=[
            EntryInput(platform_account(Code.PLATFORM_FEES, "JPY"), -1500),
            EntryInput(platform_account(Code.BUYER_REFUNDS, "JPY"), 1500),
            EntryInput(seller_account(Code.SELLER_PAYABLE, seller, "KWD"), -1234),
            EntryInput(seller_account(Code.SELLER_PAID_OUT, seller, "KWD"), 1000),
            EntryInput(seller_account(Code.SELLER_PAID_OUT, seller, "KWD"), 234),
        ],
        kind="payout",
    )
    constraints_check_now()

    assert entries_of(posted) == [
        ("platform_fees", None, -1500, "JPY"),
        ("buyer_refunds", None, 1500, "JPY"),
        ("seller_payable", seller.pk, -1234, "KWD"),
        ("seller_paid_out", seller.pk, 1000, "KWD"),
        ("seller_paid_out", seller.pk, 234, "KWD"),
    ]


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (lambda: [], "at least two entries"),
        (lambda: _capture_entries(100)[:1], "at least two entries"),
        (
            lambda: [
                EntryInput(platform_account(Code.GATEWAY_CLEARING), -100),
                EntryInput(platform_account(Code.ESCROW), 99),
            ],
            r"do not sum to zero per currency \(minor units off by USD -1\)",
        ),
        (
            lambda: [
                EntryInput(platform_account(Code.GATEWAY_CLEARING, "USD"), -100),
                EntryInput(platform_account(Code.ESCROW, "JPY"), 100),
            ],
            r"off by JPY \+100, USD -100",
        ),
        (
            lambda: [
                EntryInput(platform_account(Code.GATEWAY_CLEARING), 0),
                EntryInput(platform_account(Code.ESCROW), 0),
            ],
            "cannot be zero",
        ),
        (
            lambda: [
                EntryInput(platform_account(Code.GATEWAY_CLEARING), -1.5),
                EntryInput(platform_account(Code.ESCROW), 1.5),
            ],
            "integer minor units, not float",
        ),
        (
            lambda: [
                EntryInput(platform_account(Code.GATEWAY_CLEARING), Decimal("-1")),
                EntryInput(platform_account(Code.ESCROW), Decimal("1")),
            ],
            "integer minor units, not Decimal",
        ),
        (
            lambda: [
                EntryInput(platform_account(Code.GATEWAY_CLEARING), -True),
                EntryInput(platform_account(Code.ESCROW), True),
            ],
            "integer minor units, not bool",
        ),
        (
            lambda: [
                EntryInput(LedgerAccount(code=Code.ESCROW, currency="USD"), -5),
                EntryInput(platform_account(Code.ESCROW), 5),
            ],
            "needs a saved account",
        ),
    ],
    ids=[
        "empty",
        "one-entry",
        "unbalanced",
        "balanced-only-across-currencies",
        "zero",
        "float",
        "decimal",
        "bool",
        "unsaved-account",
    ],
)
def test_invalid_postings_are_refused_before_touching_the_database(
    order, django_assert_num_queries, entries, message
):
    given = entries()
    before = ledger_snapshot()

    with django_assert_num_queries(0), pytest.raises(LedgerPostingRefused, match=message):
        ledger_post(
            idempotency_key="bad",
            description="Refused",
            entries=given,
            kind="payment_captured",
            order=order,
        )

    assert ledger_snapshot() == before


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"idempotency_key": "  "}, "needs an idempotency key"),
        ({"idempotency_key": "k" * 201}, "at most 200 characters"),
        ({"kind": "gift"}, "Unknown ledger transaction kind 'gift'"),
        ({"kind": "reversal"}, "A reversal, and only a reversal, names what it reverses"),
        ({"description": ""}, "needs a description"),
        ({"order": None}, "an escrow posting names its order"),
    ],
)
def test_postings_without_what_they_need_are_refused(
    order, django_assert_num_queries, overrides, message
):
    entries = _capture_entries(500)
    arguments = {
        "idempotency_key": "capture:pi_1",
        "description": "Captured",
        "entries": entries,
        "kind": "payment_captured",
        "order": order,
        **overrides,
    }
    before = ledger_snapshot()

    with django_assert_num_queries(0), pytest.raises(LedgerPostingRefused, match=message):
        ledger_post(**arguments)

    assert ledger_snapshot() == before


def test_the_same_key_twice_returns_the_first_transaction_and_writes_nothing(order):
    first = ledger_post(
        idempotency_key="capture:pi_777",
        description="Payment captured",
        entries=_capture_entries(12360),
        kind="payment_captured",
        order=order,
    )
    before = ledger_snapshot()

    again = ledger_post(
        idempotency_key="capture:pi_777",
        description="Payment captured (webhook replayed)",
        entries=list(reversed(_capture_entries(12360))),
        kind="payment_captured",
        order=order,
    )

    assert again.pk == first.pk
    assert ledger_snapshot() == before
    assert LedgerTransaction.objects.get().description == "Payment captured"


@pytest.mark.parametrize("change", ["amount", "kind", "order"])
def test_the_same_key_with_a_different_posting_is_a_conflict(order, jpy_order, change):
    first = ledger_post(
        idempotency_key="capture:pi_888",
        description="Payment captured",
        entries=_capture_entries(12360),
        kind="payment_captured",
        order=order,
    )
    arguments = {
        "idempotency_key": "capture:pi_888",
        "description": "Payment captured",
        "entries": _capture_entries(12361 if change == "amount" else 12360),
        "kind": "refund" if change == "kind" else "payment_captured",
        "order": jpy_order if change == "order" else order,
    }
    before = ledger_snapshot()

    with pytest.raises(LedgerIdempotencyConflict, match=r"'capture:pi_888' was already used") as e:
        ledger_post(**arguments)

    assert e.value.existing.pk == first.pk
    assert ledger_snapshot() == before


def test_a_posting_joins_the_callers_transaction_and_rolls_back_with_it(order):
    before = ledger_snapshot()

    with (
        pytest.raises(RuntimeError, match="the caller failed after posting"),
        transaction.atomic(),
    ):
        ledger_post(
            idempotency_key="capture:pi_rolled_back",
            description="Captured",
            entries=_capture_entries(100),
            kind="payment_captured",
            order=order,
        )
        raise RuntimeError("the caller failed after posting")

    assert ledger_snapshot()["transactions"] == before["transactions"]
    assert ledger_snapshot()["entries"] == before["entries"]


def test_a_posting_runs_inside_a_durable_caller(order):
    with transaction.atomic(durable=True):
        posted = ledger_post(
            idempotency_key="settlement-like",
            description="Captured inside the caller's durable transaction",
            entries=_capture_entries(100),
            kind="payment_captured",
            order=order,
        )

    assert LedgerTransaction.objects.get().pk == posted.pk


def test_account_get_creates_each_account_once(db, seller):
    escrow = ledger_account_get(code="escrow", currency="KWD")
    payable = ledger_account_get(code="seller_payable", currency="KWD", company=seller)

    assert ledger_account_get(code="escrow", currency="KWD").pk == escrow.pk
    assert ledger_account_get(code="seller_payable", currency="KWD", company=seller).pk == (
        payable.pk
    )
    assert list(LedgerAccount.objects.values_list("code", "currency", "company_id")) == [
        ("escrow", "KWD", None),
        ("seller_payable", "KWD", seller.pk),
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"code": "cash", "currency": "USD"}, "Unknown ledger account 'cash'"),
        ({"code": "escrow", "currency": "XAU"}, "Unsupported currency: 'XAU'"),
        ({"code": "seller_payable", "currency": "USD"}, "kept per seller: name the company"),
        (
            {"code": "escrow", "currency": "USD", "company": True},
            "the platform's: it has no company",
        ),
    ],
)
def test_account_get_refuses_accounts_outside_the_chart(db, seller, arguments, message):
    if arguments.get("company") is True:
        arguments = {**arguments, "company": seller}

    with pytest.raises(DomainError, match=message):
        ledger_account_get(**arguments)

    assert LedgerAccount.objects.count() == 0
