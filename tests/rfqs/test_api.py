"""The RFQ API: shapes with exact values, the board and the buyer's list, refusals (nothing
written), close/cancel 409 and 403/404, attachments, and queries constant in page size."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.rfqs.models import RFQ, RFQAttachment, RFQEvent, RFQStatus, RFQVisibility
from tests.factories import api_token_for
from tests.listings.factories import hs_code_ensure
from tests.rfqs.factories import RFQFactory, pdf_upload, seller_in, text_as_pdf

pytestmark = pytest.mark.django_db
URL = "/api/v1/rfqs/"


def auth(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(user)}")
    return api_client


def body(tree, **overrides):
    data = {
        "title": "Stainless steel hex bolts M8 x 40",
        "description": "DIN 933, A2-70.",
        "category": tree.fasteners.pk,
        "hs_code": "731815",
        "quantity": 5000,
        "unit": "piece",
        "target_unit_price": "0.0350",
        "currency": "USD",
        "destination_country": "DE",
        "named_place": "Hamburg",
        "incoterms": ["CIF", "FOB"],
        "needed_by": (timezone.localdate() + timedelta(days=40)).isoformat(),
        "closes_at": (timezone.now() + timedelta(days=14)).replace(microsecond=0).isoformat(),
        "visibility": "public",
        "invited_sellers": [],
    }
    data.update(overrides)
    return data


def test_post_creates_an_open_rfq_and_answers_its_shape(api_client, buyer, buyer_user, tree):
    hs_code_ensure("731815")
    invited = seller_in(tree.food, legal_name="Osaka Tools K.K.")
    sent = body(tree, invited_sellers=[invited.pk])

    response = auth(api_client, buyer_user).post(URL, sent, format="json")

    assert response.status_code == 201, response.json()
    rfq = RFQ.objects.get()
    data = response.json()
    assert data == {
        "id": rfq.pk,
        "status": "open",
        "buyer": {"id": buyer.pk, "name": "Rheinland Import GmbH"},
        "title": "Stainless steel hex bolts M8 x 40",
        "description": "DIN 933, A2-70.",
        "category": tree.fasteners.pk,
        "hs_code": "731815",
        "quantity": 5000,
        "unit": "piece",
        "target_unit_price": "0.0350",
        "currency": "USD",
        "destination_country": "DE",
        "named_place": "Hamburg",
        "incoterms": ["FOB", "CIF"],
        "needed_by": sent["needed_by"],
        "closes_at": sent["closes_at"].replace("+00:00", "Z"),
        "visibility": "public",
        "invited_sellers": [invited.pk],
        "created": data["created"],
        "closed_at": None,
        "close_reason": "",
        "attachments": [],
        "quote_count": 0,
    }
    assert list(RFQEvent.objects.values_list("from_status", "to_status")) == [("", "open")]


def test_post_takes_json_only(api_client, buyer_user, tree):
    response = auth(api_client, buyer_user).post(URL, {"title": "x"}, format="multipart")

    assert response.status_code == 415
    assert RFQ.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"closes_at": "2020-01-01T00:00:00Z"}, "closes_at"),
        ({"hs_code": "999999"}, "hs_code"),
        ({"hs_code": "7318"}, "hs_code"),
        ({"quantity": 0}, "quantity"),
        ({"target_unit_price": "0"}, "target_unit_price"),
        ({"target_unit_price": "-1.00"}, "target_unit_price"),
        ({"target_unit_price": "0.03505"}, "target_unit_price"),
        ({"currency": ""}, "currency"),
        ({"incoterms": []}, "incoterms"),
        ({"incoterms": ["FOB", "XYZ"]}, "incoterms"),
        ({"visibility": "invited"}, "invited_sellers"),
        ({"category": 999999999}, "category"),
    ],
)
def test_bad_input_is_a_400_on_its_field_and_writes_nothing(
    api_client, buyer_user, tree, overrides, field
):
    hs_code_ensure("731815")

    response = auth(api_client, buyer_user).post(URL, body(tree, **overrides), format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert RFQ.objects.count() == 0 and RFQEvent.objects.count() == 0


def test_a_seller_lists_the_board_filtered_by_category_and_country(api_client, tree):
    seller = seller_in(tree.tools)  # the parent: sees RFQs of its children too
    fasteners = RFQFactory(category=tree.fasteners, destination_country="DE")
    abrasives = RFQFactory(category=tree.abrasives, destination_country="FR")
    RFQFactory(category=tree.food)
    RFQFactory(category=tree.fasteners, visibility=RFQVisibility.INVITED)
    client = auth(api_client, seller.members.get())

    everything = client.get(URL).json()
    by_category = client.get(URL, {"category": tree.abrasives.pk}).json()
    by_country = client.get(URL, {"destination_country": "DE"}).json()

    assert [r["id"] for r in everything["results"]] == [abrasives.pk, fasteners.pk]
    assert everything["count"] == 2
    assert everything["results"][0]["quote_count"] is None
    assert everything["results"][0]["invited_sellers"] == []
    assert [r["id"] for r in by_category["results"]] == [abrasives.pk]
    assert [r["id"] for r in by_country["results"]] == [fasteners.pk]


def test_a_buyer_lists_its_own_by_status(api_client, buyer, buyer_user):
    open_one = RFQFactory(buyer=buyer)
    closed = RFQFactory(buyer=buyer, status=RFQStatus.CLOSED)
    RFQFactory()
    client = auth(api_client, buyer_user)

    every = client.get(URL).json()
    only_closed = client.get(URL, {"status": "closed"}).json()
    bad = client.get(URL, {"status": "pending"})

    assert [r["id"] for r in every["results"]] == [closed.pk, open_one.pk]
    assert [r["id"] for r in only_closed["results"]] == [closed.pk]
    assert bad.status_code == 400 and "status" in bad.json()


def test_an_invited_only_rfq_of_others_is_a_404(api_client, tree):
    seller = seller_in(tree.fasteners)
    rfq = RFQFactory(category=tree.fasteners, visibility=RFQVisibility.INVITED)
    client = auth(api_client, seller.members.get())

    assert client.get(f"{URL}{rfq.pk}/").status_code == 404
    assert client.post(f"{URL}{rfq.pk}/close/", format="json").status_code == 404
    rfq.refresh_from_db()
    assert rfq.status == "open"


def test_an_invited_seller_sees_it_and_itself_only(api_client, tree):
    invited = seller_in(None)
    other = seller_in(None)
    rfq = RFQFactory(category=tree.fasteners, visibility=RFQVisibility.INVITED)
    rfq.invitations.create(seller=invited)
    rfq.invitations.create(seller=other)

    data = auth(api_client, invited.members.get()).get(f"{URL}{rfq.pk}/").json()

    assert data["invited_sellers"] == [invited.pk]


def test_close_then_close_again_is_a_409_and_changes_nothing(api_client, buyer, buyer_user):
    rfq = RFQFactory(buyer=buyer)
    client = auth(api_client, buyer_user)

    first = client.post(f"{URL}{rfq.pk}/close/", format="json")
    again = client.post(f"{URL}{rfq.pk}/close/", format="json")

    assert first.status_code == 200
    assert (first.json()["status"], first.json()["close_reason"]) == ("closed", "buyer")
    assert again.status_code == 409
    rfq.refresh_from_db()
    assert rfq.events.count() == 2 and rfq.status == "closed"


def test_a_seller_closing_a_visible_rfq_is_a_403(api_client, tree):
    seller = seller_in(tree.fasteners)
    rfq = RFQFactory(category=tree.fasteners)

    response = auth(api_client, seller.members.get()).post(f"{URL}{rfq.pk}/close/", format="json")

    assert response.status_code == 403
    rfq.refresh_from_db()
    assert rfq.status == "open" and rfq.events.count() == 1


def test_cancel_with_a_reason(api_client, buyer, buyer_user):
    rfq = RFQFactory(buyer=buyer)

    response = auth(api_client, buyer_user).post(
        f"{URL}{rfq.pk}/cancel/", {"reason": "Budget cut"}, format="json"
    )

    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert rfq.events.last().note == "Budget cut"


def test_attachments_upload_and_refusals(api_client, buyer, buyer_user):
    rfq = RFQFactory(buyer=buyer)
    client = auth(api_client, buyer_user)
    url = f"{URL}{rfq.pk}/attachments/"

    good = client.post(url, {"file": pdf_upload("drawing.pdf")}, format="multipart")
    wrong = client.post(url, {"file": text_as_pdf("spec.pdf")}, format="multipart")

    assert good.status_code == 201
    attachment = RFQAttachment.objects.get()
    assert good.json() == {
        "id": attachment.pk,
        "name": "drawing.pdf",
        "content_type": "application/pdf",
        "size": attachment.size,
        "url": f"/rfqs/{rfq.pk}/attachments/{attachment.pk}/",
    }
    assert wrong.status_code == 400
    assert wrong.json()["file"] == [
        "“spec.pdf” is named as a PDF but its content is not a PDF. Upload a real PDF, PNG, "
        "JPEG or WebP file."
    ]
    assert RFQAttachment.objects.count() == 1
    closed = RFQFactory(buyer=buyer, status=RFQStatus.CLOSED)
    late = client.post(f"{URL}{closed.pk}/attachments/", {"file": pdf_upload()}, format="multipart")
    assert late.status_code == 409 and RFQAttachment.objects.count() == 1


def test_list_queries_are_constant_in_page_size(
    api_client, buyer, buyer_user, tree, django_assert_max_num_queries
):
    seller = seller_in(tree.fasteners)
    for _ in range(3):
        RFQFactory(buyer=buyer, category=tree.fasteners)
    buyer_client = auth(api_client, buyer_user)
    with django_assert_max_num_queries(12):
        small = buyer_client.get(URL)
    for _ in range(12):
        rfq = RFQFactory(buyer=buyer, category=tree.fasteners)
        rfq.invitations.create(seller=seller)
    with django_assert_max_num_queries(12):
        large = buyer_client.get(URL)
    seller_client = auth(api_client.__class__(), seller.members.get())
    with django_assert_max_num_queries(20):
        board = seller_client.get(URL)

    assert (small.json()["count"], large.json()["count"], board.json()["count"]) == (3, 15, 15)
