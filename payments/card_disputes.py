"""Card disputes (chargebacks) the buyer's bank opens at the gateway, and what they do to the
money on its way to the seller.

``charge.dispute.created``: the dispute is recorded (``GatewayDispute``, open) and nothing of
the order's money leaves the platform until it closes: a settlement not paid yet is ``held``
(reason ``card_dispute``), a pending bank payout goes ``on_hold``; a settlement made later is
held by ``settlement_pay`` itself, and the beat safety net leaves held settlements alone. An
admin cannot release these holds.

``charge.dispute.closed`` (Stripe's ``status``):

* ``won`` / ``warning_closed``: the money stays; once no other dispute of the order is open,
  the holds for the dispute end (the settlement is released and paid, the payout pending).
* ``lost``: the bank took the disputed amount D back. The ledger posts it as a chargeback
  (``ledger_post_chargeback``, key ``chargeback:<dispute id>``) from where the order's money
  is: from escrow when the order has not settled; else from the seller's share S, then the
  platform's fee F, of a settlement not paid yet. The settlement keeps what is left
  (S − part of D) and is paid that, or, with nothing left, is ``charged_back`` (its bank
  payout ``cancelled``). Money already paid to the seller is out of the ledger's reach: the
  dispute records that it must be recovered from the seller.

What was done is written on the dispute (``note``) for the admins.
"""

from django.utils import timezone

from marketplace.core.transitions import lock
from orders.models import Order
from payments.enums import (
    BankPayoutStatus,
    GatewayDisputeOutcome,
    GatewayDisputeStatus,
    HoldReason,
    SettlementStatus,
)
from payments.holds import (
    CARD_DISPUTE_HOLD_NOTE,
    bank_payout_transition,
    settlement_transition,
    settlements_pay_on_commit,
)
from payments.ledger.selectors import order_escrow_held_minor
from payments.ledger.services import ledger_post_chargeback
from payments.models import BankPayout, GatewayDispute, Payment, Settlement, StripeEvent
from payments.settlement import PAYABLE_STATUSES
from payments.webhooks import EventNeedsReview


def _dispute_record(obj: dict) -> tuple[GatewayDispute, Payment | None]:
    """The dispute's row, locked (created from the event if it is the first we hear of it)."""
    payment = Payment.objects.filter(payment_intent_id=obj.get("payment_intent") or "").first()
    GatewayDispute.objects.get_or_create(
        dispute_id=obj["id"],
        defaults={
            "payment": payment,
            "amount_minor": int(obj.get("amount") or 0),
            "currency": str(
                obj.get("currency") or (payment.currency if payment else "USD")
            ).upper(),
            "reason": str(obj.get("reason") or "")[:64],
            "status": GatewayDisputeStatus.OPEN,
        },
    )
    dispute = GatewayDispute.objects.select_for_update().get(dispute_id=obj["id"])
    return dispute, dispute.payment


def charge_dispute_created(obj: dict, *, event: StripeEvent | None = None) -> None:
    """The buyer's bank opened a chargeback: record it, hold the order's money."""
    dispute, payment = _dispute_record(obj)
    if payment is None or dispute.status != GatewayDisputeStatus.OPEN:
        return
    _hold(order_id=payment.order_id)


def _hold(*, order_id: int) -> None:
    settlement = Settlement.objects.filter(order_id=order_id).first()
    if settlement is None:
        return  # settlement_pay holds it when the order settles
    if settlement.status in PAYABLE_STATUSES:
        settlement_transition(
            settlement=settlement,
            target=SettlementStatus.HELD,
            actor=None,
            note=CARD_DISPUTE_HOLD_NOTE,
            hold_reason=HoldReason.CARD_DISPUTE,
        )
        return
    payout = BankPayout.objects.filter(
        settlement=settlement, status=BankPayoutStatus.PENDING
    ).first()
    if payout is not None:
        bank_payout_transition(
            payout=payout,
            target=BankPayoutStatus.ON_HOLD,
            actor=None,
            note=CARD_DISPUTE_HOLD_NOTE,
            hold_reason=HoldReason.CARD_DISPUTE,
        )


def charge_dispute_closed(obj: dict, *, event: StripeEvent | None = None) -> None:
    """The dispute is decided: release the holds (won) or post the chargeback (lost)."""
    outcome = obj.get("status")
    if outcome not in GatewayDisputeOutcome.values:
        raise EventNeedsReview(
            f"Dispute {obj.get('id')} closed with status {outcome!r}, which is not won, lost "
            "or warning_closed: nothing done.",
            code="dispute_status_unknown",
        )
    dispute, payment = _dispute_record(obj)
    if dispute.status == GatewayDisputeStatus.CLOSED:
        return  # already applied (another event id for the same close)
    if payment is None:
        note = "No payment of ours is known for this dispute: nothing held, nothing posted."
    elif outcome == GatewayDisputeOutcome.LOST:
        note = _chargeback(dispute=dispute, order_id=payment.order_id)
    else:
        note = _release(dispute=dispute, order_id=payment.order_id)
    dispute.status = GatewayDisputeStatus.CLOSED
    dispute.outcome = outcome
    dispute.closed_at = timezone.now()
    dispute.note = note
    dispute.save(update_fields=["status", "outcome", "closed_at", "note", "updated_at"])


def _release(*, dispute: GatewayDispute, order_id: int) -> str:
    # This dispute is still open in the database until the caller saves it: count the others.
    if (
        GatewayDispute.objects.filter(payment__order_id=order_id, status=GatewayDisputeStatus.OPEN)
        .exclude(pk=dispute.pk)
        .exists()
    ):
        return "Closed in the platform's favour; another dispute of the order is still open."
    note = f"Dispute {dispute.dispute_id} closed in the platform's favour: hold released."
    settlement = Settlement.objects.filter(order_id=order_id).first()
    if settlement is None:
        return "Closed in the platform's favour; the order has not settled yet."
    if settlement.status == SettlementStatus.HELD:
        if settlement.hold_reason != HoldReason.CARD_DISPUTE:
            return "Closed in the platform's favour; the settlement stays held for another reason."
        settlement_transition(
            settlement=settlement, target=SettlementStatus.RELEASED, actor=None, note=note
        )
        settlements_pay_on_commit(settlement_ids=[settlement.pk])
        return note
    payout = BankPayout.objects.filter(
        settlement=settlement,
        status=BankPayoutStatus.ON_HOLD,
        hold_reason=HoldReason.CARD_DISPUTE,
    ).first()
    if payout is not None:
        bank_payout_transition(
            payout=payout, target=BankPayoutStatus.PENDING, actor=None, note=note
        )
        return note
    return "Closed in the platform's favour; nothing was held."


def _chargeback(*, dispute: GatewayDispute, order_id: int) -> str:
    order = lock(Order, order_id)
    lost = dispute.amount_minor
    key = f"chargeback:{dispute.dispute_id}"
    reason = f"card dispute {dispute.dispute_id} lost"
    if dispute.currency != order.currency or lost <= 0:
        return (
            f"Lost: {lost} {dispute.currency} for an order in {order.currency}; nothing posted, "
            "an admin must book it."
        )
    settlement = Settlement.objects.select_for_update().filter(order=order).first()
    if settlement is None:
        taken = min(lost, order_escrow_held_minor(order=order))
        if taken:
            ledger_post_chargeback(
                order=order,
                escrow_minor=taken,
                payable_minor=0,
                fee_minor=0,
                idempotency_key=key,
                reason=reason,
            )
        return _lost_note(lost=lost, taken=taken, currency=order.currency, where="escrow")
    if settlement.status in PAYABLE_STATUSES:  # the created event never came
        settlement = settlement_transition(
            settlement=settlement,
            target=SettlementStatus.HELD,
            actor=None,
            note=CARD_DISPUTE_HOLD_NOTE,
            hold_reason=HoldReason.CARD_DISPUTE,
        )
    payout = BankPayout.objects.filter(
        settlement=settlement, status__in=[BankPayoutStatus.PENDING, BankPayoutStatus.ON_HOLD]
    ).first()
    unpaid = settlement.status == SettlementStatus.HELD or (
        settlement.status == SettlementStatus.BANK_PAYABLE and payout is not None
    )
    if not unpaid:
        return (
            f"Lost: {lost} {order.currency} taken back by the buyer's bank, but the seller was "
            f"already paid (settlement {settlement.get_status_display().lower()}): nothing "
            "held to post; recover it from the seller."
        )
    from_share = min(lost, settlement.seller_share_minor)
    from_fee = min(lost - from_share, settlement.platform_fee_minor)
    ledger_post_chargeback(
        order=order,
        escrow_minor=0,
        payable_minor=from_share,
        fee_minor=from_fee,
        idempotency_key=key,
        reason=reason,
    )
    share = settlement.seller_share_minor - from_share
    fee = settlement.platform_fee_minor - from_fee
    note = (
        _lost_note(
            lost=lost, taken=from_share + from_fee, currency=order.currency, where="the settlement"
        )
        + f" ({from_share} from the seller's share, {from_fee} from the fee; {share} left to pay)"
    )
    amounts = {"seller_share_minor": share, "platform_fee_minor": fee}
    if share == 0:
        if payout is not None:
            bank_payout_transition(
                payout=payout, target=BankPayoutStatus.CANCELLED, actor=None, note=note
            )
        settlement_transition(
            settlement=settlement,
            target=SettlementStatus.CHARGED_BACK,
            actor=None,
            note=note,
            extra_fields=amounts,
        )
        return note
    if payout is not None:
        if payout.hold_reason == HoldReason.CARD_DISPUTE:
            bank_payout_transition(
                payout=payout,
                target=BankPayoutStatus.PENDING,
                actor=None,
                note=note,
                extra_fields={"amount_minor": share},
            )
        else:  # held for another reason (an account change): it stays held, for less
            BankPayout.objects.filter(pk=payout.pk).update(amount_minor=share)
        Settlement.objects.filter(pk=settlement.pk).update(**amounts)
    elif settlement.hold_reason == HoldReason.CARD_DISPUTE:
        settlement_transition(
            settlement=settlement,
            target=SettlementStatus.RELEASED,
            actor=None,
            note=note,
            extra_fields=amounts,
        )
        settlements_pay_on_commit(settlement_ids=[settlement.pk])
    else:
        Settlement.objects.filter(pk=settlement.pk).update(**amounts)
    return note


def _lost_note(*, lost: int, taken: int, currency: str, where: str) -> str:
    note = f"Lost: {lost} {currency} (minor units) taken back by the buyer's bank; {taken} posted"
    note += f" as a chargeback from {where}"
    if taken < lost:
        note += f"; {lost - taken} was not held any more: recover it from the seller"
    return note
