"""Browser: the documents block on the order page, its htmx polling, and the downloads."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.documents.issued import (
    Parties,
    document_bytes,
    documents_state,
    issue_document,
    order_with_parties,
)

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _long_ago(parties: Parties) -> None:
    """Confirmed and shipped long enough ago that a missing document is no longer awaited."""
    moment = timezone.now() - timedelta(days=3)
    type(parties.order).objects.filter(pk=parties.order.pk).update(
        confirmed_at=moment, shipped_at=moment
    )
    parties.order.refresh_from_db()


def test_the_order_page_lists_the_documents_with_downloads_for_the_buyer():
    parties = order_with_parties()
    _long_ago(parties)
    invoice = issue_document(order=parties.order, number="NBF-CI-2026-00004")

    response = _client(parties.buyer_user).get(f"/orders/{parties.order.pk}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="order-documents"' in body
    assert "NBF-CI-2026-00004" in body
    assert f'href="/documents/{invoice.pk}/download/"' in body
    assert f'href="/documents/verify/{invoice.verification_code}/"' in body
    assert 'hx-trigger="every 2s"' not in body


def test_a_pending_document_shows_progress_and_the_block_polls_every_two_seconds():
    parties = order_with_parties()
    _long_ago(parties)
    issue_document(order=parties.order, number="NBF-CI-2026-00004")
    issue_document(order=parties.order, kind="packing_list", status="pending")

    response = _client(parties.seller_user).get(f"/orders/{parties.order.pk}/")

    body = response.content.decode()
    assert f'hx-get="/documents/orders/{parties.order.pk}/"' in body
    assert 'hx-trigger="every 2s"' in body
    assert 'hx-swap="outerHTML"' in body
    assert '<progress class="progress" aria-label="Preparing the packing list">' in body


def test_just_after_shipping_the_missing_documents_are_awaited_and_the_block_polls():
    parties = order_with_parties()  # shipped just now, no document rows yet

    response = _client(parties.buyer_user).get(f"/documents/orders/{parties.order.pk}/")

    assert response.status_code == 200
    body = response.content.decode()
    assert 'hx-trigger="every 2s"' in body
    for label in (
        "Proforma invoice",
        "Commercial invoice",
        "Packing list",
        "Certificate of origin application",
    ):
        assert f'aria-label="Preparing the {label.lower()}"' in body


def test_the_polled_block_stops_polling_once_every_document_is_ready():
    parties = order_with_parties()
    for kind, number in (
        ("proforma_invoice", "NBF-PI-2026-00001"),
        ("commercial_invoice", "NBF-CI-2026-00001"),
        ("packing_list", "NBF-PL-2026-00001"),
        ("certificate_of_origin", "NBF-CO-2026-00001"),
    ):
        issue_document(order=parties.order, kind=kind, number=number)

    response = _client(parties.buyer_user).get(f"/documents/orders/{parties.order.pk}/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "hx-trigger" not in body
    assert body.count("Download") == 4
    assert "<progress" not in body


def test_superseded_versions_are_listed_apart_as_earlier_versions():
    parties = order_with_parties()
    _long_ago(parties)
    old = issue_document(order=parties.order, number="NBF-CI-2026-00003", is_current=False)
    issue_document(order=parties.order, number="NBF-CI-2026-00004", version=2)

    response = _client(parties.buyer_user).get(f"/documents/orders/{parties.order.pk}/")
    body = response.content.decode()

    assert "Earlier versions (1)" in body
    earlier = body.split("Earlier versions")[1]
    assert "NBF-CI-2026-00003" in earlier and f"/documents/{old.pk}/download/" in earlier
    assert "NBF-CI-2026-00004" not in earlier


def test_a_failed_document_shows_its_message():
    parties = order_with_parties()
    _long_ago(parties)
    issue_document(
        order=parties.order,
        kind="certificate_of_origin",
        status="failed",
        message="The seller has no address.",
    )

    body = _client(parties.seller_user).get(f"/documents/orders/{parties.order.pk}/").content

    assert b"Failed" in body and b"The seller has no address." in body


@pytest.mark.parametrize("who", ["outsider", "anonymous"])
def test_the_polled_block_is_404_for_anyone_else(who):
    parties = order_with_parties()
    issue_document(order=parties.order, number="NBF-CI-2026-00004")

    response = _client(parties.outsider if who == "outsider" else None).get(
        f"/documents/orders/{parties.order.pk}/"
    )

    assert response.status_code == 404
    assert b"NBF-CI-2026-00004" not in response.content


@pytest.mark.parametrize("who", ["buyer_user", "seller_user", "staff_user"])
def test_the_parties_and_staff_download_the_pdf_in_the_browser(who):
    parties = order_with_parties()
    document = issue_document(order=parties.order, number="NBF-CI-2026-00004")

    response = _client(getattr(parties, who)).get(f"/documents/{document.pk}/download/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="NBF-CI-2026-00004.pdf"'
    assert b"".join(response.streaming_content) == document_bytes(document)


def test_another_company_gets_404_for_a_browser_download():
    parties = order_with_parties()
    document = issue_document(order=parties.order, number="NBF-CI-2026-00004")
    before = documents_state()

    response = _client(parties.outsider).get(f"/documents/{document.pk}/download/")

    assert response.status_code == 404
    assert b"%PDF" not in response.content
    assert documents_state() == before


def test_a_signed_out_visitor_is_sent_to_sign_in_whether_or_not_the_document_exists():
    parties = order_with_parties()
    document = issue_document(order=parties.order, number="NBF-CI-2026-00004")

    existing = _client().get(f"/documents/{document.pk}/download/")
    missing = _client().get("/documents/987654/download/")

    assert existing.status_code == missing.status_code == 302
    assert existing["Location"] == f"/accounts/login/?next=/documents/{document.pk}/download/"
    assert missing["Location"] == "/accounts/login/?next=/documents/987654/download/"


def test_a_pending_document_is_not_downloadable_and_the_page_says_why():
    parties = order_with_parties()
    document = issue_document(order=parties.order, kind="packing_list", status="pending")

    response = _client(parties.buyer_user).get(f"/documents/{document.pk}/download/")

    assert response.status_code == 409
    assert b"The packing list is still being prepared." in response.content
