"""Collecting the buyer's money: a PaymentIntent per confirmed order, and what the gateway
says about it (``payment_intent.*`` webhook events).

The Payment row and its idempotency key are committed before the gateway is asked for the
PaymentIntent: if the process dies in between, the next request asks again with the same key
and gets the same PaymentIntent. The order becomes paid only from the gateway's word
(``payment_intent.succeeded``), in the same transaction as the ledger's capture posting.
"""

import logging
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from marketplace.accounts.models import Company, Membership, User
from marketplace.core.exceptions import Conflict
from marketplace.core.ids import id_parse
from marketplace.core.transitions import lock
from orders.enums import OrderStatus
from orders.models import Order
from orders.services import order_mark_paid
from payments.enums import OPEN_PAYMENT_STATUSES, PaymentStatus, RefundReason
from payments.gateway import GatewayPaymentIntent, gateway_amount, gateway_get
from payments.ledger.services import ledger_post_payment_captured
from payments.models import Payment, StripeEvent
from payments.webhooks import EventNeedsReview

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentStart:
    payment: Payment
    created: bool


def _require_buyer(*, order: Order, company: Company, actor: User) -> None:
    if company.pk != order.buyer_id:
        raise PermissionDenied(f"Only the buyer of order {order.number} pays for it.")
    if not Membership.objects.filter(user=actor, company=company).exists():
        raise PermissionDenied("You are not a member of the buying company.")


def payment_start(*, order: Order, company: Company, actor: User) -> PaymentStart:
    """Start (or resume) paying a confirmed order; returns the PaymentIntent to confirm.

    409 when the order is not confirmed (placed, already paid, cancelled, ...). While an
    attempt is open (not yet paid, or failed and retryable), the same PaymentIntent is
    returned: a buyer who reloads the page or whose ERP retries never creates a second one.
    ``created`` is true when this call obtained the PaymentIntent from the gateway.
    Raises ``GatewayError`` when the gateway could not be asked (the row and its key stay; the
    next call asks again with the same key).
    """
    _require_buyer(order=order, company=company, actor=actor)
    gateway = gateway_get()
    with transaction.atomic(durable=True):
        locked = lock(Order, order.pk)
        if locked.status != OrderStatus.CONFIRMED:
            code = (
                "order_already_paid"
                if locked.status
                in (
                    OrderStatus.PAID,
                    OrderStatus.SHIPPED,
                    OrderStatus.DELIVERED,
                    OrderStatus.COMPLETED,
                )
                else "order_not_payable"
            )
            raise Conflict(
                f"Order {locked.number} is {locked.get_status_display().lower()}: only a "
                "confirmed order can be paid.",
                code=code,
            )
        amount = gateway_amount(amount_minor=locked.total_minor, currency=locked.currency)
        payment = (
            Payment.objects.filter(order=locked, status__in=OPEN_PAYMENT_STATUSES)
            .order_by("-attempt")
            .first()
        )
        created = False
        if payment is None or payment.amount_minor != amount or payment.sandbox != gateway.sandbox:
            attempt = (
                Payment.objects.filter(order=locked)
                .order_by("-attempt")
                .values_list("attempt", flat=True)
                .first()
                or 0
            ) + 1
            if payment is not None:  # the total changed (or the gateway did): retire it
                payment.status = PaymentStatus.CANCELED
                payment.save(update_fields=["status", "updated_at"])
            payment = Payment.objects.create(
                order=locked,
                amount_minor=amount,
                currency=locked.currency,
                attempt=attempt,
                idempotency_key=f"pi:{locked.number}:{attempt}",
                sandbox=gateway.sandbox,
            )
            created = True
    if not payment.payment_intent_id:
        intent = gateway.payment_intent_create(
            amount_minor=payment.amount_minor,
            currency=payment.currency,
            transfer_group=order.number,
            idempotency_key=payment.idempotency_key,
            metadata={
                "order_number": order.number,
                "order_id": str(order.pk),
                "payment_id": str(payment.pk),
            },
            description=f"Order {order.number}",
        )
        with transaction.atomic(durable=True):
            payment = lock(Payment, payment.pk)
            if not payment.payment_intent_id:
                payment.payment_intent_id = intent.id
                payment.client_secret = intent.client_secret
                payment.save(update_fields=["payment_intent_id", "client_secret", "updated_at"])
                # The PaymentIntent is new to the buyer (even if an earlier call committed the
                # row and then lost the gateway's answer): 201.
                created = True
    return PaymentStart(payment=payment, created=created)


def payment_for_intent(obj: dict) -> Payment | None:
    """The Payment behind a PaymentIntent object, locked; matched by id, else by the metadata
    written at creation (the process may have died before it saved the id)."""
    payment = Payment.objects.select_for_update().filter(payment_intent_id=obj["id"]).first()
    if payment is not None:
        return payment
    payment_id = id_parse((obj.get("metadata") or {}).get("payment_id", ""))
    if payment_id is not None:
        payment = (
            Payment.objects.select_for_update()
            .filter(pk=payment_id, payment_intent_id__isnull=True)
            .first()
        )
        if payment is not None:
            payment.payment_intent_id = obj["id"]
            payment.client_secret = obj.get("client_secret") or ""
            payment.save(update_fields=["payment_intent_id", "client_secret", "updated_at"])
    return payment


def _amount_received(obj: dict) -> tuple[int | None, str]:
    """What the gateway says it received: ``amount_received`` (minor units) and the currency
    in upper case; ``None`` when the amount is missing or not an integer."""
    raw = obj.get("amount_received")
    amount = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
    currency = obj.get("currency")
    return amount, currency.upper() if isinstance(currency, str) else ""


def payment_intent_succeeded(obj: dict, *, event: StripeEvent | None = None) -> None:
    """The money is captured: post it to escrow and mark the order paid, once.

    Only when ``amount_received`` and ``currency`` are exactly what the attempt asked for;
    otherwise ``EventNeedsReview`` (the event is kept for an admin, nothing changes).

    If the order can no longer be paid (it expired or was cancelled while the buyer paid, or
    another attempt already paid it), the money is captured all the same and refunded in full.
    """
    payment = payment_for_intent(obj)
    if payment is None:
        logger.warning("payment_intent.succeeded for unknown PaymentIntent %s", obj.get("id"))
        return
    if payment.status == PaymentStatus.SUCCEEDED:
        return
    received, currency = _amount_received(obj)
    if (received, currency) != (payment.amount_minor, payment.currency):
        # Never mark paid (nor capture into escrow) money that is not what is due: the whole
        # event is kept for an admin with the reason, nothing is changed.
        raise EventNeedsReview(
            f"PaymentIntent {obj.get('id')} received {received} {currency or '(no currency)'} "
            f"(minor units) but payment {payment.pk} of order {payment.order.number} is due "
            f"{payment.amount_minor} {payment.currency}: not marked paid.",
            code="payment_amount_mismatch",
        )
    paid_minor = payment.amount_minor  # what is due, and (checked above) what was received
    order = lock(Order, payment.order_id)
    # A retired attempt (the order's total or the gateway changed, so ``payment_start`` made a
    # new one) that the buyer paid all the same does not pay the order: refunded in full.
    retired = payment.status == PaymentStatus.CANCELED
    late = retired or order.status != OrderStatus.CONFIRMED
    if late:
        # Another attempt may already have succeeded: this one must not count as the payment.
        payment.status = PaymentStatus.CANCELED
    else:
        payment.status = PaymentStatus.SUCCEEDED
    payment.amount_received_minor = paid_minor
    payment.succeeded_at = timezone.now()
    payment.last_error = ""
    payment.save(
        update_fields=[
            "status",
            "amount_received_minor",
            "succeeded_at",
            "last_error",
            "updated_at",
        ]
    )
    ledger_post_payment_captured(
        order=order, amount_minor=paid_minor, idempotency_key=f"capture:{obj['id']}"
    )
    if late:
        from payments.refunds import refund_request

        refund_request(
            order=order,
            payment=payment,
            amount_minor=paid_minor,
            reason=RefundReason.LATE_PAYMENT,
            note=(
                f"Paid attempt {payment.attempt} after it was replaced."
                if retired
                else f"Paid while the order was {order.get_status_display().lower()}."
            ),
            idempotency_key=f"refund:{obj['id']}:late",
        )
        return
    order_mark_paid(order=order, payment_reference=obj["id"])


def _set_status(obj: dict, status: str, *, error: str = "") -> None:
    payment = payment_for_intent(obj)
    if payment is None or payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.CANCELED):
        return  # a late event for a settled attempt: the final state stands
    payment.status = status
    payment.last_error = error
    payment.save(update_fields=["status", "last_error", "updated_at"])


def payment_intent_failed(obj: dict, *, event: StripeEvent | None = None) -> None:
    error = (obj.get("last_payment_error") or {}).get("message", "") or "The payment failed."
    _set_status(obj, PaymentStatus.FAILED, error=error)


def payment_intent_processing(obj: dict, *, event: StripeEvent | None = None) -> None:
    _set_status(obj, PaymentStatus.PROCESSING)


def payment_intent_canceled(obj: dict, *, event: StripeEvent | None = None) -> None:
    _set_status(obj, PaymentStatus.CANCELED)


def payment_refresh(*, payment: Payment) -> GatewayPaymentIntent | None:
    """Re-read an attempt from the gateway (used by reconciliation and the pay page)."""
    if not payment.payment_intent_id:
        return None
    return gateway_get().payment_intent_retrieve(payment.payment_intent_id)
