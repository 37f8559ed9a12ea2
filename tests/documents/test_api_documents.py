"""The parties' documents API: the order's list and the PDF download, 404 for everyone else."""

import pytest
from rest_framework.test import APIClient

from tests.documents.issued import (
    Parties,
    document_bytes,
    documents_state,
    issue_document,
    order_with_parties,
)
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _client(parties: Parties, who: str) -> APIClient:
    client = APIClient()
    user = {
        "buyer": parties.buyer_user,
        "seller": parties.seller_user,
        "staff": parties.staff_user,
        "outsider": parties.outsider,
        "anonymous": None,
    }[who]
    if user is not None:
        client.force_authenticate(user)
    return client


def _documents(parties: Parties) -> dict:
    order = parties.order
    return {
        "proforma": issue_document(
            order=order, kind="proforma_invoice", number="NBF-PI-2026-00007"
        ),
        "invoice_v1": issue_document(
            order=order, kind="commercial_invoice", number="NBF-CI-2026-00003", is_current=False
        ),
        "invoice_v2": issue_document(
            order=order, kind="commercial_invoice", number="NBF-CI-2026-00004", version=2
        ),
        "packing": issue_document(order=order, kind="packing_list", status="pending"),
        "origin": issue_document(
            order=order,
            kind="certificate_of_origin",
            status="failed",
            message="The HS code 731815 of line 1 has no description.",
        ),
    }


def test_the_buyer_lists_every_version_of_the_orders_documents_in_issue_order():
    parties = order_with_parties()
    docs = _documents(parties)

    response = _client(parties, "buyer").get(f"/api/v1/orders/{parties.order.pk}/documents/")

    assert response.status_code == 200
    proforma, invoice_v2, invoice_v1 = docs["proforma"], docs["invoice_v2"], docs["invoice_v1"]
    assert response.json() == [
        {
            "id": proforma.pk,
            "kind": "proforma_invoice",
            "number": "NBF-PI-2026-00007",
            "version": 1,
            "status": "ready",
            "sha256": proforma.sha256,
            "verification_code": proforma.verification_code,
            "issued_at": "2026-03-02T09:30:00Z",
            "is_current": True,
            "message": None,
            "download_url": f"http://testserver/api/v1/documents/{proforma.pk}/download/",
        },
        {
            "id": invoice_v2.pk,
            "kind": "commercial_invoice",
            "number": "NBF-CI-2026-00004",
            "version": 2,
            "status": "ready",
            "sha256": invoice_v2.sha256,
            "verification_code": invoice_v2.verification_code,
            "issued_at": "2026-03-02T09:30:00Z",
            "is_current": True,
            "message": None,
            "download_url": f"http://testserver/api/v1/documents/{invoice_v2.pk}/download/",
        },
        {
            "id": invoice_v1.pk,
            "kind": "commercial_invoice",
            "number": "NBF-CI-2026-00003",
            "version": 1,
            "status": "ready",
            "sha256": invoice_v1.sha256,
            "verification_code": invoice_v1.verification_code,
            "issued_at": "2026-03-02T09:30:00Z",
            "is_current": False,
            "message": None,
            "download_url": f"http://testserver/api/v1/documents/{invoice_v1.pk}/download/",
        },
        {
            "id": docs["packing"].pk,
            "kind": "packing_list",
            "number": None,
            "version": 1,
            "status": "pending",
            "sha256": "",
            "verification_code": docs["packing"].verification_code,
            "issued_at": None,
            "is_current": False,
            "message": None,
            "download_url": None,
        },
        {
            "id": docs["origin"].pk,
            "kind": "certificate_of_origin",
            "number": None,
            "version": 1,
            "status": "failed",
            "sha256": "",
            "verification_code": docs["origin"].verification_code,
            "issued_at": None,
            "is_current": False,
            "message": "The HS code 731815 of line 1 has no description.",
            "download_url": None,
        },
    ]
    assert len(proforma.sha256) == 64


@pytest.mark.parametrize("who", ["buyer", "seller", "staff"])
def test_the_parties_and_staff_list_the_orders_documents(who):
    parties = order_with_parties()
    document = issue_document(order=parties.order, number="NBF-CI-2026-00001")

    response = _client(parties, who).get(f"/api/v1/orders/{parties.order.pk}/documents/")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()] == [document.pk]


@pytest.mark.parametrize("who", ["outsider", "anonymous"])
def test_anyone_else_gets_404_for_the_list_as_for_an_order_that_does_not_exist(who):
    parties = order_with_parties()
    issue_document(order=parties.order, number="NBF-CI-2026-00001")

    response = _client(parties, who).get(f"/api/v1/orders/{parties.order.pk}/documents/")
    missing = _client(parties, "buyer").get(f"/api/v1/orders/{parties.order.pk + 999}/documents/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not found."})


def test_an_order_without_documents_lists_none():
    parties = order_with_parties()

    response = _client(parties, "seller").get(f"/api/v1/orders/{parties.order.pk}/documents/")

    assert (response.status_code, response.json()) == (200, [])


def test_the_list_takes_a_constant_number_of_queries(django_assert_max_num_queries):
    parties = order_with_parties()
    _documents(parties)
    client = _client(parties, "buyer")

    with django_assert_max_num_queries(4):
        response = client.get(f"/api/v1/orders/{parties.order.pk}/documents/")

    assert len(response.json()) == 5


@pytest.mark.parametrize("who", ["buyer", "seller", "staff"])
def test_the_parties_and_staff_download_the_exact_pdf_named_after_its_number(who):
    parties = order_with_parties()
    document = issue_document(order=parties.order, number="NBF-CI-2026-00001")

    response = _client(parties, who).get(f"/api/v1/documents/{document.pk}/download/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="NBF-CI-2026-00001.pdf"'
    assert b"".join(response.streaming_content) == document_bytes(document)


def test_a_download_asking_for_pdf_in_accept_still_gets_the_pdf():
    parties = order_with_parties()
    document = issue_document(order=parties.order, number="NBF-CI-2026-00001")

    response = _client(parties, "buyer").get(
        f"/api/v1/documents/{document.pk}/download/", HTTP_ACCEPT="application/pdf"
    )

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == document_bytes(document)


def test_another_company_gets_404_for_a_download():
    parties = order_with_parties()
    document = issue_document(order=parties.order, number="NBF-CI-2026-00001")
    before = documents_state()

    response = _client(parties, "outsider").get(f"/api/v1/documents/{document.pk}/download/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert documents_state() == before


def test_a_signed_out_client_gets_401_whether_or_not_the_document_exists():
    parties = order_with_parties()
    document = issue_document(order=parties.order, number="NBF-CI-2026-00001")

    existing = _client(parties, "anonymous").get(f"/api/v1/documents/{document.pk}/download/")
    missing = _client(parties, "anonymous").get("/api/v1/documents/987654/download/")

    for response in (existing, missing):
        assert response.status_code == 401
        assert response.json() == {"detail": "Authentication credentials were not provided."}
        assert response["WWW-Authenticate"] == "Token"


def test_a_download_of_a_document_that_does_not_exist_is_404():
    parties = order_with_parties()

    response = _client(parties, "staff").get("/api/v1/documents/987654/download/")

    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


@pytest.mark.parametrize("status", ["pending", "failed"])
def test_a_document_that_is_not_ready_cannot_be_downloaded_409_with_its_status(status):
    parties = order_with_parties()
    document = issue_document(order=parties.order, kind="packing_list", status=status)
    before = documents_state()

    response = _client(parties, "seller").get(f"/api/v1/documents/{document.pk}/download/")

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"The document is {status}, not ready for download.",
        "code": "document_not_ready",
        "status": status,
    }
    assert documents_state() == before


def test_the_x_company_header_picks_which_party_a_member_of_two_companies_acts_for():
    parties = order_with_parties()
    document = issue_document(order=parties.order, number="NBF-CI-2026-00001")
    # The outsider also belongs to the buyer: as the buyer they see it, as their own company not.
    MembershipFactory(company=parties.buyer, user=parties.outsider)
    client = _client(parties, "outsider")
    own = parties.outsider.memberships.exclude(company=parties.buyer).get().company

    as_buyer = client.get(
        f"/api/v1/documents/{document.pk}/download/", HTTP_X_COMPANY=str(parties.buyer.pk)
    )
    as_own = client.get(f"/api/v1/documents/{document.pk}/download/", HTTP_X_COMPANY=str(own.pk))

    assert as_buyer.status_code == 200
    assert as_own.status_code == 404
