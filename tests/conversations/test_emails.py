"""The batched email digest: one mail per recipient for all its new unread messages."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from orders.conversations import services
from orders.conversations.models import Message
from orders.conversations.tasks import conversation_emails_send_task
from tests.conversations.factories import parties, start
from tests.factories import MembershipFactory, UserFactory, staff_user
from tests.listings.factories import ListingFactory
from tests.threads import run_together

pytestmark = pytest.mark.django_db


def later(minutes: int = 10):
    return timezone.now() + timedelta(minutes=minutes)


def three_messages_in_two_conversations():
    p = parties()
    MembershipFactory(company=p.seller, user=UserFactory(email="export@ningbo-fasteners.test"))
    first = start(p, "Can you do 2,000 in blue?")
    washers = ListingFactory(seller=p.seller, published=True, title="Spring washers M8")
    second = services.conversation_start(
        company=p.buyer, actor=p.buyer_user, listing_id=washers.pk, message="Washers too?"
    ).conversation
    services.conversation_message_post(
        conversation=second, company=p.buyer, actor=p.buyer_user, body="Zinc plated, please."
    )
    return p, first, second


def test_three_messages_in_two_conversations_make_one_mail_per_recipient():
    _, first, second = three_messages_in_two_conversations()

    sent = services.conversation_emails_send(now=later())

    assert sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == [
        "export@ningbo-fasteners.test",
        "sales@ningbo-fasteners.test",
    ]
    assert all(len(m.to) == 1 for m in mail.outbox)
    body = mail.outbox[0].body
    assert mail.outbox[0].subject == (
        "3 new messages for Ningbo Fasteners Co., Ltd. on Open Trade Marketplace"
    )
    assert "3 new messages in 2 conversations" in body
    assert "— Hex bolts M8 (with Rheinland Import GmbH)" in body
    assert "— Spring washers M8 (with Rheinland Import GmbH)" in body
    assert "Zinc plated, please." in body
    assert f"/messages/{first.pk}/" in body and f"/messages/{second.pk}/" in body
    assert Message.objects.filter(notified_at__isnull=True).count() == 0


def test_a_second_run_sends_nothing():
    three_messages_in_two_conversations()
    services.conversation_emails_send(now=later())
    mail.outbox.clear()

    assert services.conversation_emails_send(now=later(20)) == 0
    assert conversation_emails_send_task.run() == 0
    assert mail.outbox == []


def test_messages_already_read_are_not_mailed_but_marked():
    p, first, second = three_messages_in_two_conversations()
    services.conversation_read(conversation=first, company=p.seller)
    services.conversation_read(conversation=second, company=p.seller)

    assert services.conversation_emails_send(now=later()) == 0
    assert mail.outbox == []
    assert Message.objects.filter(notified_at__isnull=True).count() == 0


def test_only_the_unread_conversation_is_named():
    p, first, _ = three_messages_in_two_conversations()
    services.conversation_read(conversation=first, company=p.seller)

    services.conversation_emails_send(now=later())

    body = mail.outbox[0].body
    assert "2 new messages in 1 conversation." in body
    assert "Hex bolts M8" not in body and "Spring washers M8" in body


def test_messages_younger_than_the_delay_wait_for_the_next_run(settings):
    settings.CONVERSATION_EMAIL_DELAY_MINUTES = 5
    three_messages_in_two_conversations()

    assert services.conversation_emails_send() == 0
    assert Message.objects.filter(notified_at__isnull=True).count() == 3
    assert services.conversation_emails_send(now=later(6)) == 2


def test_hidden_messages_and_events_the_platform_writes():
    p = parties()
    conversation = start(p, "Pay me outside the platform")
    services.message_hide(
        message=conversation.messages.get(), actor=staff_user("support"), reason="Off-platform"
    )
    services.conversation_event_post(conversation=conversation, body="Quote Q-7 sent.")

    services.conversation_emails_send(now=later())

    # The event reaches both companies; the hidden message no one.
    assert sorted(m.to[0] for m in mail.outbox) == [
        "einkauf@rheinland-import.test",
        "sales@ningbo-fasteners.test",
    ]
    assert all("Pay me outside" not in m.body for m in mail.outbox)
    assert all("Quote Q-7 sent." in m.body for m in mail.outbox)


def test_two_workers_at_once_send_each_mail_once(transactional_db):
    three_messages_in_two_conversations()
    moment = later()

    outcomes = run_together([lambda: services.conversation_emails_send(now=moment)] * 2)

    assert sorted(result for _, result in outcomes) == [0, 2]
    assert len(mail.outbox) == 2
