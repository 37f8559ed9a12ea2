"""Conversations between a buyer company and a seller company (ARCHITECTURE.md, Negotiation).

- ``conversation_start``: about a listing (a buying member writes to its seller), an RFQ (a
  seller that may see it writes to its buyer) or an order (either party). One conversation
  per (buyer, listing), (RFQ, seller) and order: starting again adds the message to it.
- ``conversation_message_post``: a message with up to 5 attachments, under a lock of the
  conversation row, which raises the other company's unread counter.
- ``conversation_event_post``: a line written by the platform (a quote sent, a dispute
  opened); other parts call it inside their own transaction.
- ``conversation_read``, ``conversation_report``, ``message_hide`` (staff),
  ``conversation_report_resolve`` (staff), and ``conversation_emails_send`` (the batched
  email digest of the beat task).

Messages are never edited or deleted; a hidden one keeps its body for staff.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from listings.enums import ListingStatus
from listings.selectors import listing_get_visible
from marketplace.accounts.document_files import DocumentFileType, document_file_inspect
from marketplace.accounts.models import Company, Membership, User
from marketplace.accounts.selectors import user_email_confirmed_require
from marketplace.accounts.staff import staff_may
from marketplace.core.exceptions import Conflict, DomainError, Forbidden, NotFound
from marketplace.core.transitions import lock
from orders.conversations.models import (
    Conversation,
    ConversationReport,
    ConversationTopic,
    Message,
    MessageAttachment,
    MessageKind,
)
from orders.models import Dispute, Order
from orders.rfqs.selectors import rfq_get_for_company, seller_may_quote
from orders.selectors import order_get_for_company

MESSAGE_MAX_LENGTH = 5_000
ATTACHMENTS_MAX = 5
REASON_MAX_LENGTH = 2_000
HIDE_PERMISSION = "orders.change_message"
REPORT_RESOLVE_PERMISSION = "orders.change_conversationreport"
# Any number the two-worker lock of the email digest may use, as long as it is this one.
_EMAIL_DIGEST_LOCK = 7_120_001


@dataclass(frozen=True)
class ConversationStart:
    conversation: Conversation
    message: Message
    created: bool  # False: the conversation existed, the message was added to it


def _clean_body(body: str | None, *, has_attachments: bool) -> str:
    text = (body or "").replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise ValidationError({"body": ["The message contains a character that is not allowed."]})
    if not text and not has_attachments:
        raise ValidationError({"body": ["Write a message or attach a file."]})
    if len(text) > MESSAGE_MAX_LENGTH:
        raise ValidationError(
            {
                "body": [
                    f"A message is at most {MESSAGE_MAX_LENGTH:,} characters "
                    f"(this one has {len(text):,})."
                ]
            }
        )
    return text


def _inspect_files(
    files: Sequence[UploadedFile],
) -> list[tuple[UploadedFile, DocumentFileType]]:
    if len(files) > ATTACHMENTS_MAX:
        raise DomainError(
            f"Attach at most {ATTACHMENTS_MAX} files to a message.",
            field="attachments",
            code="too_many_files",
        )
    return [(file, document_file_inspect(file=file, field="attachments")) for file in files]


def _require_writer(*, actor: User, company: Company) -> None:
    if not (actor.is_active and Membership.objects.filter(user=actor, company=company).exists()):
        raise PermissionDenied("You do not act for this company.")
    user_email_confirmed_require(user=actor)


def _side(conversation: Conversation, company: Company) -> str:
    if conversation.buyer_id == company.pk:
        return "buyer"
    if conversation.seller_id == company.pk:
        return "seller"
    raise NotFound("No such conversation.")


def _write_message(
    *,
    conversation: Conversation,
    kind: str,
    body: str,
    actor: User | None,
    company: Company | None,
    files: list[tuple[UploadedFile, DocumentFileType]],
    stored: list[MessageAttachment],
) -> Message:
    """Under the lock of ``conversation``: the message, its files, the counters."""
    now = timezone.now()
    message = Message.objects.create(
        conversation=conversation, kind=kind, author=actor, author_company=company, body=body
    )
    for upload, file_type in files:
        attachment = MessageAttachment(
            message=message,
            original_name=PurePath(upload.name or "file").name[:255],
            content_type=file_type.content_type,
            size=upload.size or 0,
        )
        attachment.file.save(f"{uuid.uuid4().hex}{file_type.extension}", upload, save=False)
        stored.append(attachment)
        attachment.save()
    updates: dict[str, object] = {
        "message_count": F("message_count") + 1,
        "last_message_at": message.created_at,
        "updated_at": now,
    }
    if company is None:  # the platform writes to both
        updates["buyer_unread"] = F("buyer_unread") + 1
        updates["seller_unread"] = F("seller_unread") + 1
    elif company.pk == conversation.buyer_id:
        updates["seller_unread"] = F("seller_unread") + 1
    else:
        updates["buyer_unread"] = F("buyer_unread") + 1
    Conversation.objects.filter(pk=conversation.pk).update(**updates)
    return message


def _post_with_cleanup(**kwargs: object) -> Message:
    stored: list[MessageAttachment] = []
    try:
        return _write_message(stored=stored, **kwargs)  # type: ignore[arg-type]
    except BaseException:
        for attachment in stored:  # the rows are rolled back; their files must go too
            attachment.file.delete(save=False)
        raise


def _subject(text: str) -> str:
    return text if len(text) <= 200 else text[:199] + "…"


def _resolve_subject(
    *,
    company: Company,
    actor: User,
    listing_id: object,
    rfq_id: object,
    order_id: object,
) -> dict[str, object]:
    """The conversation's key fields for what it is about; refuses what the company may not."""
    given = [
        name
        for name, value in (("listing", listing_id), ("rfq", rfq_id), ("order", order_id))
        if value not in (None, "")
    ]
    if len(given) != 1:
        raise ValidationError({"non_field_errors": ["Name exactly one of listing, rfq or order."]})
    if given == ["listing"]:
        listing = listing_get_visible(listing_id=listing_id, user=None, company=company)
        if listing.seller_id == company.pk:
            raise DomainError(
                "This listing is your own company's; write to other companies' suppliers.",
                field="listing",
                code="own_listing",
            )
        if listing.status != ListingStatus.PUBLISHED:
            raise NotFound("No such listing.")
        if not company.buys:
            raise Forbidden(
                "Only a company that buys can contact a supplier; your company does not buy.",
                code="not_a_buyer",
            )
        return {
            "topic": ConversationTopic.LISTING,
            "buyer": company,
            "seller": listing.seller,
            "listing": listing,
            "subject": _subject(listing.title),
        }
    if given == ["rfq"]:
        rfq = rfq_get_for_company(company=company, rfq_id=rfq_id)
        if rfq.buyer_id == company.pk:
            raise DomainError(
                "This request is your own; suppliers write to you about it.",
                field="rfq",
                code="own_rfq",
            )
        if not seller_may_quote(company):
            raise Forbidden(
                "Only a verified company that sells can write about a request for quotation.",
                code="not_a_verified_seller",
            )
        return {
            "topic": ConversationTopic.RFQ,
            "buyer": rfq.buyer,
            "seller": company,
            "rfq": rfq,
            "subject": _subject(f"RFQ: {rfq.title}"),
        }
    order = order_get_for_company(company=company, order_id=order_id)
    return {
        "topic": ConversationTopic.ORDER,
        "buyer": order.buyer,
        "seller": order.seller,
        "order": order,
        "subject": _subject(f"Order {order.number}"),
    }


def _lookup(fields: dict[str, object]) -> dict[str, object]:
    topic = fields["topic"]
    if topic == ConversationTopic.LISTING:
        return {"topic": topic, "buyer": fields["buyer"], "listing": fields["listing"]}
    if topic == ConversationTopic.RFQ:
        return {"topic": topic, "rfq": fields["rfq"], "seller": fields["seller"]}
    if topic == ConversationTopic.DISPUTE:
        return {"dispute": fields["dispute"]}
    return {"topic": topic, "order": fields["order"]}


def _get_or_create_locked(
    fields: dict[str, object], *, started_by: User | None
) -> tuple[Conversation, bool]:
    """The conversation for ``fields``, created if missing, locked; safe against a concurrent
    start (the unique constraint decides, the loser uses the winner's row)."""
    lookup = _lookup(fields)
    existing = Conversation.objects.select_for_update().filter(**lookup).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            created = Conversation.objects.create(
                **fields, started_by=started_by, last_message_at=timezone.now()
            )
    except IntegrityError:
        return Conversation.objects.select_for_update().get(**lookup), False
    return created, True


def conversation_start(
    *,
    company: Company,
    actor: User,
    message: str,
    listing_id: object = None,
    rfq_id: object = None,
    order_id: object = None,
    attachments: Sequence[UploadedFile] = (),
) -> ConversationStart:
    """Start (or continue) the conversation about a listing, an RFQ or an order with its
    first message, which is required."""
    _require_writer(actor=actor, company=company)
    files = _inspect_files(attachments)
    body = _clean_body(message, has_attachments=bool(files))
    fields = _resolve_subject(
        company=company, actor=actor, listing_id=listing_id, rfq_id=rfq_id, order_id=order_id
    )
    with transaction.atomic(durable=True):
        conversation, created = _get_or_create_locked(fields, started_by=actor)
        posted = _post_with_cleanup(
            conversation=conversation,
            kind=MessageKind.MESSAGE,
            body=body,
            actor=actor,
            company=company,
            files=files,
        )
    conversation.refresh_from_db()
    return ConversationStart(conversation=conversation, message=posted, created=created)


def conversation_message_post(
    *,
    conversation: Conversation,
    company: Company,
    actor: User,
    body: str,
    attachments: Sequence[UploadedFile] = (),
) -> Message:
    """A party's message (text, files or both) in one of its conversations."""
    _side(conversation, company)
    _require_writer(actor=actor, company=company)
    files = _inspect_files(attachments)
    text = _clean_body(body, has_attachments=bool(files))
    with transaction.atomic(durable=True):
        locked = lock(Conversation, conversation.pk)
        return _post_with_cleanup(
            conversation=locked,
            kind=MessageKind.MESSAGE,
            body=text,
            actor=actor,
            company=company,
            files=files,
        )


def conversation_event_post(*, conversation: Conversation, body: str) -> Message:
    """A line from the platform (no author) that both parties see as news.

    Joins the caller's transaction: call it inside the service that made the event."""
    text = (body or "").strip()[:MESSAGE_MAX_LENGTH]
    if not text:
        raise DomainError("An event needs a text.", field="body", code="required")
    with transaction.atomic():
        locked = lock(Conversation, conversation.pk)
        return _write_message(
            conversation=locked,
            kind=MessageKind.EVENT,
            body=text,
            actor=None,
            company=None,
            files=[],
            stored=[],
        )


def conversation_for_order(*, order: Order) -> Conversation:
    """The order's conversation (topic order), created empty if it has none. Joins the
    caller's transaction."""
    with transaction.atomic():
        conversation, _ = _get_or_create_locked(
            {
                "topic": ConversationTopic.ORDER,
                "buyer_id": order.buyer_id,
                "seller_id": order.seller_id,
                "order": order,
                "subject": _subject(f"Order {order.number}"),
            },
            started_by=None,
        )
        return conversation


def conversation_for_dispute(*, dispute: Dispute) -> Conversation:
    """The dispute's conversation (topic dispute, with the order too), created empty if it
    has none. Joins the caller's transaction."""
    order = dispute.order
    with transaction.atomic():
        conversation, _ = _get_or_create_locked(
            {
                "topic": ConversationTopic.DISPUTE,
                "buyer_id": order.buyer_id,
                "seller_id": order.seller_id,
                "order": order,
                "dispute": dispute,
                "subject": _subject(f"Dispute on order {order.number}"),
            },
            started_by=dispute.opened_by,
        )
        return conversation


def dispute_conversation_open(
    *, dispute: Dispute, actor: User, reason: str, attachments: Sequence[UploadedFile] = ()
) -> Conversation:
    """The dispute's conversation with the buyer's reason and evidence as its first message.
    Joins the caller's transaction (``order_dispute_open``); files are inspected before."""
    files = _inspect_files(attachments)
    conversation = conversation_for_dispute(dispute=dispute)
    with transaction.atomic():
        locked = lock(Conversation, conversation.pk)
        _post_with_cleanup(
            conversation=locked,
            kind=MessageKind.MESSAGE,
            body=reason,
            actor=actor,
            company=dispute.order.buyer,
            files=files,
        )
    return conversation


def dispute_evidence_inspect(*, attachments: Sequence[UploadedFile]) -> None:
    """Refuse (400, field ``attachments``) evidence that may not be stored, before anything
    changes."""
    _inspect_files(attachments)


def conversation_read(*, conversation: Conversation, company: Company) -> Conversation:
    """The company has read everything: its counter back to 0, its read time now."""
    side = _side(conversation, company)
    with transaction.atomic(durable=True):
        locked = lock(Conversation, conversation.pk)
        setattr(locked, f"{side}_unread", 0)
        setattr(locked, f"{side}_read_at", timezone.now())
        locked.save(update_fields=[f"{side}_unread", f"{side}_read_at", "updated_at"])
        return locked


def _clean_reason(reason: str | None, *, field: str = "reason", label: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError({field: [f"Enter the {label}."]})
    if len(text) > REASON_MAX_LENGTH:
        raise ValidationError({field: [f"At most {REASON_MAX_LENGTH:,} characters."]})
    return text


def conversation_report(
    *, conversation: Conversation, company: Company, actor: User, reason: str
) -> ConversationReport:
    """A party asks staff to look at the conversation (listed in the admin until resolved)."""
    _side(conversation, company)
    _require_writer(actor=actor, company=company)
    text = _clean_reason(reason)
    with transaction.atomic(durable=True):
        return ConversationReport.objects.create(
            conversation=conversation, company=company, reported_by=actor, reason=text
        )


def message_hide(*, message: Message, actor: User, reason: str) -> Message:
    """Staff hide a message from the parties, with a reason they are shown instead."""
    if not staff_may(actor, HIDE_PERMISSION):
        raise PermissionDenied("Only support staff and moderators may hide a message.")
    text = _clean_reason(reason)
    with transaction.atomic(durable=True):
        locked = lock(Message, message.pk)
        if locked.hidden_at is not None:
            raise Conflict("This message is already hidden.", code="already_hidden")
        locked.hidden_at = timezone.now()
        locked.hidden_by = actor
        locked.hidden_reason = text
        locked.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        return locked


def conversation_report_resolve(
    *, report: ConversationReport, actor: User, note: str
) -> ConversationReport:
    if not staff_may(actor, REPORT_RESOLVE_PERMISSION):
        raise PermissionDenied("Only support staff and moderators may resolve a report.")
    text = _clean_reason(note, field="resolution_note", label="note")
    with transaction.atomic(durable=True):
        locked = lock(ConversationReport, report.pk)
        if locked.resolved_at is not None:
            raise Conflict("This report is already resolved.", code="already_resolved")
        locked.resolved_at = timezone.now()
        locked.resolved_by = actor
        locked.resolution_note = text
        locked.save(update_fields=["resolved_at", "resolved_by", "resolution_note", "updated_at"])
        return locked


# --- email digest -------------------------------------------------------------------------


def _unread_by(message: Message, conversation: Conversation, side: str) -> bool:
    read_at = getattr(conversation, f"{side}_read_at")
    return read_at is None or message.created_at > read_at


def conversation_emails_send(*, now: datetime | None = None) -> int:
    """Email each member of each company ONE digest of its new unread messages in all its
    conversations, then mark those messages notified. Returns the number of emails sent.

    Messages younger than ``CONVERSATION_EMAIL_DELAY_MINUTES`` wait for the next run (the
    recipient may read them on the site first); those already read are marked and not
    mailed. Two workers: the second finds the digest lock taken and sends nothing; rows are
    also taken with SKIP LOCKED. Safe to run again: a notified message is never mailed twice.
    """
    moment = now or timezone.now()
    cutoff = moment - timedelta(minutes=settings.CONVERSATION_EMAIL_DELAY_MINUTES)
    sent = 0
    with transaction.atomic(durable=True):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_EMAIL_DIGEST_LOCK])
            if not cursor.fetchone()[0]:
                return 0
        pending = list(
            Message.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(notified_at__isnull=True, created_at__lte=cutoff)
            .select_related("conversation", "conversation__buyer", "conversation__seller")
            .select_related("author_company")
            .order_by("pk")
        )
        if not pending:
            return 0
        # company id -> conversation id -> its unread messages
        news: dict[int, dict[int, list[Message]]] = defaultdict(lambda: defaultdict(list))
        companies: dict[int, Company] = {}
        for message in pending:
            if message.hidden_at is not None:  # hidden by staff: marked, never mailed
                continue
            conversation = message.conversation
            for side, company in (("buyer", conversation.buyer), ("seller", conversation.seller)):
                if message.author_company_id == company.pk:
                    continue
                if _unread_by(message, conversation, side):
                    companies[company.pk] = company
                    news[company.pk][conversation.pk].append(message)
        members: dict[int, list[str]] = defaultdict(list)
        for company_id, email in (
            Membership.objects.filter(company_id__in=list(news), user__is_active=True)
            .order_by("company_id", "user__email")
            .values_list("company_id", "user__email")
        ):
            members[company_id].append(email)
        site = settings.SITE_URL.rstrip("/")
        for company_id, by_conversation in news.items():
            recipients = members.get(company_id, [])
            if not recipients:
                continue
            threads = []
            for messages in by_conversation.values():
                conversation = messages[0].conversation
                other = (
                    conversation.seller
                    if conversation.buyer_id == company_id
                    else conversation.buyer
                )
                threads.append(
                    {
                        "conversation": conversation,
                        "other": other,
                        "messages": messages,
                        "url": site
                        + reverse("conversations:detail", kwargs={"pk": conversation.pk}),
                    }
                )
            count = sum(len(thread["messages"]) for thread in threads)
            context = {
                "company": companies[company_id],
                "threads": threads,
                "count": count,
                "inbox_url": site + reverse("conversations:inbox"),
                "platform_name": settings.PLATFORM_NAME,
            }
            subject = " ".join(
                render_to_string("emails/conversations/digest_subject.txt", context).split()
            )
            body = render_to_string("emails/conversations/digest.txt", context)
            for recipient in recipients:  # one mail each: no member sees another's address
                send_mail(subject, body, None, [recipient])
                sent += 1
        Message.objects.filter(pk__in=[message.pk for message in pending]).update(
            notified_at=moment
        )
    return sent
