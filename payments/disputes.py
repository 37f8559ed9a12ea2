"""A buyer's dispute resolved by an admin: the money held for the order goes to the seller,
back to the buyer, or is split between them.

``dispute_resolve`` decides in one durable transaction, under the order's lock:

* the ledger transaction of the dispute, keyed ``dispute:<order number>``
  (``ledger_post_dispute_split``): escrow → buyer refunds (R) + seller payable (S) +
  platform fees (F), any part zero;
* the order's side (``orders.services.order_dispute_resolve``): released and split complete
  the order (its outbox ``order.completed`` makes the worker pay the seller), refunded ends it
  refunded;
* the seller's part as a released ``Settlement`` (``settlement_create_released``, transfer key
  ``transfer:<order number>``): the ``order.completed`` handler finds it and pays it;
* the buyer's part as a ``Refund`` (``refund_request``, key ``refund:<order number>:dispute``,
  outbox ``payments.refund``): the worker asks the gateway with that key; the ledger already
  moved it (``payments.refunds`` posts nothing more for a dispute's refund).

The amounts, with H the money the order holds in escrow and the order's own split of it,
``share = min(total − platform fee, H)`` and ``fee = H − share`` (as ``settlement_release``):

* released: R = 0, S = share, F = fee — as if the buyer had accepted the goods;
* refunded: R = H, S = F = 0 — the platform keeps no fee on money it gives back;
* split (0 < R < H, R chosen by the admin): the platform's fee shrinks in proportion to what
  the seller keeps, ``F = round_half_up(fee × (H − R) / H)`` in integer minor units, and the
  seller gets the rest, ``S = H − R − F``. R + S + F = H: nothing stays in escrow.

Refused, with nothing changed: a dispute that is not open or an order that is not disputed
(``InvalidTransition``, 409 — resolving twice included); an amount that is not a whole number of
minor units, not positive, or not below what is held (``DomainError`` on
``buyer_refund_minor``, 400); an actor who is not staff (``PermissionDenied``).
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction

from marketplace.accounts.models import User
from marketplace.accounts.staff import staff_may
from marketplace.core.exceptions import DomainError, InvalidTransition
from marketplace.core.transitions import lock
from orders.enums import DisputeStatus, OrderStatus
from orders.models import Dispute, Order
from orders.services import order_dispute_resolve
from payments.enums import RefundReason
from payments.gateway import THREE_DECIMAL_CURRENCIES
from payments.ledger.selectors import order_escrow_held_minor
from payments.ledger.services import ledger_post_dispute_split
from payments.models import Refund, Settlement
from payments.refunds import dispute_ledger_key, dispute_refund_key, refund_request
from payments.settlement import settlement_create_released

OUTCOMES = (DisputeStatus.RELEASED, DisputeStatus.REFUNDED, DisputeStatus.SPLIT)
NOTE_MAX_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class DisputeSplit:
    """Where the money an order holds goes when its dispute is resolved (minor units)."""

    held_minor: int
    buyer_refund_minor: int
    seller_share_minor: int
    platform_fee_minor: int


@dataclass(frozen=True, slots=True)
class DisputeResolution:
    order: Order
    dispute: Dispute
    split: DisputeSplit
    settlement: Settlement | None
    refund: Refund | None


def _field_error(message: str, code: str) -> DomainError:
    return DomainError(message, field="buyer_refund_minor", code=code)


def dispute_split_amounts(
    *, order: Order, held_minor: int, outcome: str, buyer_refund_minor: int | None = None
) -> DisputeSplit:
    """The parts of ``held_minor`` for ``outcome`` (see the module docstring); validates R."""
    if outcome not in OUTCOMES:
        raise DomainError(
            f"Choose how to resolve the dispute: {', '.join(OUTCOMES)}.",
            field="outcome",
            code="dispute_outcome",
        )
    if held_minor <= 0:
        raise DomainError(f"Order {order.number} holds no money in escrow.", code="nothing_held")
    share = min(order.total_minor - order.platform_fee_minor, held_minor)
    fee = held_minor - share
    if outcome != DisputeStatus.SPLIT:
        if buyer_refund_minor is not None:
            raise _field_error(
                "A refund amount is only given when the money is split.", "refund_amount_unused"
            )
        if outcome == DisputeStatus.RELEASED:
            return DisputeSplit(held_minor, 0, share, fee)
        return DisputeSplit(held_minor, held_minor, 0, 0)
    refund = buyer_refund_minor
    if refund is None:
        raise _field_error("Enter how much goes back to the buyer.", "refund_amount_required")
    if isinstance(refund, bool) or not isinstance(refund, int):
        raise _field_error(
            "The refund is a whole number of minor units of the order's currency.",
            "refund_amount_invalid",
        )
    if refund <= 0:
        raise _field_error(
            "A split refunds the buyer more than nothing (or resolve it for the seller).",
            "refund_amount_not_positive",
        )
    if refund >= held_minor:
        raise _field_error(
            f"A split refunds less than the {held_minor} minor units of {order.currency} held "
            "(or resolve it for the buyer).",
            "refund_amount_too_large",
        )
    if order.currency in THREE_DECIMAL_CURRENCIES and refund % 10:
        raise _field_error(
            f"Stripe refunds {order.currency} only in tens of the minor unit: enter an amount "
            "whose last decimal is 0.",
            "refund_amount_gateway_unit",
        )
    kept = held_minor - refund
    fee_part = (2 * fee * kept + held_minor) // (2 * held_minor)  # round half up
    return DisputeSplit(held_minor, refund, kept - fee_part, fee_part)


def dispute_resolve(
    *,
    order: Order,
    actor: User,
    outcome: str,
    buyer_refund_minor: int | None = None,
    note: str = "",
) -> DisputeResolution:
    """Resolve ``order``'s open dispute (an admin's decision); see the module docstring."""
    if not staff_may(actor, "payments.resolve_dispute"):
        raise PermissionDenied("Only platform staff allowed to resolve disputes may do this.")
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise DomainError(
            f"The note has at most {NOTE_MAX_LENGTH} characters.", field="note", code="note"
        )
    with transaction.atomic(durable=True):
        locked = lock(Order, order.pk)
        dispute = Dispute.objects.select_for_update().filter(order=locked).first()
        if (
            dispute is None
            or dispute.status != DisputeStatus.OPEN
            or locked.status != OrderStatus.DISPUTED
        ):
            raise InvalidTransition(
                model="dispute",
                current=dispute.status if dispute is not None else "absent",
                target=str(outcome),
            )
        split = dispute_split_amounts(
            order=locked,
            held_minor=order_escrow_held_minor(order=locked),
            outcome=outcome,
            buyer_refund_minor=buyer_refund_minor,
        )
        refund = None
        if split.buyer_refund_minor:
            # Asked for while the money is still in escrow (refund_request checks it is).
            refund = refund_request(
                order=locked,
                amount_minor=split.buyer_refund_minor,
                reason=RefundReason.DISPUTE,
                note=note,
                idempotency_key=dispute_refund_key(locked),
                actor=actor,
            )
        ledger_post_dispute_split(
            order=locked,
            buyer_refund_minor=split.buyer_refund_minor,
            seller_share_minor=split.seller_share_minor,
            platform_fee_minor=split.platform_fee_minor,
            idempotency_key=dispute_ledger_key(locked),
            note=note,
            posted_by=actor,
        )
        resolved = order_dispute_resolve(order=locked, actor=actor, outcome=outcome, note=note)
        settlement = None
        if split.seller_share_minor or split.platform_fee_minor:
            settlement = settlement_create_released(
                order=resolved,
                seller_share_minor=split.seller_share_minor,
                platform_fee_minor=split.platform_fee_minor,
            )
        dispute.refresh_from_db()
        return DisputeResolution(
            order=resolved, dispute=dispute, split=split, settlement=settlement, refund=refund
        )
