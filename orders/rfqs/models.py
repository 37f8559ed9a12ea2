"""A buyer's request for quotation (ARCHITECTURE.md, Negotiation)."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField

from listings.enums import UnitOfSale
from marketplace.accounts.models import Company
from marketplace.core.models import BaseModel
from marketplace.core.storage import private_storage
from marketplace.trade.currencies import CURRENCY_CHOICES
from marketplace.trade.incoterms import INCOTERM_CHOICES


class RFQStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


RFQ_TRANSITIONS: dict[str, frozenset[str]] = {
    RFQStatus.OPEN: frozenset({RFQStatus.CLOSED, RFQStatus.CANCELLED}),
    RFQStatus.CLOSED: frozenset(),
    RFQStatus.CANCELLED: frozenset(),
}


class RFQVisibility(models.TextChoices):
    PUBLIC = "public", "Public: verified sellers in the category"
    INVITED = "invited", "Invited sellers only"


class RFQCloseReason(models.TextChoices):
    BUYER = "buyer", "Closed by the buyer"
    DEADLINE = "deadline", "Closing date passed"
    ACCEPTED = "accepted", "A quote was accepted"


class RFQ(BaseModel):
    """What a buyer wants to buy, for sellers to quote on."""

    buyer = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="rfqs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=10_000)
    category = models.ForeignKey("listings.Category", on_delete=models.PROTECT, related_name="rfqs")
    hs_code = models.CharField(max_length=6, blank=True)
    quantity = models.PositiveIntegerField()
    unit = models.CharField(max_length=8, choices=UnitOfSale.choices, default=UnitOfSale.PIECE)
    target_unit_price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, blank=True)
    destination_country = CountryField()
    named_place = models.CharField(max_length=120)
    incoterms = ArrayField(models.CharField(max_length=3, choices=INCOTERM_CHOICES), size=11)
    needed_by = models.DateField(null=True, blank=True)
    closes_at = models.DateTimeField()
    visibility = models.CharField(
        max_length=8, choices=RFQVisibility.choices, default=RFQVisibility.PUBLIC
    )
    invited_sellers = models.ManyToManyField(
        Company, through="RFQInvitation", related_name="rfq_invitations", blank=True
    )
    status = models.CharField(max_length=10, choices=RFQStatus.choices, default=RFQStatus.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=10, choices=RFQCloseReason.choices, blank=True)
    digested_at = models.DateTimeField(
        null=True, blank=True, help_text="When the daily digest told sellers of it."
    )

    class Meta:
        verbose_name = "request for quotation"
        verbose_name_plural = "requests for quotation"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["buyer", "-created_at"], name="rfq_buyer_recent"),
            models.Index(
                fields=["category", "-created_at"],
                condition=Q(status="open", visibility="public"),
                name="rfq_open_public_by_category",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="rfq_quantity_positive"),
            models.CheckConstraint(
                condition=Q(target_unit_price__isnull=True) | Q(target_unit_price__gt=0),
                name="rfq_target_price_positive",
            ),
            models.CheckConstraint(
                condition=Q(incoterms__len__gte=1), name="rfq_allows_an_incoterm"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class RFQInvitation(BaseModel):
    rfq = models.ForeignKey(RFQ, on_delete=models.CASCADE, related_name="invitations")
    seller = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rfq", "seller"], name="rfq_invitation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.seller_id} invited to RFQ {self.rfq_id}"


class RFQEvent(models.Model):
    """One status change of an RFQ: who, when, from, to, why."""

    rfq = models.ForeignKey(RFQ, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=10, choices=RFQStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=RFQStatus.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"RFQ {self.rfq_id}: {self.from_status or '∅'} → {self.to_status}"


def rfq_attachment_upload_to(instance: "RFQAttachment", filename: str) -> str:
    return f"rfqs/{instance.rfq_id}/{filename}"


class RFQAttachment(models.Model):
    rfq = models.ForeignKey(RFQ, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(
        upload_to=rfq_attachment_upload_to, storage=private_storage, max_length=255
    )
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(help_text="Size in bytes.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name


class RFQDigest(models.Model):
    """One seller's daily digest of new public RFQs: at most one per seller and day, so a
    digest run that is repeated (beat twice, a redelivered task) mails nobody twice."""

    seller = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="rfq_digests")
    day = models.DateField()
    rfq_count = models.PositiveIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-day", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["seller", "day"], name="rfq_digest_one_per_day")
        ]

    def __str__(self) -> str:
        return f"RFQ digest of {self.seller_id} on {self.day}"
