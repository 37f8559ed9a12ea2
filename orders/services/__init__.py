"""Writes of orders: the cart, checkout and placement, and every step of the lifecycle.

Placement checks every rule before it writes anything: a refused request raises
``ValidationError({field: [message, ...]})`` (fields ``lines``, ``incoterm``,
``named_place``, ``buyer_reference``, ``terms``, ``quantity``, ``listing`` and the ship-to
address as ``ship_to.name``, ``ship_to.line1``, ``ship_to.city``, ``ship_to.country``, ...),
and the durable transaction leaves no order, line, event or stock change behind.

Stock is reserved under row locks taken in primary-key order (``lock_many``), so concurrent
orders of one listing queue up instead of overselling, and two orders of the same listings
in a different line order cannot deadlock.

Every status change goes through ``marketplace.core.transitions.transition`` with
``ORDER_TRANSITIONS``, writes an ``OrderEvent`` (actor, from, to, note) and enqueues the
email to both parties once the transaction has committed. The wrong party raises
``PermissionDenied`` (403), a change the table does not allow ``InvalidTransition`` (409),
a rule of timing (the inspection window, a buyer cancelling a paid order) ``Conflict`` (409).

The package is split along the order's life: ``cart``, ``placement``, ``lifecycle``,
``disputes``, ``beat`` and ``notifications``, with the rules they share in ``common``. Import
from here; the modules are the layout, not the interface.
"""

from orders.services.beat import orders_complete_after_inspection, orders_expire_unpaid
from orders.services.cart import cart_checkout, cart_get, cart_line_remove, cart_line_set
from orders.services.common import (
    BUYER_CANCELLABLE_STATUSES,
    EXPIRED_NOTE,
    INSPECTION_ENDED_NOTE,
    TOPIC_ORDER_CANCELLED,
    TOPIC_ORDER_COMPLETED,
    UNPAID_STATUSES,
    LineInput,
    ShipTo,
)
from orders.services.disputes import order_dispute_open, order_dispute_resolve
from orders.services.lifecycle import (
    order_accept,
    order_cancel,
    order_confirm,
    order_confirm_delivery,
    order_mark_paid,
    order_mark_refunded,
    order_ship,
)
from orders.services.notifications import order_event_notify
from orders.services.placement import order_landed_cost_preview, order_place

__all__ = [
    "BUYER_CANCELLABLE_STATUSES",
    "EXPIRED_NOTE",
    "INSPECTION_ENDED_NOTE",
    "TOPIC_ORDER_CANCELLED",
    "TOPIC_ORDER_COMPLETED",
    "UNPAID_STATUSES",
    "LineInput",
    "ShipTo",
    "cart_checkout",
    "cart_get",
    "cart_line_remove",
    "cart_line_set",
    "order_accept",
    "order_cancel",
    "order_confirm",
    "order_confirm_delivery",
    "order_dispute_open",
    "order_dispute_resolve",
    "order_event_notify",
    "order_landed_cost_preview",
    "order_mark_paid",
    "order_mark_refunded",
    "order_place",
    "order_ship",
    "orders_complete_after_inspection",
    "orders_expire_unpaid",
]
