"""Property tests (hypothesis): whatever is posted, every transaction balances, the derived
balances equal the sums of the entries, refusals write nothing, and neither an order's
escrow nor a seller's payable ever goes below zero."""

from collections import defaultdict

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.core.exceptions import Conflict, DomainError
from payments.ledger.enums import LedgerAccountCode as Code
from payments.ledger.models import LedgerEntry
from payments.ledger.selectors import (
    ledger_balances,
    ledger_check,
    order_escrow_held_minor,
)
from payments.ledger.services import (
    EntryInput,
    LedgerPostingRefused,
    ledger_account_get,
    ledger_post,
    ledger_post_dispute_split,
    ledger_post_payment_captured,
    ledger_post_payout,
    ledger_post_refund,
    ledger_post_settlement_released,
    ledger_reverse,
)
from tests.factories import CompanyFactory
from tests.orders.factories import OrderFactory
from tests.payments.ledger.factories import constraints_check_now, ledger_snapshot

CURRENCIES = ["USD", "JPY", "KWD"]
# Accounts a free-form posting may use (escrow needs an order, so it is in the flow test).
FREE_ACCOUNTS = [
    (Code.GATEWAY_CLEARING, False),
    (Code.PLATFORM_FEES, False),
    (Code.BUYER_REFUNDS, False),
    (Code.SELLER_PAYABLE, True),
    (Code.SELLER_PAID_OUT, True),
]
PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

amounts = st.integers(min_value=-(10**15), max_value=10**15).filter(lambda a: a != 0)
leg = st.tuples(st.integers(min_value=0, max_value=len(FREE_ACCOUNTS) - 1), amounts)
posting = st.fixed_dictionaries(
    {
        "legs": st.dictionaries(
            st.sampled_from(CURRENCIES), st.lists(leg, min_size=1, max_size=4), min_size=1
        ),
        "balancing_account": st.integers(min_value=0, max_value=len(FREE_ACCOUNTS) - 1),
        "tamper": st.sampled_from([0, 0, 0, 1, -1]),  # now and then one minor unit off
        "replay_of": st.none() | st.integers(min_value=0, max_value=30),
    }
)


def _books_by_account() -> dict[tuple[str, int | None, str], int]:
    return {
        (b.account.code, b.account.company_id, b.currency): b.balance_minor
        for b in ledger_balances()
        if b.balance_minor != 0
    }


def _assert_books_match(model: dict[tuple[str, int | None, str], int], transactions: int):
    constraints_check_now()  # what COMMIT would check, the trigger included
    assert ledger_check() == {"balanced": True, "transactions": transactions}
    assert _books_by_account() == {k: v for k, v in model.items() if v != 0}
    per_currency: dict[str, int] = defaultdict(int)
    for (_, _, currency), balance in model.items():
        per_currency[currency] += balance
    assert set(per_currency.values()) <= {0}
    # Every transaction sums to zero per currency, added up here rather than in SQL.
    sums: dict[tuple[int, str], int] = defaultdict(int)
    for txn_id, currency, amount in LedgerEntry.objects.values_list(
        "transaction_id", "currency", "amount_minor"
    ):
        sums[(txn_id, currency)] += amount
    assert set(sums.values()) <= {0}


@pytest.fixture
def seller(db):
    return CompanyFactory(seller=True, verified=True)


@PROPERTY_SETTINGS
@given(postings=st.lists(posting, max_size=12))
def test_random_balanced_postings_keep_the_books_balanced(seller, postings):
    with transaction.atomic():
        model: dict[tuple[str, int | None, str], int] = defaultdict(int)
        posted: list[tuple[str, list[EntryInput], int]] = []

        def account(index: int, currency: str):
            code, per_company = FREE_ACCOUNTS[index]
            return ledger_account_get(
                code=code, currency=currency, company=seller if per_company else None
            )

        for n, spec in enumerate(postings):
            if spec["replay_of"] is not None and posted:
                key, entries, pk = posted[spec["replay_of"] % len(posted)]
                before = ledger_snapshot()
                assert (
                    ledger_post(
                        idempotency_key=key, description="replay", entries=entries, kind="payout"
                    ).pk
                    == pk
                )
                assert ledger_snapshot() == before
                continue
            entries = []
            for currency, legs in spec["legs"].items():
                for index, amount in legs:
                    entries.append(EntryInput(account(index, currency), amount))
                total = sum(amount for _, amount in legs)
                if total:
                    entries.append(EntryInput(account(spec["balancing_account"], currency), -total))
            key = f"posting:{n}"
            if spec["tamper"]:
                first = entries[0]
                entries[0] = EntryInput(first.account, first.amount_minor + spec["tamper"])
            before = ledger_snapshot()
            if spec["tamper"] or any(e.amount_minor == 0 for e in entries):
                with pytest.raises(LedgerPostingRefused):
                    ledger_post(
                        idempotency_key=key, description="random", entries=entries, kind="payout"
                    )
                assert ledger_snapshot() == before
                continue
            txn = ledger_post(
                idempotency_key=key, description="random", entries=entries, kind="payout"
            )
            posted.append((key, entries, txn.pk))
            for entry in entries:
                model[(entry.account.code, entry.account.company_id, entry.account.currency)] += (
                    entry.amount_minor
                )

        _assert_books_match(model, transactions=len(posted))
        transaction.set_rollback(True)


ORDER_INDEX = st.integers(min_value=0, max_value=2)
SMALL = st.integers(min_value=0, max_value=30000)
operation = st.one_of(
    st.tuples(st.just("capture"), ORDER_INDEX, SMALL),
    st.tuples(st.just("refund"), ORDER_INDEX, SMALL),
    st.tuples(st.just("settle"), ORDER_INDEX, SMALL, SMALL),
    st.tuples(st.just("split"), ORDER_INDEX, SMALL, SMALL, SMALL),
    st.tuples(st.just("payout"), ORDER_INDEX, SMALL),
    st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=40)),
    st.tuples(st.just("replay"), st.integers(min_value=0, max_value=40)),
)


@pytest.fixture
def orders(db):
    """Three paid orders: USD and JPY of one seller, KWD of another."""
    first = CompanyFactory(seller=True, verified=True)
    second = CompanyFactory(seller=True, verified=True)
    return [
        OrderFactory(paid=True, seller=first, currency="USD"),
        OrderFactory(paid=True, seller=first, currency="JPY"),
        OrderFactory(paid=True, seller=second, currency="KWD"),
    ]


def _expected_entries(op: tuple, order) -> list[tuple[str, int | None, str, int]]:
    """The entries an accepted operation posts, by the chart (the test's own model)."""
    kind, _, *amounts = op
    cur, seller = order.currency, order.seller_id
    if kind == "capture":
        (a,) = amounts
        legs = [(Code.GATEWAY_CLEARING, None, -a), (Code.ESCROW, None, a)]
    elif kind == "refund":
        (a,) = amounts
        legs = [(Code.ESCROW, None, -a), (Code.BUYER_REFUNDS, None, a)]
    elif kind == "settle":
        share, fee = amounts
        legs = [
            (Code.ESCROW, None, -(share + fee)),
            (Code.SELLER_PAYABLE, seller, share),
            (Code.PLATFORM_FEES, None, fee),
        ]
    elif kind == "split":
        refund, share, fee = amounts
        legs = [
            (Code.ESCROW, None, -(refund + share + fee)),
            (Code.BUYER_REFUNDS, None, refund),
            (Code.SELLER_PAYABLE, seller, share),
            (Code.PLATFORM_FEES, None, fee),
        ]
    else:  # payout
        (a,) = amounts
        legs = [(Code.SELLER_PAYABLE, seller, -a), (Code.SELLER_PAID_OUT, seller, a)]
    return [(code, company, cur, amount) for code, company, amount in legs if amount != 0]


@PROPERTY_SETTINGS
@given(operations=st.lists(operation, max_size=25))
def test_any_sequence_of_payment_postings_never_overdraws_escrow_or_payables(orders, operations):
    with transaction.atomic():
        model: dict[tuple[str, int | None, str], int] = defaultdict(int)
        held = [0, 0, 0]  # per order
        # Accepted postings: (call, transaction, order index, model entries, reversed?)
        posted: list[dict] = []

        def call_for(n: int, op: tuple):
            kind, *args = op
            key = f"op:{n}"
            if kind in ("reverse", "replay"):
                target = posted[args[0] % len(posted)]
                if kind == "replay":
                    return target["call"]
                return lambda: ledger_reverse(
                    transaction=target["transaction"], idempotency_key=key, reason="property"
                )
            order = orders[args[0]]
            if kind == "capture":
                return lambda: ledger_post_payment_captured(
                    order=order, amount_minor=args[1], idempotency_key=key
                )
            if kind == "refund":
                return lambda: ledger_post_refund(
                    order=order, amount_minor=args[1], idempotency_key=key
                )
            if kind == "settle":
                return lambda: ledger_post_settlement_released(
                    order=order,
                    seller_share_minor=args[1],
                    platform_fee_minor=args[2],
                    idempotency_key=key,
                )
            if kind == "split":
                return lambda: ledger_post_dispute_split(
                    order=order,
                    buyer_refund_minor=args[1],
                    seller_share_minor=args[2],
                    platform_fee_minor=args[3],
                    idempotency_key=key,
                )
            return lambda: ledger_post_payout(
                seller=order.seller,
                currency=order.currency,
                amount_minor=args[1],
                idempotency_key=key,
                method="transfer",
            )

        def accepted_by_model(op: tuple) -> tuple[bool, list, int | None]:
            """Whether the model accepts ``op``, its entries, and its order index."""
            kind, index, *_ = op
            if kind == "reverse":
                target = posted[index % len(posted)]
                if target["reversal"] or target["reversed"]:
                    return False, [], None
                entries = [(c, co, cur, -a) for c, co, cur, a in target["entries"]]
                order_index = target["order"]
            else:
                order_index = index
                entries = _expected_entries(op, orders[index])
                if not entries:  # nothing to move: refused
                    return False, [], None
            escrow_out = -sum(a for c, _, _, a in entries if c == Code.ESCROW)
            if escrow_out > held[order_index]:
                return False, [], None
            for code, company, currency, amount in entries:
                overdrawn = model[(code, company, currency)] + amount < 0
                if code == Code.SELLER_PAYABLE and amount < 0 and overdrawn:
                    return False, [], None
            return True, entries, order_index

        for n, op in enumerate(operations):
            if op[0] in ("reverse", "replay") and not posted:
                continue
            call = call_for(n, op)
            before = ledger_snapshot()
            if op[0] == "replay":
                target = posted[op[1] % len(posted)]
                assert call().pk == target["transaction"].pk
                assert ledger_snapshot() == before  # a replay writes nothing
                continue
            expected, entries, order_index = accepted_by_model(op)
            try:
                result = call()
            except (DomainError, Conflict):
                assert not expected, op
                assert ledger_snapshot() == before  # a refusal writes nothing
                continue
            assert expected, op
            if op[0] == "reverse":
                posted[op[1] % len(posted)]["reversed"] = True
            posted.append(
                {
                    "call": call,
                    "transaction": result,
                    "order": order_index,
                    "entries": entries,
                    "reversal": op[0] == "reverse",
                    "reversed": False,
                }
            )
            for code, company, currency, amount in entries:
                model[(code, company, currency)] += amount
                if code == Code.ESCROW:
                    held[order_index] += amount
            assert [order_escrow_held_minor(order=o) for o in orders] == held
            assert min(held) >= 0
            assert all(
                b.balance_minor >= 0
                for b in ledger_balances()
                if b.account.code in (Code.ESCROW, Code.SELLER_PAYABLE)
            )

        _assert_books_match(model, transactions=len(posted))
        transaction.set_rollback(True)
