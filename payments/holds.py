"""Holding money that is on its way to a seller, and letting it go.

A settlement or bank payout is held (``SettlementStatus.HELD``, ``BankPayoutStatus.ON_HOLD``,
with a ``hold_reason``) when

* the seller changed its payout account (``account_change``): an admin reviews the change and
  releases the hold in the admin ("Release hold");
* the buyer's bank opened a card dispute on the order's payment (``card_dispute``): the hold
  ends with the gateway's ``charge.dispute.closed`` (``payments.card_disputes``); an admin
  cannot release it while the dispute is open.

Every change goes through ``core.transitions`` with an event row (``SettlementEvent``,
``BankPayoutEvent``). A held settlement is not picked up by the beat safety net (it resumes
only ``released`` ones) and a payout on hold is neither exported nor marked paid.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from marketplace.accounts.models import User
from marketplace.core.transitions import lock_many, transition
from payments.enums import (
    BANK_PAYOUT_TRANSITIONS,
    SETTLEMENT_TRANSITIONS,
    BankPayoutStatus,
    GatewayDisputeStatus,
    SettlementStatus,
)
from payments.models import BankPayout, BankPayoutEvent, GatewayDispute, Settlement, SettlementEvent

CARD_DISPUTE_HOLD_NOTE = "A card dispute is open on the order's payment: held until it closes."
ADMIN_RELEASE_NOTE = "Hold released by an admin."


def _event_recorder(
    model: type[SettlementEvent] | type[BankPayoutEvent], fk: str, *, actor: User | None, note: str
):
    def record(instance: object, from_status: str, to_status: str) -> object:
        return model._default_manager.create(
            **{fk: instance}, from_status=from_status, to_status=to_status, actor=actor, note=note
        )

    return record


def bank_payout_transition(
    *,
    payout: BankPayout,
    target: str,
    actor: User | None,
    note: str = "",
    hold_reason: str = "",
    extra_fields: dict | None = None,
) -> BankPayout:
    """Every status change of a bank payout (joins the caller's transaction): the table, the
    row lock, a ``BankPayoutEvent``. ``hold_reason`` is set on hold and cleared otherwise."""
    return transition(
        instance=payout,
        target=target,
        allowed=BANK_PAYOUT_TRANSITIONS,
        record_event=_event_recorder(BankPayoutEvent, "bank_payout", actor=actor, note=note),
        extra_fields={"hold_reason": hold_reason, **(extra_fields or {})},
    )


def settlement_transition(
    *,
    settlement: Settlement,
    target: str,
    actor: User | None,
    note: str = "",
    hold_reason: str = "",
    extra_fields: dict | None = None,
) -> Settlement:
    """A settlement held, released from a hold or charged back (joins the caller's
    transaction): the table, the row lock, a ``SettlementEvent``."""
    return transition(
        instance=settlement,
        target=target,
        allowed=SETTLEMENT_TRANSITIONS,
        record_event=_event_recorder(SettlementEvent, "settlement", actor=actor, note=note),
        extra_fields={"hold_reason": hold_reason, **(extra_fields or {})},
    )


def order_has_open_card_dispute(order_id: int) -> bool:
    return GatewayDispute.objects.filter(
        payment__order_id=order_id, status=GatewayDisputeStatus.OPEN
    ).exists()


@dataclass(frozen=True)
class HoldsReleased:
    released: list[int]
    refused: dict[int, str]  # id → why it stays as it is


def bank_payouts_release_hold(*, payout_ids: Iterable[int], actor: User) -> HoldsReleased:
    """An admin reviewed the payout account change: the selected payouts on hold go back to
    pending (exported and paid as before). One whose order has an open card dispute stays on
    hold; one that is not on hold is left as it is; both are listed in ``refused``."""
    released: list[int] = []
    refused: dict[int, str] = {}
    with transaction.atomic(durable=True):
        for payout in lock_many(BankPayout, list(payout_ids)):
            if payout.status != BankPayoutStatus.ON_HOLD:
                refused[payout.pk] = f"it is {payout.get_status_display().lower()}, not on hold"
                continue
            order_id = Settlement.objects.values_list("order_id", flat=True).get(
                pk=payout.settlement_id
            )
            if order_has_open_card_dispute(order_id):
                refused[payout.pk] = "its order has an open card dispute"
                continue
            bank_payout_transition(
                payout=payout,
                target=BankPayoutStatus.PENDING,
                actor=actor,
                note=ADMIN_RELEASE_NOTE,
            )
            released.append(payout.pk)
    return HoldsReleased(released=released, refused=refused)


def settlements_release_hold(*, settlement_ids: Iterable[int], actor: User) -> HoldsReleased:
    """An admin reviewed the payout account change: the selected held settlements are
    released and sent to the payout task after commit. One whose order has an open card
    dispute stays held (the gateway's ``charge.dispute.closed`` releases it)."""
    released: list[int] = []
    refused: dict[int, str] = {}
    with transaction.atomic(durable=True):
        for settlement in lock_many(Settlement, list(settlement_ids)):
            if settlement.status != SettlementStatus.HELD:
                refused[settlement.pk] = (
                    f"it is {settlement.get_status_display().lower()}, not held"
                )
                continue
            if order_has_open_card_dispute(settlement.order_id):
                refused[settlement.pk] = "its order has an open card dispute"
                continue
            settlement_transition(
                settlement=settlement,
                target=SettlementStatus.RELEASED,
                actor=actor,
                note=ADMIN_RELEASE_NOTE,
            )
            released.append(settlement.pk)
        settlements_pay_on_commit(settlement_ids=released)
    return HoldsReleased(released=released, refused=refused)


def settlements_pay_on_commit(*, settlement_ids: list[int]) -> None:
    """Send these settlements to the payout task once the caller's transaction commits."""
    if not settlement_ids:
        return
    ids = list(settlement_ids)

    def enqueue() -> None:
        from payments.tasks import settlement_pay_task

        for settlement_id in ids:
            settlement_pay_task.apply_async(kwargs={"settlement_id": settlement_id})

    # robust: the broker down must not undo a committed release; the beat safety net resumes
    # released settlements.
    transaction.on_commit(enqueue, robust=True)
