from django.db import models


class DocumentKind(models.TextChoices):
    PROFORMA_INVOICE = "proforma_invoice", "Proforma invoice"
    COMMERCIAL_INVOICE = "commercial_invoice", "Commercial invoice"
    PACKING_LIST = "packing_list", "Packing list"
    CERTIFICATE_OF_ORIGIN = "certificate_of_origin", "Certificate of origin application"


# The kind's part of a document number: <SELLER-CODE>-<KIND>-<YEAR>-<00001>.
KIND_CODES: dict[str, str] = {
    DocumentKind.PROFORMA_INVOICE: "PI",
    DocumentKind.COMMERCIAL_INVOICE: "CI",
    DocumentKind.PACKING_LIST: "PL",
    DocumentKind.CERTIFICATE_OF_ORIGIN: "CO",
}

# What the seller's confirmation and the shipment produce, in generation order (the packing
# list and the certificate-of-origin application quote the commercial invoice's number).
KINDS_ON_CONFIRM: tuple[str, ...] = (DocumentKind.PROFORMA_INVOICE,)
KINDS_ON_SHIP: tuple[str, ...] = (
    DocumentKind.COMMERCIAL_INVOICE,
    DocumentKind.PACKING_LIST,
    DocumentKind.CERTIFICATE_OF_ORIGIN,
)


class DocumentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


# A failed generation is retried in place (same version, still no number) and may fail again.
DOCUMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    DocumentStatus.PENDING: frozenset({DocumentStatus.READY, DocumentStatus.FAILED}),
    DocumentStatus.FAILED: frozenset({DocumentStatus.READY, DocumentStatus.FAILED}),
    DocumentStatus.READY: frozenset(),
}
