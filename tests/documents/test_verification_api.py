"""Public verification: by the code printed on a document, and by uploading a copy."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from orders.documents.models import TradeDocument
from tests.documents.issued import (
    altered_by_one_byte,
    document_bytes,
    documents_state,
    issue_document,
    order_with_parties,
)

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Not found."}


def _pdf_upload(content: bytes, name: str = "invoice.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _invoice() -> TradeDocument:
    parties = order_with_parties()
    return issue_document(order=parties.order, number="NBF-CI-2026-00004")


def test_a_code_shows_what_the_document_is_and_who_issued_it_and_nothing_else():
    document = _invoice()

    response = APIClient().get(f"/api/v1/documents/verify/{document.verification_code}/")

    assert response.status_code == 200
    assert response.json() == {
        "kind": "commercial_invoice",
        "number": "NBF-CI-2026-00004",
        "version": 1,
        "issued_at": "2026-03-02T09:30:00Z",
        "issuer": {"name": "Ningbo Fasteners Co., Ltd.", "country": "CN"},
        "sha256": document.sha256,
        "status": "current",
    }


def test_a_superseded_version_says_superseded():
    parties = order_with_parties()
    old = issue_document(order=parties.order, number="NBF-CI-2026-00003", is_current=False)
    issue_document(order=parties.order, number="NBF-CI-2026-00004", version=2)

    response = APIClient().get(f"/api/v1/documents/verify/{old.verification_code}/")

    assert response.status_code == 200
    assert response.json()["status"] == "superseded"
    assert response.json()["number"] == "NBF-CI-2026-00003"


@pytest.mark.parametrize("code", ["AAAAAAAAAAAAAA", "x", "' OR 1=1 --", "é" * 80])
def test_an_unknown_code_is_404_with_a_body_that_reveals_nothing(code):
    _invoice()

    response = APIClient().get(f"/api/v1/documents/verify/{code}/")

    assert (response.status_code, response.json()) == (404, NOT_FOUND)


@pytest.mark.parametrize("status", ["pending", "failed"])
def test_the_code_of_a_document_that_was_never_issued_answers_as_an_unknown_code(status):
    parties = order_with_parties()
    document = issue_document(order=parties.order, kind="packing_list", status=status)

    response = APIClient().get(f"/api/v1/documents/verify/{document.verification_code}/")

    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_uploading_the_exact_pdf_says_genuine_with_what_it_is():
    document = _invoice()

    response = APIClient().post(
        "/api/v1/documents/verify/",
        {"file": _pdf_upload(document_bytes(document))},
        format="multipart",
    )

    assert response.status_code == 200
    assert response.json() == {
        "genuine": True,
        "kind": "commercial_invoice",
        "number": "NBF-CI-2026-00004",
        "version": 1,
        "issued_at": "2026-03-02T09:30:00Z",
        "issuer": {"name": "Ningbo Fasteners Co., Ltd.", "country": "CN"},
        "sha256": document.sha256,
        "status": "current",
    }


def test_uploading_the_pdf_altered_by_one_byte_says_not_genuine_and_nothing_more():
    document = _invoice()
    altered = altered_by_one_byte(document_bytes(document))
    assert len(altered) == len(document_bytes(document))

    response = APIClient().post(
        "/api/v1/documents/verify/", {"file": _pdf_upload(altered)}, format="multipart"
    )

    assert (response.status_code, response.json()) == (200, {"genuine": False})


def test_an_exact_copy_of_a_superseded_version_is_genuine_and_says_superseded():
    parties = order_with_parties()
    old = issue_document(order=parties.order, number="NBF-CI-2026-00003", is_current=False)
    issue_document(order=parties.order, number="NBF-CI-2026-00004", version=2)

    response = APIClient().post(
        "/api/v1/documents/verify/",
        {"file": _pdf_upload(document_bytes(old))},
        format="multipart",
    )

    assert response.json()["genuine"] is True
    assert (response.json()["number"], response.json()["status"]) == (
        "NBF-CI-2026-00003",
        "superseded",
    )


def test_a_signed_in_browser_session_may_verify_without_a_csrf_token():
    parties = order_with_parties()
    document = issue_document(order=parties.order, number="NBF-CI-2026-00004")
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(parties.buyer_user)

    response = client.post(
        "/api/v1/documents/verify/",
        {"file": _pdf_upload(document_bytes(document))},
        format="multipart",
    )

    assert (response.status_code, response.json()["genuine"]) == (200, True)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "No file was submitted."),
        ({"file": ""}, "The submitted data was not a file. Check the encoding type on the form."),
        ({"file": SimpleUploadedFile("empty.pdf", b"")}, "The submitted file is empty."),
        (
            {"file": SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * (20 * 1024 * 1024))},
            "The file is larger than 20 MB.",
        ),
    ],
    ids=["missing", "not-a-file", "empty", "over-20-mb"],
)
def test_a_bad_upload_is_a_400_field_error_and_changes_nothing(data, error):
    _invoice()
    before = documents_state()

    response = APIClient().post("/api/v1/documents/verify/", data, format="multipart")

    assert (response.status_code, response.json()) == (400, {"file": [error]})
    assert documents_state() == before


def test_a_file_of_exactly_20_mb_is_checked():
    _invoice()

    response = APIClient().post(
        "/api/v1/documents/verify/",
        {"file": SimpleUploadedFile("big.pdf", b"0" * (20 * 1024 * 1024))},
        format="multipart",
    )

    assert (response.status_code, response.json()) == (200, {"genuine": False})


def test_a_json_body_is_refused_as_an_unsupported_media_type():
    _invoice()

    response = APIClient().post("/api/v1/documents/verify/", {"file": "x"}, format="json")

    assert response.status_code == 415


def test_uploads_are_throttled_at_30_a_minute_per_client():
    document = _invoice()
    client = APIClient()
    content = document_bytes(document)

    statuses = [
        client.post(
            "/api/v1/documents/verify/", {"file": _pdf_upload(content)}, format="multipart"
        ).status_code
        for _ in range(31)
    ]

    assert statuses == [200] * 30 + [429]
