"""RFQ services: posting (every refusal writes nothing), the lifecycle through the transition
table, the beat closing, the invitation emails and the daily digest."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from marketplace.accounts.models import DOCUMENT_MAX_BYTES
from marketplace.core.exceptions import Forbidden, InvalidTransition, NotFound
from orders.rfqs import services
from orders.rfqs.models import (
    RFQ,
    RFQAttachment,
    RFQDigest,
    RFQEvent,
    RFQInvitation,
    RFQStatus,
    RFQVisibility,
)
from orders.rfqs.tasks import rfq_invitations_notify_task
from tests.factories import MembershipFactory, UserFactory, staff_user
from tests.rfqs.factories import (
    PDF_BYTES,
    RFQFactory,
    pdf_upload,
    png_upload,
    rfq_input,
    seller_in,
    text_as_pdf,
)

pytestmark = pytest.mark.django_db


def _nothing_written() -> None:
    assert RFQ.objects.count() == 0
    assert RFQEvent.objects.count() == 0
    assert RFQInvitation.objects.count() == 0
    assert RFQAttachment.objects.count() == 0


def _refused(buyer, user, **overrides) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        services.rfq_create(actor=user, buyer=buyer, **rfq_input(**overrides))
    _nothing_written()
    return caught.value.message_dict


def test_rfq_create_writes_the_rfq_its_event_invitations_and_files(
    buyer, buyer_user, tree, django_capture_on_commit_callbacks
):
    invited = seller_in(tree.food, legal_name="Osaka Tools K.K.")
    MembershipFactory(company=invited, user=UserFactory(email="b@osaka.test"))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rfq = services.rfq_create(
            actor=buyer_user,
            buyer=buyer,
            **rfq_input(
                invited_sellers=[invited.pk, invited.pk],
                incoterms=["cif", "FOB"],
                attachments=[pdf_upload("drawing.pdf"), png_upload("sample.png")],
                hs_code=" 731815 ",
            ),
        )

    assert (rfq.status, rfq.quantity, rfq.target_unit_price) == ("open", 5000, Decimal("0.0350"))
    assert rfq.incoterms == ["FOB", "CIF"] and rfq.hs_code == "731815"
    assert list(rfq.invitations.values_list("seller_id", flat=True)) == [invited.pk]
    assert [(e.from_status, e.to_status, e.actor) for e in rfq.events.all()] == [
        ("", "open", buyer_user)
    ]
    files = list(rfq.attachments.values_list("original_name", "content_type", "size"))
    assert files == [
        ("drawing.pdf", "application/pdf", len(PDF_BYTES)),
        ("sample.png", "image/png", 67),
    ]
    assert not rfq.attachments.first().file.name.endswith("drawing.pdf")  # a random name
    # One task enqueued after commit; run, it tells the invited seller's two members, once.
    assert [(c.func, c.keywords) for c in callbacks] == [
        (rfq_invitations_notify_task.delay, {"rfq_id": rfq.pk})
    ]
    assert rfq_invitations_notify_task.run(rfq_id=rfq.pk) == 1
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == sorted(invited.members.values_list("email", flat=True))
    assert mail.outbox[0].subject == (
        "Rheinland Import GmbH invites you to quote: Stainless steel hex bolts M8 x 40, A2-70"
    )
    assert f"/rfqs/{rfq.pk}/" in mail.outbox[0].body
    assert services.rfq_invitations_notify(rfq_id=rfq.pk) == 0  # idempotent
    assert len(mail.outbox) == 1


def test_a_closing_date_in_the_past_is_refused(buyer, buyer_user):
    errors = _refused(buyer, buyer_user, closes_at=timezone.now() - timedelta(minutes=1))
    assert errors == {"closes_at": ["The closing date is in the past: choose a later one."]}


def test_a_closing_date_more_than_90_days_ahead_is_refused(buyer, buyer_user):
    errors = _refused(
        buyer,
        buyer_user,
        closes_at=timezone.now() + timedelta(days=91),
        needed_by=timezone.localdate() + timedelta(days=120),
    )
    assert errors == {
        "closes_at": ["An RFQ may stay open at most 90 days: choose an earlier date."]
    }


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("7318", "Enter an HS subheading of exactly 6 digits, e.g. 090111."),
        ("73181A", "Enter an HS subheading of exactly 6 digits, e.g. 090111."),
        ("999999", "999999 is not an HS 2022 subheading."),
    ],
)
def test_an_hs_code_that_is_not_a_2022_subheading_is_refused(buyer, buyer_user, code, message):
    assert _refused(buyer, buyer_user, hs_code=code) == {"hs_code": [message]}


@pytest.mark.parametrize("quantity", [0, -5])
def test_a_quantity_of_zero_or_less_is_refused(buyer, buyer_user, quantity):
    assert _refused(buyer, buyer_user, quantity=quantity) == {
        "quantity": ["The quantity must be at least 1."]
    }


@pytest.mark.parametrize(
    ("price", "message"),
    [
        (Decimal("0"), "The target unit price must be more than 0."),
        (Decimal("-0.01"), "The target unit price must be more than 0."),
        (Decimal("0.03501"), "Enter the target unit price with at most 4 decimals."),
        ("abc", "Enter the target unit price as a number, e.g. 0.0350."),
    ],
)
def test_a_bad_target_price_is_refused(buyer, buyer_user, price, message):
    assert _refused(buyer, buyer_user, target_unit_price=price) == {"target_unit_price": [message]}


def test_a_target_price_without_currency_is_refused(buyer, buyer_user):
    assert _refused(buyer, buyer_user, currency="") == {
        "currency": ["Choose the currency of the target unit price."]
    }


@pytest.mark.parametrize(
    ("incoterms", "message"),
    [
        ([], "Choose at least one Incoterm you accept."),
        (["FOB", "FOO"], "Not an Incoterms 2020 rule: “FOO”."),
    ],
)
def test_no_or_unknown_incoterms_are_refused(buyer, buyer_user, incoterms, message):
    assert _refused(buyer, buyer_user, incoterms=incoterms) == {"incoterms": [message]}


def test_a_needed_by_date_in_the_past_is_refused(buyer, buyer_user):
    errors = _refused(buyer, buyer_user, needed_by=timezone.localdate() - timedelta(days=1))
    assert errors == {"needed_by": ["The needed-by date is in the past."]}


def test_invited_visibility_needs_verified_sellers_never_the_buyer(buyer, buyer_user, tree):
    unverified = seller_in(tree.fasteners, verified=False, legal_name="Unverified Bolts Ltd")

    none = _refused(buyer, buyer_user, visibility=RFQVisibility.INVITED, invited_sellers=[])
    bad = _refused(
        buyer, buyer_user, visibility=RFQVisibility.INVITED, invited_sellers=[unverified.pk]
    )
    itself = _refused(
        buyer, buyer_user, visibility=RFQVisibility.INVITED, invited_sellers=[buyer.pk]
    )

    assert none == {"invited_sellers": ["Invite at least one seller, or make the RFQ public."]}
    assert bad == {
        "invited_sellers": ["Unverified Bolts Ltd is not a verified seller and cannot be invited."]
    }
    assert itself == {"invited_sellers": ["Your own company cannot quote on your RFQ."]}


def test_attachments_of_a_wrong_type_or_too_large_are_refused(buyer, buyer_user):
    big = SimpleUploadedFile(
        "scan.pdf", PDF_BYTES + b"0" * DOCUMENT_MAX_BYTES, content_type="application/pdf"
    )
    wrong = _refused(buyer, buyer_user, attachments=[text_as_pdf("spec.pdf")])
    large = _refused(buyer, buyer_user, attachments=[big])
    many = _refused(buyer, buyer_user, attachments=[pdf_upload(f"{n}.pdf") for n in range(6)])

    assert wrong == {
        "attachments": [
            "“spec.pdf” is named as a PDF but its content is not a PDF. Upload a real PDF, "
            "PNG, JPEG or WebP file."
        ]
    }
    assert large == {"attachments": ["“scan.pdf” is 10.1 MB, over the 10 MB limit."]}
    assert many == {"attachments": ["An RFQ may have at most 5 attachments."]}


def test_all_field_errors_come_together(buyer, buyer_user):
    errors = _refused(buyer, buyer_user, title="", quantity=0, category=999999999)
    assert set(errors) == {"title", "quantity", "category"}


def test_only_a_confirmed_member_of_a_buying_company_posts(buyer, tree):
    stranger = UserFactory()
    unconfirmed = MembershipFactory(company=buyer, user=UserFactory(email_confirmed_at=None)).user
    seller = seller_in(tree.fasteners)

    with pytest.raises(PermissionDenied):
        services.rfq_create(actor=stranger, buyer=buyer, **rfq_input())
    with pytest.raises(Forbidden):
        services.rfq_create(actor=unconfirmed, buyer=buyer, **rfq_input())
    with pytest.raises(PermissionDenied):
        services.rfq_create(actor=seller.members.get(), buyer=seller, **rfq_input())
    _nothing_written()


def test_close_and_cancel_follow_the_table(buyer, buyer_user):
    rfq = RFQFactory(buyer=buyer)

    closed = services.rfq_close(rfq=rfq, actor=buyer_user, company=buyer)
    with pytest.raises(InvalidTransition):
        services.rfq_close(rfq=rfq, actor=buyer_user, company=buyer)
    with pytest.raises(InvalidTransition):
        services.rfq_cancel(rfq=rfq, actor=buyer_user, company=buyer, reason="")

    assert (closed.status, closed.close_reason) == ("closed", "buyer")
    assert closed.closed_at is not None
    assert list(rfq.events.values_list("from_status", "to_status", "note")) == [
        ("", "open", ""),
        ("open", "closed", "Closed by the buyer"),
    ]


def test_the_wrong_company_gets_404_or_403(buyer, tree):
    rfq = RFQFactory(buyer=buyer, category=tree.fasteners)
    seeing = seller_in(tree.fasteners)
    blind = seller_in(tree.food)

    with pytest.raises(PermissionDenied):
        services.rfq_close(rfq=rfq, actor=seeing.members.get(), company=seeing)
    with pytest.raises(NotFound):
        services.rfq_cancel(rfq=rfq, actor=blind.members.get(), company=blind, reason="")
    rfq.refresh_from_db()
    assert rfq.status == "open" and rfq.events.count() == 1


def test_staff_cancel_an_abusive_rfq_with_a_reason(buyer):
    rfq = RFQFactory(buyer=buyer)
    moderator = staff_user("moderators")

    with pytest.raises(ValidationError):
        services.rfq_cancel_by_staff(rfq=rfq, actor=moderator, reason=" ")
    cancelled = services.rfq_cancel_by_staff(rfq=rfq, actor=moderator, reason="Spam")

    assert cancelled.status == "cancelled"
    assert rfq.events.last().note == "Cancelled by staff: Spam"


def test_close_for_an_accepted_quote_joins_the_callers_transaction(buyer):
    rfq = RFQFactory(buyer=buyer)
    already = RFQFactory(buyer=buyer, status=RFQStatus.CLOSED, close_reason="deadline")
    cancelled = RFQFactory(buyer=buyer, status=RFQStatus.CANCELLED)

    with transaction.atomic():
        services.rfq_close_for_accepted_quote(rfq=rfq, actor=None)
        services.rfq_close_for_accepted_quote(rfq=already, actor=None)
    with pytest.raises(InvalidTransition), transaction.atomic():
        services.rfq_close_for_accepted_quote(rfq=cancelled, actor=None)

    rfq.refresh_from_db()
    already.refresh_from_db()
    assert (rfq.status, rfq.close_reason) == ("closed", "accepted")
    assert (already.status, already.close_reason, already.events.count()) == (
        "closed",
        "accepted",
        1,
    )


def test_the_beat_closes_the_rfqs_whose_date_passed_once(buyer):
    now = timezone.now()
    due = RFQFactory(buyer=buyer, closes_at=now - timedelta(minutes=1))
    later = RFQFactory(buyer=buyer, closes_at=now + timedelta(hours=1))
    cancelled = RFQFactory(
        buyer=buyer, closes_at=now - timedelta(days=1), status=RFQStatus.CANCELLED
    )

    assert services.rfqs_close_due(now=now) == 1
    assert services.rfqs_close_due(now=now) == 0

    due.refresh_from_db()
    later.refresh_from_db()
    cancelled.refresh_from_db()
    assert (due.status, due.close_reason, due.closed_at) == ("closed", "deadline", now)
    assert due.events.last().actor is None and due.events.last().note == "Closing date passed"
    assert later.status == "open" and cancelled.status == "cancelled"


def test_the_digest_sends_one_mail_per_seller_and_nothing_twice(tree):
    fasteners_seller = seller_in(tree.fasteners, legal_name="Ningbo Fasteners")
    parent_seller = seller_in(tree.tools, legal_name="Tools General")
    food_seller = seller_in(tree.food, legal_name="Food Co")
    seller_in(tree.fasteners, verified=False, legal_name="Unverified")
    first = RFQFactory(category=tree.fasteners, title="Hex bolts M8")
    second = RFQFactory(category=tree.fasteners, title="Washers M8")
    RFQFactory(category=tree.fasteners, title="Invited only", visibility=RFQVisibility.INVITED)
    old = RFQFactory(category=tree.fasteners, title="Old one")
    now = timezone.now()
    RFQ.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=3))

    sent = services.rfqs_digest_send(now=now)

    assert sent == 2
    by_recipient = {m.to[0]: m for m in mail.outbox}
    fasteners_mail = by_recipient[fasteners_seller.members.get().email]
    assert parent_seller.members.get().email in by_recipient
    assert food_seller.members.get().email not in by_recipient
    assert fasteners_mail.subject == "2 new requests for quotation in your categories"
    assert "Hex bolts M8" in fasteners_mail.body and "Washers M8" in fasteners_mail.body
    assert (
        f"/rfqs/{first.pk}/" in fasteners_mail.body and f"/rfqs/{second.pk}/" in fasteners_mail.body
    )
    assert "Invited only" not in fasteners_mail.body and "Old one" not in fasteners_mail.body
    assert RFQDigest.objects.filter(day=timezone.localdate(now)).count() == 2

    # Run again the same day: nothing; the next day with nothing new: nothing.
    assert services.rfqs_digest_send(now=now + timedelta(minutes=5)) == 0
    assert services.rfqs_digest_send(now=now + timedelta(days=1)) == 0
    assert len(mail.outbox) == 2
    # A new RFQ the next day: only it.
    RFQFactory(category=tree.fasteners, title="Nuts M8")
    assert services.rfqs_digest_send(now=timezone.now() + timedelta(days=1)) == 2
    assert "Nuts M8" in mail.outbox[-1].body and "Hex bolts M8" not in mail.outbox[-1].body
