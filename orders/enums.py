from django.db import models


class OrderStatus(models.TextChoices):
    PLACED = "placed", "Placed"
    CONFIRMED = "confirmed", "Confirmed"
    PAID = "paid", "Paid"
    SHIPPED = "shipped", "Shipped"
    DELIVERED = "delivered", "Delivered"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    DISPUTED = "disputed", "Disputed"
    REFUNDED = "refunded", "Refunded"


# placed → confirmed → paid → shipped → delivered → completed; cancelled before shipping;
# a delivered order is accepted (completed) or disputed within the inspection window; a dispute
# ends released (completed) or refunded; a cancelled order that was paid ends refunded.
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.PLACED: frozenset({OrderStatus.CONFIRMED, OrderStatus.CANCELLED}),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.COMPLETED, OrderStatus.DISPUTED}),
    OrderStatus.DISPUTED: frozenset({OrderStatus.COMPLETED, OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.COMPLETED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}

# The buyer may cancel only an unpaid order; once paid, only the seller may (the buyer is
# refunded). Read by the services (which enforce it) and the selectors (which show it).
UNPAID_STATUSES = frozenset({OrderStatus.PLACED, OrderStatus.CONFIRMED})
BUYER_CANCELLABLE_STATUSES = UNPAID_STATUSES

# Stock reserved by an order goes back to the listing when it reaches one of these from an
# unshipped state.
STOCK_RELEASING_STATUSES = frozenset({OrderStatus.CANCELLED})


class Party(models.TextChoices):
    BUYER = "buyer", "Buyer"
    SELLER = "seller", "Seller"


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    RELEASED = "released", "Released to the seller"
    REFUNDED = "refunded", "Refunded to the buyer"
    SPLIT = "split", "Split"
