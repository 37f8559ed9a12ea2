"""The public verification pages: a code box, a document's page, and "Check a copy"."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.documents.issued import (
    altered_by_one_byte,
    document_bytes,
    documents_state,
    issue_document,
    order_with_parties,
)

pytestmark = pytest.mark.django_db


def _invoice(**kwargs):
    parties = order_with_parties()
    return issue_document(order=parties.order, number="NBF-CI-2026-00004", **kwargs)


def test_the_verify_page_offers_a_code_box():
    response = Client().get("/documents/verify/")

    assert response.status_code == 200
    body = response.content.decode()
    assert '<label for="id_code">Verification code</label>' in body
    assert 'name="code"' in body


def test_a_known_code_in_the_box_opens_the_documents_page():
    document = _invoice()

    response = Client().get("/documents/verify/", {"code": f"  {document.verification_code} "})

    assert response.status_code == 302
    assert response["Location"] == f"/documents/verify/{document.verification_code}/"


def test_an_unknown_code_in_the_box_is_an_inline_error():
    _invoice()

    response = Client().get("/documents/verify/", {"code": "ZZZZZZZZZZZZZZ"})

    assert response.status_code == 404
    body = response.content.decode()
    assert "No document has this code." in body
    assert 'aria-invalid="true"' in body


def test_an_empty_code_is_an_inline_error():
    response = Client().get("/documents/verify/", {"code": ""})

    assert response.status_code == 400
    assert b"Enter the verification code printed on the document." in response.content


def test_the_documents_page_shows_what_it_is_who_issued_it_when_its_hash_and_status():
    document = _invoice()

    response = Client().get(f"/documents/verify/{document.verification_code}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Commercial invoice NBF-CI-2026-00004</h1>" in body
    assert "<dt>Issuer</dt><dd>Ningbo Fasteners Co., Ltd., China</dd>" in body
    assert '<time datetime="2026-03-02T09:30:00+00:00">2 March 2026</time>' in body
    assert f'<dd class="mono">{document.sha256}</dd>' in body
    assert "Current: this is the latest version of this document." in body
    assert "Check a copy" in body
    # Nothing else about the order: no buyer, no order number, no amounts.
    assert "Rheinland" not in body
    assert document.order.number not in body


def test_a_superseded_documents_page_says_superseded():
    document = _invoice(is_current=False)

    body = Client().get(f"/documents/verify/{document.verification_code}/").content.decode()

    assert "Superseded: a newer version of this document has been issued since." in body


def test_an_unknown_codes_page_is_404():
    _invoice()

    response = Client().get("/documents/verify/ZZZZZZZZZZZZZZ/")

    assert response.status_code == 404
    assert b"NBF-CI" not in response.content


def test_checking_the_exact_file_says_genuine():
    document = _invoice()

    response = Client().post(
        f"/documents/verify/{document.verification_code}/",
        {"file": SimpleUploadedFile("copy.pdf", document_bytes(document))},
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "<strong>GENUINE</strong>: the file you checked is exactly the file the platform" in body
    assert "NOT GENUINE" not in body


def test_checking_a_copy_altered_by_one_byte_says_not_genuine():
    document = _invoice()

    response = Client().post(
        f"/documents/verify/{document.verification_code}/",
        {"file": SimpleUploadedFile("copy.pdf", altered_by_one_byte(document_bytes(document)))},
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert "<strong>NOT GENUINE</strong>: this file differs from what the platform issued" in body
    assert "<strong>GENUINE</strong>" not in body


def test_another_genuine_document_is_not_genuine_on_this_documents_page():
    document = _invoice()
    other = issue_document(order=document.order, kind="packing_list", number="NBF-PL-2026-00004")

    response = Client().post(
        f"/documents/verify/{document.verification_code}/",
        {"file": SimpleUploadedFile("copy.pdf", document_bytes(other))},
    )

    assert b"<strong>NOT GENUINE</strong>" in response.content


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, "Choose the PDF file you want to check."),
        ({"file": SimpleUploadedFile("empty.pdf", b"")}, "The chosen file is empty."),
        (
            {"file": SimpleUploadedFile("big.pdf", b"0" * (20 * 1024 * 1024 + 1))},
            "The file is larger than 20 MB.",
        ),
    ],
    ids=["missing", "empty", "over-20-mb"],
)
def test_a_missing_or_empty_file_is_an_inline_error_and_changes_nothing(data, error):
    document = _invoice()
    before = documents_state()

    response = Client().post(f"/documents/verify/{document.verification_code}/", data)

    assert response.status_code == 400
    body = response.content.decode()
    assert error in body
    assert 'aria-invalid="true"' in body
    assert 'aria-describedby="id_file_helptext id_file_error"' in body
    assert "GENUINE" not in body
    assert documents_state() == before


def test_checks_on_the_page_are_throttled_at_30_a_minute_per_address():
    document = _invoice()
    client = Client()
    content = document_bytes(document)

    responses = [
        client.post(
            f"/documents/verify/{document.verification_code}/",
            {"file": SimpleUploadedFile("copy.pdf", content)},
        )
        for _ in range(31)
    ]

    assert [r.status_code for r in responses] == [200] * 30 + [429]
    assert b"Too many checks from your address." in responses[-1].content
    assert b"<strong>GENUINE</strong>" not in responses[-1].content
