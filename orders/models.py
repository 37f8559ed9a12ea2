from django.conf import settings
from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField

from listings.models import Listing
from marketplace.accounts.models import Company
from marketplace.core.models import BaseModel
from marketplace.trade.currencies import CURRENCY_CHOICES
from marketplace.trade.incoterms import INCOTERM_CHOICES
from orders.enums import DisputeStatus, OrderStatus, Party


class Cart(BaseModel):
    """The active buying company's cart; lines may come from several sellers."""

    buyer = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="cart")

    def __str__(self) -> str:
        return f"Cart of {self.buyer}"


class CartLine(BaseModel):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["cart", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "listing"], name="cart_line_listing_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="cart_line_quantity_gte_1"),
        ]


class Order(BaseModel):
    """One seller's part of a checkout: one currency, one Incoterm, amounts in minor units."""

    number = models.CharField(max_length=32, unique=True)
    buyer = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="orders_placed")
    seller = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="orders_received")
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=OrderStatus.choices, default=OrderStatus.PLACED, db_index=True
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    incoterm = models.CharField(max_length=3, choices=INCOTERM_CHOICES)
    named_place = models.CharField(max_length=120)
    buyer_reference = models.CharField("buyer's reference (PO number)", max_length=64, blank=True)
    ship_to_name = models.CharField(max_length=200)
    ship_to_line1 = models.CharField(max_length=200)
    ship_to_line2 = models.CharField(max_length=200, blank=True)
    ship_to_city = models.CharField(max_length=100)
    ship_to_region = models.CharField(max_length=100, blank=True)
    ship_to_postal_code = models.CharField(max_length=20, blank=True)
    ship_to_country = CountryField()
    # Totals in integer minor units of `currency` (JPY: yen; USD: cents; KWD: fils).
    goods_minor = models.BigIntegerField(default=0)
    freight_minor = models.BigIntegerField(default=0)
    insurance_minor = models.BigIntegerField(default=0)
    platform_fee_minor = models.BigIntegerField(default=0)
    duty_minor = models.BigIntegerField(default=0)
    import_tax_minor = models.BigIntegerField(default=0)
    total_minor = models.BigIntegerField(default=0)
    duty_and_tax_payer = models.CharField(max_length=8, choices=Party.choices, default=Party.BUYER)
    platform_fee_bps = models.PositiveIntegerField()
    # The landed-cost estimate as computed at placement: rates used, their source, who pays.
    landed_cost = models.JSONField(default=dict, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    inspection_ends_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["buyer", "status", "-created_at"], name="order_buyer_status_idx"),
            models.Index(
                fields=["seller", "status", "-created_at"], name="order_seller_status_idx"
            ),
            models.Index(
                fields=["expires_at"],
                name="order_unpaid_expiry_idx",
                condition=Q(status__in=["placed", "confirmed"]),
            ),
            models.Index(
                fields=["inspection_ends_at"],
                name="order_inspection_idx",
                condition=Q(status="delivered"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(buyer=models.F("seller")), name="order_buyer_is_not_seller"
            ),
            models.CheckConstraint(
                condition=Q(goods_minor__gte=0)
                & Q(freight_minor__gte=0)
                & Q(insurance_minor__gte=0)
                & Q(platform_fee_minor__gte=0)
                & Q(duty_minor__gte=0)
                & Q(import_tax_minor__gte=0)
                & Q(total_minor__gte=0),
                name="order_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    """A line with a snapshot of everything the trade documents need, frozen at placement."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    listing = models.ForeignKey(Listing, null=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(max_length=200)
    hs_code = models.CharField(max_length=6)
    origin_country = CountryField()
    unit = models.CharField(max_length=8)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)
    line_total_minor = models.BigIntegerField()
    unit_net_weight_kg = models.DecimalField(max_digits=12, decimal_places=3)
    units_per_carton = models.PositiveIntegerField()
    carton_gross_weight_kg = models.DecimalField(max_digits=10, decimal_places=3)
    carton_length_cm = models.DecimalField(max_digits=7, decimal_places=1)
    carton_width_cm = models.DecimalField(max_digits=7, decimal_places=1)
    carton_height_cm = models.DecimalField(max_digits=7, decimal_places=1)
    # Whether placement took the quantity from the listing's stock (a catalogue order, or a
    # quoted line from stock); a made-to-order line reserves nothing and gives nothing back.
    stock_reserved = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_gte_1"),
            models.CheckConstraint(
                condition=Q(unit_price__gt=0), name="order_line_unit_price_positive"
            ),
            models.CheckConstraint(
                condition=Q(line_total_minor__gte=0), name="order_line_total_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.title}"


class OrderEvent(models.Model):
    """Every status change of an order: actor, from, to, note, time (the timeline)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=16, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=OrderStatus.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["order", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status or '—'} → {self.to_status}"


class Shipment(BaseModel):
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="shipment")
    carrier = models.CharField(max_length=100)
    tracking_number = models.CharField(max_length=100)
    ship_date = models.DateField()

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"


class Dispute(BaseModel):
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="dispute")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField()
    status = models.CharField(
        max_length=16, choices=DisputeStatus.choices, default=DisputeStatus.OPEN
    )
    resolution_note = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    def __str__(self) -> str:
        return f"Dispute on {self.order}"


# The negotiation models live beside the deal they lead to (ARCHITECTURE.md, Negotiation);
# imported here so that Django registers them in the orders app.
from orders.conversations.models import (  # noqa: E402
    Conversation,
    ConversationReport,
    Message,
    MessageAttachment,
)
from orders.quotes.models import Quote, QuoteEvent, QuoteLine  # noqa: E402
from orders.rfqs.models import (  # noqa: E402
    RFQ,
    RFQAttachment,
    RFQDigest,
    RFQEvent,
    RFQInvitation,
)

__all__ = [
    "RFQ",
    "Cart",
    "CartLine",
    "Conversation",
    "ConversationReport",
    "Dispute",
    "Message",
    "MessageAttachment",
    "Order",
    "OrderEvent",
    "OrderLine",
    "Quote",
    "QuoteEvent",
    "QuoteLine",
    "RFQAttachment",
    "RFQDigest",
    "RFQEvent",
    "RFQInvitation",
    "Shipment",
]
