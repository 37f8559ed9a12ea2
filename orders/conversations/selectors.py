"""Who sees which conversation, and the reads the inbox, the thread and the header need.

A company sees the conversations it is the buyer or the seller of; any other does not exist
for it (``NotFound``, the API's and the pages' 404). Staff holding ``orders.view_conversation``
(support, moderators, finance) see every conversation, hidden message bodies included.
"""

from django.db.models import Case, F, IntegerField, Prefetch, Q, QuerySet, Sum, When
from django.db.models.functions import Coalesce

from marketplace.accounts.models import Company, User
from marketplace.accounts.staff import staff_may
from marketplace.core.exceptions import NotFound
from marketplace.core.ids import id_parse
from orders.conversations.models import (
    Conversation,
    ConversationReport,
    ConversationTopic,
    Message,
    MessageAttachment,
)

STAFF_VIEW_PERMISSION = "orders.view_conversation"


def _party_q(company: Company) -> Q:
    return Q(buyer=company) | Q(seller=company)


def conversation_unread_expression(company: Company) -> Case:
    """The acting company's own unread counter of a conversation, as an SQL expression."""
    return Case(
        When(buyer_id=company.pk, then=F("buyer_unread")),
        default=F("seller_unread"),
        output_field=IntegerField(),
    )


def conversation_list_for_company(
    *, company: Company, topic: str | None = None
) -> QuerySet[Conversation]:
    """The company's conversations, newest message first, each with ``unread`` (its own
    counter) and both companies loaded."""
    conversations = Conversation.objects.filter(_party_q(company))
    if topic:
        conversations = conversations.filter(topic=topic)
    # The companies come in two small queries after the page is cut: joining them first
    # would sort thousands of wide rows for one page.
    return (
        conversations.prefetch_related("buyer", "seller")
        .annotate(unread=conversation_unread_expression(company))
        .order_by("-last_message_at", "-pk")
    )


def conversation_get_for_company(*, company: Company, conversation_id: object) -> Conversation:
    """One of the company's conversations; ``NotFound`` for any other (or a malformed id)."""
    pk = id_parse(conversation_id)
    if pk is None:
        raise NotFound("No such conversation.")
    conversation = (
        Conversation.objects.filter(_party_q(company), pk=pk)
        .select_related("buyer", "seller", "listing", "rfq", "order", "dispute")
        .annotate(unread=conversation_unread_expression(company))
        .first()
    )
    if conversation is None:
        raise NotFound("No such conversation.")
    return conversation


def conversation_get_for_staff(*, user: User, conversation_id: object) -> Conversation:
    pk = id_parse(conversation_id)
    if pk is None or not staff_may(user, STAFF_VIEW_PERMISSION):
        raise NotFound("No such conversation.")
    conversation = (
        Conversation.objects.select_related("buyer", "seller", "order", "dispute")
        .filter(pk=pk)
        .first()
    )
    if conversation is None:
        raise NotFound("No such conversation.")
    return conversation


def conversation_for_dispute_get(*, dispute_id: int) -> Conversation | None:
    """The conversation of a dispute, if it has one (staff pages)."""
    return (
        Conversation.objects.select_related("buyer", "seller").filter(dispute_id=dispute_id).first()
    )


def message_list(*, conversation: Conversation, after: int | None = None) -> QuerySet[Message]:
    """A conversation's messages, oldest first, with their attachments; only those after the
    message id ``after`` when given (polling)."""
    messages = Message.objects.filter(conversation=conversation)
    if after is not None:
        messages = messages.filter(pk__gt=after)
    return messages.prefetch_related(
        "author_company",
        "author",
        Prefetch("attachments", queryset=MessageAttachment.objects.order_by("pk")),
    ).order_by("pk")


def message_unread_count_for_company(*, company: Company) -> int:
    """The header's figure: the sum of the company's unread counters, in one query."""
    result = Conversation.objects.filter(_party_q(company)).aggregate(
        total=Coalesce(Sum(conversation_unread_expression(company)), 0)
    )
    return int(result["total"])


def attachment_get_for(
    *, attachment_id: object, user: User, company: Company | None
) -> MessageAttachment:
    """An attachment for one of the conversation's parties or staff; ``NotFound`` otherwise."""
    pk = id_parse(attachment_id)
    if pk is None:
        raise NotFound("No such attachment.")
    attachments = MessageAttachment.objects.select_related("message__conversation")
    if not staff_may(user, STAFF_VIEW_PERMISSION):
        if company is None:
            raise NotFound("No such attachment.")
        attachments = attachments.filter(
            Q(message__conversation__buyer=company) | Q(message__conversation__seller=company)
        )
    attachment = attachments.filter(pk=pk).first()
    if attachment is None:
        raise NotFound("No such attachment.")
    return attachment


def report_list_open() -> QuerySet[ConversationReport]:
    return ConversationReport.objects.filter(resolved_at__isnull=True).select_related(
        "conversation", "company", "reported_by"
    )


def conversation_topics() -> list[tuple[str, str]]:
    return list(ConversationTopic.choices)
