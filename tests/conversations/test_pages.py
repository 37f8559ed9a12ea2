"""The conversation pages: inbox, thread with polling, sending, contact supplier, downloads,
the header count, the dispute form with evidence, and the admin."""

import re

import pytest
from django.test import Client

from orders.conversations import services
from orders.conversations.models import Conversation, ConversationReport, Message
from orders.enums import OrderStatus
from tests.conversations.factories import (
    delivered_order,
    fake_exe,
    outsider,
    parties,
    pdf,
    png,
    start,
    state,
)
from tests.factories import MembershipFactory, UserFactory, admin_login, staff_user
from tests.listings.factories import ListingFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_empty_inbox_says_how_to_start():
    p = parties()

    response = signed_in(p.buyer_user).get("/messages/")

    assert response.status_code == 200
    assert "No messages yet" in response.content.decode()


def test_the_inbox_lists_conversations_newest_first_with_unread_badges():
    p = parties()
    first = start(p, "Bolts?")
    washers = ListingFactory(seller=p.seller, published=True, title="Washers <b>M8</b>")
    second = services.conversation_start(
        company=p.buyer, actor=p.buyer_user, listing_id=washers.pk, message="Washers?"
    ).conversation

    html = signed_in(p.seller_user).get("/messages/").content.decode()

    assert html.index(f"/messages/{second.pk}/") < html.index(f"/messages/{first.pk}/")
    assert html.count("1 new") == 2
    assert "Washers &lt;b&gt;M8&lt;/b&gt;" in html and "<b>M8</b>" not in html
    assert "Rheinland Import GmbH" in html


def test_the_inbox_paginates_25_a_page():
    p = parties()
    for index in range(27):
        listing = ListingFactory(seller=p.seller, published=True, title=f"Part {index}")
        Conversation.objects.create(
            buyer=p.buyer, seller=p.seller, topic="listing", listing=listing, subject=listing.title
        )

    page_two = signed_in(p.buyer_user).get("/messages/", {"page": 2}).content.decode()

    assert "Page 2 of 2" in page_two
    assert page_two.count('class="inbox-row') == 2


def test_opening_a_conversation_shows_it_and_marks_it_read():
    p = parties()
    conversation = start(p, "Line one\n<script>alert(1)</script>")
    client = signed_in(p.seller_user)
    assert (
        '<span class="visually-hidden"> unread</span>' in client.get("/messages/").content.decode()
    )

    response = client.get(f"/messages/{conversation.pk}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Line one<br>&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert 'hx-trigger="every 4s"' in html
    assert f"/messages/{conversation.pk}/new/?after={conversation.messages.get().pk}" in html
    assert 'id="unread-count" class="nav-count" hidden' in html
    conversation.refresh_from_db()
    assert conversation.seller_unread == 0


def test_the_header_shows_the_unread_count():
    p = parties()
    start(p)

    html = signed_in(p.seller_user).get("/messages/").content.decode()

    assert re.search(r'id="unread-count" class="badge badge-warning nav-count">1<span', html)


def test_polling_returns_the_messages_after_the_last_seen_and_the_new_count():
    p = parties()
    conversation = start(p, "Question")
    last = conversation.messages.get().pk
    client = signed_in(p.buyer_user)
    nothing = client.get(f"/messages/{conversation.pk}/new/", {"after": last}).content.decode()
    services.conversation_message_post(
        conversation=conversation, company=p.seller, actor=p.seller_user, body="Answer"
    )

    response = client.get(f"/messages/{conversation.pk}/new/", {"after": last})

    html = response.content.decode()
    assert "Answer" in html and "Question" not in html
    assert 'hx-swap-oob="beforeend:#thread-list"' in html
    assert 'id="unread-count" class="nav-count" hx-swap-oob="outerHTML"' in html
    assert f"?after={last + 1}" in html
    assert "thread-list" not in nothing and f"?after={last}" in nothing
    assert (
        response["Cache-Control"].startswith("private") or "no-store" in response["Cache-Control"]
    )


def test_sending_a_message_with_a_file():
    p = parties()
    conversation = start(p)

    response = signed_in(p.seller_user).post(
        f"/messages/{conversation.pk}/send/",
        {"body": "Our datasheet", "attachments": [pdf("datasheet.pdf")]},
    )

    assert response.status_code == 302
    message = Message.objects.latest("pk")
    assert (message.body, message.author_company) == ("Our datasheet", p.seller)
    assert [a.original_name for a in message.attachments.all()] == ["datasheet.pdf"]


@pytest.mark.parametrize(
    "data, error",
    [
        ({"body": ""}, "Write a message or attach a file."),
        ({"body": "See", "attachments": [fake_exe()]}, "is not an accepted file"),
    ],
)
def test_an_empty_message_or_a_wrong_file_is_400_with_the_error_and_nothing_changes(data, error):
    p = parties()
    conversation = start(p)
    before = state()

    response = signed_in(p.seller_user).post(f"/messages/{conversation.pk}/send/", data)

    assert response.status_code == 400
    assert error in response.content.decode()
    assert state() == before


def test_another_companys_conversation_and_files_are_404():
    p = parties()
    conversation = start(p)
    message = services.conversation_message_post(
        conversation=conversation,
        company=p.seller,
        actor=p.seller_user,
        body="",
        attachments=[png()],
    )
    attachment = message.attachments.get()
    _, user = outsider()
    client = signed_in(user)
    before = state()

    answers = [
        client.get(f"/messages/{conversation.pk}/").status_code,
        client.get(f"/messages/{conversation.pk}/new/?after=0").status_code,
        client.post(f"/messages/{conversation.pk}/send/", {"body": "Hi"}).status_code,
        client.post(f"/messages/{conversation.pk}/report/", {"reason": "x"}).status_code,
        client.get(f"/messages/files/{attachment.pk}/").status_code,
    ]

    assert answers == [404] * 5
    assert state() == before


def test_parties_and_support_staff_download_a_file():
    p = parties()
    conversation = start(p)
    message = services.conversation_message_post(
        conversation=conversation,
        company=p.seller,
        actor=p.seller_user,
        body="",
        attachments=[png("sample.png")],
    )
    attachment = message.attachments.get()
    url = f"/messages/files/{attachment.pk}/"
    support = Client()
    admin_login(support, staff_user("support"))

    for client in (signed_in(p.buyer_user), signed_in(p.seller_user), support):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="sample.png"'
        assert response["X-Content-Type-Options"] == "nosniff"
    assert Client().get(url).status_code == 302  # to the sign-in page


def test_contact_supplier_on_the_listing_page_and_the_storefront():
    p = parties()
    client = signed_in(p.buyer_user)

    listing_page = client.get(f"/listings/{p.listing.pk}/").content.decode()
    storefront = client.get(f"/sellers/{p.seller.slug}/").content.decode()
    own = signed_in(p.seller_user).get(f"/listings/{p.listing.pk}/").content.decode()

    assert f'href="/listings/{p.listing.pk}/contact/">Contact supplier</a>' in listing_page
    assert f'href="/sellers/{p.seller.slug}/contact/">Contact supplier</a>' in storefront
    assert "Contact supplier" not in own


def test_contacting_a_supplier_from_a_listing_starts_the_conversation():
    p = parties()
    client = signed_in(p.buyer_user)
    assert client.get(f"/listings/{p.listing.pk}/contact/").status_code == 200

    response = client.post(
        f"/listings/{p.listing.pk}/contact/",
        {"body": "2,000 in blue, FOB Ningbo?", "attachments": [pdf("drawing.pdf")]},
    )

    conversation = Conversation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/messages/{conversation.pk}/"
    assert conversation.messages.get().attachments.count() == 1


def test_contacting_from_the_storefront_chooses_the_product():
    p = parties()
    client = signed_in(p.buyer_user)

    form = client.get(f"/sellers/{p.seller.slug}/contact/").content.decode()
    response = client.post(
        f"/sellers/{p.seller.slug}/contact/", {"listing": p.listing.pk, "body": "Price for 5k?"}
    )

    assert "Hex bolts M8" in form and 'name="listing"' in form
    assert response.status_code == 302
    assert Conversation.objects.get().listing == p.listing


def test_contact_refusals_change_nothing():
    p = parties()
    p.seller.buys = True
    p.seller.save()
    newcomer = MembershipFactory(company=p.buyer, user=UserFactory(email_confirmed_at=None)).user
    draft = ListingFactory(seller=p.seller)
    before = state()

    empty = signed_in(p.buyer_user).post(f"/listings/{p.listing.pk}/contact/", {"body": ""})
    own = signed_in(p.seller_user).post(f"/listings/{p.listing.pk}/contact/", {"body": "Me"})
    unconfirmed = signed_in(newcomer).post(f"/listings/{p.listing.pk}/contact/", {"body": "Hi"})
    unpublished = signed_in(p.buyer_user).post(f"/listings/{draft.pk}/contact/", {"body": "Hi"})

    assert empty.status_code == 400
    assert "Write your message to the supplier." in empty.content.decode()
    assert own.status_code == 400
    assert "This is your own company" in own.content.decode()
    assert unconfirmed.status_code == 403
    assert unpublished.status_code == 404
    assert state() == before


def test_reporting_from_the_page():
    p = parties()
    conversation = start(p)
    client = signed_in(p.seller_user)

    refused = client.post(f"/messages/{conversation.pk}/report/", {"reason": ""})
    assert refused.status_code == 400 and ConversationReport.objects.count() == 0
    done = client.post(f"/messages/{conversation.pk}/report/", {"reason": "Fake company"})

    assert done.status_code == 302
    assert ConversationReport.objects.get().reason == "Fake company"


def test_the_order_page_dispute_form_takes_a_photo_and_opens_the_conversation():
    p = parties()
    order = delivered_order(p)
    client = signed_in(p.buyer_user)
    assert 'enctype="multipart/form-data"' in client.get(f"/orders/{order.pk}/").content.decode()

    response = client.post(
        f"/orders/{order.pk}/dispute/",
        {"dispute-reason": "Rusty bolts", "dispute-evidence": [png("rust.png")]},
    )

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPUTED
    conversation = Conversation.objects.get(dispute=order.dispute)
    message = conversation.messages.get()
    assert (message.body, [a.original_name for a in message.attachments.all()]) == (
        "Rusty bolts",
        ["rust.png"],
    )
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert f'href="/messages/{conversation.pk}/">Dispute conversation and evidence' in page
    thread = signed_in(p.seller_user).get(f"/messages/{conversation.pk}/").content.decode()
    assert f'href="/orders/{order.pk}/">Order and dispute</a>' in thread


def test_a_dispute_with_a_wrong_file_is_400_and_nothing_changes():
    p = parties()
    order = delivered_order(p)
    before = state()

    response = signed_in(p.buyer_user).post(
        f"/orders/{order.pk}/dispute/",
        {"dispute-reason": "Rusty", "dispute-evidence": [fake_exe("rust.png")]},
    )

    assert response.status_code == 400
    assert "“rust.png” is named as a PNG image but its content is not a PNG image." in (
        response.content.decode()
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert state() == before


# ---------- admin ----------


def admin_client(*groups: str) -> Client:
    client = Client()
    admin_login(client, staff_user(*groups))
    return client


def test_staff_read_a_conversation_in_the_admin_escaped_with_hidden_bodies():
    p = parties()
    conversation = start(p, "<img src=x onerror=alert(1)> 2,000 in blue")
    services.message_hide(
        message=conversation.messages.get(), actor=staff_user("support"), reason="Test <b>"
    )
    client = admin_client("support")

    html = client.get(f"/admin/orders/conversation/{conversation.pk}/change/").content.decode()
    listing = client.get("/admin/orders/conversation/", {"q": "Rheinland"}).content.decode()

    assert "&lt;img src=x onerror=alert(1)&gt; 2,000 in blue" in html
    assert "<img src=x" not in html
    assert "Test &lt;b&gt;" in html
    assert "Hex bolts M8" in listing


def test_hiding_in_the_admin_needs_a_reason():
    p = parties()
    conversation = start(p)
    message = conversation.messages.get()
    client = admin_client("moderators")
    url = f"/admin/orders/conversation/{conversation.pk}/messages/{message.pk}/hide/"
    before = state()

    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400
    assert "Enter the reason: the parties are shown it." in refused.content.decode()
    assert state() == before
    assert admin_client("finance").post(url, {"reason": "Spam"}).status_code == 403

    done = client.post(url, {"reason": "Spam"})

    assert done.status_code == 302
    assert Message.objects.get().hidden_reason == "Spam"
    party_view = signed_in(p.seller_user).get(f"/messages/{conversation.pk}/").content.decode()
    assert "Hidden by the platform: Spam" in party_view


def test_staff_see_open_reports_and_resolve_them():
    p = parties()
    conversation = start(p)
    report = services.conversation_report(
        conversation=conversation, company=p.seller, actor=p.seller_user, reason="Scam <script>"
    )
    client = admin_client("support")

    listing = client.get("/admin/orders/conversationreport/", {"state": "open"}).content.decode()
    refused = client.post(f"/admin/orders/conversationreport/{report.pk}/resolve/", {"note": ""})
    done = client.post(
        f"/admin/orders/conversationreport/{report.pk}/resolve/", {"note": "Account closed."}
    )

    assert "Scam &lt;script&gt;" in listing
    assert refused.status_code == 400
    assert done.status_code == 302
    report.refresh_from_db()
    assert report.resolution_note == "Account closed."


def test_the_dispute_resolution_page_shows_the_conversation():
    p = parties()
    order = delivered_order(p)
    from orders import services as order_services

    order_services.order_dispute_open(
        order=order, actor=p.buyer_user, reason="Rusty bolts", evidence=[png("rust.png")]
    )
    conversation = Conversation.objects.get()
    services.conversation_message_post(
        conversation=conversation, company=p.seller, actor=p.seller_user, body="Packed dry."
    )
    client = admin_client("finance")

    html = client.get(f"/admin/payments/disputecase/{order.dispute.pk}/resolve/").content.decode()

    assert "Conversation between the parties" in html
    assert "Rusty bolts" in html and "Packed dry." in html
    assert "rust.png" in html
    assert "Resolve the dispute" in html
