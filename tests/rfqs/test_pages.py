"""The RFQ pages: post one through the form, My RFQs, the board, the detail, close/cancel,
and the attachments only for who may see the RFQ."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.rfqs import services
from orders.rfqs.models import RFQ, RFQAttachment, RFQEvent, RFQStatus, RFQVisibility
from tests.factories import MembershipFactory, UserFactory
from tests.listings.factories import hs_code_ensure
from tests.rfqs.factories import RFQFactory, pdf_upload, rfq_input, seller_in

pytestmark = pytest.mark.django_db


def _form_data(tree, **overrides):
    closes = timezone.localdate() + timedelta(days=10)
    data = {
        "title": "Nitrile gloves, size M",
        "description": "Powder-free, 100 per box, EN 455.",
        "category": str(tree.fasteners.pk),
        "hs_code": "731815",
        "quantity": "2000",
        "unit": "box",
        "target_unit_price": "3.2500",
        "currency": "EUR",
        "destination_country": "DE",
        "named_place": "Hamburg",
        "incoterms": ["FOB", "CIF"],
        "needed_by": (closes + timedelta(days=30)).isoformat(),
        "closes_on": closes.isoformat(),
        "visibility": "public",
    }
    data.update(overrides)
    return data


def test_the_form_page_shows_every_field_with_its_label(client, buyer_user, tree):
    client.force_login(buyer_user)

    response = client.get(reverse("rfqs:create"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Post a request for quotation</h1>" in html
    for label in (
        "What do you want to buy?",
        "Category",
        "HS code (optional)",
        "Quantity",
        "Target unit price (optional)",
        "Destination country",
        "Named place",
        "FOB — Free On Board",
        "Quotes accepted until",
        "Invited sellers only",
        "Attachments (optional)",
    ):
        assert label in html, label


def test_a_buyer_posts_an_rfq_through_the_form(client, buyer, buyer_user, tree):
    hs_code_ensure("731815")
    client.force_login(buyer_user)

    response = client.post(
        reverse("rfqs:create"), _form_data(tree, attachments=[pdf_upload("drawing.pdf")])
    )

    rfq = RFQ.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("rfqs:detail", args=[rfq.pk])
    assert (rfq.buyer, rfq.title, rfq.quantity, rfq.unit) == (
        buyer,
        "Nitrile gloves, size M",
        2000,
        "box",
    )
    assert str(rfq.target_unit_price) == "3.2500" and rfq.currency == "EUR"
    assert rfq.incoterms == ["FOB", "CIF"]
    closes = timezone.localdate() + timedelta(days=10)
    assert rfq.closes_at.isoformat() == f"{closes.isoformat()}T23:59:59+00:00"
    assert [a.original_name for a in rfq.attachments.all()] == ["drawing.pdf"]
    detail = client.get(response["Location"]).content.decode()
    assert "Nitrile gloves, size M" in detail
    assert "2,000 boxes" in detail
    assert "Your request for quotation is posted." in detail


def test_a_closing_date_in_the_past_is_shown_inline_and_nothing_is_written(
    client, buyer_user, tree
):
    hs_code_ensure("731815")
    client.force_login(buyer_user)
    yesterday = timezone.localdate() - timedelta(days=1)

    response = client.post(
        reverse("rfqs:create"),
        _form_data(tree, closes_on=yesterday.isoformat(), hs_code="999999", quantity="0"),
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was posted." in html
    assert "The closing date is in the past: choose a later one." in html
    assert "Ensure this value is greater than or equal to 1." in html
    assert "999999 is not an HS 2022 subheading." in html
    assert RFQ.objects.count() == 0 and RFQEvent.objects.count() == 0


def test_service_errors_land_on_their_fields(client, buyer_user, tree):
    hs_code_ensure("731815")
    client.force_login(buyer_user)

    response = client.post(
        reverse("rfqs:create"),
        _form_data(tree, visibility="invited", needed_by=timezone.localdate().isoformat()),
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Invite at least one seller, or make the RFQ public." in html
    assert "The needed-by date cannot be before the RFQ closes" in html
    assert 'id="id_invited_sellers_error"' in html and 'id="id_needed_by_error"' in html
    assert RFQ.objects.count() == 0


def test_my_rfqs_lists_the_buyers_rfqs_with_status_and_quote_count(client, buyer, buyer_user):
    RFQFactory(buyer=buyer, title="Hex bolts M8")
    RFQFactory(buyer=buyer, title="Washers M8", status=RFQStatus.CLOSED)
    RFQFactory(title="Somebody else's")
    client.force_login(buyer_user)

    response = client.get(reverse("rfqs:list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>My RFQs</h1>" in html
    assert "Hex bolts M8" in html and "Washers M8" in html
    assert "Somebody else" not in html
    assert html.count("data-quote-count>0<") == 2
    closed_only = client.get(reverse("rfqs:list") + "?view=mine&status=closed").content.decode()
    assert "Washers M8" in closed_only and "Hex bolts M8" not in closed_only


def test_my_rfqs_empty_state_invites_to_post(client, buyer_user):
    client.force_login(buyer_user)

    html = client.get(reverse("rfqs:list")).content.decode()

    assert "You have not posted an RFQ yet" in html
    assert reverse("rfqs:create") in html


def test_the_board_shows_a_seller_the_open_rfqs_of_its_category_and_filters(client, tree):
    seller = seller_in(tree.fasteners, legal_name="Ningbo Fasteners Co., Ltd.")
    RFQFactory(title="Hex bolts to Germany", category=tree.fasteners, destination_country="DE")
    RFQFactory(title="Bolts to France", category=tree.fasteners, destination_country="FR")
    RFQFactory(title="Basmati lot", category=tree.food)
    RFQFactory(title="Closed bolts", category=tree.fasteners, status=RFQStatus.CLOSED)
    client.force_login(seller.members.get())

    html = client.get(reverse("rfqs:list")).content.decode()
    filtered = client.get(
        reverse("rfqs:list") + "?view=board&destination_country=FR"
    ).content.decode()

    assert "<h1>RFQ board</h1>" in html
    assert "Hex bolts to Germany" in html and "Bolts to France" in html
    assert "Basmati lot" not in html and "Closed bolts" not in html
    assert "Bolts to France" in filtered and "Hex bolts to Germany" not in filtered


def test_the_board_has_an_empty_state(client, tree):
    seller = seller_in(tree.fasteners)
    client.force_login(seller.members.get())

    html = client.get(reverse("rfqs:list")).content.decode()

    assert "No open RFQs for you right now" in html


def test_the_detail_gives_a_seller_what_it_needs_to_quote(client, tree):
    seller = seller_in(tree.fasteners)
    rfq = RFQFactory(category=tree.fasteners, needed_by=timezone.localdate() + timedelta(days=40))
    client.force_login(seller.members.get())

    response = client.get(reverse("rfqs:detail", args=[rfq.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "5,000 pieces" in html
    assert "USD 0.0350" in html
    assert "Hamburg, Germany" in html
    assert "FOB</abbr> Free On Board" in html
    assert "Send a quote" in html
    assert f'href="/messages/new/?rfq={rfq.pk}"' in html
    assert "Close the RFQ" not in html


def test_the_buyer_closes_and_cancels_from_the_detail(client, buyer, buyer_user):
    first = RFQFactory(buyer=buyer)
    second = RFQFactory(buyer=buyer)
    client.force_login(buyer_user)

    page = client.get(reverse("rfqs:detail", args=[first.pk])).content.decode()
    closed = client.post(reverse("rfqs:close", args=[first.pk]))
    cancelled = client.post(
        reverse("rfqs:cancel", args=[second.pk]), {"cancel-reason": "Project postponed"}
    )

    assert "Close the RFQ" in page and "data-confirm=" in page
    assert closed.status_code == 302 and cancelled.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.close_reason) == ("closed", "buyer")
    assert second.status == "cancelled"
    assert second.events.last().note == "Project postponed"


def test_closing_a_closed_rfq_on_the_page_is_a_409_and_changes_nothing(client, buyer, buyer_user):
    rfq = RFQFactory(buyer=buyer, status=RFQStatus.CLOSED, close_reason="deadline")
    client.force_login(buyer_user)

    response = client.post(reverse("rfqs:close", args=[rfq.pk]))

    assert response.status_code == 409
    assert "Not possible now" in response.content.decode()
    rfq.refresh_from_db()
    assert (rfq.status, rfq.close_reason, rfq.events.count()) == ("closed", "deadline", 1)


def test_an_invited_only_rfq_of_others_is_a_404_page(client, tree):
    outsider = seller_in(tree.fasteners)
    rfq = RFQFactory(category=tree.fasteners, visibility=RFQVisibility.INVITED)
    client.force_login(outsider.members.get())

    assert client.get(reverse("rfqs:detail", args=[rfq.pk])).status_code == 404
    assert client.post(reverse("rfqs:close", args=[rfq.pk])).status_code == 404
    rfq.refresh_from_db()
    assert rfq.status == "open"


def test_a_seller_who_sees_the_rfq_cannot_close_it(client, tree):
    seller = seller_in(tree.fasteners)
    rfq = RFQFactory(category=tree.fasteners)
    client.force_login(seller.members.get())

    response = client.post(reverse("rfqs:close", args=[rfq.pk]))

    assert response.status_code == 403
    rfq.refresh_from_db()
    assert rfq.status == "open"


def test_attachments_download_only_for_who_may_see_the_rfq(client, buyer, buyer_user, tree):
    rfq = services.rfq_create(
        actor=buyer_user, buyer=buyer, **rfq_input(attachments=[pdf_upload("drawing.pdf")])
    )
    attachment = RFQAttachment.objects.get()
    url = reverse("rfqs:attachment", args=[rfq.pk, attachment.pk])
    seller = seller_in(tree.fasteners)
    stranger = seller_in(tree.food)
    no_company = UserFactory()

    client.force_login(seller.members.get())
    allowed = client.get(url)
    body = b"".join(allowed.streaming_content)
    client.force_login(stranger.members.get())
    refused = client.get(url)
    client.force_login(no_company)
    companyless = client.get(url)

    assert allowed.status_code == 200
    assert body.startswith(b"%PDF-")
    assert allowed["Content-Disposition"] == 'attachment; filename="drawing.pdf"'
    assert allowed["X-Content-Type-Options"] == "nosniff"
    assert refused.status_code == 404
    assert companyless.status_code == 403


def test_a_seller_only_company_cannot_open_the_form(client, tree):
    seller = seller_in(tree.fasteners)
    client.force_login(seller.members.get())

    assert client.get(reverse("rfqs:create")).status_code == 403


def test_the_nav_links_to_rfqs_by_role(client, buyer_user, tree):
    seller = seller_in(tree.fasteners)
    client.force_login(buyer_user)
    buyer_nav = client.get(reverse("rfqs:list")).content.decode()
    client.force_login(seller.members.get())
    seller_nav = client.get(reverse("rfqs:list")).content.decode()
    both = MembershipFactory().user  # CompanyFactory both buys and sells by default
    client.force_login(both)
    both_nav = client.get(reverse("rfqs:list")).content.decode()

    assert f'<a href="{reverse("rfqs:create")}"' in buyer_nav and ">Post an RFQ</a>" in buyer_nav
    assert ">RFQ board</a></li>" in seller_nav
    assert ">RFQs</a></li>" in both_nav
