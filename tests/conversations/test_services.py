"""Conversation services: starting, writing, reading, events, hiding, reports, disputes."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marketplace.core.exceptions import Conflict, DomainError, Forbidden, NotFound
from orders import services as order_services
from orders.conversations import selectors, services
from orders.conversations.models import (
    Conversation,
    ConversationReport,
    ConversationTopic,
    Message,
    MessageKind,
)
from orders.enums import OrderStatus
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
from tests.threads import run_together

pytestmark = pytest.mark.django_db


def test_a_buyer_contacts_a_supplier_about_a_listing():
    p = parties()

    started = services.conversation_start(
        company=p.buyer, actor=p.buyer_user, listing_id=p.listing.pk, message="  2,000 in blue? "
    )

    conversation = started.conversation
    assert started.created is True
    assert (conversation.topic, conversation.subject) == (ConversationTopic.LISTING, "Hex bolts M8")
    assert (conversation.buyer, conversation.seller, conversation.listing) == (
        p.buyer,
        p.seller,
        p.listing,
    )
    assert (conversation.message_count, conversation.buyer_unread, conversation.seller_unread) == (
        1,
        0,
        1,
    )
    message = started.message
    assert (message.body, message.author, message.author_company, message.kind) == (
        "2,000 in blue?",
        p.buyer_user,
        p.buyer,
        MessageKind.MESSAGE,
    )
    assert conversation.last_message_at == Message.objects.get().created_at


def test_starting_again_adds_the_message_to_the_same_conversation():
    p = parties()
    first = start(p, "First question")

    again = services.conversation_start(
        company=p.buyer, actor=p.buyer_user, listing_id=p.listing.pk, message="Second question"
    )

    assert again.created is False
    assert again.conversation.pk == first.pk
    assert Conversation.objects.count() == 1
    assert list(Message.objects.order_by("pk").values_list("body", flat=True)) == [
        "First question",
        "Second question",
    ]
    assert (again.conversation.message_count, again.conversation.seller_unread) == (2, 2)


def test_two_buyers_starting_at_once_make_one_conversation_each_message_kept(
    transactional_db,
):
    p = parties()
    second_user = MembershipFactory(company=p.buyer).user

    outcomes = run_together(
        [
            lambda n=n, user=user: services.conversation_start(
                company=p.buyer, actor=user, listing_id=p.listing.pk, message=f"From {n}"
            )
            for n, user in ((1, p.buyer_user), (2, second_user))
        ]
    )

    assert [kind for kind, _ in outcomes] == ["ok", "ok"]
    conversation = Conversation.objects.get()
    assert (conversation.message_count, conversation.seller_unread) == (2, 2)
    assert sorted(outcome.created for _, outcome in outcomes) == [False, True]


def test_concurrent_messages_raise_the_counter_exactly(transactional_db):
    p = parties()
    conversation = start(p)

    outcomes = run_together(
        [
            lambda n=n: services.conversation_message_post(
                conversation=conversation,
                company=p.seller,
                actor=p.seller_user,
                body=f"Answer {n}",
            )
            for n in range(4)
        ]
    )

    assert [kind for kind, _ in outcomes] == ["ok"] * 4
    conversation.refresh_from_db()
    assert (conversation.message_count, conversation.buyer_unread, conversation.seller_unread) == (
        5,
        4,
        1,
    )


def test_a_seller_writes_about_an_rfq_it_may_see_once_per_rfq():
    p = parties()
    rfq = rfq_for(p.buyer)

    started = services.conversation_start(
        company=p.seller, actor=p.seller_user, rfq_id=rfq.pk, message="Is A2 acceptable?"
    )
    again = services.conversation_start(
        company=p.seller, actor=p.seller_user, rfq_id=rfq.pk, message="And zinc plated?"
    )

    conversation = started.conversation
    assert (conversation.topic, conversation.subject) == (
        ConversationTopic.RFQ,
        "RFQ: 20,000 stainless hex bolts M10",
    )
    assert (conversation.buyer, conversation.seller, conversation.rfq) == (p.buyer, p.seller, rfq)
    assert again.conversation.pk == conversation.pk
    assert (again.conversation.buyer_unread, again.conversation.seller_unread) == (2, 0)


def test_an_rfq_the_seller_may_not_see_is_not_found_and_nothing_changes():
    p = parties()
    rfq = rfq_for(p.buyer, visibility="invited")
    before = state()

    with pytest.raises(NotFound):
        services.conversation_start(
            company=p.seller, actor=p.seller_user, rfq_id=rfq.pk, message="Hello"
        )

    assert state() == before


def test_either_party_writes_about_an_order():
    p = parties()
    order = delivered_order(p)

    by_seller = services.conversation_start(
        company=p.seller, actor=p.seller_user, order_id=order.pk, message="Shipped today."
    )
    by_buyer = services.conversation_start(
        company=p.buyer, actor=p.buyer_user, order_id=order.pk, message="Thanks."
    )

    assert by_seller.created and not by_buyer.created
    conversation = by_buyer.conversation
    assert (conversation.topic, conversation.subject) == (
        ConversationTopic.ORDER,
        f"Order {order.number}",
    )
    assert services.conversation_for_order(order=order).pk == conversation.pk


def test_another_companys_order_or_unpublished_listing_is_not_found_and_nothing_changes():
    p = parties()
    order = delivered_order(p)
    draft = ListingFactory(seller=p.seller)
    company, user = outsider()
    before = state()

    with pytest.raises(NotFound):
        services.conversation_start(company=company, actor=user, order_id=order.pk, message="x")
    with pytest.raises(NotFound):
        services.conversation_start(company=company, actor=user, listing_id=draft.pk, message="x")
    with pytest.raises(NotFound):
        services.conversation_start(company=company, actor=user, listing_id=10**30, message="x")

    assert state() == before


def test_a_listing_of_ones_own_company_is_refused_and_nothing_changes():
    p = parties()
    p.seller.buys = True
    p.seller.save()
    before = state()

    with pytest.raises(DomainError) as refused:
        services.conversation_start(
            company=p.seller, actor=p.seller_user, listing_id=p.listing.pk, message="Me?"
        )

    assert (refused.value.field, refused.value.code) == ("listing", "own_listing")
    assert state() == before


def test_an_unconfirmed_email_may_not_write_and_nothing_changes():
    p = parties()
    conversation = start(p)
    newcomer = MembershipFactory(company=p.buyer, user=UserFactory(email_confirmed_at=None)).user
    before = state()

    with pytest.raises(Forbidden) as refused:
        services.conversation_message_post(
            conversation=conversation, company=p.buyer, actor=newcomer, body="Hello"
        )
    with pytest.raises(Forbidden):
        services.conversation_start(
            company=p.buyer, actor=newcomer, listing_id=p.listing.pk, message="Hello"
        )

    assert refused.value.code == "email_unconfirmed"
    assert state() == before


@pytest.mark.parametrize("body", ["", "   \n  ", None])
def test_an_empty_message_is_refused_and_nothing_changes(body):
    p = parties()
    conversation = start(p)
    before = state()

    with pytest.raises(ValidationError) as refused:
        services.conversation_message_post(
            conversation=conversation, company=p.seller, actor=p.seller_user, body=body
        )

    assert refused.value.message_dict == {"body": ["Write a message or attach a file."]}
    assert state() == before


def test_a_message_over_5000_characters_is_refused():
    p = parties()
    conversation = start(p)
    before = state()

    with pytest.raises(ValidationError) as refused:
        services.conversation_message_post(
            conversation=conversation, company=p.seller, actor=p.seller_user, body="x" * 5001
        )

    assert refused.value.message_dict == {
        "body": ["A message is at most 5,000 characters (this one has 5,001)."]
    }
    assert state() == before


def test_a_message_with_files_only_and_the_files_are_stored_privately():
    p = parties()
    conversation = start(p)

    message = services.conversation_message_post(
        conversation=conversation,
        company=p.seller,
        actor=p.seller_user,
        body="",
        attachments=[pdf("datasheet.pdf"), png("sample.png")],
    )

    files = list(message.attachments.order_by("pk"))
    assert [(f.original_name, f.content_type) for f in files] == [
        ("datasheet.pdf", "application/pdf"),
        ("sample.png", "image/png"),
    ]
    assert files[0].file.name.startswith(f"conversations/{conversation.pk}/")
    assert files[0].file.name.endswith(".pdf")
    assert files[0].file.read().startswith(b"%PDF-")
    assert files[0].size == files[0].file.size


@pytest.mark.parametrize(
    "upload, code",
    [(fake_exe, "unsupported_file_type"), (too_large, "file_too_large")],
)
def test_a_wrong_or_too_large_file_is_refused_and_nothing_changes(upload, code):
    p = parties()
    conversation = start(p)
    before = state()

    with pytest.raises(DomainError) as refused:
        services.conversation_message_post(
            conversation=conversation,
            company=p.seller,
            actor=p.seller_user,
            body="See attached",
            attachments=[pdf(), upload()],
        )

    assert (refused.value.field, refused.value.code) == ("attachments", code)
    assert state() == before


def test_six_files_are_refused():
    p = parties()
    conversation = start(p)
    before = state()

    with pytest.raises(DomainError) as refused:
        services.conversation_message_post(
            conversation=conversation,
            company=p.seller,
            actor=p.seller_user,
            body="Many",
            attachments=[pdf(f"{n}.pdf") for n in range(6)],
        )

    assert refused.value.code == "too_many_files"
    assert state() == before


def test_an_outsider_may_not_post_in_a_conversation():
    p = parties()
    conversation = start(p)
    company, user = outsider()
    before = state()

    with pytest.raises(NotFound):
        services.conversation_message_post(
            conversation=conversation, company=company, actor=user, body="Hi"
        )
    with pytest.raises(NotFound):
        selectors.conversation_get_for_company(company=company, conversation_id=conversation.pk)

    assert state() == before


def test_a_member_of_another_company_may_not_write_for_this_one():
    p = parties()
    conversation = start(p)
    _, stranger = outsider()

    with pytest.raises(PermissionDenied):
        services.conversation_message_post(
            conversation=conversation, company=p.seller, actor=stranger, body="Hi"
        )


def test_reading_clears_the_companys_own_counter_only():
    p = parties()
    conversation = start(p)
    services.conversation_message_post(
        conversation=conversation, company=p.seller, actor=p.seller_user, body="Yes, we can."
    )

    read = services.conversation_read(conversation=conversation, company=p.seller)

    assert (read.buyer_unread, read.seller_unread) == (1, 0)
    assert read.seller_read_at is not None and read.buyer_read_at is None
    assert selectors.message_unread_count_for_company(company=p.buyer) == 1
    assert selectors.message_unread_count_for_company(company=p.seller) == 0


def test_the_unread_total_sums_every_conversation_in_one_query(django_assert_num_queries):
    p = parties()
    start(p)
    second = ListingFactory(seller=p.seller, published=True, title="Washers")
    services.conversation_start(
        company=p.buyer, actor=p.buyer_user, listing_id=second.pk, message="And washers?"
    )

    with django_assert_num_queries(1):
        total = selectors.message_unread_count_for_company(company=p.seller)

    assert total == 2


def test_an_event_is_news_for_both_and_has_no_author():
    p = parties()
    order = delivered_order(p)
    conversation = services.conversation_for_order(order=order)

    event = services.conversation_event_post(conversation=conversation, body="Quote Q-1 sent.")

    conversation.refresh_from_db()
    assert (event.kind, event.author, event.author_company) == (MessageKind.EVENT, None, None)
    assert (conversation.message_count, conversation.buyer_unread, conversation.seller_unread) == (
        1,
        1,
        1,
    )


def test_staff_hide_a_message_with_a_reason():
    p = parties()
    conversation = start(p, "Pay me at bank XYZ outside the platform")
    message = conversation.messages.get()
    moderator = staff_user("moderators")

    hidden = services.message_hide(message=message, actor=moderator, reason="Off-platform payment")

    assert (hidden.hidden_by, hidden.hidden_reason) == (moderator, "Off-platform payment")
    assert Message.objects.get().body == "Pay me at bank XYZ outside the platform"  # kept


def test_hiding_without_a_reason_or_permission_or_twice_is_refused_and_nothing_changes():
    p = parties()
    conversation = start(p)
    message = conversation.messages.get()
    support = staff_user("support")
    finance = staff_user("finance")
    before = state()

    with pytest.raises(ValidationError) as refused:
        services.message_hide(message=message, actor=support, reason="  ")
    with pytest.raises(PermissionDenied):
        services.message_hide(message=message, actor=finance, reason="Spam")
    with pytest.raises(PermissionDenied):
        services.message_hide(message=message, actor=p.seller_user, reason="Spam")

    assert refused.value.message_dict == {"reason": ["Enter the reason."]}
    assert state() == before
    services.message_hide(message=message, actor=support, reason="Spam")
    with pytest.raises(Conflict):
        services.message_hide(message=message, actor=support, reason="Again")
    assert Message.objects.get().hidden_reason == "Spam"


def test_a_party_reports_and_staff_resolve_with_a_note():
    p = parties()
    conversation = start(p)
    support = staff_user("support")

    report = services.conversation_report(
        conversation=conversation, company=p.seller, actor=p.seller_user, reason="Asks for fees"
    )
    assert list(selectors.report_list_open()) == [report]
    with pytest.raises(ValidationError):
        services.conversation_report_resolve(report=report, actor=support, note="")
    resolved = services.conversation_report_resolve(
        report=report, actor=support, note="Warned the buyer."
    )

    assert (resolved.resolved_by, resolved.resolution_note) == (support, "Warned the buyer.")
    assert list(selectors.report_list_open()) == []
    with pytest.raises(Conflict):
        services.conversation_report_resolve(report=report, actor=support, note="Again")


def test_a_report_without_a_reason_or_by_an_outsider_is_refused_and_nothing_changes():
    p = parties()
    conversation = start(p)
    company, user = outsider()
    before = state()

    with pytest.raises(ValidationError):
        services.conversation_report(
            conversation=conversation, company=p.buyer, actor=p.buyer_user, reason=""
        )
    with pytest.raises(NotFound):
        services.conversation_report(
            conversation=conversation, company=company, actor=user, reason="Spam"
        )

    assert state() == before
    assert ConversationReport.objects.count() == 0


def test_a_dispute_opens_a_conversation_with_the_reason_and_the_evidence():
    p = parties()
    order = delivered_order(p)

    disputed = order_services.order_dispute_open(
        order=order,
        actor=p.buyer_user,
        reason="Half of the bolts are rusty.",
        evidence=[png("rust.png")],
    )

    assert disputed.status == OrderStatus.DISPUTED
    conversation = Conversation.objects.get()
    assert (conversation.topic, conversation.order, conversation.dispute) == (
        ConversationTopic.DISPUTE,
        order,
        disputed.dispute,
    )
    assert conversation.subject == f"Dispute on order {order.number}"
    message = conversation.messages.get()
    assert (message.body, message.author_company) == ("Half of the bolts are rusty.", p.buyer)
    assert [a.original_name for a in message.attachments.all()] == ["rust.png"]
    assert (conversation.buyer_unread, conversation.seller_unread) == (0, 1)
    assert services.conversation_for_dispute(dispute=disputed.dispute).pk == conversation.pk

    answer = services.conversation_message_post(
        conversation=conversation,
        company=p.seller,
        actor=p.seller_user,
        body="Photos of the packing attached.",
        attachments=[png("packing.png")],
    )
    assert answer.attachments.count() == 1


def test_a_dispute_with_a_wrong_evidence_file_changes_nothing():
    p = parties()
    order = delivered_order(p)
    before = state()

    with pytest.raises(DomainError):
        order_services.order_dispute_open(
            order=order, actor=p.buyer_user, reason="Rusty", evidence=[fake_exe("rust.png")]
        )

    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert state() == before
