"""The postings of the payment flow, and reversals: exact entries, escrow never overdrawn."""

import pytest

from marketplace.core.exceptions import Conflict
from payments.ledger.models import LedgerTransaction
from payments.ledger.selectors import account_balance, order_escrow_held_minor
from payments.ledger.services import (
    LedgerInsufficientFunds,
    LedgerPostingRefused,
    ledger_post_dispute_split,
    ledger_post_payment_captured,
    ledger_post_payout,
    ledger_post_refund,
    ledger_post_settlement_released,
    ledger_reverse,
)
from tests.factories import UserFactory
from tests.payments.ledger.factories import (
    constraints_check_now,
    entries_of,
    ledger_snapshot,
    seller_account,
)


@pytest.fixture
def captured(order):
    return ledger_post_payment_captured(
        order=order, amount_minor=12360, idempotency_key="capture:pi_1"
    )


def test_payment_captured_moves_the_total_from_gateway_clearing_to_escrow(order):
    posted = ledger_post_payment_captured(
        order=order, amount_minor=12360, idempotency_key="capture:pi_1"
    )
    constraints_check_now()

    assert (posted.kind, posted.order_id, posted.description) == (
        "payment_captured",
        order.pk,
        "Payment captured for order ORD-LEDGER-0001",
    )
    assert entries_of(posted) == [
        ("gateway_clearing", None, -12360, "USD"),
        ("escrow", None, 12360, "USD"),
    ]
    assert order_escrow_held_minor(order=order) == 12360


def test_settlement_releases_escrow_to_the_sellers_payable_and_the_platform_fee(
    order, seller, captured
):
    posted = ledger_post_settlement_released(
        order=order,
        seller_share_minor=12000,
        platform_fee_minor=360,
        idempotency_key="settlement:ORD-LEDGER-0001",
    )
    constraints_check_now()

    assert posted.kind == "settlement_released"
    assert entries_of(posted) == [
        ("escrow", None, -12360, "USD"),
        ("seller_payable", seller.pk, 12000, "USD"),
        ("platform_fees", None, 360, "USD"),
    ]
    assert order_escrow_held_minor(order=order) == 0


def test_settlement_without_a_fee_leaves_the_fee_entry_out(order, seller, captured):
    posted = ledger_post_settlement_released(
        order=order, seller_share_minor=12360, platform_fee_minor=0, idempotency_key="s:1"
    )

    assert entries_of(posted) == [
        ("escrow", None, -12360, "USD"),
        ("seller_payable", seller.pk, 12360, "USD"),
    ]


def test_a_replayed_settlement_returns_the_first_even_though_escrow_is_now_empty(order, captured):
    first = ledger_post_settlement_released(
        order=order, seller_share_minor=12000, platform_fee_minor=360, idempotency_key="s:1"
    )
    before = ledger_snapshot()

    again = ledger_post_settlement_released(
        order=order, seller_share_minor=12000, platform_fee_minor=360, idempotency_key="s:1"
    )

    assert again.pk == first.pk
    assert ledger_snapshot() == before


def test_settling_more_than_the_order_holds_is_refused(order, captured):
    before = ledger_snapshot()

    with pytest.raises(LedgerInsufficientFunds, match="holds 12360 minor units of USD") as e:
        ledger_post_settlement_released(
            order=order, seller_share_minor=12001, platform_fee_minor=360, idempotency_key="s:1"
        )

    assert (e.value.available_minor, e.value.requested_minor) == (12360, 12361)
    assert ledger_snapshot() == before


def test_a_refund_moves_escrow_to_buyer_refunds(order, captured):
    posted = ledger_post_refund(
        order=order, amount_minor=2360, idempotency_key="refund:re_1", reason="Short shipment"
    )
    constraints_check_now()

    assert (posted.kind, posted.description) == (
        "refund",
        "Refund for order ORD-LEDGER-0001: Short shipment",
    )
    assert entries_of(posted) == [
        ("escrow", None, -2360, "USD"),
        ("buyer_refunds", None, 2360, "USD"),
    ]
    assert order_escrow_held_minor(order=order) == 10000


def test_a_refund_larger_than_what_is_held_is_refused(order, captured):
    ledger_post_refund(order=order, amount_minor=12000, idempotency_key="refund:re_1")
    before = ledger_snapshot()

    with pytest.raises(LedgerInsufficientFunds, match="holds 360 minor units of USD in escrow"):
        ledger_post_refund(order=order, amount_minor=361, idempotency_key="refund:re_2")

    assert ledger_snapshot() == before
    assert order_escrow_held_minor(order=order) == 360


def test_escrow_of_one_order_cannot_pay_for_another(order, jpy_order, captured):
    ledger_post_payment_captured(order=jpy_order, amount_minor=51500, idempotency_key="c:jpy")
    before = ledger_snapshot()

    with pytest.raises(LedgerInsufficientFunds, match="ORD-LEDGER-0002 holds 51500"):
        ledger_post_refund(order=jpy_order, amount_minor=51501, idempotency_key="r:jpy")

    assert ledger_snapshot() == before


def test_a_dispute_split_shares_escrow_between_buyer_seller_and_platform(order, seller, captured):
    admin = UserFactory(is_staff=True)

    posted = ledger_post_dispute_split(
        order=order,
        buyer_refund_minor=6180,
        seller_share_minor=6000,
        platform_fee_minor=180,
        idempotency_key="dispute:7:resolution",
        note="Half the cartons arrived damaged",
        posted_by=admin,
    )
    constraints_check_now()

    assert (posted.kind, posted.posted_by_id, posted.description) == (
        "dispute_split",
        admin.pk,
        "Dispute on order ORD-LEDGER-0001 resolved: Half the cartons arrived damaged",
    )
    assert entries_of(posted) == [
        ("escrow", None, -12360, "USD"),
        ("buyer_refunds", None, 6180, "USD"),
        ("seller_payable", seller.pk, 6000, "USD"),
        ("platform_fees", None, 180, "USD"),
    ]


def test_a_dispute_split_of_nothing_or_negative_parts_is_refused(order, captured):
    before = ledger_snapshot()

    with pytest.raises(LedgerPostingRefused, match="Nothing to move out of escrow"):
        ledger_post_dispute_split(
            order=order,
            buyer_refund_minor=0,
            seller_share_minor=0,
            platform_fee_minor=0,
            idempotency_key="d:0",
        )
    with pytest.raises(LedgerPostingRefused, match="buyer_refund_minor must be zero or a positive"):
        ledger_post_dispute_split(
            order=order,
            buyer_refund_minor=-1,
            seller_share_minor=12361,
            platform_fee_minor=0,
            idempotency_key="d:1",
        )

    assert ledger_snapshot() == before


def test_a_payout_moves_the_sellers_payable_to_paid_out(order, seller, captured):
    ledger_post_settlement_released(
        order=order, seller_share_minor=12000, platform_fee_minor=360, idempotency_key="s:1"
    )

    posted = ledger_post_payout(
        seller=seller,
        currency="USD",
        amount_minor=12000,
        idempotency_key="payout:tr_1",
        method="transfer",
        reference="tr_1",
        order=order,
    )
    constraints_check_now()

    assert (posted.kind, posted.order_id, posted.description) == (
        "payout",
        order.pk,
        "Payout to Ningbo Fasteners Co., Ltd. by transfer (tr_1) for order ORD-LEDGER-0001",
    )
    assert entries_of(posted) == [
        ("seller_payable", seller.pk, -12000, "USD"),
        ("seller_paid_out", seller.pk, 12000, "USD"),
    ]
    assert account_balance(account=seller_account("seller_payable", seller)) == 0
    assert account_balance(account=seller_account("seller_paid_out", seller)) == 12000


def test_paying_out_more_than_is_payable_is_refused(order, seller, captured):
    ledger_post_settlement_released(
        order=order, seller_share_minor=12000, platform_fee_minor=360, idempotency_key="s:1"
    )
    before = ledger_snapshot()

    with pytest.raises(LedgerInsufficientFunds, match="has 12000 minor units of USD payable"):
        ledger_post_payout(
            seller=seller,
            currency="USD",
            amount_minor=12001,
            idempotency_key="payout:bank:1",
            method="bank_transfer",
            reference="SEPA-2026-11-0042",
        )
    with pytest.raises(LedgerPostingRefused, match="Unknown payout method 'cash'"):
        ledger_post_payout(
            seller=seller, currency="USD", amount_minor=1, idempotency_key="p:2", method="cash"
        )

    assert ledger_snapshot() == before


@pytest.mark.parametrize("amount", [0, -5, 1.0, True])
def test_capture_of_a_non_positive_or_non_integer_amount_is_refused(order, amount):
    before = ledger_snapshot()

    with pytest.raises(LedgerPostingRefused, match="amount_minor must be a positive integer"):
        ledger_post_payment_captured(order=order, amount_minor=amount, idempotency_key="c:bad")

    assert ledger_snapshot() == before


def test_a_reversal_posts_the_opposite_entries_and_keeps_the_original(order, captured):
    admin = UserFactory(is_staff=True)

    reversal = ledger_reverse(
        transaction=captured,
        idempotency_key="reverse:capture:pi_1",
        reason="Captured twice by mistake",
        posted_by=admin,
    )
    constraints_check_now()

    assert (reversal.kind, reversal.reverses_id, reversal.order_id, reversal.posted_by_id) == (
        "reversal",
        captured.pk,
        order.pk,
        admin.pk,
    )
    assert reversal.description == (
        f"Reversal of #{captured.pk} (Payment captured): Captured twice by mistake"
    )
    assert entries_of(reversal) == [
        ("gateway_clearing", None, 12360, "USD"),
        ("escrow", None, -12360, "USD"),
    ]
    assert entries_of(captured) == [
        ("gateway_clearing", None, -12360, "USD"),
        ("escrow", None, 12360, "USD"),
    ]
    assert order_escrow_held_minor(order=order) == 0
    assert LedgerTransaction.objects.get(pk=captured.pk).reversed_by.pk == reversal.pk


def test_a_reversal_is_idempotent_and_happens_once(order, captured):
    first = ledger_reverse(transaction=captured, idempotency_key="rev:1", reason="Mistake")
    before = ledger_snapshot()

    assert ledger_reverse(transaction=captured, idempotency_key="rev:1", reason="Mistake").pk == (
        first.pk
    )
    with pytest.raises(Conflict, match=f"#{captured.pk} was already reversed by #{first.pk}"):
        ledger_reverse(transaction=captured, idempotency_key="rev:2", reason="Again")
    with pytest.raises(LedgerPostingRefused, match="A reversal cannot itself be reversed"):
        ledger_reverse(transaction=first, idempotency_key="rev:3", reason="Undo the undo")
    with pytest.raises(LedgerPostingRefused, match="A reversal needs a reason"):
        ledger_reverse(transaction=captured, idempotency_key="rev:4", reason=" ")

    assert ledger_snapshot() == before


def test_reversing_a_capture_whose_money_was_released_is_refused(order, captured):
    ledger_post_settlement_released(
        order=order, seller_share_minor=12000, platform_fee_minor=360, idempotency_key="s:1"
    )
    before = ledger_snapshot()

    with pytest.raises(LedgerInsufficientFunds, match="holds 0 minor units of USD in escrow"):
        ledger_reverse(transaction=captured, idempotency_key="rev:1", reason="Too late")

    assert ledger_snapshot() == before


def test_reversing_a_settlement_puts_the_money_back_in_escrow(order, seller, captured):
    settlement = ledger_post_settlement_released(
        order=order, seller_share_minor=12000, platform_fee_minor=360, idempotency_key="s:1"
    )

    ledger_reverse(transaction=settlement, idempotency_key="rev:s:1", reason="Released early")
    constraints_check_now()

    assert order_escrow_held_minor(order=order) == 12360
    assert account_balance(account=seller_account("seller_payable", seller)) == 0


def test_three_decimal_and_zero_decimal_currencies_post_in_their_minor_units(seller):
    from tests.orders.factories import OrderFactory

    kwd = OrderFactory(paid=True, seller=seller, currency="KWD", total_minor=1234567)
    jpy = OrderFactory(paid=True, seller=seller, currency="JPY", total_minor=51500)

    ledger_post_payment_captured(order=kwd, amount_minor=1234567, idempotency_key="c:kwd")
    ledger_post_payment_captured(order=jpy, amount_minor=51500, idempotency_key="c:jpy")
    ledger_post_settlement_released(
        order=kwd, seller_share_minor=1197530, platform_fee_minor=37037, idempotency_key="s:kwd"
    )
    constraints_check_now()

    assert account_balance(account=seller_account("seller_payable", seller, "KWD")) == 1197530
    assert order_escrow_held_minor(order=jpy) == 51500
    assert order_escrow_held_minor(order=kwd) == 0


def test_reversing_a_settlement_already_paid_out_is_refused(order, seller, captured):
    settlement = ledger_post_settlement_released(
        order=order, seller_share_minor=12000, platform_fee_minor=360, idempotency_key="s:1"
    )
    ledger_post_payout(
        seller=seller, currency="USD", amount_minor=500, idempotency_key="p:1", method="transfer"
    )
    before = ledger_snapshot()

    with pytest.raises(LedgerInsufficientFunds, match="holds 11500 minor units; 12000 cannot"):
        ledger_reverse(transaction=settlement, idempotency_key="rev:s:1", reason="Too late")

    assert ledger_snapshot() == before
