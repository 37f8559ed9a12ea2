"""Trade documents written directly, with a small real PDF and its real SHA-256.

``issue_document(order=..., kind=..., number=...)`` stores a ready document (file, hash,
issue time, current); ``status="pending"`` or ``"failed"`` leave it without number and file.
``pdf_bytes(text)`` is a one-page PDF drawn with ReportLab (byte-identical for a given text).
``order_with_parties()`` makes a shipped order with a member of each party, a staff member
and an outsider.
"""

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.files.base import ContentFile
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from marketplace.accounts.models import Company, User
from orders.documents.models import TradeDocument
from orders.models import Order
from tests.factories import CompanyFactory, MembershipFactory
from tests.factories import staff_user as staff_in
from tests.orders.factories import OrderFactory

ISSUED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def pdf_bytes(text: str) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.drawString(72, 770, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def altered_by_one_byte(content: bytes) -> bytes:
    """The same PDF with one byte in the middle changed (it still opens as a PDF)."""
    middle = len(content) // 2
    return content[:middle] + bytes([content[middle] ^ 0x01]) + content[middle + 1 :]


def issue_document(
    *,
    order: Order,
    kind: str = "commercial_invoice",
    number: str | None = None,
    version: int = 1,
    status: str = "ready",
    is_current: bool = True,
    message: str = "",
    issued_at: datetime = ISSUED_AT,
) -> TradeDocument:
    document = TradeDocument(
        order=order,
        kind=kind,
        version=version,
        status=status,
        message=message,
        source_fingerprint=hashlib.sha256(f"{order.pk}:{kind}:{version}".encode()).hexdigest(),
    )
    if status == "ready":
        content = pdf_bytes(f"{kind} {number} of order {order.number}")
        document.number = number
        document.issued_at = issued_at
        document.sha256 = hashlib.sha256(content).hexdigest()
        document.is_current = is_current
        document.file.save("document.pdf", ContentFile(content), save=False)
    document.save()
    return document


def document_bytes(document: TradeDocument) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def documents_state() -> list[tuple]:
    """What a refused request must leave untouched."""
    return list(
        TradeDocument.objects.order_by("pk").values_list(
            "pk", "status", "number", "sha256", "is_current", "version", "updated_at"
        )
    )


@dataclass(frozen=True)
class Parties:
    """A shipped order of a Chinese seller to a German buyer, with one member each, a platform
    staff member who belongs to no company, and a member of an unrelated company."""

    order: Order
    seller: Company
    buyer: Company
    seller_user: User
    buyer_user: User
    staff_user: User
    outsider: User


def order_with_parties() -> Parties:
    seller = CompanyFactory(
        seller=True, verified=True, legal_name="Ningbo Fasteners Co., Ltd.", country="CN"
    )
    buyer = CompanyFactory(buyer=True, legal_name="Rheinland Import GmbH", country="DE")
    order = OrderFactory(shipped=True, seller=seller, buyer=buyer, number="ORD-2026-000042")
    return Parties(
        order=order,
        seller=seller,
        buyer=buyer,
        seller_user=MembershipFactory(company=seller, user__email="sales@ningbo.example").user,
        buyer_user=MembershipFactory(company=buyer, user__email="buying@rheinland.example").user,
        staff_user=staff_in(
            "support",
            permissions=("documents.view_any_trade_document",),
            email="ops@platform.example",
        ),
        outsider=MembershipFactory(
            company=CompanyFactory(legal_name="Elsewhere Trading Ltd"),
            user__email="outsider@elsewhere.example",
        ).user,
    )
