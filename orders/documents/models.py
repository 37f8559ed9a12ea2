"""Trade documents and their gapless numbering.

A ``TradeDocument`` is both the issued PDF and the job that produced it: pending → ready
(number, file, SHA-256, issued_at) or failed (message, no number). Numbers come from
``DocumentSequence`` (one row per seller, kind and year, locked FOR UPDATE) in the same
transaction that renders and stores the PDF, so a failed render leaves no gap.
"""

import secrets

from django.db import models
from django.db.models import Q

from marketplace.accounts.models import Company
from marketplace.core.models import BaseModel
from marketplace.core.storage import private_storage
from orders.documents.enums import DocumentKind, DocumentStatus
from orders.models import Order

# No 0/O, 1/l/I: a code read aloud or typed from paper is not ambiguous.
VERIFICATION_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
VERIFICATION_CODE_LENGTH = 14  # 57**14 ≈ 2**81


def verification_code_new() -> str:
    return "".join(secrets.choice(VERIFICATION_ALPHABET) for _ in range(VERIFICATION_CODE_LENGTH))


def trade_document_file_name(year: int) -> str:
    """documents/<year>/<random>.pdf: the name says nothing about the order or the number."""
    return f"documents/{year}/{secrets.token_urlsafe(24)}.pdf"


def trade_document_upload_to(instance: "TradeDocument", filename: str) -> str:
    year = instance.issued_at.year if instance.issued_at else instance.created_at.year
    return trade_document_file_name(year)


class TradeDocument(BaseModel):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=24, choices=DocumentKind.choices)
    number = models.CharField(max_length=48, unique=True, null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=8, choices=DocumentStatus.choices, default=DocumentStatus.PENDING, db_index=True
    )
    message = models.TextField(blank=True, help_text="Why the generation failed.")
    file = models.FileField(
        upload_to=trade_document_upload_to, storage=private_storage, max_length=200, blank=True
    )
    sha256 = models.CharField("SHA-256 of the PDF", max_length=64, blank=True, db_index=True)
    verification_code = models.CharField(
        max_length=32, unique=True, default=verification_code_new, editable=False
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    is_current = models.BooleanField(
        default=False, help_text="The latest ready version; older versions are superseded."
    )
    source_fingerprint = models.CharField(
        max_length=64,
        help_text="SHA-256 of the canonical JSON of the order data the document was made from.",
    )

    class Meta:
        ordering = ["order", "kind", "-version"]
        permissions = [
            ("view_any_trade_document", "Can see and download any company's trade documents")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind", "version"], name="trade_document_order_kind_version"
            ),
            models.UniqueConstraint(
                fields=["order", "kind"],
                condition=Q(is_current=True),
                name="trade_document_one_current_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="trade_document_version_gte_1"
            ),
            models.CheckConstraint(
                condition=~Q(status=DocumentStatus.READY)
                | (
                    Q(number__isnull=False)
                    & ~Q(sha256="")
                    & ~Q(file="")
                    & Q(issued_at__isnull=False)
                ),
                name="trade_document_ready_is_complete",
            ),
            models.CheckConstraint(
                condition=Q(is_current=False) | Q(status=DocumentStatus.READY),
                name="trade_document_current_is_ready",
            ),
        ]
        indexes = [
            models.Index(fields=["order", "kind", "status"], name="trade_doc_order_kind_idx")
        ]

    def __str__(self) -> str:
        return self.number or f"{self.get_kind_display()} v{self.version} ({self.status})"


class DocumentSequence(models.Model):
    """The last number issued per seller, kind and year; locked FOR UPDATE to issue the next."""

    seller = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=24, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["seller", "kind", "year"], name="document_sequence_seller_kind_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.seller_id} {self.kind} {self.year}: {self.last_number}"
