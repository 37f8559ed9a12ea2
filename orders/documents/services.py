"""Writes of trade documents: generation (idempotent, gapless numbering) and regeneration.

``trade_document_generate(order_id=, kind=)`` locks the order, computes the document data
once from its snapshot and its fingerprint; the current document of that kind with the same
fingerprint is returned as it is (a redelivered or concurrent task makes no second one).
Otherwise the next number is taken from the seller's ``DocumentSequence`` row (locked FOR
UPDATE) in a savepoint that also renders, hashes and stores the PDF: a render that fails
rolls the number back (no gap) and the document is recorded as failed with the reason.
A new version supersedes the older ones (``is_current``), which are kept.

Document numbers are ``<SELLER-CODE>-<KIND>-<YEAR>-<00001>``: the seller code is the
initials of the first three words of the company's slug, upper-cased, followed by the
company id (the id keeps two sellers with the same initials apart and never changes):
``ningbo-fasteners-co-ltd`` with id 42 → ``NFC42``; kinds PI, CI, PL, CO; the year of issue.
"""

import hashlib
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from marketplace.accounts.models import Company
from marketplace.core.exceptions import DomainError, NotFound
from marketplace.core.outbox import outbox_record
from marketplace.core.storage import private_storage
from marketplace.core.transitions import transition
from orders.documents.data import (
    DocumentData,
    InvoiceReference,
    document_data,
    source_fingerprint,
)
from orders.documents.enums import (
    DOCUMENT_TRANSITIONS,
    KIND_CODES,
    DocumentKind,
    DocumentStatus,
)
from orders.documents.models import DocumentSequence, TradeDocument, trade_document_file_name
from orders.documents.rendering import RenderContext, RenderError, render
from orders.models import Order

logger = logging.getLogger(__name__)

# The packing list and the origin application quote the commercial invoice.
KINDS_QUOTING_INVOICE = frozenset({DocumentKind.PACKING_LIST, DocumentKind.CERTIFICATE_OF_ORIGIN})
SELLER_CODE_WORDS = 3


def seller_code(company: Company) -> str:
    words = [word for word in company.slug.split("-") if word[:1].isalpha()]
    initials = "".join(word[0] for word in words[:SELLER_CODE_WORDS]).upper()
    return f"{initials or 'S'}{company.pk}"


def document_number_format(*, code: str, kind: str, year: int, value: int) -> str:
    return f"{code}-{KIND_CODES[kind]}-{year}-{value:05d}"


def _number_next(*, seller: Company, kind: str, year: int) -> str:
    """The next number of the seller's sequence; the row stays locked until the caller's
    transaction (or savepoint) ends, and rolling it back gives the number back."""
    DocumentSequence.objects.bulk_create(
        [DocumentSequence(seller=seller, kind=kind, year=year)], ignore_conflicts=True
    )
    sequence = DocumentSequence.objects.select_for_update().get(seller=seller, kind=kind, year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return document_number_format(
        code=seller_code(seller), kind=kind, year=year, value=sequence.last_number
    )


def verification_url(code: str) -> str:
    site = settings.SITE_URL.rstrip("/")
    try:
        return site + reverse("documents:verify", kwargs={"code": code})
    except NoReverseMatch:  # the page's URLconf is the documents UI's; the path is the contract
        return f"{site}/documents/verify/{code}/"


def _render(
    *, document: TradeDocument, number: str, data: DocumentData, invoice: InvoiceReference | None
) -> bytes:
    context = RenderContext(
        title=DocumentKind(document.kind).label,
        number=number,
        version=document.version,
        issued_on=timezone.localdate(),
        verification_code=document.verification_code,
        verify_url=verification_url(document.verification_code),
        platform_name=settings.PLATFORM_NAME,
        data=data,
        invoice=invoice,
    )
    try:
        return render(kind=document.kind, context=context)
    except Exception as exc:  # whatever the drawing raised, the document records it
        raise RenderError(f"The PDF could not be drawn: {type(exc).__name__}: {exc}") from exc


def _issue(
    *,
    document: TradeDocument,
    order: Order,
    data: DocumentData,
    invoice: InvoiceReference | None,
    fingerprint: str,
) -> TradeDocument:
    now = timezone.now()
    stored: str | None = None
    try:
        with transaction.atomic():  # a savepoint: a failed render takes its number back
            number = _number_next(
                seller=order.seller, kind=document.kind, year=timezone.localdate(now).year
            )
            pdf = _render(document=document, number=number, data=data, invoice=invoice)
            stored = private_storage().save(
                trade_document_file_name(timezone.localdate(now).year), ContentFile(pdf)
            )
            TradeDocument.objects.filter(order=order, kind=document.kind, is_current=True).exclude(
                pk=document.pk
            ).update(is_current=False, updated_at=now)
            return transition(
                instance=document,
                target=DocumentStatus.READY,
                allowed=DOCUMENT_TRANSITIONS,
                extra_fields={
                    "number": number,
                    "file": stored,
                    "sha256": hashlib.sha256(pdf).hexdigest(),
                    "issued_at": now,
                    "is_current": True,
                    "message": "",
                    "source_fingerprint": fingerprint,
                },
            )
    except RenderError as exc:
        logger.warning("Trade document %s failed: %s", document.pk, exc)
        return transition(
            instance=document,
            target=DocumentStatus.FAILED,
            allowed=DOCUMENT_TRANSITIONS,
            extra_fields={"message": str(exc)[:2000], "source_fingerprint": fingerprint},
        )
    except BaseException:
        if stored is not None:
            private_storage().delete(stored)
        raise


def _invoice_reference(*, order_id: int) -> InvoiceReference | TradeDocument:
    """The current commercial invoice (made first if there is none), or the failed one."""
    invoice = trade_document_generate(order_id=order_id, kind=DocumentKind.COMMERCIAL_INVOICE)
    if invoice.status != DocumentStatus.READY or invoice.number is None:
        return invoice
    assert invoice.issued_at is not None  # a ready document is issued (database constraint)
    return InvoiceReference(number=invoice.number, issued_on=timezone.localdate(invoice.issued_at))


def trade_document_generate(*, order_id: int, kind: str, force: bool = False) -> TradeDocument:
    """The current document of ``kind`` for the order, made now if the order's data changed
    since (or there is none). ``force`` issues a new version even if nothing changed."""
    if kind not in DocumentKind.values:
        raise DomainError(f"“{kind}” is not a kind of trade document.", field="kind")
    invoice: InvoiceReference | None = None
    failure = ""
    if kind in KINDS_QUOTING_INVOICE:
        reference = _invoice_reference(order_id=order_id)
        if isinstance(reference, TradeDocument):
            failure = f"The commercial invoice it quotes failed: {reference.message}"
        else:
            invoice = reference
    with transaction.atomic(durable=True):
        order = (
            Order.objects.select_for_update(of=("self",))
            .select_related("buyer", "seller")
            .filter(pk=order_id)
            .first()
        )
        if order is None:
            raise NotFound(f"Order {order_id} does not exist.")
        data = document_data(order)
        fingerprint = source_fingerprint(kind=kind, data=data, invoice=invoice)
        current = TradeDocument.objects.filter(order=order, kind=kind, is_current=True).first()
        if current is not None and current.source_fingerprint == fingerprint and not force:
            return current
        latest = TradeDocument.objects.filter(order=order, kind=kind).order_by("-version").first()
        if latest is not None and latest.status != DocumentStatus.READY:
            document = latest  # a failed attempt is retried in place: same version, no number
        else:
            document = TradeDocument.objects.create(
                order=order,
                kind=kind,
                version=latest.version + 1 if latest is not None else 1,
                status=DocumentStatus.PENDING,
                source_fingerprint=fingerprint,
            )
        if failure:
            return transition(
                instance=document,
                target=DocumentStatus.FAILED,
                allowed=DOCUMENT_TRANSITIONS,
                extra_fields={"message": failure[:2000], "source_fingerprint": fingerprint},
            )
        return _issue(
            document=document, order=order, data=data, invoice=invoice, fingerprint=fingerprint
        )


def trade_document_regenerate(*, document: TradeDocument) -> TradeDocument:
    """For the admin: a new version of the document's kind from the order as it is now (a
    failed one is retried in place); the previous version stays, superseded."""
    return trade_document_generate(order_id=document.order_id, kind=document.kind, force=True)


# The outbox topic of "make this document": handled by trade_document_event_task (orders app).
DOCUMENTS_TOPIC = "documents.generate"


def trade_documents_enqueue(*, order: Order, kinds: tuple[str, ...]) -> None:
    """Have ``kinds`` made once the caller's transaction has committed.

    Through the transactional outbox, recorded in the caller's transaction: the task is sent
    right after the commit, and when the broker is down then, the beat relay sends it later —
    a confirmed or shipped order never stays without its documents. One event per order and
    kind (making a document twice gives the same document).
    """
    for kind in kinds:
        outbox_record(
            topic=DOCUMENTS_TOPIC,
            key=f"{order.pk}:{kind}",
            payload={"order_id": order.pk, "kind": kind},
        )
