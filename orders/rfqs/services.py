"""Writes of requests for quotation: posting one, its lifecycle, and the emails to sellers.

``rfq_create`` checks everything before it writes anything: a refused request raises
``ValidationError({field: [message, ...]})`` with the API's field names (``title``,
``description``, ``category``, ``hs_code``, ``quantity``, ``unit``, ``target_unit_price``,
``currency``, ``destination_country``, ``named_place``, ``incoterms``, ``needed_by``,
``closes_at``, ``visibility``, ``invited_sellers``, ``attachments``), and the durable
transaction leaves no RFQ, invitation, event or attachment behind.

Lifecycle (``RFQ_TRANSITIONS``)::

    open ──► closed      by the buyer (rfq_close), the closing date (rfqs_close_due, beat),
      │                  or an accepted quote (rfq_close_for_accepted_quote)
      └────► cancelled   by the buyer or staff (rfq_cancel, rfq_cancel_by_staff)

Every change goes through ``marketplace.core.transitions.transition`` and writes an
``RFQEvent``. Another company's RFQ that it cannot see is ``NotFound`` (404); a company that
sees it but is not its buyer gets ``PermissionDenied`` (403); a change the table does not
allow is ``InvalidTransition`` (409).

Emails: invited sellers' members are told once per invitation (``rfq_invitations_notify``);
every verified seller gets at most one digest a day of the new public RFQs in its
categories (``rfqs_digest_send``).
"""

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_countries import countries

from listings.enums import UnitOfSale
from listings.models import Category
from marketplace.accounts.document_files import document_file_inspect
from marketplace.accounts.enums import VerificationStatus
from marketplace.accounts.models import Company, Membership, User
from marketplace.accounts.selectors import user_email_confirmed_require
from marketplace.core.exceptions import Conflict, DomainError, NotFound
from marketplace.core.ids import id_parse
from marketplace.core.transitions import lock, transition
from marketplace.trade.currencies import CURRENCIES
from marketplace.trade.incoterms import INCOTERMS
from marketplace.trade.validators import validate_hs_subheading
from orders.rfqs.models import (
    RFQ,
    RFQ_TRANSITIONS,
    RFQAttachment,
    RFQCloseReason,
    RFQDigest,
    RFQEvent,
    RFQInvitation,
    RFQStatus,
    RFQVisibility,
)
from orders.rfqs.selectors import rfq_visible_q, seller_category_ids
from orders.services.common import _clean_text, _Errors

# Limits, as in the model (and the API serializer, which documents them).
TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
NAMED_PLACE_MAX = 120
REASON_MAX = 2000
QUANTITY_MAX = 2_147_483_647
TARGET_PRICE_DECIMALS = 4
TARGET_PRICE_MAX = Decimal("9999999999.9999")  # max_digits=14, decimal_places=4
CLOSES_MAX_DAYS = 90
ATTACHMENTS_MAX = 5
INVITED_SELLERS_MAX = 20
# The first digest of a seller looks back this far; later ones start where the last one ended.
DIGEST_FIRST_LOOKBACK = timedelta(days=1)


# ---------- checks ----------


def _require_buyer_member(*, actor: User, buyer: Company) -> None:
    if not (
        actor is not None
        and actor.is_active
        and Membership.objects.filter(user=actor, company=buyer).exists()
    ):
        raise PermissionDenied("Only members of the buying company may post its RFQs.")
    if not buyer.buys:
        raise PermissionDenied("Only a company that buys can post a request for quotation.")
    user_email_confirmed_require(user=actor)


def _clean_category(errors: _Errors, value: object) -> Category | None:
    if isinstance(value, Category):
        return value
    pk = id_parse(value)
    category = Category.objects.filter(pk=pk).first() if pk is not None else None
    if category is None:
        errors.add("category", "Choose a category from the list.")
    return category


def _clean_hs_code(errors: _Errors, value: object) -> str:
    if value is None:
        return ""
    code = value.strip() if isinstance(value, str) else value
    if code == "":
        return ""
    try:
        validate_hs_subheading(code)  # type: ignore[arg-type]
    except ValidationError as exc:
        for message in exc.messages:
            errors.add("hs_code", message)
        return ""
    return str(code)


def _clean_quantity(errors: _Errors, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add("quantity", "Enter the quantity as a whole number.")
        return 0
    if value <= 0:
        errors.add("quantity", "The quantity must be at least 1.")
    elif value > QUANTITY_MAX:
        errors.add("quantity", f"The quantity may be at most {QUANTITY_MAX:,}.")
    return value


def _clean_target_price(errors: _Errors, value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        errors.add("target_unit_price", "Enter the target unit price as a number, e.g. 0.0350.")
        return None
    try:
        price = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        errors.add("target_unit_price", "Enter the target unit price as a number, e.g. 0.0350.")
        return None
    if not price.is_finite():
        errors.add("target_unit_price", "Enter the target unit price as a number, e.g. 0.0350.")
        return None
    if price <= 0:
        errors.add("target_unit_price", "The target unit price must be more than 0.")
        return None
    exponent = price.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -TARGET_PRICE_DECIMALS:
        errors.add(
            "target_unit_price",
            f"Enter the target unit price with at most {TARGET_PRICE_DECIMALS} decimals.",
        )
        return None
    if price > TARGET_PRICE_MAX:
        errors.add("target_unit_price", f"The target unit price may be at most {TARGET_PRICE_MAX}.")
        return None
    return price


def _clean_currency(errors: _Errors, value: object, *, price: Decimal | None) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        errors.add("currency", "Enter the currency as an ISO 4217 code, e.g. USD.")
    elif code and code not in CURRENCIES:
        errors.add("currency", f"“{value}” is not a currency the platform trades in.")
        return ""
    elif not code and price is not None:
        errors.add("currency", "Choose the currency of the target unit price.")
    return code


def _clean_country(errors: _Errors, value: object) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if not code:
        errors.add("destination_country", "Choose the country the goods go to.")
    elif code not in countries:
        errors.add("destination_country", f"“{value}” is not a known country code.")
    return code


def _clean_incoterms(errors: _Errors, value: object) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        errors.add("incoterms", "Choose at least one Incoterm you accept.")
        return []
    codes = {c.strip().upper() if isinstance(c, str) else c for c in value}
    if not codes:
        errors.add("incoterms", "Choose at least one Incoterm you accept.")
        return []
    unknown = sorted(str(c) for c in codes if c not in INCOTERMS)
    if unknown:
        errors.add(
            "incoterms", f"Not an Incoterms 2020 rule: {', '.join(f'“{c}”' for c in unknown)}."
        )
        return []
    return [code for code in INCOTERMS if code in codes]  # the rules' own order


def _clean_closes_at(errors: _Errors, value: object, *, now: datetime) -> datetime | None:
    if not isinstance(value, datetime):
        errors.add("closes_at", "Enter the closing date and time.")
        return None
    closes_at = value if timezone.is_aware(value) else timezone.make_aware(value)
    if closes_at <= now:
        errors.add("closes_at", "The closing date is in the past: choose a later one.")
        return None
    if closes_at > now + timedelta(days=CLOSES_MAX_DAYS):
        errors.add(
            "closes_at",
            f"An RFQ may stay open at most {CLOSES_MAX_DAYS} days: choose an earlier date.",
        )
        return None
    return closes_at


def _clean_needed_by(
    errors: _Errors, value: object, *, today: date, closes_at: datetime | None
) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        errors.add("needed_by", "Enter the date you need the goods by.")
        return None
    if value < today:
        errors.add("needed_by", "The needed-by date is in the past.")
        return None
    if closes_at is not None and value < closes_at.date():
        errors.add(
            "needed_by",
            "The needed-by date cannot be before the RFQ closes: sellers could not make it.",
        )
        return None
    return value


def _clean_invited(
    errors: _Errors, value: object, *, buyer: Company, visibility: str
) -> list[Company]:
    if value is None:
        value = []
    if isinstance(value, str) or not isinstance(value, Iterable):
        errors.add("invited_sellers", "Give the invited sellers as a list of company ids.")
        return []
    raw = list(value)
    ids: list[int] = []
    for item in raw:
        pk = item.pk if isinstance(item, Company) else id_parse(item)
        if pk is None:
            errors.add("invited_sellers", f"“{item}” is not a company id.")
            return []
        if pk not in ids:
            ids.append(pk)
    if visibility == RFQVisibility.INVITED and not ids:
        errors.add("invited_sellers", "Invite at least one seller, or make the RFQ public.")
        return []
    if len(ids) > INVITED_SELLERS_MAX:
        errors.add("invited_sellers", f"Invite at most {INVITED_SELLERS_MAX} sellers.")
        return []
    if buyer.pk in ids:
        errors.add("invited_sellers", "Your own company cannot quote on your RFQ.")
        return []
    found = {c.pk: c for c in Company.objects.filter(pk__in=ids)}
    sellers = []
    for pk in ids:
        company = found.get(pk)
        if company is None:
            errors.add("invited_sellers", f"There is no company {pk}.")
        elif not company.sells or company.verification_status != VerificationStatus.VERIFIED:
            errors.add(
                "invited_sellers",
                f"{company.display_name} is not a verified seller and cannot be invited.",
            )
        else:
            sellers.append(company)
    return sellers


def _clean_attachments(
    errors: _Errors, files: Sequence[UploadedFile]
) -> list[tuple[UploadedFile, str, str]]:
    """Each file with the type its content shows (content type, extension)."""
    if len(files) > ATTACHMENTS_MAX:
        errors.add("attachments", f"An RFQ may have at most {ATTACHMENTS_MAX} attachments.")
        return []
    checked = []
    for file in files:
        try:
            kind = document_file_inspect(file=file, field="attachments")
        except DomainError as exc:
            errors.add("attachments", exc.message)
            continue
        checked.append((file, kind.content_type, kind.extension))
    return checked


def _attachment_save(
    *, rfq: RFQ, file: UploadedFile, content_type: str, extension: str, actor: User
) -> RFQAttachment:
    attachment = RFQAttachment(
        rfq=rfq,
        original_name=(PurePath(file.name or "").name or f"attachment{extension}")[:255],
        content_type=content_type,
        size=file.size or 0,
        uploaded_by=actor,
    )
    file.seek(0)
    # A random stored name: the buyer's file name is only ever shown, never used as a path.
    attachment.file.save(f"{uuid.uuid4().hex}{extension}", file, save=False)
    attachment.save()
    return attachment


def rfq_closes_at_errors(closes_at: datetime) -> list[str]:
    """The closing-date rule alone (for a form to show it beside other errors)."""
    errors = _Errors()
    _clean_closes_at(errors, closes_at, now=timezone.now())
    return errors.by_field.get("closes_at", [])


def rfq_hs_code_errors(hs_code: str) -> list[str]:
    """The HS code rule alone (for a form to show it beside other errors)."""
    errors = _Errors()
    _clean_hs_code(errors, hs_code)
    return errors.by_field.get("hs_code", [])


# ---------- posting ----------


def rfq_create(
    *,
    actor: User,
    buyer: Company,
    title: str,
    description: str,
    category: Category | int | str | None,
    hs_code: str | None = "",
    quantity: int,
    unit: str = UnitOfSale.PIECE,
    target_unit_price: Decimal | str | None = None,
    currency: str | None = "",
    destination_country: str,
    named_place: str,
    incoterms: Sequence[str],
    needed_by: date | None = None,
    closes_at: datetime,
    visibility: str = RFQVisibility.PUBLIC,
    invited_sellers: Iterable[Company | int] = (),
    attachments: Sequence[UploadedFile] = (),
) -> RFQ:
    """Post a request for quotation for ``buyer``; invited sellers are emailed after commit."""
    _require_buyer_member(actor=actor, buyer=buyer)
    now = timezone.now()
    errors = _Errors()
    cleaned_title = _clean_text(
        errors, "title", title, max_length=TITLE_MAX, required=True, label="title"
    )
    cleaned_description = _clean_text(
        errors,
        "description",
        description,
        max_length=DESCRIPTION_MAX,
        required=True,
        label="description",
    )
    cleaned_category = _clean_category(errors, category)
    cleaned_hs = _clean_hs_code(errors, hs_code)
    cleaned_quantity = _clean_quantity(errors, quantity)
    if unit not in UnitOfSale.values:
        errors.add("unit", f"“{unit}” is not a unit; use one of {', '.join(UnitOfSale.values)}.")
    price = _clean_target_price(errors, target_unit_price)
    cleaned_currency = _clean_currency(errors, currency, price=price)
    country = _clean_country(errors, destination_country)
    place = _clean_text(
        errors,
        "named_place",
        named_place,
        max_length=NAMED_PLACE_MAX,
        required=True,
        label="named place (port or city of delivery)",
    )
    codes = _clean_incoterms(errors, incoterms)
    cleaned_closes = _clean_closes_at(errors, closes_at, now=now)
    cleaned_needed = _clean_needed_by(
        errors, needed_by, today=timezone.localdate(now), closes_at=cleaned_closes
    )
    if visibility not in RFQVisibility.values:
        errors.add("visibility", f"“{visibility}” is not a visibility; use public or invited.")
    sellers = _clean_invited(errors, invited_sellers, buyer=buyer, visibility=visibility)
    files = _clean_attachments(errors, list(attachments))
    errors.raise_if_any()
    assert cleaned_category is not None and cleaned_closes is not None  # no errors above

    with transaction.atomic(durable=True):
        rfq = RFQ.objects.create(
            buyer=buyer,
            created_by=actor,
            title=cleaned_title,
            description=cleaned_description,
            category=cleaned_category,
            hs_code=cleaned_hs,
            quantity=cleaned_quantity,
            unit=unit,
            target_unit_price=price,
            currency=cleaned_currency,
            destination_country=country,
            named_place=place,
            incoterms=codes,
            needed_by=cleaned_needed,
            closes_at=cleaned_closes,
            visibility=visibility,
            status=RFQStatus.OPEN,
        )
        RFQInvitation.objects.bulk_create(RFQInvitation(rfq=rfq, seller=s) for s in sellers)
        RFQEvent.objects.create(
            rfq=rfq, actor=actor, from_status="", to_status=RFQStatus.OPEN, note="Posted"
        )
        for file, content_type, extension in files:
            _attachment_save(
                rfq=rfq, file=file, content_type=content_type, extension=extension, actor=actor
            )
        if sellers:
            _invitations_notify_on_commit(rfq.pk)
    return rfq


def rfq_attachment_add(
    *, rfq: RFQ, actor: User, company: Company, file: UploadedFile
) -> RFQAttachment:
    """Attach one more file to an open RFQ of ``company`` (its buyer); at most five in all."""
    _require_buyer_of(rfq=rfq, actor=actor, company=company)
    errors = _Errors()
    checked = _clean_attachments(errors, [file])
    errors.raise_if_any()
    with transaction.atomic(durable=True):
        locked = lock(RFQ, rfq.pk)
        if locked.status != RFQStatus.OPEN:
            raise Conflict(
                f"The RFQ is {locked.get_status_display().lower()}: files can be added only "
                "while it is open.",
                code="rfq_not_open",
            )
        if locked.attachments.count() >= ATTACHMENTS_MAX:
            raise ValidationError(
                {"attachments": [f"An RFQ may have at most {ATTACHMENTS_MAX} attachments."]}
            )
        (only,) = checked
        return _attachment_save(
            rfq=locked, file=only[0], content_type=only[1], extension=only[2], actor=actor
        )


# ---------- lifecycle ----------


def _require_buyer_of(*, rfq: RFQ, actor: User, company: Company) -> None:
    """The buyer's own RFQ; a company that cannot see it gets 404, one that can 403."""
    if company.pk != rfq.buyer_id:
        if RFQ.objects.filter(rfq_visible_q(company=company), pk=rfq.pk).exists():
            raise PermissionDenied("Only the buyer who posted this RFQ may do this.")
        raise NotFound
    if not (
        actor is not None
        and actor.is_active
        and Membership.objects.filter(user=actor, company=company).exists()
    ):
        raise PermissionDenied("Only members of the buying company may do this.")


def _event_recorder(actor: User | None, note: str):
    def record(locked: RFQ, from_status: str, to_status: str) -> None:
        RFQEvent.objects.create(
            rfq=locked, actor=actor, from_status=from_status, to_status=to_status, note=note
        )

    return record


def _close(*, rfq: RFQ, actor: User | None, reason: str, note: str, now: datetime) -> RFQ:
    return transition(
        instance=rfq,
        target=RFQStatus.CLOSED,
        allowed=RFQ_TRANSITIONS,
        record_event=_event_recorder(actor, note),
        extra_fields={"closed_at": now, "close_reason": reason},
    )


def rfq_close(*, rfq: RFQ, actor: User, company: Company) -> RFQ:
    """The buyer closes its open RFQ: no more quotes; those received stay to be decided."""
    _require_buyer_of(rfq=rfq, actor=actor, company=company)
    with transaction.atomic(durable=True):
        return _close(
            rfq=rfq,
            actor=actor,
            reason=RFQCloseReason.BUYER,
            note="Closed by the buyer",
            now=timezone.now(),
        )


def rfq_cancel(*, rfq: RFQ, actor: User, company: Company, reason: str = "") -> RFQ:
    """The buyer withdraws its open RFQ altogether (an optional reason is kept in the event)."""
    _require_buyer_of(rfq=rfq, actor=actor, company=company)
    errors = _Errors()
    text = _clean_text(
        errors, "reason", reason, max_length=REASON_MAX, required=False, label="reason"
    )
    errors.raise_if_any()
    with transaction.atomic(durable=True):
        return transition(
            instance=rfq,
            target=RFQStatus.CANCELLED,
            allowed=RFQ_TRANSITIONS,
            record_event=_event_recorder(actor, text or "Cancelled by the buyer"),
            extra_fields={"closed_at": timezone.now()},
        )


def rfq_cancel_by_staff(*, rfq: RFQ, actor: User, reason: str) -> RFQ:
    """Staff take down an abusive RFQ; the reason is required and kept in the event."""
    if not (actor is not None and actor.is_active and actor.is_staff):
        raise PermissionDenied("Only platform staff may cancel another company's RFQ.")
    errors = _Errors()
    text = _clean_text(
        errors, "reason", reason, max_length=REASON_MAX, required=True, label="reason"
    )
    errors.raise_if_any()
    with transaction.atomic(durable=True):
        return transition(
            instance=rfq,
            target=RFQStatus.CANCELLED,
            allowed=RFQ_TRANSITIONS,
            record_event=_event_recorder(actor, f"Cancelled by staff: {text}"),
            extra_fields={"closed_at": timezone.now()},
        )


def rfq_close_for_accepted_quote(*, rfq: RFQ, actor: User | None) -> RFQ:
    """Close the RFQ because the buyer accepted one of its quotes; joins the caller's
    transaction (the acceptance), so both commit or neither.

    An RFQ already closed (by its date or by the buyer) stays closed, its reason becoming
    ``accepted``; a cancelled one raises ``InvalidTransition``.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("rfq_close_for_accepted_quote() joins the acceptance's transaction")
    locked = lock(RFQ, rfq.pk)
    if locked.status == RFQStatus.CLOSED:
        if locked.close_reason != RFQCloseReason.ACCEPTED:
            locked.close_reason = RFQCloseReason.ACCEPTED
            locked.save(update_fields=["close_reason", "updated_at"])
        return locked
    return _close(
        rfq=locked,
        actor=actor,
        reason=RFQCloseReason.ACCEPTED,
        note="A quote was accepted",
        now=timezone.now(),
    )


def rfqs_close_due(*, now: datetime | None = None) -> int:
    """Close every open RFQ whose closing date has passed (beat); returns how many closed.

    Each in its own transaction, re-checked under the row lock, so a buyer closing or
    cancelling it at the same moment wins cleanly and a second run changes nothing."""
    moment = now or timezone.now()
    due = list(
        RFQ.objects.filter(status=RFQStatus.OPEN, closes_at__lte=moment)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    closed = 0
    for pk in due:
        with transaction.atomic(durable=True):
            locked = lock(RFQ, pk)
            if locked.status != RFQStatus.OPEN or locked.closes_at > moment:
                continue
            _close(
                rfq=locked,
                actor=None,
                reason=RFQCloseReason.DEADLINE,
                note="Closing date passed",
                now=moment,
            )
            closed += 1
    return closed


# ---------- emails ----------


def _rfq_url(rfq_id: int) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("rfqs:detail", kwargs={"pk": rfq_id})


def _member_emails(company_id: int) -> list[str]:
    return list(
        Membership.objects.filter(company_id=company_id, user__is_active=True)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


def _invitations_notify_on_commit(rfq_id: int) -> None:
    from orders.rfqs.tasks import rfq_invitations_notify_task

    notify = partial(rfq_invitations_notify_task.delay, rfq_id=rfq_id)
    notify.__qualname__ = "rfq_invitations_notify_task.delay"  # type: ignore[attr-defined]
    # robust: the broker down must not turn a posted RFQ into an error (logged).
    transaction.on_commit(notify, robust=True)


def rfq_invitations_notify(*, rfq_id: int) -> int:
    """Email the members of each invited seller not told yet; returns how many sellers."""
    told = 0
    with transaction.atomic(durable=True):
        invitations = list(
            RFQInvitation.objects.select_for_update(of=("self",))
            .select_related("rfq", "rfq__buyer", "seller")
            .filter(rfq_id=rfq_id, notified_at__isnull=True)
            .order_by("pk")
        )
        for invitation in invitations:
            rfq = invitation.rfq
            if rfq.status != RFQStatus.OPEN:
                break
            recipients = _member_emails(invitation.seller_id)
            if recipients:
                context = {
                    "rfq": rfq,
                    "seller": invitation.seller,
                    "rfq_url": _rfq_url(rfq.pk),
                    "platform_name": settings.PLATFORM_NAME,
                }
                subject = " ".join(
                    render_to_string("emails/rfqs/invitation_subject.txt", context).split()
                )
                body = render_to_string("emails/rfqs/invitation.txt", context)
                send_mail(subject, body, None, recipients)
                told += 1
            invitation.notified_at = timezone.now()
            invitation.save(update_fields=["notified_at", "updated_at"])
    return told


def _digest_sellers() -> list[int]:
    return list(
        Company.objects.filter(sells=True, verification_status=VerificationStatus.VERIFIED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def rfq_digest_send(*, seller_id: int, now: datetime | None = None) -> bool:
    """One seller's digest for today: the public open RFQs of its categories posted since
    its previous digest. Sent at most once a day; nothing is sent (or recorded) when there
    is nothing new. Returns whether a mail went out."""
    moment = now or timezone.now()
    day = timezone.localdate(moment)
    with transaction.atomic(durable=True):
        seller = lock(Company, seller_id)  # one digest run per seller at a time
        if RFQDigest.objects.filter(seller=seller, day=day).exists():
            return False
        if not seller.sells or seller.verification_status != VerificationStatus.VERIFIED:
            return False
        previous = RFQDigest.objects.filter(seller=seller).order_by("-sent_at").first()
        since = previous.sent_at if previous else moment - DIGEST_FIRST_LOOKBACK
        categories = seller_category_ids(company=seller)
        if not categories:
            return False
        rfqs = list(
            RFQ.objects.filter(
                status=RFQStatus.OPEN,
                visibility=RFQVisibility.PUBLIC,
                category_id__in=categories,
                created_at__gt=since,
                created_at__lte=moment,
                closes_at__gt=moment,
            )
            .exclude(buyer=seller)
            .select_related("buyer", "category")
            .order_by("created_at", "pk")
        )
        recipients = _member_emails(seller.pk)
        if not rfqs or not recipients:
            return False
        RFQDigest.objects.create(seller=seller, day=day, rfq_count=len(rfqs), sent_at=moment)
        RFQ.objects.filter(pk__in=[r.pk for r in rfqs], digested_at__isnull=True).update(
            digested_at=moment
        )
        site = settings.SITE_URL.rstrip("/")
        context = {
            "seller": seller,
            "rfqs": [(rfq, _rfq_url(rfq.pk)) for rfq in rfqs],
            "board_url": site + reverse("rfqs:list"),
            "platform_name": settings.PLATFORM_NAME,
            "day": day,
        }
        subject = " ".join(render_to_string("emails/rfqs/digest_subject.txt", context).split())
        body = render_to_string("emails/rfqs/digest.txt", context)
        # Inside the transaction: if the mail server refuses, no digest row stays and a retry
        # sends it; a crash between the send and the commit could repeat it once (at most).
        send_mail(subject, body, None, recipients)
    return True


def rfqs_digest_send(*, now: datetime | None = None) -> int:
    """The daily digest of every verified seller (beat); returns how many mails went out."""
    moment = now or timezone.now()
    return sum(rfq_digest_send(seller_id=pk, now=moment) for pk in _digest_sellers())


def closes_at_from_date(day: date) -> datetime:
    """A closing date as the pages take it: the end of that day (UTC)."""
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))
