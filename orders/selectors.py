"""Reads of orders and carts, filtered to what the acting company may see, and what that
company may do to an order now.

A company sees the orders it placed (as buyer) and the orders it received (as seller);
anything else does not exist for it (``NotFound``, the API's 404).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from marketplace.accounts.models import Company
from marketplace.core.exceptions import NotFound
from orders.enums import BUYER_CANCELLABLE_STATUSES, ORDER_TRANSITIONS, OrderStatus, Party
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


# --- what a party may do now -----------------------------------------------------------

# The action names are the API's (``actions`` of an order) and, except ``pay`` (the payments
# endpoints), the path segment of its action endpoint: /api/v1/orders/{id}/{action}/.
ACTION_CONFIRM = "confirm"
ACTION_PAY = "pay"
ACTION_SHIP = "ship"
ACTION_CONFIRM_DELIVERY = "confirm-delivery"
ACTION_ACCEPT = "accept"
ACTION_DISPUTE = "dispute"
ACTION_CANCEL = "cancel"


@dataclass(frozen=True, slots=True)
class _ActionRule:
    """One action: which party takes it, the status it moves the order to (allowed only where
    ``ORDER_TRANSITIONS`` allows that move), and the statuses it is narrowed to, if any."""

    name: str
    label: str
    party: str
    target: str
    only_from: frozenset[str] | None = None


# In the order the pages and the API list them; the services enforce the same rules
# (``orders.services.lifecycle``, ``orders.services.disputes``, ``payments.collection``).
_ACTION_RULES: tuple[_ActionRule, ...] = (
    _ActionRule(ACTION_CONFIRM, "Confirm the order", Party.SELLER, OrderStatus.CONFIRMED),
    _ActionRule(
        ACTION_PAY,
        "Pay the order",
        Party.BUYER,
        OrderStatus.PAID,
        only_from=frozenset({OrderStatus.CONFIRMED}),
    ),
    _ActionRule(ACTION_SHIP, "Mark it as shipped", Party.SELLER, OrderStatus.SHIPPED),
    _ActionRule(
        ACTION_CONFIRM_DELIVERY, "Confirm the delivery", Party.BUYER, OrderStatus.DELIVERED
    ),
    # Completing a disputed order is the platform's decision, not the buyer's.
    _ActionRule(
        ACTION_ACCEPT,
        "Accept the goods",
        Party.BUYER,
        OrderStatus.COMPLETED,
        only_from=frozenset({OrderStatus.DELIVERED}),
    ),
    _ActionRule(ACTION_DISPUTE, "Open a dispute", Party.BUYER, OrderStatus.DISPUTED),
    _ActionRule(
        ACTION_CANCEL,
        "Cancel the order",
        Party.BUYER,
        OrderStatus.CANCELLED,
        only_from=BUYER_CANCELLABLE_STATUSES,
    ),
    _ActionRule(ACTION_CANCEL, "Cancel the order", Party.SELLER, OrderStatus.CANCELLED),
)

ORDER_ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(rule.name for rule in _ACTION_RULES))
ORDER_ACTION_LABELS: dict[str, str] = {rule.name: rule.label for rule in _ACTION_RULES}


def order_party_of(*, order: Order, company: Company | None) -> str | None:
    """ "buyer" or "seller" when ``company`` is that party of ``order``; None otherwise."""
    if company is None:
        return None
    if company.pk == order.buyer_id:
        return Party.BUYER
    if company.pk == order.seller_id:
        return Party.SELLER
    return None


def order_inspection_window_ended(*, order: Order, now: datetime | None = None) -> bool:
    """Whether the buyer's inspection window of a delivered order is over (no dispute then)."""
    ends = order.inspection_ends_at
    return ends is not None and (now or timezone.now()) > ends


def order_actions_for(
    *, order: Order, company: Company | None, now: datetime | None = None
) -> list[str]:
    """What ``company`` may do to ``order`` now (``ORDER_ACTIONS`` names, in that order), by
    the rules the services enforce: the transition table, the acting party, the buyer's
    cancelling only before payment, disputes only within the inspection window. The order
    page shows these buttons, the emails list them and the API returns them as ``actions``.
    Another company may do nothing."""
    party = order_party_of(order=order, company=company)
    if party is None:
        return []
    allowed = ORDER_TRANSITIONS.get(order.status, frozenset())
    actions: list[str] = []
    for rule in _ACTION_RULES:
        if rule.party != party or rule.target not in allowed:
            continue
        if rule.only_from is not None and order.status not in rule.only_from:
            continue
        if rule.name == ACTION_DISPUTE and order_inspection_window_ended(order=order, now=now):
            continue
        actions.append(rule.name)
    return actions
