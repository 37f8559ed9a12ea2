"""Settlement and refunds through the outbox, the real Redis broker and a real Celery worker
(the ``celery_worker`` fixture), not eager mode: completing an order pays the seller once;
gateway errors are retried with backoff; a refusal or exhausted retries fail the settlement
with the reason; cancelling a paid order, or resolving a dispute, refunds the buyer."""

import pytest
from django.test import override_settings

from marketplace.core.models import OutboxEvent
from orders import services as order_services
from orders.enums import DisputeStatus, OrderStatus
from orders.models import Order
from payments import disputes, tasks
from payments.enums import RefundStatus, SettlementStatus
from payments.ledger.models import LedgerTransaction
from payments.ledger.selectors import ledger_check, order_escrow_held_minor, seller_money_summary
from payments.models import Refund, SandboxObject, Settlement
from tests.factories import staff_user
from tests.payments.conftest import pay
from tests.payments.fault_gateway import (
    ACCOUNT_INVALID,
    API_ERROR,
    StripeStandIn,
    completed,
    delivered,
    disputed,
    wait_until,
)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def settlement_in(order: Order, *statuses: str) -> bool:
    return Settlement.objects.filter(order=order, status__in=statuses).exists()


def test_completing_an_order_pays_the_seller_through_the_worker(
    celery_worker, confirmed_order, buyer, buyer_user, seller, seller_user
):
    order = delivered(
        confirmed_order, buyer=buyer, buyer_user=buyer_user, seller=seller, seller_user=seller_user
    )
    order = order_services.order_accept(order=order, actor=buyer_user)

    wait_until(lambda: settlement_in(order, SettlementStatus.TRANSFERRED))

    event = OutboxEvent.objects.get(topic="order.completed", key=order.number)
    assert event.published_at is not None
    assert (event.attempts, event.last_error) == (1, "")
    paid = Settlement.objects.get(order=order)
    assert (paid.seller_share_minor, paid.platform_fee_minor, paid.attempts) == (105000, 3150, 1)
    [transfer] = SandboxObject.objects.filter(kind="transfer")
    assert (transfer.object_id, transfer.data["amount"]) == (paid.transfer_id, 105000)
    [money] = seller_money_summary(company=seller)
    assert (money.held_minor, money.payable_minor, money.paid_out_minor) == (0, 0, 105000)
    assert ledger_check()["balanced"] is True


def test_gateway_errors_are_retried_with_backoff_until_the_transfer_goes_through(
    celery_worker, confirmed_order, buyer, buyer_user, seller, seller_user, httpserver, monkeypatch
):
    countdowns: list[int] = []
    real_backoff = tasks._backoff
    # The real schedule is recorded; the worker is told to wait 0 s so the test does not sleep.
    monkeypatch.setattr(tasks, "_backoff", lambda n: countdowns.append(real_backoff(n)) or 0)
    order = delivered(
        confirmed_order, buyer=buyer, buyer_user=buyer_user, seller=seller, seller_user=seller_user
    )
    stand_in = StripeStandIn(httpserver, failures=[API_ERROR, API_ERROR])
    with stand_in.settings():
        order = order_services.order_accept(order=order, actor=buyer_user)
        wait_until(lambda: settlement_in(order, SettlementStatus.TRANSFERRED))

    paid = Settlement.objects.get(order=order)
    assert (paid.attempts, paid.last_error) == (3, "")
    assert countdowns == [5, 10]
    # Each retry first checks the order's transfer group (a list request, no key), then asks
    # with a new key: Stripe would replay a stored error to the old one.
    assert [r.idempotency_key for r in stand_in.requests] == [
        f"transfer:{order.number}",
        "",
        f"transfer:{order.number}:2",
        "",
        f"transfer:{order.number}:3",
    ]
    assert [t["amount"] for t in stand_in.transfers] == [105000]
    assert paid.transfer_id == stand_in.transfers[0]["id"]
    assert ledger_check()["balanced"] is True


def test_the_backoff_doubles_from_5_seconds_up_to_10_minutes():
    assert [tasks._backoff(n) for n in range(9)] == [5, 10, 20, 40, 80, 160, 320, 600, 600]


def test_exhausted_retries_fail_the_settlement_with_the_reason(
    celery_worker, confirmed_order, buyer, buyer_user, seller, seller_user, httpserver, monkeypatch
):
    monkeypatch.setattr(tasks, "_backoff", lambda n: 0)
    order = delivered(
        confirmed_order, buyer=buyer, buyer_user=buyer_user, seller=seller, seller_user=seller_user
    )
    stand_in = StripeStandIn(httpserver, fail_always=API_ERROR)
    with stand_in.settings(), override_settings(SETTLEMENT_MAX_RETRIES=2):
        order = order_services.order_accept(order=order, actor=buyer_user)
        wait_until(lambda: settlement_in(order, SettlementStatus.FAILED))

    failed = Settlement.objects.get(order=order)
    assert failed.last_error.startswith("Gave up after 3 attempts: ")
    assert "Stripe is having a moment." in failed.last_error
    # Three transfer attempts, each retry after a look at the transfer group: 5 requests.
    assert [bool(r.idempotency_key) for r in stand_in.requests] == [True, False, True, False, True]
    assert stand_in.transfers == []
    assert not LedgerTransaction.objects.filter(kind="payout").exists()
    [money] = seller_money_summary(company=seller)
    assert (money.payable_minor, money.paid_out_minor) == (105000, 0)
    assert ledger_check()["balanced"] is True


def test_a_refused_transfer_fails_at_once_with_the_reason(
    celery_worker, confirmed_order, buyer, buyer_user, seller, seller_user, httpserver
):
    order = delivered(
        confirmed_order, buyer=buyer, buyer_user=buyer_user, seller=seller, seller_user=seller_user
    )
    stand_in = StripeStandIn(httpserver, fail_always=ACCOUNT_INVALID)
    with stand_in.settings():
        order = order_services.order_accept(order=order, actor=buyer_user)
        wait_until(lambda: settlement_in(order, SettlementStatus.FAILED))

    failed = Settlement.objects.get(order=order)
    assert "The destination account cannot receive transfers." in failed.last_error
    assert failed.attempts == 1
    assert len(stand_in.requests) == 1


def test_a_seller_cancelling_a_paid_order_refunds_the_buyer_through_the_worker(
    celery_worker, confirmed_order, buyer, buyer_user, seller, seller_user
):
    pay(confirmed_order, company=buyer, actor=buyer_user)
    order = Order.objects.get(pk=confirmed_order.pk)

    order_services.order_cancel(
        order=order, actor=seller_user, company=seller, reason="Out of M8 stock."
    )
    wait_until(lambda: Order.objects.filter(pk=order.pk, status=OrderStatus.REFUNDED).exists())
    # Both outbox events reach the worker (order.cancelled and payments.refund): one refund.
    wait_until(
        lambda: (
            OutboxEvent.objects.filter(
                topic__in=["order.cancelled", "payments.refund"], published_at__isnull=False
            ).count()
            == 2
        )
    )

    refund = Refund.objects.get(order=order)
    assert (refund.amount_minor, refund.status) == (108150, RefundStatus.SUCCEEDED)
    [gateway_refund] = SandboxObject.objects.filter(kind="refund")
    assert (gateway_refund.object_id, gateway_refund.data["amount"]) == (
        refund.gateway_refund_id,
        108150,
    )
    assert LedgerTransaction.objects.filter(kind="refund").count() == 1
    assert order_escrow_held_minor(order=order) == 0
    assert ledger_check()["balanced"] is True


def test_a_split_dispute_pays_the_seller_and_refunds_the_buyer_through_the_worker(
    celery_worker, confirmed_order, buyer, buyer_user, seller, seller_user
):
    order = disputed(
        confirmed_order, buyer=buyer, buyer_user=buyer_user, seller=seller, seller_user=seller_user
    )
    admin = staff_user("finance", email="disputes@platform.example")

    disputes.dispute_resolve(
        order=order, actor=admin, outcome=DisputeStatus.SPLIT, buyer_refund_minor=40000
    )
    wait_until(lambda: settlement_in(order, SettlementStatus.TRANSFERRED))
    wait_until(lambda: Refund.objects.filter(order=order, status=RefundStatus.SUCCEEDED).exists())

    assert [o.data["amount"] for o in SandboxObject.objects.filter(kind="transfer")] == [66165]
    assert [o.data["amount"] for o in SandboxObject.objects.filter(kind="refund")] == [40000]
    [money] = seller_money_summary(company=seller)
    assert (money.held_minor, money.payable_minor, money.paid_out_minor) == (0, 0, 66165)
    assert ledger_check()["balanced"] is True


def test_the_beat_safety_net_pays_a_released_settlement_whose_message_was_lost(
    celery_worker, confirmed_order, buyer, buyer_user, seller, seller_user, monkeypatch
):
    """The order completed and its settlement was released, but the message that pays it
    never arrived (here: nothing is published). The beat entry ``resume-settlements`` runs on
    the worker, finds the settlement released for more than 15 minutes and pays it once."""
    from datetime import timedelta

    from django.utils import timezone

    from marketplace.celery import app
    from payments import settlement

    monkeypatch.setattr("marketplace.core.outbox.outbox_publish", lambda *, event_id: False)
    order = completed(
        confirmed_order, buyer=buyer, buyer_user=buyer_user, seller=seller, seller_user=seller_user
    )
    released = settlement.settlement_release(order_id=order.pk)
    monkeypatch.undo()
    assert released.status == SettlementStatus.RELEASED
    assert settlement.settlements_stuck() == []  # just released: its message may be on its way
    Settlement.objects.filter(pk=released.pk).update(
        updated_at=timezone.now() - timedelta(minutes=16)
    )
    assert settlement.settlements_stuck() == [released.pk]

    entry = app.conf.beat_schedule["resume-settlements"]
    app.send_task(entry["task"], kwargs=entry.get("kwargs", {}))

    wait_until(lambda: settlement_in(order, SettlementStatus.TRANSFERRED))
    paid = Settlement.objects.get(order=order)
    assert (paid.pk, paid.seller_share_minor, paid.platform_fee_minor, paid.attempts) == (
        released.pk,
        105000,
        3150,
        1,
    )
    [transfer] = SandboxObject.objects.filter(kind="transfer")
    assert (transfer.object_id, transfer.data["amount"], transfer.idempotency_key) == (
        paid.transfer_id,
        105000,
        f"transfer:{order.number}",
    )
    assert LedgerTransaction.objects.filter(kind="payout").count() == 1
    [money] = seller_money_summary(company=seller)
    assert (money.held_minor, money.payable_minor, money.paid_out_minor) == (0, 0, 105000)
    assert ledger_check()["balanced"] is True
    # The next beat run finds nothing left to resume and pays nothing twice.
    assert tasks.settlements_resume_task.apply().get() == 0
    assert SandboxObject.objects.filter(kind="transfer").count() == 1
    assert LedgerTransaction.objects.filter(kind="payout").count() == 1
