"""Thin Celery tasks on the ``payments`` queue: take ids, call the service.

Each is idempotent (the services lock and check state, and every gateway write carries a key
committed beforehand), ``acks_late`` with ``reject_on_worker_lost`` (settings), so a killed
worker's task is delivered again and finishes the work once. Gateway trouble is retried with
exponential backoff; when retries run out (or the gateway refuses for good) the settlement or
refund is marked failed with the reason, for an admin.
"""

from collections.abc import Callable
from smtplib import SMTPException

from celery import Task, shared_task
from django.conf import settings

from marketplace.core.models import OutboxEvent
from payments import refunds, settlement
from payments.gateway import GatewayError


def _backoff(retries: int) -> int:
    return min(600, 5 * 2**retries)


def _payload(event_id: int) -> dict:
    return OutboxEvent.objects.get(pk=event_id).payload


def _with_retries(task: Task, work: Callable[[], str], on_give_up: Callable[[str], None]) -> str:
    try:
        return work()
    except GatewayError as exc:
        if not exc.retryable:
            return "failed"
        if task.request.retries >= settings.SETTLEMENT_MAX_RETRIES:
            on_give_up(f"Gave up after {task.request.retries + 1} attempts: {exc}")
            return "failed"
        raise task.retry(countdown=_backoff(task.request.retries)) from exc


def _settle(order_id: int) -> str:
    released = settlement.settlement_release(order_id=order_id)
    return settlement.settlement_pay(settlement_id=released.pk).status


def _settlement_give_up(order_id: int) -> Callable[[str], None]:
    def give_up(reason: str) -> None:
        found = settlement.Settlement.objects.filter(order_id=order_id).first()
        if found is not None:
            settlement.settlement_mark_failed(settlement_id=found.pk, reason=reason)

    return give_up


@shared_task(bind=True, max_retries=None, queue="payments")
def settlement_task(self: Task, *, event_id: int) -> str:
    """``order.completed`` (outbox): release the order's money and pay the seller."""
    order_id = _payload(event_id)["order_id"]
    return _with_retries(self, lambda: _settle(order_id), _settlement_give_up(order_id))


@shared_task(bind=True, max_retries=None, queue="payments")
def settlement_pay_task(self: Task, *, settlement_id: int) -> str:
    """Pay one released settlement (an account became usable; an admin retried)."""
    return _with_retries(
        self,
        lambda: settlement.settlement_pay(settlement_id=settlement_id).status,
        lambda reason: settlement.settlement_mark_failed(
            settlement_id=settlement_id, reason=reason
        ),
    )


@shared_task(bind=True, max_retries=None, queue="payments")
def refund_task(self: Task, *, event_id: int) -> str:
    """``payments.refund`` (outbox): execute a refund asked for in a business transaction."""
    refund_id = _payload(event_id)["refund_id"]
    return _with_retries(
        self,
        lambda: refunds.refund_execute(refund_id=refund_id).status,
        lambda reason: refunds.refund_mark_failed(refund_id=refund_id, reason=reason),
    )


@shared_task(bind=True, max_retries=None, queue="payments")
def order_cancelled_refund_task(self: Task, *, event_id: int) -> str:
    """``order.cancelled`` (outbox, a paid order): refund the buyer in full."""
    return _refund_cancelled(self, _payload(event_id)["order_id"])


@shared_task(bind=True, max_retries=None, queue="payments")
def settlement_order_task(self: Task, *, order_id: int) -> str:
    """Settle one completed order (the safety net's way in; the outbox's is ``settlement_task``)."""
    return _with_retries(self, lambda: _settle(order_id), _settlement_give_up(order_id))


@shared_task(bind=True, max_retries=None, queue="payments")
def order_refund_task(self: Task, *, order_id: int) -> str:
    """Refund one cancelled paid order (the safety net's way in)."""
    return _refund_cancelled(self, order_id)


def _refund_cancelled(task: Task, order_id: int) -> str:
    """Refund a cancelled paid order in full, with the retries of every money task."""

    def work() -> str:
        refund = refunds.refund_for_cancelled_order(order_id=order_id)
        return refund.status if refund is not None else "nothing held"

    return _with_retries(
        task,
        work,
        lambda reason: refunds.refund_for_cancelled_order_give_up(order_id=order_id, reason=reason),
    )


@shared_task(queue="payments")
def settlements_resume_task() -> int:
    """Beat safety net: pay settlements left released (a lost message, a long outage), and
    settle or refund orders whose outbox message was lost after it was published."""
    resumed = 0
    for settlement_id in settlement.settlements_stuck():
        settlement_pay_task.apply_async(kwargs={"settlement_id": settlement_id})
        resumed += 1
    for order_id in settlement.orders_unsettled():
        settlement_order_task.apply_async(kwargs={"order_id": order_id})
        resumed += 1
    for order_id in refunds.orders_unrefunded():
        order_refund_task.apply_async(kwargs={"order_id": order_id})
        resumed += 1
    return resumed


@shared_task(queue="payments")
def reconcile_task() -> int:
    """Beat, daily: compare the ledger with the gateway and the platform's rows; returns the
    number of mismatches found (stored on the run, listed in the admin)."""
    from payments.reconciliation import reconcile

    return reconcile().mismatches


@shared_task(queue="payments")
def stripe_events_retry_task() -> int:
    """Beat: apply again the webhook events whose application failed. Stripe redelivers too,
    but the offline sandbox does not; applying is idempotent either way."""
    from payments.webhooks import stripe_events_retry

    return stripe_events_retry()


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
)
def payout_account_change_notify_task(*, change_id: int) -> bool:
    """Email the company's owners and admins that its payout account changed (once)."""
    from payments.payouts import payout_account_change_notify

    return payout_account_change_notify(change_id=change_id)
