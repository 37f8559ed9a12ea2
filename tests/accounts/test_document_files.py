import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.accounts.document_files import document_file_inspect
from marketplace.core.exceptions import DomainError
from tests.accounts.conftest import (
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    TEXT_BYTES,
    WEBP_BYTES,
    oversized_pdf_upload,
)


@pytest.mark.parametrize(
    ("name", "content", "content_type", "detected"),
    [
        ("certificate.pdf", PDF_BYTES, "application/pdf", "application/pdf"),
        ("scan.PNG", PNG_BYTES, "image/png", "image/png"),
        ("photo.jpeg", JPEG_BYTES, "image/jpeg", "image/jpeg"),
        ("photo.jpg", JPEG_BYTES, "application/octet-stream", "image/jpeg"),
        ("scan.webp", WEBP_BYTES, "image/webp", "image/webp"),
    ],
)
def test_document_file_inspect_recognises_accepted_files_by_content(
    name, content, content_type, detected
):
    upload = SimpleUploadedFile(name, content, content_type=content_type)

    assert document_file_inspect(file=upload).content_type == detected


def _refusal(upload) -> DomainError:
    with pytest.raises(DomainError) as excinfo:
        document_file_inspect(file=upload, field="registration_certificate")
    assert excinfo.value.field == "registration_certificate"
    return excinfo.value


def test_a_text_file_named_pdf_is_refused():
    error = _refusal(SimpleUploadedFile("report.pdf", TEXT_BYTES, content_type="application/pdf"))

    assert error.code == "content_mismatch"
    assert error.message == (
        "“report.pdf” is named as a PDF but its content is not a PDF. "
        "Upload a real PDF, PNG, JPEG or WebP file."
    )


def test_a_text_file_named_png_is_refused():
    error = _refusal(SimpleUploadedFile("scan.png", TEXT_BYTES, content_type="image/png"))

    assert error.code == "content_mismatch"
    assert error.message.startswith("“scan.png” is named as a PNG image but its content is not")


def test_a_pdf_named_png_is_refused():
    error = _refusal(SimpleUploadedFile("scan.png", PDF_BYTES, content_type="image/png"))

    assert error.code == "extension_mismatch"
    assert error.message == (
        "“scan.png” contains a PDF but its name does not end in .pdf. "
        "Rename the file and upload it again."
    )


def test_a_pdf_declared_as_an_image_is_refused():
    error = _refusal(SimpleUploadedFile("cert.pdf", PDF_BYTES, content_type="image/png"))

    assert error.code == "content_type_mismatch"
    assert error.message == "“cert.pdf” was sent as image/png but its content is a PDF."


def test_an_unsupported_file_type_is_refused():
    error = _refusal(SimpleUploadedFile("notes.txt", TEXT_BYTES, content_type="text/plain"))

    assert error.code == "unsupported_file_type"
    assert error.message == (
        "“notes.txt” is not an accepted file. Upload a PDF, PNG, JPEG or WebP file "
        "(.jpeg, .jpg, .pdf, .png, .webp)."
    )


def test_a_file_over_10_mb_is_refused():
    error = _refusal(oversized_pdf_upload())

    assert error.code == "file_too_large"
    assert error.message == "“huge.pdf” is 10.1 MB, over the 10 MB limit."


def test_an_empty_file_is_refused():
    error = _refusal(SimpleUploadedFile("empty.pdf", b"", content_type="application/pdf"))

    assert error.code == "empty_file"
    assert error.message == "“empty.pdf” is empty."
