"""A conversation between two companies and its messages (ARCHITECTURE.md, Negotiation)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from marketplace.accounts.models import Company
from marketplace.core.models import BaseModel
from marketplace.core.storage import private_storage


class ConversationTopic(models.TextChoices):
    LISTING = "listing", "Listing"
    RFQ = "rfq", "Request for quotation"
    QUOTE = "quote", "Quote"
    ORDER = "order", "Order"
    DISPUTE = "dispute", "Dispute"


class Conversation(BaseModel):
    """Two companies, the buyer and the seller, writing about one thing.

    Exactly one subject object is set for its topic (a listing, an RFQ, a quote, an order, or
    the dispute of an order). Read state is per company: each side's unread count is kept on
    the row (raised when the other side writes, cleared when it reads) so an inbox of
    thousands of conversations needs no count over messages.
    """

    buyer = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="conversations_as_buyer"
    )
    seller = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="conversations_as_seller"
    )
    topic = models.CharField(max_length=8, choices=ConversationTopic.choices)
    subject = models.CharField(max_length=200)
    listing = models.ForeignKey(
        "listings.Listing",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    rfq = models.ForeignKey(
        "orders.RFQ", null=True, blank=True, on_delete=models.PROTECT, related_name="conversations"
    )
    quote = models.ForeignKey(
        "orders.Quote",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conversations",
    )
    order = models.ForeignKey(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conversations",
    )
    dispute = models.OneToOneField(
        "orders.Dispute",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conversation",
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_message_at = models.DateTimeField(null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    buyer_unread = models.PositiveIntegerField(default=0)
    seller_unread = models.PositiveIntegerField(default=0)
    buyer_read_at = models.DateTimeField(null=True, blank=True)
    seller_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        indexes = [
            models.Index(fields=["buyer", "-last_message_at", "-id"], name="conv_buyer_inbox"),
            models.Index(fields=["seller", "-last_message_at", "-id"], name="conv_seller_inbox"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(buyer=models.F("seller")), name="conversation_two_companies"
            ),
            # One conversation per buyer and listing, per RFQ and seller, per order, per dispute.
            models.UniqueConstraint(
                fields=["buyer", "listing"],
                condition=Q(topic="listing"),
                name="conversation_one_per_buyer_listing",
            ),
            models.UniqueConstraint(
                fields=["rfq", "seller"],
                condition=Q(topic="rfq"),
                name="conversation_one_per_rfq_seller",
            ),
            models.UniqueConstraint(
                fields=["order"], condition=Q(topic="order"), name="conversation_one_per_order"
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class MessageKind(models.TextChoices):
    MESSAGE = "message", "Message"
    EVENT = "event", "Event"  # written by the platform: a quote sent, an RFQ closed, ...


class Message(models.Model):
    """One message: immutable once written; staff may hide it, with a reason."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    kind = models.CharField(max_length=8, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_company = models.ForeignKey(
        Company, null=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hidden_reason = models.TextField(blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["conversation", "-id"], name="message_conversation_recent"),
            models.Index(
                fields=["created_at"],
                condition=Q(notified_at__isnull=True),
                name="message_to_notify",
            ),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} in conversation {self.conversation_id}"


def message_attachment_upload_to(instance: "MessageAttachment", filename: str) -> str:
    return f"conversations/{instance.message.conversation_id}/{filename}"


class MessageAttachment(models.Model):
    """A PDF or image on a message, checked by content as verification documents are."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(
        upload_to=message_attachment_upload_to, storage=private_storage, max_length=255
    )
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(help_text="Size in bytes.")

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name


class ConversationReport(BaseModel):
    """A party asks staff to look at a conversation (abuse, fraud, off-platform payment)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="reports")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Report on conversation {self.conversation_id}"
