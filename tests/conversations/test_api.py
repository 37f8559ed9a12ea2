"""The conversations API: start, list with unread counts, messages with polling and files,
read, report; refusals that change nothing; queries constant in page size."""

import pytest

from orders.conversations import services
from orders.conversations.models import Conversation, ConversationReport, Message
from tests.conversations.factories import (
    delivered_order,
    fake_exe,
    outsider,
    parties,
    pdf,
    png,
    rfq_for,
    start,
    state,
    too_large,
)
from tests.factories import MembershipFactory, UserFactory, staff_user
from tests.listings.factories import ListingFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/conversations/"


def as_company(api_client, user, company):
    api_client.force_authenticate(user)
    api_client.credentials(HTTP_X_COMPANY=str(company.pk))
    return api_client


def test_a_buyer_starts_a_conversation_about_a_listing(api_client):
    p = parties()
    client = as_company(api_client, p.buyer_user, p.buyer)

    response = client.post(
        URL, {"listing": p.listing.pk, "message": "2,000 pcs in blue?"}, format="json"
    )

    assert response.status_code == 201
    conversation = Conversation.objects.get()
    body = response.json()
    assert body == {
        "id": conversation.pk,
        "subject": "Hex bolts M8",
        "topic": "listing",
        "companies": {
            "buyer": {"id": p.buyer.pk, "name": "Rheinland Import GmbH", "country": "DE"},
            "seller": {"id": p.seller.pk, "name": "Ningbo Fasteners Co., Ltd.", "country": "CN"},
        },
        "listing": p.listing.pk,
        "rfq": None,
        "quote": None,
        "order": None,
        "dispute": None,
        "message_count": 1,
        "last_message_at": body["last_message_at"],
        "created": body["created"],
        "unread": 0,
    }
    assert body["last_message_at"] is not None


def test_starting_again_answers_200_with_the_same_conversation(api_client):
    p = parties()
    conversation = start(p)
    client = as_company(api_client, p.buyer_user, p.buyer)

    response = client.post(URL, {"listing": p.listing.pk, "message": "Any news?"}, format="json")

    assert response.status_code == 200
    assert (response.json()["id"], response.json()["message_count"]) == (conversation.pk, 2)


def test_a_seller_starts_about_an_rfq_and_either_party_about_an_order(api_client):
    p = parties()
    rfq = rfq_for(p.buyer)
    order = delivered_order(p)
    client = as_company(api_client, p.seller_user, p.seller)

    about_rfq = client.post(URL, {"rfq": rfq.pk, "message": "A2 steel?"}, format="json")
    about_order = client.post(URL, {"order": order.pk, "message": "Shipped."}, format="json")

    assert (about_rfq.status_code, about_rfq.json()["topic"]) == (201, "rfq")
    assert (about_order.status_code, about_order.json()["subject"]) == (
        201,
        f"Order {order.number}",
    )


@pytest.mark.parametrize(
    "payload, errors",
    [
        ({"message": "Hi"}, {"non_field_errors": ["Name exactly one of listing, rfq or order."]}),
        ({"listing": 1, "order": 2, "message": "Hi"}, None),
        ({"listing": "LISTING", "message": "Hi"}, {"listing": ["A valid integer is required."]}),
    ],
)
def test_a_start_that_names_no_or_two_objects_is_400_and_nothing_changes(
    api_client, payload, errors
):
    p = parties()
    client = as_company(api_client, p.buyer_user, p.buyer)
    before = state()

    response = client.post(URL, payload, format="json")

    assert response.status_code == 400
    if errors is not None:
        assert response.json() == errors
    assert state() == before


def test_an_empty_first_message_is_400_and_nothing_changes(api_client):
    p = parties()
    client = as_company(api_client, p.buyer_user, p.buyer)
    before = state()

    response = client.post(URL, {"listing": p.listing.pk, "message": "  "}, format="json")

    assert response.status_code == 400
    assert response.json() == {"message": ["This field may not be blank."]}
    assert state() == before


def test_ones_own_listing_is_400_and_nothing_changes(api_client):
    p = parties()
    p.seller.buys = True
    p.seller.save()
    client = as_company(api_client, p.seller_user, p.seller)
    before = state()

    response = client.post(URL, {"listing": p.listing.pk, "message": "Me?"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "listing": ["This listing is your own company's; write to other companies' suppliers."]
    }
    assert state() == before


def test_an_unconfirmed_email_is_403_and_nothing_changes(api_client):
    p = parties()
    conversation = start(p)
    newcomer = MembershipFactory(company=p.buyer, user=UserFactory(email_confirmed_at=None)).user
    client = as_company(api_client, newcomer, p.buyer)
    before = state()

    started = client.post(URL, {"listing": p.listing.pk, "message": "Hello"}, format="json")
    posted = client.post(f"{URL}{conversation.pk}/messages/", {"body": "Hi"}, format="json")

    assert (started.status_code, posted.status_code) == (403, 403)
    assert posted.json()["code"] == "email_unconfirmed"
    assert state() == before


def test_other_companies_conversations_are_404_everywhere_and_nothing_changes(api_client):
    p = parties()
    conversation = start(p)
    company, user = outsider()
    client = as_company(api_client, user, company)
    before = state()

    base = f"{URL}{conversation.pk}/"
    answers = [
        client.get(base).status_code,
        client.get(f"{base}messages/").status_code,
        client.post(f"{base}messages/", {"body": "Hi"}, format="json").status_code,
        client.post(f"{base}read/").status_code,
        client.post(f"{base}report/", {"reason": "x"}, format="json").status_code,
        client.post(
            URL, {"order": delivered_order(p).pk, "message": "x"}, format="json"
        ).status_code,
    ]

    assert answers == [404] * 6
    assert client.get(URL).json()["count"] == 0
    assert state() == before


def test_the_list_has_each_ones_unread_count_newest_first_and_filters_by_topic(api_client):
    p = parties()
    first = start(p)
    washers = ListingFactory(seller=p.seller, published=True, title="Washers")
    second = services.conversation_start(
        company=p.buyer, actor=p.buyer_user, listing_id=washers.pk, message="a"
    ).conversation
    services.conversation_message_post(
        conversation=second, company=p.buyer, actor=p.buyer_user, body="b"
    )
    order_conversation = services.conversation_start(
        company=p.seller, actor=p.seller_user, order_id=delivered_order(p).pk, message="c"
    ).conversation
    client = as_company(api_client, p.seller_user, p.seller)

    listed = client.get(URL).json()
    by_topic = client.get(URL, {"topic": "order"}).json()
    bad = client.get(URL, {"topic": "gossip"})

    assert [(c["id"], c["unread"]) for c in listed["results"]] == [
        (order_conversation.pk, 0),
        (second.pk, 2),
        (first.pk, 1),
    ]
    assert [c["id"] for c in by_topic["results"]] == [order_conversation.pk]
    assert bad.status_code == 400


def test_messages_oldest_first_with_after_for_polling(api_client):
    p = parties()
    conversation = start(p, "Question")
    answer = services.conversation_message_post(
        conversation=conversation,
        company=p.seller,
        actor=p.seller_user,
        body="Answer with a datasheet",
        attachments=[pdf("datasheet.pdf")],
    )
    client = as_company(api_client, p.buyer_user, p.buyer)

    everything = client.get(f"{URL}{conversation.pk}/messages/").json()
    newer = client.get(f"{URL}{conversation.pk}/messages/", {"after": answer.pk - 1}).json()
    none = client.get(f"{URL}{conversation.pk}/messages/", {"after": answer.pk}).json()

    assert [m["body"] for m in everything["results"]] == ["Question", "Answer with a datasheet"]
    message = newer["results"][0]
    attachment = answer.attachments.get()
    assert message == {
        "id": answer.pk,
        "kind": "message",
        "body": "Answer with a datasheet",
        "author_company": {
            "id": p.seller.pk,
            "name": "Ningbo Fasteners Co., Ltd.",
            "country": "CN",
        },
        "created": message["created"],
        "attachments": [
            {
                "id": attachment.pk,
                "name": "datasheet.pdf",
                "content_type": "application/pdf",
                "size": attachment.size,
                "url": f"http://testserver/api/v1/conversations/attachments/{attachment.pk}/",
            }
        ],
        "hidden": False,
    }
    assert none["count"] == 0
    download = client.get(message["attachments"][0]["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    company, user = outsider()
    assert (
        as_company(api_client, user, company).get(message["attachments"][0]["url"]).status_code
        == 404
    )


def test_a_hidden_message_shows_the_reason_and_no_files(api_client):
    p = parties()
    conversation = start(p)
    message = services.conversation_message_post(
        conversation=conversation,
        company=p.seller,
        actor=p.seller_user,
        body="Pay to my personal account",
        attachments=[pdf()],
    )
    services.message_hide(message=message, actor=staff_user("moderators"), reason="Off-platform")
    client = as_company(api_client, p.buyer_user, p.buyer)

    shown = client.get(f"{URL}{conversation.pk}/messages/", {"after": message.pk - 1}).json()

    assert shown["results"][0]["body"] == "Hidden by the platform: Off-platform"
    assert (shown["results"][0]["hidden"], shown["results"][0]["attachments"]) == (True, [])


def test_posting_json_and_multipart_raises_the_other_sides_counter(api_client):
    p = parties()
    conversation = start(p)
    client = as_company(api_client, p.seller_user, p.seller)

    as_json = client.post(
        f"{URL}{conversation.pk}/messages/", {"body": "Yes, 2,000 in blue."}, format="json"
    )
    as_multipart = client.post(
        f"{URL}{conversation.pk}/messages/",
        {"body": "Our offer", "attachments": [pdf("offer.pdf"), png("colour.png")]},
        format="multipart",
    )

    assert (as_json.status_code, as_multipart.status_code) == (201, 201)
    assert [a["name"] for a in as_multipart.json()["attachments"]] == ["offer.pdf", "colour.png"]
    conversation.refresh_from_db()
    assert (conversation.buyer_unread, conversation.seller_unread) == (2, 1)
    buyer = as_company(api_client, p.buyer_user, p.buyer)
    assert buyer.get(f"{URL}{conversation.pk}/").json()["unread"] == 2
    read = buyer.post(f"{URL}{conversation.pk}/read/")
    assert (read.status_code, read.json()["unread"]) == (200, 0)


@pytest.mark.parametrize(
    "upload, message",
    [
        (
            fake_exe,
            "“invoice.exe” is not an accepted file. Upload a PDF, PNG, JPEG or WebP file",
        ),
        (too_large, "“scan.pdf” is 10.1 MB, over the 10 MB limit."),
    ],
)
def test_a_wrong_or_too_large_attachment_is_400_and_nothing_changes(api_client, upload, message):
    p = parties()
    conversation = start(p)
    client = as_company(api_client, p.seller_user, p.seller)
    before = state()

    response = client.post(
        f"{URL}{conversation.pk}/messages/",
        {"body": "See attached", "attachments": [upload()]},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["attachments"][0].startswith(message)
    assert state() == before


def test_an_empty_message_is_400_and_nothing_changes(api_client):
    p = parties()
    conversation = start(p)
    client = as_company(api_client, p.seller_user, p.seller)
    before = state()

    response = client.post(f"{URL}{conversation.pk}/messages/", {"body": ""}, format="json")

    assert response.status_code == 400
    assert response.json() == {"body": ["Write a message or attach a file."]}
    assert state() == before


def test_a_report_is_201_and_one_without_reason_400(api_client):
    p = parties()
    conversation = start(p)
    client = as_company(api_client, p.seller_user, p.seller)

    refused = client.post(f"{URL}{conversation.pk}/report/", {"reason": ""}, format="json")
    assert (refused.status_code, ConversationReport.objects.count()) == (400, 0)
    reported = client.post(
        f"{URL}{conversation.pk}/report/", {"reason": "Asks to pay by Western Union"}, format="json"
    )

    assert reported.status_code == 201
    assert reported.json()["reason"] == "Asks to pay by Western Union"
    assert ConversationReport.objects.get().company == p.seller


@pytest.mark.parametrize("page_size", [20, 100])
def test_inbox_queries_do_not_grow_with_the_page(
    api_client, page_size, django_assert_max_num_queries
):
    p = parties()
    for index in range(page_size + 5):
        listing = ListingFactory(seller=p.seller, published=True, title=f"Part {index}")
        Conversation.objects.create(
            buyer=p.buyer, seller=p.seller, topic="listing", listing=listing, subject=listing.title
        )
    client = as_company(api_client, p.seller_user, p.seller)

    # company, count, page, buyers, sellers
    with django_assert_max_num_queries(6):
        response = client.get(URL, {"page_size": page_size})

    assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize("page_size", [20, 100])
def test_message_list_queries_do_not_grow_with_the_page(
    api_client, page_size, django_assert_max_num_queries
):
    p = parties()
    conversation = start(p)
    for index in range(page_size + 5):
        services.conversation_message_post(
            conversation=conversation,
            company=p.seller,
            actor=p.seller_user,
            body=f"Line {index}",
            attachments=[pdf()] if index % 10 == 0 else [],
        )
    client = as_company(api_client, p.buyer_user, p.buyer)

    # company, conversation, count, page, authors' companies, authors, attachments
    with django_assert_max_num_queries(8):
        response = client.get(f"{URL}{conversation.pk}/messages/", {"page_size": page_size})

    assert len(response.json()["results"]) == page_size
    assert Message.objects.count() == page_size + 6
