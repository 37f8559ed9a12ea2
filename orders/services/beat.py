"""Periodic work: expire unpaid orders and complete orders whose inspection window ended."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from marketplace.core.transitions import lock
from orders.enums import OrderStatus
from orders.models import Order
from orders.services.common import (
    EXPIRED_NOTE,
    INSPECTION_ENDED_NOTE,
    UNPAID_STATUSES,
)
from orders.services.lifecycle import _cancel, _complete


def orders_expire_unpaid(*, now: datetime | None = None) -> int:
    """Cancel placed or confirmed orders whose payment window has ended; release their stock.

    Each order in a transaction of its own, re-checked under its lock, so a payment that
    lands meanwhile wins and a failure does not hold the others back. Returns how many expired.
    """
    moment = now or timezone.now()
    due = list(
        Order.objects.filter(status__in=UNPAID_STATUSES, expires_at__lte=moment)
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)
    )
    expired = 0
    for pk in due:
        with transaction.atomic(durable=True):
            order = lock(Order, pk)
            if order.status not in UNPAID_STATUSES or order.expires_at is None:
                continue
            if order.expires_at > moment:
                continue
            _cancel(order=order, actor=None, reason=EXPIRED_NOTE, now=moment)
            expired += 1
    return expired


def orders_complete_after_inspection(*, now: datetime | None = None) -> int:
    """Complete delivered orders whose inspection window ended with no dispute."""
    moment = now or timezone.now()
    due = list(
        Order.objects.filter(status=OrderStatus.DELIVERED, inspection_ends_at__lte=moment)
        .order_by("inspection_ends_at", "pk")
        .values_list("pk", flat=True)
    )
    completed = 0
    for pk in due:
        with transaction.atomic(durable=True):
            order = lock(Order, pk)
            if order.status != OrderStatus.DELIVERED or order.inspection_ends_at is None:
                continue
            if order.inspection_ends_at > moment:
                continue
            _complete(order=order, actor=None, note=INSPECTION_ENDED_NOTE, now=moment)
            completed += 1
    return completed
