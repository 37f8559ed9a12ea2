"""Reads of orders and carts, filtered to what the acting company may see.

A company sees the orders it placed (as buyer) and the orders it received (as seller);
anything else does not exist for it (``NotFound``, the API's 404).
"""

from django.db.models import Prefetch, Q, QuerySet

from marketplace.accounts.models import Company
from marketplace.core.exceptions import NotFound
from orders.enums import OrderStatus
from orders.models import Cart, CartLine, Order, OrderEvent

ROLE_BUYER = "buyer"
ROLE_SELLER = "seller"
ROLES = (ROLE_BUYER, ROLE_SELLER)


def order_list_for_company(
    *, company: Company, role: str | None = None, status: str | None = None
) -> QuerySet[Order]:
    """The company's orders, newest first: as ``buyer``, as ``seller``, or both (None).

    An unknown role or status raises ``ValueError``; the views validate them first.
    """
    if role == ROLE_BUYER:
        scope = Q(buyer=company)
    elif role == ROLE_SELLER:
        scope = Q(seller=company)
    elif role is None:
        scope = Q(buyer=company) | Q(seller=company)
    else:
        raise ValueError(f"Unknown role: {role!r}")
    orders = Order.objects.filter(scope)
    if status is not None:
        if status not in OrderStatus.values:
            raise ValueError(f"Unknown order status: {status!r}")
        orders = orders.filter(status=status)
    return orders.select_related("buyer", "seller").order_by("-created_at", "-id")


def order_get_for_company(*, company: Company, order_id: object) -> Order:
    """One order of which the company is the buyer or the seller, with lines, events and
    shipment loaded; ``NotFound`` otherwise (including a malformed id)."""
    try:
        pk = int(str(order_id))
    except (TypeError, ValueError):
        raise NotFound from None
    order = (
        Order.objects.filter(Q(buyer=company) | Q(seller=company), pk=pk)
        .select_related("buyer", "seller", "placed_by", "shipment", "dispute")
        .prefetch_related(
            "lines",
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor")),
        )
        .first()
    )
    if order is None:
        raise NotFound
    return order


def cart_for_company(*, company: Company) -> Cart | None:
    """The company's cart with its lines, listings, sellers and price tiers, or None."""
    return (
        Cart.objects.filter(buyer=company)
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=CartLine.objects.select_related("listing", "listing__seller")
                .prefetch_related("listing__price_tiers")
                .order_by("listing__seller_id", "id"),
            )
        )
        .first()
    )


def order_estimate_known(*, order: Order, part: str) -> bool:
    """Whether the order's frozen estimate of ``part`` ("duty" or "import_tax") is known.

    It is not when no rate was known for a line (the snapshot keeps ``None``, not 0) or when
    no estimate could be made at all; an order without any snapshot keeps its stored amount.
    """
    snapshot = order.landed_cost_snapshot
    return True if snapshot is None else snapshot.known(part)
