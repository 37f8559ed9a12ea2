"""Reads of trade documents, filtered to who may see them.

The two parties of an order (its buyer and its seller) and platform staff with
``documents.view_any_trade_document`` see an order's
documents and download them; for anyone else they do not exist (``NotFound``, the 404).
Verification is public but answers only about ready documents, by their code or hash.
"""

import hashlib

from django.core.files.base import File
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from marketplace.accounts.models import Company, User
from marketplace.accounts.staff import staff_may
from marketplace.core.exceptions import NotFound
from marketplace.core.ids import id_parse, opaque_id_parse
from orders.documents.enums import KINDS_ON_CONFIRM, KINDS_ON_SHIP, DocumentStatus
from orders.documents.models import TradeDocument
from orders.models import Order

# The order in which an order's documents are listed: the order they are issued in.
KIND_ORDER: tuple[str, ...] = (*KINDS_ON_CONFIRM, *KINDS_ON_SHIP)


# Staff who may see the documents of orders their company is not a party to.
VIEW_ANY_PERMISSION = "documents.view_any_trade_document"


def _sees_every_order(user: User | None) -> bool:
    """Platform staff with the permission (a group such as "support"), not ``is_staff`` alone."""
    return staff_may(user, VIEW_ANY_PERMISSION)


def _pk(value: object) -> int:
    pk = id_parse(value)
    if pk is None:
        raise NotFound
    return pk


def _visible_orders(*, company: Company | None, user: User | None) -> QuerySet[Order]:
    if _sees_every_order(user):
        return Order.objects.all()
    if company is None:
        return Order.objects.none()
    return Order.objects.filter(Q(buyer=company) | Q(seller=company))


def _kind_rank() -> Case:
    return Case(
        *(When(kind=kind, then=Value(rank)) for rank, kind in enumerate(KIND_ORDER)),
        default=Value(len(KIND_ORDER)),
        output_field=IntegerField(),
    )


def document_list_for_order(
    *, company: Company | None, order_id: object, user: User | None = None
) -> QuerySet[TradeDocument]:
    """Every version of the order's documents (current and superseded), by kind in the
    order they are issued, newest version first.

    ``NotFound`` unless ``company`` is the order's buyer or seller, or ``user`` is staff.
    """
    pk = _pk(order_id)
    if not _visible_orders(company=company, user=user).filter(pk=pk).exists():
        raise NotFound
    return (
        TradeDocument.objects.filter(order_id=pk)
        .alias(kind_rank=_kind_rank())
        .order_by("kind_rank", "-version", "-id")
    )


def document_get_for_download(
    *, user: User | None, company: Company | None, document_id: object
) -> TradeDocument:
    """A document of an order whose buyer or seller is ``company``, or any document for
    staff with the permission; ``NotFound`` otherwise (including a malformed id)."""
    pk = _pk(document_id)
    document = (
        TradeDocument.objects.filter(pk=pk, order__in=_visible_orders(company=company, user=user))
        .select_related("order")
        .first()
    )
    if document is None:
        raise NotFound
    return document


def document_get_by_code(*, code: str) -> TradeDocument:
    """The ready document with this verification code, with its issuer (the seller);
    ``NotFound`` for any other code, so that a guess learns nothing."""
    cleaned = opaque_id_parse((code or "").strip())
    if cleaned is None or len(cleaned) > 64:
        raise NotFound
    document = (
        TradeDocument.objects.filter(verification_code=cleaned, status=DocumentStatus.READY)
        .select_related("order__seller")
        .first()
    )
    if document is None:
        raise NotFound
    return document


def document_find_by_sha256(*, sha256: str) -> TradeDocument | None:
    """The ready document whose PDF has this SHA-256 (hex), with its issuer; else None."""
    return (
        TradeDocument.objects.filter(sha256=sha256.lower(), status=DocumentStatus.READY)
        .select_related("order__seller")
        .order_by("-issued_at", "-id")
        .first()
    )


def file_sha256(file: File) -> str:
    """The SHA-256 (hex) of an uploaded file, read in chunks so a large one stays out of memory."""
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def document_verify_file(*, file: File) -> TradeDocument | None:
    """The ready document of which ``file`` is an exact copy (same SHA-256), or None."""
    return document_find_by_sha256(sha256=file_sha256(file))
