"""A seller's quote, in versions, with its lines (ARCHITECTURE.md, Negotiation).

Each version is a row of its own: revising writes version n + 1 (``previous`` points at
version n, which becomes ``revised`` and stays readable). All versions of one quote share
its ``number``. Amounts are in minor units of ``currency``; unit prices have up to 4 decimals.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField

from listings.enums import UnitOfSale
from marketplace.accounts.models import Company
from marketplace.core.models import BaseModel
from marketplace.trade.currencies import CURRENCY_CHOICES
from marketplace.trade.incoterms import INCOTERM_CHOICES
from marketplace.trade.landed_cost_snapshot import LandedCostSnapshot, snapshot_from_stored

QUOTE_NUMBER_SEQUENCE = "orders_quote_number_seq"


class QuoteStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    REVISED = "revised", "Revised"
    WITHDRAWN = "withdrawn", "Withdrawn"
    DECLINED = "declined", "Declined"
    ACCEPTED = "accepted", "Accepted"
    EXPIRED = "expired", "Expired"


QUOTE_TRANSITIONS: dict[str, frozenset[str]] = {
    QuoteStatus.SUBMITTED: frozenset(
        {
            QuoteStatus.REVISED,
            QuoteStatus.WITHDRAWN,
            QuoteStatus.DECLINED,
            QuoteStatus.ACCEPTED,
            QuoteStatus.EXPIRED,
        }
    ),
    QuoteStatus.REVISED: frozenset(),
    QuoteStatus.WITHDRAWN: frozenset(),
    QuoteStatus.DECLINED: frozenset(),
    QuoteStatus.ACCEPTED: frozenset(),
    QuoteStatus.EXPIRED: frozenset(),
}


class Quote(BaseModel):
    """One version of a seller's offer to a buyer, in answer to an RFQ or a conversation."""

    number = models.CharField(max_length=32, db_index=True)
    version = models.PositiveSmallIntegerField(default=1)
    previous = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_version"
    )
    seller = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="quotes_given")
    buyer = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="quotes_received")
    rfq = models.ForeignKey(
        "orders.RFQ", null=True, blank=True, on_delete=models.PROTECT, related_name="quotes"
    )
    conversation = models.ForeignKey(
        "orders.Conversation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quotes",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.SUBMITTED
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    incoterm = models.CharField(max_length=3, choices=INCOTERM_CHOICES)
    named_place = models.CharField(max_length=120)
    destination_country = CountryField()
    goods_minor = models.BigIntegerField(default=0)
    freight_minor = models.BigIntegerField(null=True, blank=True)
    insurance_minor = models.BigIntegerField(null=True, blank=True)
    lead_time_days = models.PositiveSmallIntegerField()
    valid_until = models.DateField()
    notes = models.TextField(blank=True, max_length=5000)
    # The landed-cost estimate at the buyer's border, frozen when this version was written.
    landed_cost = models.JSONField(default=dict, blank=True)
    platform_fee_bps = models.PositiveIntegerField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    order = models.OneToOneField(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="quote"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["rfq", "status"], name="quote_rfq_status"),
            models.Index(fields=["seller", "-created_at"], name="quote_seller_recent"),
            models.Index(fields=["buyer", "-created_at"], name="quote_buyer_recent"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number", "version"], name="quote_version_unique"),
            models.CheckConstraint(
                condition=Q(rfq__isnull=False) | Q(conversation__isnull=False),
                name="quote_answers_rfq_or_conversation",
            ),
            models.CheckConstraint(
                condition=~Q(buyer=models.F("seller")), name="quote_two_companies"
            ),
            models.CheckConstraint(
                condition=Q(freight_minor__isnull=True) | Q(freight_minor__gte=0),
                name="quote_freight_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(insurance_minor__isnull=True) | Q(insurance_minor__gte=0),
                name="quote_insurance_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} v{self.version}"

    @property
    def landed_cost_snapshot(self) -> LandedCostSnapshot | None:
        """The frozen landed cost as a typed value; None when none was recorded (``{}``)."""
        return snapshot_from_stored(self.landed_cost)


class QuoteLine(models.Model):
    """A line of a quote, with the packing data the trade documents need."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    listing = models.ForeignKey(
        "listings.Listing", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # From the listing's stock (reserved when the order is made, as a catalogue order) or made
    # to order (no reservation).
    from_stock = models.BooleanField(default=False)
    description = models.CharField(max_length=200)
    hs_code = models.CharField(max_length=6)
    origin_country = CountryField()
    unit = models.CharField(max_length=8, choices=UnitOfSale.choices, default=UnitOfSale.PIECE)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=14, decimal_places=4)
    line_total_minor = models.BigIntegerField()
    unit_net_weight_kg = models.DecimalField(max_digits=12, decimal_places=3)
    units_per_carton = models.PositiveIntegerField()
    carton_gross_weight_kg = models.DecimalField(max_digits=10, decimal_places=3)
    carton_length_cm = models.DecimalField(max_digits=7, decimal_places=1)
    carton_width_cm = models.DecimalField(max_digits=7, decimal_places=1)
    carton_height_cm = models.DecimalField(max_digits=7, decimal_places=1)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="quote_line_quantity"),
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="quote_line_price"),
            models.CheckConstraint(
                condition=Q(from_stock=False) | Q(listing__isnull=False),
                name="quote_line_stock_needs_listing",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class QuoteEvent(models.Model):
    """One status change of a quote version: who, when, from, to, why."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=10, choices=QuoteStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=QuoteStatus.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # When the other party was emailed about it (the notify task runs once per event).
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Quote {self.quote_id}: {self.from_status or '∅'} → {self.to_status}"
