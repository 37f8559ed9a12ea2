"""Settlement, service by service: release (escrow → seller payable + platform fee), pay (a
transfer with the key committed before the call, then the payout posting), gateway trouble
(retryable: stays released; refused: failed with the reason), and the transfer webhooks."""

import json

import pytest

from marketplace.core.exceptions import DomainError
from orders.models import Order
from payments import settlement
from payments.enums import PayoutMethod, SettlementStatus
from payments.gateway import GatewayError, GatewayRefused
from payments.ledger.models import LedgerTransaction
from payments.ledger.selectors import ledger_check, order_escrow_held_minor, seller_money_summary
from payments.models import BankPayout, ConnectedAccount, SandboxObject, Settlement
from payments.sandbox import SandboxGateway
from payments.webhooks import webhook_receive, webhook_sign
from tests.payments.conftest import pay
from tests.payments.fault_gateway import (
    ACCOUNT_INVALID,
    API_ERROR,
    StripeStandIn,
    completed,
    delivered,
)

pytestmark = pytest.mark.django_db


def entries(key: str) -> list[tuple[str, int]]:
    tx = LedgerTransaction.objects.get(idempotency_key=key)
    return sorted(tx.entries.values_list("account__code", "amount_minor"))


@pytest.fixture
def done_order(confirmed_order, buyer, buyer_user, seller, seller_user) -> Order:
    return completed(
        confirmed_order, buyer=buyer, buyer_user=buyer_user, seller=seller, seller_user=seller_user
    )


def test_release_moves_escrow_to_the_seller_share_and_the_platform_fee(done_order):
    released = settlement.settlement_release(order_id=done_order.pk)

    assert (
        released.status,
        released.seller_share_minor,
        released.platform_fee_minor,
        released.currency,
        released.transfer_idempotency_key,
    ) == (SettlementStatus.RELEASED, 105000, 3150, "USD", f"transfer:{done_order.number}")
    assert entries(f"settlement:{done_order.number}") == [
        ("escrow", -108150),
        ("platform_fees", 3150),
        ("seller_payable", 105000),
    ]
    assert order_escrow_held_minor(order=done_order) == 0


def test_release_twice_returns_the_first_settlement_and_posts_once(done_order):
    first = settlement.settlement_release(order_id=done_order.pk)
    again = settlement.settlement_release(order_id=done_order.pk)

    assert again.pk == first.pk
    assert Settlement.objects.count() == 1
    assert LedgerTransaction.objects.filter(kind="settlement_released").count() == 1


def test_release_of_an_order_not_completed_is_refused_and_changes_nothing(
    confirmed_order, buyer, buyer_user, seller, seller_user
):
    order = delivered(
        confirmed_order, buyer=buyer, buyer_user=buyer_user, seller=seller, seller_user=seller_user
    )
    before = LedgerTransaction.objects.count()

    with pytest.raises(DomainError) as refused:
        settlement.settlement_release(order_id=order.pk)

    assert refused.value.code == "order_not_completed"
    assert Settlement.objects.count() == 0
    assert LedgerTransaction.objects.count() == before
    assert order_escrow_held_minor(order=order) == 108150


def test_pay_transfers_the_share_with_the_settlement_key_and_posts_the_payout(done_order, seller):
    paid = settlement.settlement_run(order_id=done_order.pk)

    [transfer] = SandboxObject.objects.filter(kind="transfer")
    assert transfer.idempotency_key == f"transfer:{done_order.number}"
    assert (
        transfer.data["amount"],
        transfer.data["currency"],
        transfer.data["transfer_group"],
    ) == (
        105000,
        "usd",
        done_order.number,
    )
    assert transfer.data["destination"] == seller.payout_account.stripe_account_id
    assert (paid.status, paid.transfer_id, paid.attempts) == (
        SettlementStatus.TRANSFERRED,
        transfer.object_id,
        1,
    )
    assert entries(f"payout:{done_order.number}") == [
        ("seller_paid_out", 105000),
        ("seller_payable", -105000),
    ]
    [money] = seller_money_summary(company=seller)
    assert (money.held_minor, money.payable_minor, money.paid_out_minor) == (0, 0, 105000)
    assert ledger_check()["balanced"] is True


def test_a_seller_without_a_usable_account_waits_and_nothing_is_transferred(
    confirmed_order, buyer, buyer_user, seller, seller_user
):
    order = completed(
        confirmed_order, buyer=buyer, buyer_user=buyer_user, seller=seller, seller_user=seller_user
    )
    ConnectedAccount.objects.filter(company=seller).update(payouts_enabled=False)

    waiting = settlement.settlement_run(order_id=order.pk)

    assert waiting.status == SettlementStatus.AWAITING_ACCOUNT
    assert not SandboxObject.objects.filter(kind="transfer").exists()
    [money] = seller_money_summary(company=seller)
    assert (money.payable_minor, money.paid_out_minor) == (105000, 0)


def test_a_seller_paid_by_bank_accrues_a_pending_bank_payout(
    confirmed_order, buyer, buyer_user, seller, seller_user
):
    order = completed(
        confirmed_order, buyer=buyer, buyer_user=buyer_user, seller=seller, seller_user=seller_user
    )
    ConnectedAccount.objects.filter(company=seller).update(
        method=PayoutMethod.BANK_TRANSFER, stripe_account_id=""
    )

    payable = settlement.settlement_run(order_id=order.pk)

    assert payable.status == SettlementStatus.BANK_PAYABLE
    bank = BankPayout.objects.get(settlement=payable)
    assert (bank.amount_minor, bank.currency, bank.status) == (105000, "USD", "pending")
    assert not SandboxObject.objects.filter(kind="transfer").exists()


def test_a_gateway_error_leaves_the_settlement_released_with_the_error(done_order, httpserver):
    stand_in = StripeStandIn(httpserver, failures=[API_ERROR])
    with stand_in.settings(), pytest.raises(GatewayError) as error:
        settlement.settlement_run(order_id=done_order.pk)

    assert error.value.retryable is True
    found = Settlement.objects.get(order=done_order)
    assert (found.status, found.attempts) == (SettlementStatus.RELEASED, 1)
    assert "Stripe is having a moment." in found.last_error
    assert stand_in.transfers == []
    assert not LedgerTransaction.objects.filter(kind="payout").exists()

    with stand_in.settings():  # asked again later: no transfer was made, so a new key
        paid = settlement.settlement_run(order_id=done_order.pk)

    assert (paid.status, paid.attempts, paid.last_error) == (SettlementStatus.TRANSFERRED, 2, "")
    assert [(r.path, r.idempotency_key) for r in stand_in.requests] == [
        ("/v1/transfers", f"transfer:{done_order.number}"),
        ("/v1/transfers", ""),  # the list of the order's transfer group
        ("/v1/transfers", f"transfer:{done_order.number}:2"),
    ]
    assert [t["amount"] for t in stand_in.transfers] == [105000]


def test_an_unclear_failure_after_the_transfer_was_made_is_not_paid_twice(
    done_order, seller, httpserver
):
    """Stripe made the transfer but answered 500 (and would replay that 500 to the same key):
    the retry finds the transfer in the order's transfer group and records it; no second one."""
    stand_in = StripeStandIn(httpserver, failures_after=[API_ERROR])
    with stand_in.settings(), pytest.raises(GatewayError):
        settlement.settlement_run(order_id=done_order.pk)
    assert len(stand_in.transfers) == 1
    assert Settlement.objects.get(order=done_order).status == SettlementStatus.RELEASED

    with stand_in.settings():
        paid = settlement.settlement_run(order_id=done_order.pk)
        settlement.settlement_run(order_id=done_order.pk)

    assert (paid.status, paid.transfer_id) == (
        SettlementStatus.TRANSFERRED,
        stand_in.transfers[0]["id"],
    )
    assert [(r.path, r.idempotency_key) for r in stand_in.requests] == [
        ("/v1/transfers", f"transfer:{done_order.number}"),
        ("/v1/transfers", ""),
    ]
    assert len(stand_in.transfers) == 1
    [money] = seller_money_summary(company=seller)
    assert (money.payable_minor, money.paid_out_minor) == (0, 105000)
    assert ledger_check()["balanced"] is True


def test_a_refused_transfer_fails_the_settlement_with_the_reason(done_order, httpserver):
    stand_in = StripeStandIn(httpserver, failures=[ACCOUNT_INVALID])
    with stand_in.settings(), pytest.raises(GatewayRefused):
        settlement.settlement_run(order_id=done_order.pk)

    failed = Settlement.objects.get(order=done_order)
    assert failed.status == SettlementStatus.FAILED
    assert "The destination account cannot receive transfers." in failed.last_error
    assert not LedgerTransaction.objects.filter(kind="payout").exists()
    [money] = seller_money_summary(company=failed.seller)
    assert money.payable_minor == 105000  # released, waiting for an admin


def test_the_stripe_transfer_carries_the_form_parameters_and_the_key(done_order, httpserver):
    stand_in = StripeStandIn(httpserver)
    with stand_in.settings():
        paid = settlement.settlement_run(order_id=done_order.pk)

    [seen] = stand_in.requests
    assert seen.path == "/v1/transfers"
    assert seen.idempotency_key == f"transfer:{done_order.number}"
    assert {k: seen.form[k] for k in ("amount", "currency", "transfer_group")} == {
        "amount": "105000",
        "currency": "usd",
        "transfer_group": done_order.number,
    }
    assert seen.form["metadata[settlement_id]"] == str(paid.pk)
    assert paid.transfer_id == stand_in.transfers[0]["id"]


def _signed(event_type: str, obj: dict, event_id: str) -> tuple[bytes, str]:
    payload = json.dumps(
        {
            "id": event_id,
            "object": "event",
            "created": 1700000000,
            "livemode": False,
            "type": event_type,
            "data": {"object": obj},
        }
    ).encode()
    return payload, webhook_sign(payload)


def test_transfer_reversed_reverses_the_payout_and_marks_the_settlement(done_order, seller):
    paid = settlement.settlement_run(order_id=done_order.pk)

    SandboxGateway().transfer_reverse(paid.transfer_id)

    paid.refresh_from_db()
    assert paid.status == SettlementStatus.REVERSED
    assert entries(f"reverse:payout:{done_order.number}") == [
        ("seller_paid_out", -105000),
        ("seller_payable", 105000),
    ]
    [money] = seller_money_summary(company=seller)
    assert (money.payable_minor, money.paid_out_minor) == (105000, 0)
    assert ledger_check()["balanced"] is True


def test_settlement_create_released_keeps_the_first_row(done_order):
    first = settlement.settlement_create_released(
        order=done_order, seller_share_minor=100, platform_fee_minor=5
    )
    again = settlement.settlement_create_released(
        order=done_order, seller_share_minor=999, platform_fee_minor=1
    )

    assert again.pk == first.pk
    assert (again.seller_share_minor, again.platform_fee_minor) == (100, 5)


def test_payment_of_an_unknown_transfer_is_ignored(confirmed_order, buyer, buyer_user):
    pay(confirmed_order, company=buyer, actor=buyer_user)
    payload, signature = _signed(
        "transfer.created",
        {"id": "tr_unknown", "amount": 5, "currency": "usd", "transfer_group": "ORD-NOPE"},
        "evt_unknown_transfer",
    )

    outcome = webhook_receive(payload=payload, signature_header=signature)

    assert outcome.event.status == "processed"
    assert not LedgerTransaction.objects.filter(kind="payout").exists()


@pytest.mark.parametrize(
    ("share", "held", "currency", "expected"),
    [
        (105000, 108150, "USD", 105000),  # two decimals: as is
        (51500, 53045, "JPY", 51500),  # zero decimals: as is
        (11975, 12350, "KWD", 11980),  # three decimals: up to the next ten fils, held allows
        (12345, 12349, "KWD", 12340),  # ... else down; the fee takes the difference
        (11980, 12350, "BHD", 11980),  # already in tens
    ],
)
def test_the_seller_share_is_what_the_gateway_can_transfer(share, held, currency, expected):
    assert (
        settlement.settlement_share_minor(share_minor=share, held_minor=held, currency=currency)
        == expected
    )


def test_the_safety_net_settles_a_completed_order_whose_message_was_lost(done_order, seller):
    """The relay published ``order.completed`` but the message vanished (a purged queue):
    beat finds the completed order holding money without a settlement and settles it once."""
    from datetime import timedelta

    from django.utils import timezone

    from payments import tasks

    assert settlement.orders_unsettled() == []  # just completed: the message may be on its way
    Order.objects.filter(pk=done_order.pk).update(
        completed_at=timezone.now() - timedelta(minutes=20)
    )
    assert settlement.orders_unsettled() == [done_order.pk]

    tasks.settlement_order_task.apply(kwargs={"order_id": done_order.pk})

    found = Settlement.objects.get(order=done_order)
    assert (found.status, found.seller_share_minor) == (SettlementStatus.TRANSFERRED, 105000)
    assert settlement.orders_unsettled() == []
    [money] = seller_money_summary(company=seller)
    assert (money.held_minor, money.paid_out_minor) == (0, 105000)
    assert ledger_check()["balanced"] is True


def test_the_sandbox_balance_of_a_connected_account_is_its_transfers_less_reversals(seller):
    from tests.payments.conftest import stripe_account_ready

    account = stripe_account_ready(seller)
    gateway = SandboxGateway()

    def transfer(group: str, amount_minor: int, currency: str):
        return gateway.transfer_create(
            amount_minor=amount_minor,
            currency=currency,
            destination=account.stripe_account_id,
            transfer_group=group,
            idempotency_key=f"transfer:{group}",
            metadata={},
        )

    kept = transfer("ORD-SBX-1", 105000, "USD")
    reversed_one = transfer("ORD-SBX-2", 2000, "USD")
    transfer("ORD-SBX-3", 500, "JPY")
    gateway.transfer_reverse(reversed_one.id)

    assert kept.amount_minor == 105000
    assert (
        gateway.connected_balance_available_minor(
            account_id=account.stripe_account_id, currency="USD"
        )
        == 105000
    )
    assert (
        gateway.connected_balance_available_minor(
            account_id=account.stripe_account_id, currency="jpy"
        )
        == 500
    )
    assert (
        gateway.connected_balance_available_minor(account_id="acct_sbx_other", currency="USD") == 0
    )
