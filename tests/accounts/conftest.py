import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.accounts.models import DOCUMENT_MAX_BYTES

PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
WEBP_BYTES = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
TEXT_BYTES = b"This is a plain text file pretending to be something else.\n"


def pdf_upload(name: str = "registration.pdf", content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type=content_type)


def png_upload(name: str = "tax.png", content_type: str = "image/png"):
    return SimpleUploadedFile(name, PNG_BYTES, content_type=content_type)


def oversized_pdf_upload(name: str = "huge.pdf"):
    content = PDF_BYTES + b"0" * (DOCUMENT_MAX_BYTES + 1 - len(PDF_BYTES))
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded documents land in a folder of their own per test (the private one: verification
    documents are never in MEDIA_ROOT, which is set apart here to prove it)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private-media"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def celery_eager():
    """Run Celery tasks in-process when they are enqueued (the real worker is tested elsewhere)."""
    from marketplace.celery import app

    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture
def staff_user(db):
    from tests.factories import staff_user as staff_in

    return staff_in("verification", email="reviewer@platform.example")
