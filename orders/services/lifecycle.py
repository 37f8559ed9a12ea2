"""Every step of an order after placement: confirm, pay, ship, deliver, accept, cancel."""

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from listings.models import Listing
from marketplace.accounts.models import Company, User
from marketplace.core.exceptions import Conflict, InvalidTransition
from marketplace.core.outbox import outbox_record
from marketplace.core.transitions import lock, lock_many, transition
from marketplace.trade.incoterms import INCOTERMS
from marketplace.trade.money import Money
from orders.documents.enums import KINDS_ON_CONFIRM, KINDS_ON_SHIP
from orders.documents.services import trade_documents_enqueue
from orders.enums import ORDER_TRANSITIONS, OrderStatus
from orders.models import Order, OrderEvent, Shipment
from orders.services import notifications
from orders.services.common import (
    _CARRIER_MAX,
    _REASON_MAX,
    _TRACKING_MAX,
    BUYER_CANCELLABLE_STATUSES,
    TOPIC_ORDER_CANCELLED,
    TOPIC_ORDER_COMPLETED,
    _clean_amount,
    _clean_text,
    _Errors,
    _require_party,
)
from orders.services.placement import _totals_and_landed_cost


def _transition(
    *,
    order: Order,
    target: str,
    actor: User | None,
    note: str = "",
    extra_fields: Mapping[str, object] | None = None,
) -> Order:
    def record(locked: Order, from_status: str, to_status: str) -> OrderEvent:
        event = OrderEvent.objects.create(
            order=locked, actor=actor, from_status=from_status, to_status=to_status, note=note
        )
        notifications._notify_on_commit(event)
        return event

    return transition(
        instance=order,
        target=target,
        allowed=ORDER_TRANSITIONS,
        record_event=record,
        extra_fields=extra_fields,
    )


def _lock_allowing(order: Order, target: str, *, only_from: frozenset[str] | None = None) -> Order:
    """Lock the order and check that the table allows ``target`` before validating input,
    so that a request on an order in the wrong state is a 409 whatever its body.

    ``only_from`` narrows the table for a party's action (the buyer accepts only a delivered
    order; completing a disputed one is the platform's decision)."""
    locked = lock(Order, order.pk)
    allowed = target in ORDER_TRANSITIONS.get(locked.status, frozenset())
    if not allowed or (only_from is not None and locked.status not in only_from):
        raise InvalidTransition(model="order", current=locked.status, target=target)
    return locked


def _order_line_keys(order: Order) -> list[tuple[str, str, Money]]:
    return [
        (
            line.hs_code,
            str(line.origin_country),
            Money.from_minor_units(line.line_total_minor, order.currency),
        )
        for line in order.lines.order_by("id")
    ]


def _quoted_freight_and_insurance(
    order: Order, freight: Decimal | None, insurance: Decimal | None
) -> tuple[Decimal | None, Decimal | None]:
    """An order made from a quote keeps the quoted freight and insurance unless the seller
    gives new amounts when confirming."""
    from orders.quotes.models import Quote

    quoted = (
        Quote.objects.filter(order_id=order.pk).values("freight_minor", "insurance_minor").first()
    )
    if quoted is None:
        return freight, insurance
    if freight is None and quoted["freight_minor"] is not None:
        freight = Money.from_minor_units(quoted["freight_minor"], order.currency).amount
    if insurance is None and quoted["insurance_minor"] is not None:
        insurance = Money.from_minor_units(quoted["insurance_minor"], order.currency).amount
    return freight, insurance


def order_confirm(
    *,
    order: Order,
    actor: User,
    freight: Decimal | None = None,
    insurance: Decimal | None = None,
) -> Order:
    """The seller accepts the order. Where the Incoterm makes the seller pay the main carriage
    (CPT, CIP, CFR, CIF, DAP, DPU, DDP) the freight is required, and under CIF and CIP the
    insurance too; the totals and the landed-cost estimate are worked out again with them.
    An order made from a quote keeps the quoted amounts when none are given."""
    _require_party(order=order, actor=actor, party="seller")
    with transaction.atomic(durable=True):
        locked = _lock_allowing(order, OrderStatus.CONFIRMED)
        rule = INCOTERMS[locked.incoterm]
        errors = _Errors()
        freight, insurance = _quoted_freight_and_insurance(locked, freight, insurance)
        freight_money = insurance_money = None
        if rule.seller_pays_main_carriage:
            if freight is None:
                errors.add(
                    "freight",
                    f"Under {rule.code} the seller pays the main carriage: enter the freight.",
                )
            else:
                freight_money = _clean_amount(
                    errors, "freight", freight, currency=locked.currency, label="freight"
                )
            if rule.seller_insures and insurance is None:
                errors.add(
                    "insurance",
                    f"Under {rule.code} the seller insures the goods: enter the insurance premium.",
                )
            elif insurance is not None:
                insurance_money = _clean_amount(
                    errors, "insurance", insurance, currency=locked.currency, label="insurance"
                )
        else:
            if freight is not None:
                errors.add(
                    "freight",
                    f"Under {rule.code} the buyer pays the main carriage: leave the freight empty.",
                )
            if insurance is not None:
                errors.add(
                    "insurance",
                    f"Under {rule.code} the buyer arranges the insurance: leave it empty.",
                )
        errors.raise_if_any()
        totals, snapshot = _totals_and_landed_cost(
            lines=_order_line_keys(locked),
            currency=locked.currency,
            destination=str(locked.ship_to_country),
            incoterm=rule,
            fee_bps=locked.platform_fee_bps,
            freight=freight_money,
            insurance=insurance_money,
        )
        now = timezone.now()
        confirmed = _transition(
            order=locked,
            target=OrderStatus.CONFIRMED,
            actor=actor,
            extra_fields={
                **totals.as_minor_units(),
                "landed_cost": snapshot.as_dict(),
                "confirmed_at": now,
                # The buyer has the whole payment window once the seller has said yes.
                "expires_at": now + timedelta(days=settings.ORDER_PAYMENT_WINDOW_DAYS),
            },
        )
        trade_documents_enqueue(order=confirmed, kinds=KINDS_ON_CONFIRM)
        return confirmed


def _stock_release(order: Order) -> None:
    quantities: dict[int, int] = defaultdict(int)
    for listing_id, quantity in order.lines.filter(stock_reserved=True).values_list(
        "listing_id", "quantity"
    ):
        if listing_id is not None:
            quantities[listing_id] += quantity
    for listing in lock_many(Listing, list(quantities)):
        listing.stock += quantities[listing.pk]
        listing.save(update_fields=["stock", "updated_at"])


def _cancel(*, order: Order, actor: User | None, reason: str, now: datetime) -> Order:
    was_paid = order.status == OrderStatus.PAID
    cancelled = _transition(
        order=order,
        target=OrderStatus.CANCELLED,
        actor=actor,
        note=reason,
        extra_fields={"cancelled_at": now, "cancel_reason": reason},
    )
    _stock_release(cancelled)
    if was_paid:
        outbox_record(
            topic=TOPIC_ORDER_CANCELLED,
            key=cancelled.number,
            payload={
                "order_id": cancelled.pk,
                "number": cancelled.number,
                "currency": cancelled.currency,
                "total_minor": cancelled.total_minor,
                "reason": reason,
            },
        )
    return cancelled


def order_cancel(*, order: Order, actor: User, company: Company, reason: str) -> Order:
    """Cancel on behalf of ``company``: the buyer before payment, the seller before shipping.

    The reserved stock goes back to the listings; a paid order's cancellation records the
    outbox event ``order.cancelled`` from which payments refunds the buyer.
    """
    if company.pk == order.buyer_id:
        party = "buyer"
    elif company.pk == order.seller_id:
        party = "seller"
    else:
        raise PermissionDenied(
            f"Only the buyer or the seller of order {order.number} may cancel it."
        )
    _require_party(order=order, actor=actor, party=party)
    with transaction.atomic(durable=True):
        locked = _lock_allowing(order, OrderStatus.CANCELLED)
        if party == "buyer" and locked.status not in BUYER_CANCELLABLE_STATUSES:
            raise Conflict(
                "The order is paid: only the seller can cancel it now (the buyer is refunded).",
                code="buyer_cannot_cancel_paid",
            )
        errors = _Errors()
        text = _clean_text(
            errors, "reason", reason, max_length=_REASON_MAX, required=True, label="reason"
        )
        errors.raise_if_any()
        return _cancel(order=locked, actor=actor, reason=text, now=timezone.now())


def order_mark_paid(
    *, order: Order, actor: User | None = None, payment_reference: str = ""
) -> Order:
    """confirmed → paid: the payments capability calls this once the money is held.

    Joins the caller's transaction (payments records the capture and marks the order paid
    in one), so the order is never paid without its ledger entry, nor the other way round."""
    with transaction.atomic():
        note = f"Payment {payment_reference}" if payment_reference else ""
        return _transition(
            order=order,
            target=OrderStatus.PAID,
            actor=actor,
            note=note,
            extra_fields={"paid_at": timezone.now()},
        )


def order_mark_refunded(*, order: Order, actor: User | None = None, note: str = "") -> Order:
    """cancelled → refunded (or disputed → refunded): payments calls this once the buyer's
    money has gone back. Joins the caller's transaction."""
    with transaction.atomic():
        return _transition(order=order, target=OrderStatus.REFUNDED, actor=actor, note=note)


def order_ship(
    *,
    order: Order,
    actor: User,
    carrier: str,
    tracking_number: str,
    ship_date: date | None = None,
) -> Order:
    """paid → shipped, with the carrier, the tracking number and the ship date (today)."""
    _require_party(order=order, actor=actor, party="seller")
    with transaction.atomic(durable=True):
        locked = _lock_allowing(order, OrderStatus.SHIPPED)
        errors = _Errors()
        carrier_text = _clean_text(
            errors, "carrier", carrier, max_length=_CARRIER_MAX, required=True, label="carrier"
        )
        tracking = _clean_text(
            errors,
            "tracking_number",
            tracking_number,
            max_length=_TRACKING_MAX,
            required=True,
            label="tracking number",
        )
        today = timezone.localdate()
        day = ship_date or today
        if not isinstance(day, date):
            errors.add("ship_date", "Enter the ship date as a date.")
        elif day > today:
            errors.add("ship_date", "The ship date cannot be in the future.")
        errors.raise_if_any()
        shipped = _transition(
            order=locked,
            target=OrderStatus.SHIPPED,
            actor=actor,
            note=f"{carrier_text} {tracking}",
            extra_fields={"shipped_at": timezone.now()},
        )
        Shipment.objects.create(
            order=shipped, carrier=carrier_text, tracking_number=tracking, ship_date=day
        )
        trade_documents_enqueue(order=shipped, kinds=KINDS_ON_SHIP)
        return shipped


def order_confirm_delivery(*, order: Order, actor: User) -> Order:
    """shipped → delivered (buyer); the inspection window starts now."""
    _require_party(order=order, actor=actor, party="buyer")
    with transaction.atomic(durable=True):
        now = timezone.now()
        return _transition(
            order=order,
            target=OrderStatus.DELIVERED,
            actor=actor,
            extra_fields={
                "delivered_at": now,
                "inspection_ends_at": now + timedelta(days=settings.INSPECTION_WINDOW_DAYS),
            },
        )


def _complete(*, order: Order, actor: User | None, note: str, now: datetime) -> Order:
    completed = _transition(
        order=order,
        target=OrderStatus.COMPLETED,
        actor=actor,
        note=note,
        extra_fields={"completed_at": now},
    )
    outbox_record(
        topic=TOPIC_ORDER_COMPLETED,
        key=completed.number,
        payload={
            "order_id": completed.pk,
            "number": completed.number,
            "currency": completed.currency,
            "total_minor": completed.total_minor,
            "platform_fee_minor": completed.platform_fee_minor,
        },
    )
    return completed


def order_accept(*, order: Order, actor: User) -> Order:
    """delivered → completed (buyer accepts the goods); records ``order.completed``."""
    _require_party(order=order, actor=actor, party="buyer")
    with transaction.atomic(durable=True):
        locked = _lock_allowing(
            order, OrderStatus.COMPLETED, only_from=frozenset({OrderStatus.DELIVERED})
        )
        return _complete(
            order=locked, actor=actor, note="Accepted by the buyer", now=timezone.now()
        )
