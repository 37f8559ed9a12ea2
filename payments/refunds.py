"""Money held for an order going back to the buyer.

A refund is asked for in a business transaction (the Refund row, its idempotency key and an
outbox event ``payments.refund``), then executed by a Celery task on the ``payments`` queue:
the gateway refunds with that key, and the ledger posts escrow → buyer refunds with a key
derived from it. Executing twice, or after a crash between the gateway call and the ledger
posting, refunds once. ``charge.refunded`` confirms what the gateway did, and records refunds
made at the gateway directly (dashboard) so the ledger still matches.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from marketplace.accounts.models import User
from marketplace.core.exceptions import DomainError
from marketplace.core.outbox import outbox_record
from marketplace.core.transitions import lock
from orders.enums import OrderStatus
from orders.models import Order
from orders.services import order_mark_refunded
from payments.enums import RefundReason, RefundStatus
from payments.exclusive import REFUND, exclusive
from payments.gateway import THREE_DECIMAL_CURRENCIES, GatewayError, GatewayRefund, gateway_get
from payments.ledger.models import LedgerTransaction
from payments.ledger.selectors import order_escrow_held_minor, orders_holding_escrow
from payments.ledger.services import ledger_post_refund
from payments.models import Payment, Refund, StripeEvent

logger = logging.getLogger(__name__)

TOPIC_REFUND = "payments.refund"


class RefundTooLarge(DomainError):
    """More than the order holds was asked for."""

    def __init__(self, message: str, *, available_minor: int, requested_minor: int):
        super().__init__(message, field="amount", code="refund_too_large")
        self.available_minor = available_minor
        self.requested_minor = requested_minor


def refundable_minor(*, order: Order) -> int:
    """What may still be refunded: held in escrow minus refunds asked for but not posted."""
    pending = (
        Refund.objects.filter(order=order, status=RefundStatus.PENDING).aggregate(
            total=Sum("amount_minor")
        )["total"]
        or 0
    )
    return order_escrow_held_minor(order=order) - pending


def _captured_payment(order: Order) -> Payment | None:
    return (
        Payment.objects.filter(order=order, amount_received_minor__gt=0)
        .exclude(payment_intent_id__isnull=True)
        .order_by("-status", "-id")  # succeeded before canceled (late) attempts
        .first()
    )


def refund_request(
    *,
    order: Order,
    amount_minor: int,
    reason: str,
    idempotency_key: str,
    note: str = "",
    payment: Payment | None = None,
    actor: User | None = None,
) -> Refund:
    """Ask for a refund of ``amount_minor`` (joins the caller's transaction; the order must be
    locked by the caller or by this call). Refused when more than what is held is asked."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise DomainError(
            "The refund amount must be a positive whole number of minor units.",
            code="refund_amount",
        )
    with transaction.atomic():
        existing = Refund.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
        order = lock(Order, order.pk)
        if order.currency in THREE_DECIMAL_CURRENCIES and amount_minor % 10:
            raise DomainError(
                f"Stripe refunds {order.currency} only in tens of the minor unit; "
                f"{amount_minor} cannot be refunded.",
                field="amount",
                code="refund_amount_gateway_unit",
            )
        payment = payment or _captured_payment(order)
        if payment is None:
            raise DomainError(
                f"Order {order.number} has no captured payment to refund.", code="nothing_to_refund"
            )
        available = refundable_minor(order=order)
        if amount_minor > available:
            raise RefundTooLarge(
                f"Order {order.number} holds {available} minor units of {order.currency}; "
                f"{amount_minor} cannot be refunded.",
                available_minor=available,
                requested_minor=amount_minor,
            )
        refund = Refund.objects.create(
            order=order,
            payment=payment,
            amount_minor=amount_minor,
            currency=order.currency,
            reason=reason,
            note=note,
            idempotency_key=idempotency_key,
            requested_by=actor,
        )
        outbox_record(topic=TOPIC_REFUND, key=idempotency_key, payload={"refund_id": refund.pk})
        return refund


def dispute_ledger_key(order: Order) -> str:
    """The one ledger transaction that resolves ``order``'s dispute (all its parts)."""
    return f"dispute:{order.number}"


def dispute_refund_key(order: Order) -> str:
    """The buyer's part of a resolved dispute: one refund per order."""
    return f"refund:{order.number}:dispute"


def _posted_by_dispute(refund: Refund, order: Order) -> bool:
    """A dispute's refund left escrow in the dispute's own ledger transaction, when the admin
    resolved it; executing the refund at the gateway posts nothing more."""
    return (
        refund.idempotency_key == dispute_refund_key(order)
        and LedgerTransaction.objects.filter(idempotency_key=dispute_ledger_key(order)).exists()
    )


def _refund_record(refund: Refund, result: GatewayRefund) -> None:
    """The gateway accepted the refund: post the ledger and finish the order, once."""
    refund = lock(Refund, refund.pk)
    if refund.status == RefundStatus.SUCCEEDED:
        return
    refund.gateway_refund_id = result.id
    refund.status = RefundStatus.SUCCEEDED
    refund.last_error = ""
    refund.save(update_fields=["gateway_refund_id", "status", "last_error", "updated_at"])
    order = lock(Order, refund.order_id)
    if not _posted_by_dispute(refund, order):
        ledger_post_refund(
            order=order,
            amount_minor=refund.amount_minor,
            idempotency_key=f"ledger:{refund.idempotency_key}",
            reason=refund.get_reason_display(),
            posted_by=refund.requested_by,
        )
    if order.status == OrderStatus.CANCELLED and order_escrow_held_minor(order=order) == 0:
        order_mark_refunded(order=order, note=f"Refunded ({result.id})")


def _gateway_key(refund: Refund, attempt: int) -> str:
    """The refund's idempotency key at the gateway for ``attempt`` (see settlement's
    ``_attempt_key``: a new key only once the gateway has said no refund of this row exists)."""
    return refund.idempotency_key if attempt <= 1 else f"{refund.idempotency_key}:{attempt}"


def refund_execute(*, refund_id: int) -> Refund:
    """Ask the gateway for the refund and record it, once.

    One execution at a time per refund (an advisory lock spans the committed attempt, the
    gateway call and the recording), so the ``payments.refund`` task and the
    ``order.cancelled`` one, or a redelivery, ask one after the other and the second finds it
    succeeded. An attempt is committed before the gateway is asked; a later attempt first asks
    the gateway whether the earlier one refunded after all. Raises ``GatewayError`` when the
    gateway should be asked again later (the refund stays pending), ``GatewayRefused`` when it
    refused for good (the refund is failed, with the reason)."""
    gateway = gateway_get()
    with exclusive(REFUND, refund_id):
        with transaction.atomic(durable=True):
            refund = (
                Refund.objects.select_for_update(of=("self",))
                .select_related("payment", "order")
                .get(pk=refund_id)
            )
            if refund.status != RefundStatus.PENDING:
                return refund
            intent_id = refund.payment.payment_intent_id or ""
            if refund.attempts:
                made = [
                    found
                    for found in gateway.refunds_for_payment_intent(intent_id)
                    if found.metadata.get("refund_id") == str(refund.pk)
                ]
                if made:
                    _refund_record(refund, made[0])
                    refund.refresh_from_db()
                    return refund
            refund.attempts += 1
            refund.save(update_fields=["attempts", "updated_at"])
        try:
            result = gateway.refund_create(
                payment_intent_id=intent_id,
                amount_minor=refund.amount_minor,
                currency=refund.currency,
                idempotency_key=_gateway_key(refund, refund.attempts),
                metadata={"order_number": refund.order.number, "refund_id": str(refund.pk)},
            )
        except GatewayError as failure:
            # Remember the failure (never over a success).
            Refund.objects.filter(pk=refund_id, status=RefundStatus.PENDING).update(
                last_error=str(failure)[:2000],
                status=RefundStatus.PENDING if failure.retryable else RefundStatus.FAILED,
            )
            raise
        with transaction.atomic(durable=True):
            _refund_record(refund, result)
        refund.refresh_from_db()
        return refund


def orders_unrefunded(*, older_than_minutes: int = 15, limit: int = 500) -> list[int]:
    """Paid orders cancelled a while ago that still hold money and have no refund asked for:
    their ``order.cancelled`` message was lost after it was published (beat refunds them)."""
    since = timezone.now() - timedelta(minutes=older_than_minutes)
    candidates = (
        Order.objects.filter(status=OrderStatus.CANCELLED, cancelled_at__lt=since)
        .exclude(refunds__isnull=False)
        .filter(payments__amount_received_minor__gt=0)
        .distinct()
        .order_by("pk")[:limit]
    )
    return orders_holding_escrow(order_ids=list(candidates.values_list("pk", flat=True)))


def refund_mark_failed(*, refund_id: int, reason: str) -> None:
    Refund.objects.filter(pk=refund_id, status=RefundStatus.PENDING).update(
        status=RefundStatus.FAILED, last_error=reason[:2000]
    )


def cancelled_refund_key(order: Order) -> str:
    return f"refund:{order.number}:cancelled"


def refund_for_cancelled_order_give_up(*, order_id: int, reason: str) -> None:
    """Retries ran out refunding a cancelled order: its refund shows failed, for an admin."""
    order = Order.objects.get(pk=order_id)
    refund = Refund.objects.filter(idempotency_key=cancelled_refund_key(order)).first()
    if refund is not None:
        refund_mark_failed(refund_id=refund.pk, reason=reason)


def refund_for_cancelled_order(*, order_id: int) -> Refund | None:
    """A paid order was cancelled (outbox ``order.cancelled``): refund all it holds."""
    with transaction.atomic(durable=True):
        order = lock(Order, order_id)
        key = cancelled_refund_key(order)
        existing = Refund.objects.filter(idempotency_key=key).first()
        if existing is None:
            if order.status != OrderStatus.CANCELLED:
                return None  # only a cancelled order is refunded in full this way
            held = refundable_minor(order=order)
            if held <= 0:
                return None
            existing = refund_request(
                order=order,
                amount_minor=held,
                reason=RefundReason.ORDER_CANCELLED,
                note=order.cancel_reason,
                idempotency_key=key,
            )
    return refund_execute(refund_id=existing.pk)


# --- webhook events ---------------------------------------------------------------------


def charge_refunded(obj: dict, *, event: StripeEvent | None = None) -> None:
    """Confirm our refunds; a refund made at the gateway directly is recorded and posted."""
    intent_id = obj.get("payment_intent") or ""
    payment = Payment.objects.filter(payment_intent_id=intent_id).first()
    if payment is None:
        logger.warning("charge.refunded for unknown PaymentIntent %s", intent_id)
        return
    order = lock(Order, payment.order_id)
    ours = (
        Refund.objects.filter(payment=payment, status=RefundStatus.SUCCEEDED).aggregate(
            total=Sum("amount_minor")
        )["total"]
        or 0
    )
    pending = list(Refund.objects.filter(payment=payment, status=RefundStatus.PENDING))
    gateway_total = int(obj.get("amount_refunded") or 0)
    unexplained = gateway_total - ours - sum(r.amount_minor for r in pending)
    if unexplained > 0 and order_escrow_held_minor(order=order) >= unexplained:
        refund = Refund.objects.create(
            order=order,
            payment=payment,
            amount_minor=unexplained,
            currency=order.currency,
            reason=RefundReason.GATEWAY,
            note=f"Refunded at the gateway (charge {obj.get('id', '')}).",
            idempotency_key=f"refund:{obj.get('id', intent_id)}:gateway:{gateway_total}",
        )
        _refund_record(
            refund,
            GatewayRefund(
                id="",
                amount_minor=unexplained,
                currency=order.currency,
                payment_intent=intent_id,
                status="succeeded",
            ),
        )
