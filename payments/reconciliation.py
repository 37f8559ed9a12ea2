"""Reconciliation: the ledger against the gateway's records and against the platform's own rows.

``reconcile`` runs every check, stores what does not match as ``ReconciliationMismatch`` rows of
one ``ReconciliationRun`` and never changes money: a mismatch is for an admin to look into.

What is checked:

- the ledger balances (every transaction sums to zero per currency) — ``ledger_unbalanced``;
- each succeeded Payment has its ledger capture ``capture:<pi>`` of the amount received
  (``payment_not_captured`` / ``payment_amount``), and the gateway's PaymentIntent says
  succeeded (``payment_status``) with that ``amount_received`` and currency (``payment_amount``);
- each transferred Settlement's transfer exists at the gateway (``transfer_missing``) with the
  amount asked for (``transfer_amount``), to the seller's connected account
  (``transfer_destination``), not reversed (``transfer_reversed``), and the ledger's payout
  ``payout:<number>`` exists, not reversed (``payout_missing``), of the transfer's amount
  (``transfer_amount``);
- each succeeded Refund has its ledger posting ``ledger:<key>`` of its amount, and the
  gateway's refund (when the platform made it) succeeded for that amount and PaymentIntent
  (``refund_mismatch``);
- a refunded order, and a completed order that has a Settlement or completed more than
  ``settlement_grace`` ago, hold nothing in escrow (``escrow_left``);
- a completed order older than ``settlement_grace`` has a Settlement (``settlement_missing``).

The gateway is asked one object at a time. A gateway error (timeout, 5xx, ...) is written to
``run.error`` with the object it concerned and the run goes on; an object the gateway does not
know (``resource_missing``) is a mismatch, not an error.
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import BigIntegerField, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from orders.enums import OrderStatus
from orders.models import Order
from payments.enums import MismatchKind, PaymentStatus, RefundStatus, SettlementStatus
from payments.gateway import (
    GatewayError,
    PaymentGateway,
    gateway_get,
    gateway_transfer_amount,
)
from payments.ledger.enums import LedgerAccountCode
from payments.ledger.models import LedgerEntry
from payments.ledger.selectors import ledger_unbalanced_transactions
from payments.models import (
    ConnectedAccount,
    Payment,
    ReconciliationMismatch,
    ReconciliationRun,
    Refund,
    Settlement,
)

logger = logging.getLogger(__name__)

# How long a completed order may wait for its Settlement (the outbox relay and the task usually
# take seconds; the beat safety net resumes stuck ones every 15 minutes).
SETTLEMENT_GRACE = timedelta(hours=1)
CHUNK = 500
MISSING = "missing"


@dataclass(frozen=True)
class Found:
    """One mismatch before it is stored."""

    kind: str
    reference: str
    expected: str = ""
    actual: str = ""
    detail: str = ""
    order_id: int | None = None


@dataclass
class _Run:
    gateway: PaymentGateway | None
    found: list[Found]
    errors: list[str]
    checked: int = 0

    def mismatch(
        self,
        kind: str,
        reference: str,
        *,
        expected: str = "",
        actual: str = "",
        detail: str = "",
        order_id: int | None = None,
    ) -> None:
        self.found.append(
            Found(
                kind=kind,
                reference=reference[:100],
                expected=expected,
                actual=actual,
                detail=detail,
                order_id=order_id,
            )
        )

    def error(self, message: str) -> None:
        logger.warning("reconciliation: %s", message)
        self.errors.append(message)

    def ask[R](self, what: str, call: Callable[[], R]) -> R | None:
        """One gateway call; ``None`` when it failed (the error is recorded, the run goes on).
        ``resource_missing`` is raised as ``GatewayError`` for the caller to call a mismatch."""
        try:
            return call()
        except GatewayError as exc:
            if exc.code == "resource_missing":
                raise
            self.error(f"{what}: {exc}")
        return None


def _chunks[C](items: Iterable[C], size: int = CHUNK) -> Iterator[list[C]]:
    chunk: list[C] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _ledger_amounts(keys: list[str], *, account_code: str) -> dict[str, int]:
    """For each ledger transaction key that exists and is not reversed: the sum of its entries
    on accounts of ``account_code``. Reversed transactions are absent."""
    rows = (
        LedgerEntry.objects.filter(
            transaction__idempotency_key__in=keys,
            transaction__reversed_by__isnull=True,
            account__code=account_code,
        )
        .values("transaction__idempotency_key")
        .annotate(total=Coalesce(Sum("amount_minor"), 0, output_field=BigIntegerField()))
    )
    return {row["transaction__idempotency_key"]: row["total"] for row in rows}


# --- the checks ----------------------------------------------------------------------------


def _check_ledger(run: _Run) -> None:
    run.checked += 1
    for item in ledger_unbalanced_transactions(limit=1000):
        run.mismatch(
            MismatchKind.LEDGER_UNBALANCED,
            f"ledger transaction #{item.transaction_id}",
            expected=f"0 {item.currency}",
            actual=f"{item.total_minor} {item.currency}",
            detail="The entries of the transaction do not sum to zero.",
        )


def _check_payments(run: _Run) -> None:
    payments = (
        Payment.objects.filter(status=PaymentStatus.SUCCEEDED)
        .select_related("order")
        .order_by("pk")
        .iterator(chunk_size=CHUNK)
    )
    for chunk in _chunks(payments):
        keys = [f"capture:{p.payment_intent_id}" for p in chunk if p.payment_intent_id]
        captured = _ledger_amounts(keys, account_code=LedgerAccountCode.ESCROW)
        for payment in chunk:
            run.checked += 1
            _check_payment(run, payment, captured)


def _check_payment(run: _Run, payment: Payment, captured: dict[str, int]) -> None:
    order_id = payment.order_id
    intent_id = payment.payment_intent_id
    if not intent_id:
        run.mismatch(
            MismatchKind.PAYMENT_STATUS,
            f"payment {payment.pk}",
            expected="a PaymentIntent id",
            actual=MISSING,
            detail="A succeeded payment has no PaymentIntent at the gateway.",
            order_id=order_id,
        )
        return
    key = f"capture:{intent_id}"
    received = payment.amount_received_minor
    if key not in captured:
        run.mismatch(
            MismatchKind.PAYMENT_NOT_CAPTURED,
            intent_id,
            expected=f"{key} of {received} {payment.currency}",
            actual=MISSING,
            detail="The payment succeeded but the ledger has no capture for it.",
            order_id=order_id,
        )
    elif captured[key] != received:
        run.mismatch(
            MismatchKind.PAYMENT_AMOUNT,
            intent_id,
            expected=str(received),
            actual=str(captured[key]),
            detail=f"The ledger capture {key} differs from the amount the payment received.",
            order_id=order_id,
        )
    if run.gateway is None:
        return
    gateway = run.gateway
    try:
        intent = run.ask(
            f"PaymentIntent {intent_id}", lambda: gateway.payment_intent_retrieve(intent_id)
        )
    except GatewayError as exc:
        run.mismatch(
            MismatchKind.PAYMENT_STATUS,
            intent_id,
            expected="succeeded",
            actual=MISSING,
            detail=f"The gateway does not know this PaymentIntent: {exc}"[:2000],
            order_id=order_id,
        )
        return
    if intent is None:
        return
    if intent.status != "succeeded":
        run.mismatch(
            MismatchKind.PAYMENT_STATUS,
            intent_id,
            expected="succeeded",
            actual=intent.status,
            detail="The platform says succeeded; the gateway does not.",
            order_id=order_id,
        )
    if intent.amount_received_minor != received or intent.currency != payment.currency:
        run.mismatch(
            MismatchKind.PAYMENT_AMOUNT,
            intent_id,
            expected=f"{received} {payment.currency}",
            actual=f"{intent.amount_received_minor} {intent.currency}",
            detail="The gateway received a different amount than the platform recorded.",
            order_id=order_id,
        )


def _check_settlements(run: _Run) -> None:
    settlements = (
        Settlement.objects.filter(status=SettlementStatus.TRANSFERRED)
        .select_related("order")
        .order_by("pk")
        .iterator(chunk_size=CHUNK)
    )
    for chunk in _chunks(settlements):
        paid = _ledger_amounts(
            [f"payout:{s.order.number}" for s in chunk],
            account_code=LedgerAccountCode.SELLER_PAID_OUT,
        )
        destinations = dict(
            ConnectedAccount.objects.filter(
                company_id__in={s.seller_id for s in chunk}
            ).values_list("company_id", "stripe_account_id")
        )
        for settlement in chunk:
            run.checked += 1
            _check_settlement(run, settlement, paid, destinations.get(settlement.seller_id, ""))


def _check_settlement(
    run: _Run, settlement: Settlement, paid: dict[str, int], destination: str
) -> None:
    number = settlement.order.number
    order_id = settlement.order_id
    expected = gateway_transfer_amount(
        amount_minor=settlement.seller_share_minor, currency=settlement.currency
    )
    payout_key = f"payout:{number}"
    reference = settlement.transfer_id or settlement.transfer_idempotency_key
    transferred: int | None = None
    if not settlement.transfer_id:
        run.mismatch(
            MismatchKind.TRANSFER_MISSING,
            reference,
            expected=f"a transfer of {expected} {settlement.currency}",
            actual=MISSING,
            detail=f"Settlement of {number} is transferred but has no transfer id.",
            order_id=order_id,
        )
    elif run.gateway is not None:
        gateway = run.gateway
        transfer_id = settlement.transfer_id
        try:
            transfer = run.ask(
                f"transfer {transfer_id}", lambda: gateway.transfer_retrieve(transfer_id)
            )
        except GatewayError as exc:
            run.mismatch(
                MismatchKind.TRANSFER_MISSING,
                reference,
                expected=f"a transfer of {expected} {settlement.currency}",
                actual=MISSING,
                detail=f"The gateway does not know the transfer of {number}: {exc}"[:2000],
                order_id=order_id,
            )
            transfer = None
        if transfer is not None:
            transferred = transfer.amount_minor
            if transfer.amount_minor != expected or transfer.currency != settlement.currency:
                run.mismatch(
                    MismatchKind.TRANSFER_AMOUNT,
                    reference,
                    expected=f"{expected} {settlement.currency}",
                    actual=f"{transfer.amount_minor} {transfer.currency}",
                    detail=f"The gateway's transfer for {number} differs from the settlement.",
                    order_id=order_id,
                )
            if transfer.destination != destination:
                run.mismatch(
                    MismatchKind.TRANSFER_DESTINATION,
                    reference,
                    expected=destination or "a connected account",
                    actual=transfer.destination,
                    detail=f"The transfer for {number} went to another account.",
                    order_id=order_id,
                )
            if transfer.reversed or transfer.amount_reversed_minor:
                run.mismatch(
                    MismatchKind.TRANSFER_REVERSED,
                    reference,
                    expected="not reversed",
                    actual=f"reversed {transfer.amount_reversed_minor}",
                    detail=f"The transfer for {number} was reversed at the gateway.",
                    order_id=order_id,
                )
    if payout_key not in paid:
        run.mismatch(
            MismatchKind.PAYOUT_MISSING,
            payout_key,
            expected=f"{transferred if transferred is not None else expected}",
            actual=MISSING,
            detail=f"The seller was paid for {number} but the ledger has no payout (or it was "
            "reversed).",
            order_id=order_id,
        )
    elif paid[payout_key] != (transferred if transferred is not None else expected):
        run.mismatch(
            MismatchKind.TRANSFER_AMOUNT,
            payout_key,
            expected=str(transferred if transferred is not None else expected),
            actual=str(paid[payout_key]),
            detail=f"The ledger's payout for {number} differs from the transfer.",
            order_id=order_id,
        )


def _check_refunds(run: _Run) -> None:
    refunds = (
        Refund.objects.filter(status=RefundStatus.SUCCEEDED)
        .select_related("payment")
        .order_by("pk")
        .iterator(chunk_size=CHUNK)
    )
    for chunk in _chunks(refunds):
        posted = _ledger_amounts(
            [f"ledger:{r.idempotency_key}" for r in chunk],
            account_code=LedgerAccountCode.BUYER_REFUNDS,
        )
        for refund in chunk:
            run.checked += 1
            _check_refund(run, refund, posted)


def _check_refund(run: _Run, refund: Refund, posted: dict[str, int]) -> None:
    key = f"ledger:{refund.idempotency_key}"
    reference = refund.gateway_refund_id or refund.idempotency_key
    if posted.get(key) != refund.amount_minor:
        run.mismatch(
            MismatchKind.REFUND_MISMATCH,
            reference,
            expected=f"{key} of {refund.amount_minor}",
            actual=str(posted[key]) if key in posted else MISSING,
            detail="The refund's ledger posting is missing or differs.",
            order_id=refund.order_id,
        )
    if not refund.gateway_refund_id or run.gateway is None:
        return  # made at the gateway directly (charge.refunded): nothing of ours to look up
    gateway = run.gateway
    refund_id = refund.gateway_refund_id
    try:
        found = run.ask(f"refund {refund_id}", lambda: gateway.refund_retrieve(refund_id))
    except GatewayError as exc:
        run.mismatch(
            MismatchKind.REFUND_MISMATCH,
            reference,
            expected=f"succeeded {refund.amount_minor} {refund.currency}",
            actual=MISSING,
            detail=f"The gateway does not know this refund: {exc}"[:2000],
            order_id=refund.order_id,
        )
        return
    if found is None:
        return
    expected = (
        "succeeded",
        refund.amount_minor,
        refund.currency,
        refund.payment.payment_intent_id or "",
    )
    actual = (found.status, found.amount_minor, found.currency, found.payment_intent)
    if actual != expected:
        run.mismatch(
            MismatchKind.REFUND_MISMATCH,
            reference,
            expected=" ".join(str(v) for v in expected),
            actual=" ".join(str(v) for v in actual),
            detail="The gateway's refund differs from the platform's.",
            order_id=refund.order_id,
        )


def _check_orders(run: _Run, *, now: datetime, grace: timedelta) -> None:
    before = now - grace
    finished = Q(transaction__order__status=OrderStatus.REFUNDED) | Q(
        transaction__order__status=OrderStatus.COMPLETED
    ) & (
        Q(transaction__order__settlement__isnull=False)
        | Q(transaction__order__completed_at__lt=before)
    )
    left = (
        LedgerEntry.objects.filter(finished, account__code=LedgerAccountCode.ESCROW)
        .values("transaction__order", "transaction__order__number", "currency")
        .annotate(total=Coalesce(Sum("amount_minor"), 0, output_field=BigIntegerField()))
        .exclude(total=0)
        .order_by("transaction__order")
    )
    for row in left:
        run.mismatch(
            MismatchKind.ESCROW_LEFT,
            row["transaction__order__number"],
            expected=f"0 {row['currency']}",
            actual=f"{row['total']} {row['currency']}",
            detail="A finished order still holds money in escrow.",
            order_id=row["transaction__order"],
        )
    run.checked += (
        Order.objects.filter(status__in=[OrderStatus.COMPLETED, OrderStatus.REFUNDED])
        .order_by()
        .count()
    )
    unsettled = (
        Order.objects.filter(
            status=OrderStatus.COMPLETED, completed_at__lt=before, settlement__isnull=True
        )
        .order_by("pk")
        .values_list("pk", "number", "completed_at")
    )
    for pk, number, completed_at in unsettled:
        run.mismatch(
            MismatchKind.SETTLEMENT_MISSING,
            number,
            expected="a settlement",
            actual=MISSING,
            detail=f"Completed at {completed_at:%Y-%m-%d %H:%M} UTC and not settled within "
            f"{grace}.",
            order_id=pk,
        )


# --- the run -------------------------------------------------------------------------------


def reconcile(
    *, now: datetime | None = None, settlement_grace: timedelta = SETTLEMENT_GRACE
) -> ReconciliationRun:
    """Run every check once and store the mismatches; returns the finished run."""
    now = now or timezone.now()
    record = ReconciliationRun.objects.create()
    errors: list[str] = []
    try:
        gateway: PaymentGateway | None = gateway_get()
    except Exception as exc:  # not configured: the ledger and row checks still run
        gateway = None
        errors.append(f"No gateway to compare with: {exc}")
    run = _Run(gateway=gateway, found=[], errors=errors)
    checks: list[tuple[str, Callable[[], None]]] = [
        ("ledger", lambda: _check_ledger(run)),
        ("payments", lambda: _check_payments(run)),
        ("settlements", lambda: _check_settlements(run)),
        ("refunds", lambda: _check_refunds(run)),
        ("orders", lambda: _check_orders(run, now=now, grace=settlement_grace)),
    ]
    for name, check in checks:
        try:
            check()
        except Exception as exc:  # one broken check must not hide the others' findings
            logger.exception("reconciliation check %s failed", name)
            run.error(f"The {name} check stopped: {type(exc).__name__}: {exc}")
    ReconciliationMismatch.objects.bulk_create(
        [
            ReconciliationMismatch(
                run=record,
                kind=item.kind,
                order_id=item.order_id,
                reference=item.reference,
                expected=item.expected[:200],
                actual=item.actual[:200],
                detail=item.detail,
            )
            for item in run.found
        ],
        batch_size=1000,
    )
    record.finished_at = timezone.now()
    record.checked = run.checked
    record.mismatches = len(run.found)
    record.error = "\n".join(run.errors)
    record.save(update_fields=["finished_at", "checked", "mismatches", "error"])
    return record


def reconciliation_mark_resolved(*, mismatch_ids: Iterable[int]) -> int:
    """An admin looked into these mismatches: mark them resolved; returns how many changed."""
    return ReconciliationMismatch.objects.filter(pk__in=list(mismatch_ids), resolved=False).update(
        resolved=True
    )
