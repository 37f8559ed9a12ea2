"""Refunds, service by service: a seller cancelling a paid order refunds it in full, once; a
refund larger than what is held is refused with nothing changed; gateway trouble leaves the
refund pending (retry) or failed (refused) with the reason, and never undoes a success."""

import pytest

from marketplace.core.exceptions import DomainError
from marketplace.core.models import OutboxEvent
from orders import services as order_services
from orders.enums import OrderStatus
from orders.models import Order
from payments import refunds
from payments.enums import RefundReason, RefundStatus
from payments.gateway import GatewayError, GatewayRefused
from payments.ledger.models import LedgerTransaction
from payments.ledger.selectors import ledger_check, order_escrow_held_minor
from payments.models import Refund, SandboxObject
from tests.payments.conftest import pay
from tests.payments.fault_gateway import API_ERROR, StripeStandIn

pytestmark = pytest.mark.django_db

REFUSED = (
    400,
    {
        "error": {
            "type": "invalid_request_error",
            "code": "charge_already_refunded",
            "message": "The charge has already been refunded.",
        }
    },
)


@pytest.fixture
def paid_order(confirmed_order, buyer, buyer_user) -> Order:
    pay(confirmed_order, company=buyer, actor=buyer_user)
    return Order.objects.get(pk=confirmed_order.pk)


@pytest.fixture
def cancelled_order(paid_order, seller, seller_user) -> Order:
    return order_services.order_cancel(
        order=paid_order, actor=seller_user, company=seller, reason="Out of M8 stock."
    )


def state(order: Order) -> tuple:
    order.refresh_from_db()
    return (
        order.status,
        order_escrow_held_minor(order=order),
        Refund.objects.count(),
        OutboxEvent.objects.filter(topic="payments.refund").count(),
        LedgerTransaction.objects.count(),
        SandboxObject.objects.filter(kind="refund").count(),
    )


def test_seller_cancelling_a_paid_order_refunds_the_buyer_in_full(cancelled_order):
    assert OutboxEvent.objects.filter(topic="order.cancelled", key=cancelled_order.number).exists()

    refund = refunds.refund_for_cancelled_order(order_id=cancelled_order.pk)

    assert (refund.amount_minor, refund.reason, refund.status, refund.idempotency_key) == (
        108150,
        RefundReason.ORDER_CANCELLED,
        RefundStatus.SUCCEEDED,
        f"refund:{cancelled_order.number}:cancelled",
    )
    [gateway_refund] = SandboxObject.objects.filter(kind="refund")
    assert refund.gateway_refund_id == gateway_refund.object_id
    assert gateway_refund.idempotency_key == refund.idempotency_key
    assert gateway_refund.data["amount"] == 108150
    tx = LedgerTransaction.objects.get(idempotency_key=f"ledger:{refund.idempotency_key}")
    assert sorted(tx.entries.values_list("account__code", "amount_minor")) == [
        ("buyer_refunds", 108150),
        ("escrow", -108150),
    ]
    cancelled_order.refresh_from_db()
    assert cancelled_order.status == OrderStatus.REFUNDED
    assert order_escrow_held_minor(order=cancelled_order) == 0
    assert ledger_check()["balanced"] is True


def test_refunding_a_cancelled_order_again_refunds_once(cancelled_order):
    first = refunds.refund_for_cancelled_order(order_id=cancelled_order.pk)
    again = refunds.refund_for_cancelled_order(order_id=cancelled_order.pk)
    executed = refunds.refund_execute(refund_id=first.pk)

    assert again.pk == executed.pk == first.pk
    assert Refund.objects.count() == 1
    assert SandboxObject.objects.filter(kind="refund").count() == 1
    assert LedgerTransaction.objects.filter(kind="refund").count() == 1


def test_a_refund_larger_than_what_is_held_is_refused_and_nothing_changes(paid_order):
    before = state(paid_order)

    with pytest.raises(refunds.RefundTooLarge) as refused:
        refunds.refund_request(
            order=paid_order,
            amount_minor=108151,
            reason=RefundReason.ORDER_CANCELLED,
            idempotency_key=f"refund:{paid_order.number}:too-much",
        )

    assert (refused.value.available_minor, refused.value.requested_minor) == (108150, 108151)
    assert (refused.value.field, refused.value.code) == ("amount", "refund_too_large")
    assert state(paid_order) == before


def test_what_is_already_asked_for_counts_against_what_is_held(paid_order):
    refunds.refund_request(
        order=paid_order,
        amount_minor=100000,
        reason=RefundReason.ORDER_CANCELLED,
        idempotency_key=f"refund:{paid_order.number}:first",
    )
    before = state(paid_order)

    with pytest.raises(refunds.RefundTooLarge) as refused:
        refunds.refund_request(
            order=paid_order,
            amount_minor=8151,
            reason=RefundReason.ORDER_CANCELLED,
            idempotency_key=f"refund:{paid_order.number}:second",
        )

    assert refused.value.available_minor == 8150
    assert state(paid_order) == before


@pytest.mark.parametrize("amount", [0, -1, True, "100"])
def test_a_refund_of_no_positive_whole_amount_is_refused(paid_order, amount):
    before = state(paid_order)

    with pytest.raises(DomainError) as refused:
        refunds.refund_request(
            order=paid_order,
            amount_minor=amount,
            reason=RefundReason.ORDER_CANCELLED,
            idempotency_key=f"refund:{paid_order.number}:odd",
        )

    assert refused.value.code == "refund_amount"
    assert state(paid_order) == before


def test_a_refund_request_with_the_same_key_returns_the_first(paid_order):
    key = f"refund:{paid_order.number}:part"
    first = refunds.refund_request(
        order=paid_order, amount_minor=500, reason=RefundReason.DISPUTE, idempotency_key=key
    )
    again = refunds.refund_request(
        order=paid_order, amount_minor=500, reason=RefundReason.DISPUTE, idempotency_key=key
    )

    assert again.pk == first.pk
    assert OutboxEvent.objects.filter(topic="payments.refund", key=key).count() == 1


def test_a_gateway_error_keeps_the_refund_pending_and_a_retry_refunds_once(
    cancelled_order, httpserver
):
    stand_in = StripeStandIn(httpserver, failures=[API_ERROR])

    with stand_in.settings(), pytest.raises(GatewayError) as error:
        refunds.refund_for_cancelled_order(order_id=cancelled_order.pk)

    assert error.value.retryable is True
    refund = Refund.objects.get()
    assert (refund.status, refund.attempts) == (RefundStatus.PENDING, 1)
    assert "Stripe is having a moment." in refund.last_error
    assert order_escrow_held_minor(order=cancelled_order) == 108150

    with stand_in.settings():
        done = refunds.refund_execute(refund_id=refund.pk)
        refunds.refund_execute(refund_id=refund.pk)

    assert (done.status, done.gateway_refund_id) == (
        RefundStatus.SUCCEEDED,
        stand_in.refunds[0]["id"],
    )
    # The retry first asks whether the failed attempt refunded after all, then uses a new key
    # (Stripe would replay a stored error to the old one).
    assert [(r.path, r.idempotency_key) for r in stand_in.requests] == [
        ("/v1/refunds", refund.idempotency_key),
        ("/v1/refunds", ""),
        ("/v1/refunds", f"{refund.idempotency_key}:2"),
    ]
    assert stand_in.requests[0].form["amount"] == "108150"
    assert len(stand_in.refunds) == 1
    assert order_escrow_held_minor(order=cancelled_order) == 0
    cancelled_order.refresh_from_db()
    assert cancelled_order.status == OrderStatus.REFUNDED


def test_a_refused_refund_fails_with_the_reason_and_moves_no_money(cancelled_order, httpserver):
    stand_in = StripeStandIn(httpserver, failures=[REFUSED])

    with stand_in.settings(), pytest.raises(GatewayRefused):
        refunds.refund_for_cancelled_order(order_id=cancelled_order.pk)

    refund = Refund.objects.get()
    assert refund.status == RefundStatus.FAILED
    assert "The charge has already been refunded." in refund.last_error
    assert order_escrow_held_minor(order=cancelled_order) == 108150
    cancelled_order.refresh_from_db()
    assert cancelled_order.status == OrderStatus.CANCELLED

    with stand_in.settings():  # failed is final: executing again asks nothing
        assert refunds.refund_execute(refund_id=refund.pk).status == RefundStatus.FAILED
    assert len(stand_in.requests) == 1


def test_giving_up_on_a_cancelled_order_refund_marks_it_failed(cancelled_order, httpserver):
    stand_in = StripeStandIn(httpserver, failures=[API_ERROR])
    with stand_in.settings(), pytest.raises(GatewayError):
        refunds.refund_for_cancelled_order(order_id=cancelled_order.pk)

    refunds.refund_for_cancelled_order_give_up(
        order_id=cancelled_order.pk, reason="Gave up after 7 attempts: Stripe is down"
    )

    refund = Refund.objects.get()
    assert (refund.status, refund.last_error) == (
        RefundStatus.FAILED,
        "Gave up after 7 attempts: Stripe is down",
    )


def test_an_order_that_is_not_cancelled_is_not_refunded_by_the_cancel_handler(paid_order):
    before = state(paid_order)

    assert refunds.refund_for_cancelled_order(order_id=paid_order.pk) is None

    assert state(paid_order) == before


def test_an_unclear_failure_after_the_refund_was_made_refunds_once(cancelled_order, httpserver):
    """Stripe refunded but answered 500: the retry finds the refund among the PaymentIntent's
    refunds (by its refund_id metadata) and records it instead of refunding again."""
    stand_in = StripeStandIn(httpserver, failures_after=[API_ERROR])
    with stand_in.settings(), pytest.raises(GatewayError):
        refunds.refund_for_cancelled_order(order_id=cancelled_order.pk)
    refund = Refund.objects.get()
    assert (refund.status, refund.attempts) == (RefundStatus.PENDING, 1)
    assert len(stand_in.refunds) == 1

    with stand_in.settings():
        done = refunds.refund_execute(refund_id=refund.pk)

    assert (done.status, done.gateway_refund_id) == (
        RefundStatus.SUCCEEDED,
        stand_in.refunds[0]["id"],
    )
    assert [r.idempotency_key for r in stand_in.requests] == [refund.idempotency_key, ""]
    assert len(stand_in.refunds) == 1
    assert order_escrow_held_minor(order=cancelled_order) == 0
    assert ledger_check()["balanced"] is True


def test_a_kwd_refund_not_in_tens_of_fils_is_refused_with_nothing_changed(
    seller, buyer, buyer_user, seller_user, fx_rates
):
    """Stripe moves three-decimal currencies only in tens of the minor unit."""
    from tests.listings.factories import ListingFactory
    from tests.orders.factories import place_order

    listing = ListingFactory(
        seller=seller, published=True, currency="KWD", moq=10, stock=100, tiers=[(10, "1.2345")]
    )
    order = place_order(listing=listing, quantity=10, buyer=buyer, actor=buyer_user)
    order = order_services.order_confirm(order=order, actor=seller_user)
    pay(order, company=buyer, actor=buyer_user)
    order = Order.objects.get(pk=order.pk)
    before = state(order)

    with pytest.raises(DomainError) as refused:
        refunds.refund_request(
            order=order,
            amount_minor=12345,
            reason=RefundReason.DISPUTE,
            idempotency_key="refund:kwd:test",
        )

    assert (refused.value.code, refused.value.field) == ("refund_amount_gateway_unit", "amount")
    assert state(order) == before


def test_the_safety_net_refunds_a_cancelled_paid_order_whose_message_was_lost(cancelled_order):
    from datetime import timedelta

    from django.utils import timezone

    from payments import tasks

    assert refunds.orders_unrefunded() == []
    Order.objects.filter(pk=cancelled_order.pk).update(
        cancelled_at=timezone.now() - timedelta(minutes=20)
    )
    assert refunds.orders_unrefunded() == [cancelled_order.pk]

    tasks.order_refund_task.apply(kwargs={"order_id": cancelled_order.pk})

    refund = Refund.objects.get()
    assert (refund.status, refund.amount_minor) == (RefundStatus.SUCCEEDED, 108150)
    assert refunds.orders_unrefunded() == []
    cancelled_order.refresh_from_db()
    assert cancelled_order.status == OrderStatus.REFUNDED
    assert ledger_check()["balanced"] is True
