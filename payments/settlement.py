"""Paying the seller when an order completes.

``orders`` records ``order.completed`` in its outbox in the transaction that completes the
order; the relay hands it to ``payments.tasks.settlement_task`` on the ``payments`` queue,
which calls, in two steps:

1. ``settlement_release`` — one durable transaction under the order's lock: the Settlement row
   (seller share = total − platform fee; the fee also takes what a three-decimal charge
   rounded up) and the ledger posting escrow → seller payable + platform fees, keyed
   ``settlement:<order number>``. Run twice, it finds the row and does nothing.
2. ``settlement_pay`` — under the Settlement's lock: a Stripe transfer to the seller's connected
   account with the key ``transfer:<order number>`` committed in step 1, then the ledger's
   payout posting (payable → paid out) keyed ``payout:<order number>``; or, for a seller paid by
   bank, a pending ``BankPayout``; or, with no usable payout account yet, ``awaiting_account``
   (paid when ``account.updated`` enables payouts); or, while the order's payment has an open
   card dispute, ``held`` (``payments.card_disputes`` releases it when the dispute closes).

A worker killed between the gateway's answer and the commit leaves the settlement
``released``: the redelivered task asks again with the same key and the gateway answers with
the same transfer, and ``transfer.created`` records it too, whichever comes first. Two tasks at
once: the second waits on the lock, then finds the settlement paid.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from marketplace.core.exceptions import DomainError
from marketplace.core.transitions import lock
from orders.enums import OrderStatus
from orders.models import Order
from payments.enums import HoldReason, PayoutMethod, SettlementStatus
from payments.exclusive import SETTLEMENT, exclusive
from payments.gateway import GatewayError, GatewayTransfer, gateway_get, gateway_transfer_amount
from payments.holds import (
    CARD_DISPUTE_HOLD_NOTE,
    order_has_open_card_dispute,
    settlement_transition,
)
from payments.ledger.models import LedgerTransaction
from payments.ledger.selectors import order_escrow_held_minor, orders_holding_escrow
from payments.ledger.services import (
    ledger_post_payout,
    ledger_post_settlement_released,
    ledger_reverse,
)
from payments.models import BankPayout, ConnectedAccount, Settlement, StripeEvent

logger = logging.getLogger(__name__)

PAYABLE_STATUSES = frozenset(
    {SettlementStatus.RELEASED, SettlementStatus.AWAITING_ACCOUNT, SettlementStatus.FAILED}
)
# A transfer the gateway made is recorded even if the settlement was held meanwhile (a card
# dispute opened while the transfer was on its way): the money has left.
RECORDABLE_STATUSES = PAYABLE_STATUSES | {SettlementStatus.HELD}


def settlement_share_minor(*, share_minor: int, held_minor: int, currency: str) -> int:
    """The seller's share as the gateway can transfer it. Stripe moves three-decimal
    currencies (KWD, BHD) only in tens of fils: a share that does not end in 0 is rounded UP
    to the next ten when the money held allows it (the charge was rounded up the same way),
    else down; the platform's fee takes the difference. The seller never loses to rounding
    what the buyer paid for."""
    rounded_down = gateway_transfer_amount(amount_minor=share_minor, currency=currency)
    if rounded_down == share_minor:
        return share_minor
    rounded_up = rounded_down + 10
    return rounded_up if rounded_up <= held_minor else rounded_down


def settlement_release(*, order_id: int) -> Settlement:
    """Release a completed order's money in the ledger and create its Settlement, once."""
    with transaction.atomic(durable=True):
        order = lock(Order, order_id)
        existing = Settlement.objects.filter(order=order).first()
        if existing is not None:
            return existing
        if order.status != OrderStatus.COMPLETED:
            raise DomainError(
                f"Order {order.number} is {order.status}, not completed: nothing to settle.",
                code="order_not_completed",
            )
        held = order_escrow_held_minor(order=order)
        share = settlement_share_minor(
            share_minor=min(order.total_minor - order.platform_fee_minor, held),
            held_minor=held,
            currency=order.currency,
        )
        fee = held - share
        if held <= 0:
            raise DomainError(
                f"Order {order.number} holds no money in escrow: nothing to settle.",
                code="nothing_held",
            )
        ledger_post_settlement_released(
            order=order,
            seller_share_minor=share,
            platform_fee_minor=fee,
            idempotency_key=f"settlement:{order.number}",
        )
        return Settlement.objects.create(
            order=order,
            seller=order.seller,
            currency=order.currency,
            seller_share_minor=share,
            platform_fee_minor=fee,
            transfer_idempotency_key=f"transfer:{order.number}",
        )


def settlement_create_released(
    *, order: Order, seller_share_minor: int, platform_fee_minor: int
) -> Settlement:
    """A Settlement whose ledger release was already posted (a dispute split); joins the
    caller's transaction."""
    settlement, _ = Settlement.objects.get_or_create(
        order=order,
        defaults={
            "seller": order.seller,
            "currency": order.currency,
            "seller_share_minor": seller_share_minor,
            "platform_fee_minor": platform_fee_minor,
            "transfer_idempotency_key": f"transfer:{order.number}",
        },
    )
    return settlement


def _transfer_record(settlement: Settlement, transfer: GatewayTransfer) -> None:
    """The gateway made the transfer: record it and post the payout, once (caller locks)."""
    if settlement.status == SettlementStatus.TRANSFERRED and settlement.transfer_id:
        return
    settlement.transfer_id = transfer.id
    settlement.status = SettlementStatus.TRANSFERRED
    settlement.paid_at = timezone.now()
    settlement.last_error = ""
    settlement.save(
        update_fields=["transfer_id", "status", "paid_at", "last_error", "attempts", "updated_at"]
    )
    ledger_post_payout(
        seller=settlement.seller,
        currency=settlement.currency,
        amount_minor=transfer.amount_minor,
        idempotency_key=f"payout:{settlement.order.number}",
        method="transfer",
        reference=transfer.id,
        order=settlement.order,
    )


def _attempt_key(number: str, attempt: int) -> str:
    """The transfer's idempotency key for ``attempt``: ``transfer:<number>`` first, then
    ``transfer:<number>:<attempt>``. Stripe replays the first answer to a key for 24 hours,
    errors included, so a retry after an unclear failure needs a new key; it gets one only
    after the gateway has said that no transfer of this settlement exists."""
    return f"transfer:{number}" if attempt <= 1 else f"transfer:{number}:{attempt}"


def _settlement_prepare(settlement_id: int) -> tuple[Settlement, str, int] | Settlement:
    """Under the row lock: route the settlement (bank, waiting, already paid) or commit the
    next transfer attempt and its key. Returns the settlement when there is nothing to ask the
    gateway, else (settlement, destination, amount)."""
    with transaction.atomic(durable=True):
        settlement = (
            Settlement.objects.select_for_update().select_related("order").get(pk=settlement_id)
        )
        if settlement.status not in PAYABLE_STATUSES:
            return settlement
        if order_has_open_card_dispute(settlement.order_id):
            # The buyer's bank may take the money back: nothing leaves until it decides.
            return settlement_transition(
                settlement=settlement,
                target=SettlementStatus.HELD,
                actor=None,
                note=CARD_DISPUTE_HOLD_NOTE,
                hold_reason=HoldReason.CARD_DISPUTE,
            )
        account = ConnectedAccount.objects.filter(company_id=settlement.seller_id).first()
        if account is not None and account.method == PayoutMethod.BANK_TRANSFER:
            settlement.status = SettlementStatus.BANK_PAYABLE
            settlement.last_error = ""
            settlement.save(update_fields=["status", "last_error", "updated_at"])
            BankPayout.objects.get_or_create(
                settlement=settlement,
                defaults={
                    "seller_id": settlement.seller_id,
                    "currency": settlement.currency,
                    "amount_minor": settlement.seller_share_minor,
                },
            )
            return settlement
        if account is None or not account.can_receive_transfers:
            settlement.status = SettlementStatus.AWAITING_ACCOUNT
            settlement.save(update_fields=["status", "updated_at"])
            return settlement
        if settlement.attempts:
            # An earlier attempt got no clear answer (or the worker died): did it transfer?
            made = [
                transfer
                for transfer in gateway_get().transfers_for_group(settlement.order.number)
                if transfer.metadata.get("settlement_id") == str(settlement.pk)
            ]
            if made:
                _transfer_record(settlement, made[0])
                return settlement
        settlement.attempts += 1
        settlement.transfer_idempotency_key = _attempt_key(
            settlement.order.number, settlement.attempts
        )
        settlement.save(update_fields=["attempts", "transfer_idempotency_key", "updated_at"])
        amount = gateway_transfer_amount(
            amount_minor=settlement.seller_share_minor, currency=settlement.currency
        )
        return settlement, account.stripe_account_id, amount


def settlement_pay(*, settlement_id: int) -> Settlement:
    """Pay a released settlement by the seller's payout method. Raises ``GatewayError`` when
    the gateway should be asked again later (the task retries with backoff), and the
    ``GatewayRefused`` as raised when it refused for good (the settlement is failed)."""
    with exclusive(SETTLEMENT, settlement_id):
        prepared = _settlement_prepare(settlement_id)
        if isinstance(prepared, Settlement):
            return prepared
        settlement, destination, amount = prepared
        try:
            transfer = gateway_get().transfer_create(
                amount_minor=amount,
                currency=settlement.currency,
                destination=destination,
                transfer_group=settlement.order.number,
                idempotency_key=settlement.transfer_idempotency_key,
                metadata={
                    "order_number": settlement.order.number,
                    "settlement_id": str(settlement.pk),
                },
            )
        except GatewayError as failure:
            Settlement.objects.filter(pk=settlement_id, status__in=PAYABLE_STATUSES).update(
                last_error=str(failure)[:2000],
                status=SettlementStatus.RELEASED if failure.retryable else SettlementStatus.FAILED,
            )
            raise
        with transaction.atomic(durable=True):
            settlement = (
                Settlement.objects.select_for_update().select_related("order").get(pk=settlement_id)
            )
            if settlement.status in RECORDABLE_STATUSES:
                _transfer_record(settlement, transfer)
        return settlement


def settlement_mark_failed(*, settlement_id: int, reason: str) -> None:
    """Retries are exhausted: show the settlement as failed with its reason, for an admin."""
    Settlement.objects.filter(pk=settlement_id, status__in=PAYABLE_STATUSES).update(
        status=SettlementStatus.FAILED, last_error=reason[:2000]
    )


def settlement_run(*, order_id: int) -> Settlement:
    """What the ``order.completed`` handler does: release, then pay."""
    settlement = settlement_release(order_id=order_id)
    return settlement_pay(settlement_id=settlement.pk)


def settlements_pay_awaiting(*, company_id: int) -> list[int]:
    """The seller's payout account became usable: the settlements waiting for it."""
    return list(
        Settlement.objects.filter(
            seller_id=company_id, status=SettlementStatus.AWAITING_ACCOUNT
        ).values_list("pk", flat=True)
    )


def settlements_stuck(*, older_than_minutes: int = 15) -> list[int]:
    """Released settlements nobody paid for a while (the beat safety net resumes them)."""
    since = timezone.now() - timedelta(minutes=older_than_minutes)
    return list(
        Settlement.objects.filter(
            status=SettlementStatus.RELEASED, updated_at__lt=since
        ).values_list("pk", flat=True)[:500]
    )


def orders_unsettled(*, older_than_minutes: int = 15, limit: int = 500) -> list[int]:
    """Completed orders that still hold money but have no Settlement a while after completing:
    their ``order.completed`` message was lost after the relay published it (a purged queue, a
    broker that lost its data). The beat safety net settles them."""
    since = timezone.now() - timedelta(minutes=older_than_minutes)
    candidates = Order.objects.filter(
        status=OrderStatus.COMPLETED, completed_at__lt=since, settlement__isnull=True
    ).order_by("pk")[:limit]
    return orders_holding_escrow(order_ids=list(candidates.values_list("pk", flat=True)))


# --- webhook events ---------------------------------------------------------------------


def _settlement_for_transfer(obj: dict) -> Settlement | None:
    settlement = (
        Settlement.objects.select_for_update()
        .select_related("order")
        .filter(transfer_id=obj["id"])
        .first()
    )
    if settlement is None and obj.get("transfer_group"):
        settlement = (
            Settlement.objects.select_for_update()
            .select_related("order")
            .filter(order__number=obj["transfer_group"])
            .first()
        )
    return settlement


def transfer_created(obj: dict, *, event: StripeEvent | None = None) -> None:
    """Stripe made a transfer: if the worker died before recording it, record it now."""
    settlement = _settlement_for_transfer(obj)
    if settlement is None:
        logger.warning("transfer.created for unknown transfer %s", obj.get("id"))
        return
    if settlement.status in RECORDABLE_STATUSES:
        _transfer_record(
            settlement,
            GatewayTransfer(
                id=obj["id"],
                amount_minor=int(obj["amount"]),
                currency=str(obj["currency"]).upper(),
                destination=obj.get("destination") or "",
                transfer_group=obj.get("transfer_group") or "",
            ),
        )


def transfer_reversed(obj: dict, *, event: StripeEvent | None = None) -> None:
    """A transfer was reversed: the payout is reversed in the ledger (the money is payable to
    the seller again) and the settlement shows it for an admin."""
    settlement = _settlement_for_transfer(obj)
    if settlement is None or settlement.status != SettlementStatus.TRANSFERRED:
        return
    payout = LedgerTransaction.objects.filter(
        idempotency_key=f"payout:{settlement.order.number}"
    ).first()
    if payout is not None:
        ledger_reverse(
            transaction=payout,
            idempotency_key=f"reverse:payout:{settlement.order.number}",
            reason=f"Transfer {obj['id']} reversed at the gateway",
        )
    settlement.status = SettlementStatus.REVERSED
    settlement.last_error = f"Transfer {obj['id']} reversed at the gateway."
    settlement.save(update_fields=["status", "last_error", "updated_at"])
