"""What an uploaded verification document really is, judged by its content, not its name.

Only PDF, PNG, JPEG and WebP are accepted, at most 10 MB, and the name's extension and the
declared content type must agree with the bytes: a ``.pdf`` that is really text is refused.
"""

import math
from dataclasses import dataclass
from pathlib import PurePath

from django.core.files.uploadedfile import UploadedFile

from marketplace.accounts.models import DOCUMENT_MAX_BYTES
from marketplace.core.exceptions import DomainError


@dataclass(frozen=True)
class DocumentFileType:
    label: str
    content_type: str
    extension: str  # the one we store under
    extensions: frozenset[str]  # the ones a client may name the file with
    content_types: frozenset[str]  # the ones a client may declare

    def matches(self, head: bytes) -> bool:
        if self.content_type == "image/webp":
            return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
        return head.startswith(_SIGNATURES[self.content_type])


_SIGNATURES = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
}

DOCUMENT_FILE_TYPES: tuple[DocumentFileType, ...] = (
    DocumentFileType(
        "PDF", "application/pdf", ".pdf", frozenset({".pdf"}), frozenset({"application/pdf"})
    ),
    DocumentFileType(
        "PNG image", "image/png", ".png", frozenset({".png"}), frozenset({"image/png"})
    ),
    DocumentFileType(
        "JPEG image",
        "image/jpeg",
        ".jpg",
        frozenset({".jpg", ".jpeg"}),
        frozenset({"image/jpeg", "image/jpg", "image/pjpeg"}),
    ),
    DocumentFileType(
        "WebP image", "image/webp", ".webp", frozenset({".webp"}), frozenset({"image/webp"})
    ),
)
ACCEPTED_EXTENSIONS = ", ".join(sorted(e for t in DOCUMENT_FILE_TYPES for e in t.extensions))
# Browsers send these when they do not know the type; the content decides then.
_UNDECLARED_CONTENT_TYPES = frozenset({"", "application/octet-stream"})


def _megabytes_rounded_up(size: int) -> str:
    return f"{math.ceil(size * 10 / (1024 * 1024)) / 10:.1f} MB"


def document_file_inspect(*, file: UploadedFile, field: str = "documents") -> DocumentFileType:
    """The type of ``file`` read from its first bytes; ``DomainError`` if it is not acceptable."""
    name = PurePath(file.name or "").name or "file"
    size = file.size or 0
    if size == 0:
        raise DomainError(f"“{name}” is empty.", field=field, code="empty_file")
    if size > DOCUMENT_MAX_BYTES:
        raise DomainError(
            f"“{name}” is {_megabytes_rounded_up(size)}, over the 10 MB limit.",
            field=field,
            code="file_too_large",
        )
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    detected = next((t for t in DOCUMENT_FILE_TYPES if t.matches(head)), None)
    extension = PurePath(name).suffix.lower()
    claimed = next((t for t in DOCUMENT_FILE_TYPES if extension in t.extensions), None)
    if detected is None:
        if claimed is not None:
            raise DomainError(
                f"“{name}” is named as a {claimed.label} but its content is not a "
                f"{claimed.label}. Upload a real PDF, PNG, JPEG or WebP file.",
                field=field,
                code="content_mismatch",
            )
        raise DomainError(
            f"“{name}” is not an accepted file. Upload a PDF, PNG, JPEG or WebP file "
            f"({ACCEPTED_EXTENSIONS}).",
            field=field,
            code="unsupported_file_type",
        )
    if extension not in detected.extensions:
        raise DomainError(
            f"“{name}” contains a {detected.label} but its name does not end in "
            f"{detected.extension}. Rename the file and upload it again.",
            field=field,
            code="extension_mismatch",
        )
    declared = (getattr(file, "content_type", "") or "").split(";")[0].strip().lower()
    if declared not in _UNDECLARED_CONTENT_TYPES and declared not in detected.content_types:
        raise DomainError(
            f"“{name}” was sent as {declared} but its content is a {detected.label}.",
            field=field,
            code="content_type_mismatch",
        )
    return detected
