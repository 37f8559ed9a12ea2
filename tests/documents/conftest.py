import io

import pytest
from pypdf import PdfReader

from orders.documents.models import TradeDocument


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Every test stores its PDFs in a folder of its own (the private one; MEDIA_ROOT is set
    apart too, to prove nothing lands there)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"


def pdf_bytes(document: TradeDocument) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def pdf_text(document: TradeDocument) -> str:
    reader = PdfReader(io.BytesIO(pdf_bytes(document)))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_pages(document: TradeDocument) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf_bytes(document)))
    return [page.extract_text() for page in reader.pages]
