"""The access and verification paths with documents made by the real generator."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader
from rest_framework.test import APIClient

from orders.documents.services import trade_document_generate
from tests.documents.factories import SELLER_NAME, document_order
from tests.documents.issued import altered_by_one_byte
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_a_generated_invoice_downloads_for_the_buyer_and_verifies_as_genuine_byte_for_byte():
    order = document_order()
    buyer_user = MembershipFactory(company=order.buyer).user
    invoice = trade_document_generate(order_id=order.pk, kind="commercial_invoice")
    client = APIClient()
    client.force_authenticate(buyer_user)

    listed = client.get(f"/api/v1/orders/{order.pk}/documents/").json()
    download = client.get(listed[0]["download_url"])
    content = b"".join(download.streaming_content)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    anonymous = APIClient()
    genuine = anonymous.post(
        "/api/v1/documents/verify/",
        {"file": SimpleUploadedFile("ci.pdf", content)},
        format="multipart",
    )
    altered = anonymous.post(
        "/api/v1/documents/verify/",
        {"file": SimpleUploadedFile("ci.pdf", altered_by_one_byte(content))},
        format="multipart",
    )
    by_code = anonymous.get(f"/api/v1/documents/verify/{listed[0]['verification_code']}/")

    assert [(row["id"], row["kind"], row["status"]) for row in listed] == [
        (invoice.pk, "commercial_invoice", "ready")
    ]
    assert download["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    assert order.number in text and SELLER_NAME in text
    assert invoice.verification_code in text
    assert genuine.json() == {
        "genuine": True,
        "kind": "commercial_invoice",
        "number": invoice.number,
        "version": 1,
        "issued_at": invoice.issued_at.isoformat().replace("+00:00", "Z"),
        "issuer": {"name": SELLER_NAME, "country": "CN"},
        "sha256": invoice.sha256,
        "status": "current",
    }
    assert altered.json() == {"genuine": False}
    assert by_code.json()["number"] == invoice.number


def test_a_regenerated_version_supersedes_the_first_on_the_verification_endpoint():
    order = document_order()
    first = trade_document_generate(order_id=order.pk, kind="packing_list")
    second = trade_document_generate(order_id=order.pk, kind="packing_list", force=True)

    old = APIClient().get(f"/api/v1/documents/verify/{first.verification_code}/").json()
    new = APIClient().get(f"/api/v1/documents/verify/{second.verification_code}/").json()

    assert (old["version"], old["status"]) == (1, "superseded")
    assert (new["version"], new["status"]) == (2, "current")
    assert old["number"] != new["number"]
