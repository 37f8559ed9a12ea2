"""Submit, approve, reject, archive, delete: the transition table, events and seller emails."""

import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from listings.enums import LISTING_TRANSITIONS, ListingStatus
from listings.models import Listing, ModerationEvent, PriceTier
from listings.services import (
    TierInput,
    listing_approve,
    listing_archive,
    listing_delete,
    listing_moderation_notify,
    listing_reject,
    listing_submit,
    listing_update,
)
from listings.tasks import listing_moderation_notify_task
from marketplace.accounts.enums import MembershipRole
from marketplace.core.exceptions import Conflict, InvalidTransition
from tests.factories import CompanyFactory, MembershipFactory, UserFactory, staff_user
from tests.listings.factories import ListingFactory

pytestmark = pytest.mark.django_db


def _row(listing: Listing) -> tuple:
    return Listing.objects.values_list(
        "status", "rejection_reason", "published_at", "updated_at"
    ).get(pk=listing.pk)


def _events(listing: Listing) -> list[tuple]:
    return list(
        ModerationEvent.objects.filter(listing=listing)
        .order_by("id")
        .values_list("from_status", "to_status", "note", "actor__email")
    )


# --- the happy journey --------------------------------------------------------------------


def test_submit_approve_publishes_with_date_and_events(seller, seller_user, staff_user):
    listing = ListingFactory(seller=seller)

    listing_submit(listing=listing, actor=seller_user)
    approved = listing_approve(listing=listing, actor=staff_user)

    assert approved.status == ListingStatus.PUBLISHED
    assert approved.published_at is not None
    assert _events(listing) == [
        ("draft", "pending_review", "Submitted", "owner@ningbo.test"),
        ("pending_review", "published", "", "moderator@platform.test"),
    ]


def test_reject_stores_the_reason_and_resubmission_clears_it_on_publish(
    seller, seller_user, staff_user
):
    listing = ListingFactory(seller=seller, pending=True)

    rejected = listing_reject(listing=listing, actor=staff_user, reason="  Photos are blurry.  ")
    assert (rejected.status, rejected.rejection_reason) == ("rejected", "Photos are blurry.")

    listing_submit(listing=listing, actor=seller_user)
    published = listing_approve(listing=listing, actor=staff_user)

    assert (published.status, published.rejection_reason) == ("published", "")
    assert _events(listing) == [
        ("pending_review", "rejected", "Photos are blurry.", "moderator@platform.test"),
        ("rejected", "pending_review", "Submitted", "owner@ningbo.test"),
        ("pending_review", "published", "", "moderator@platform.test"),
    ]


def test_archive_by_the_seller_from_published(seller, seller_user):
    listing = ListingFactory(seller=seller, published=True)

    archived = listing_archive(listing=listing, actor=seller_user)

    assert archived.status == ListingStatus.ARCHIVED
    assert _events(listing) == [("published", "archived", "", "owner@ningbo.test")]


def test_delete_a_draft_removes_it_with_its_tiers(seller, seller_user):
    listing = ListingFactory(seller=seller)

    listing_delete(listing=listing, actor=seller_user)

    assert not Listing.objects.filter(pk=listing.pk).exists()
    assert PriceTier.objects.filter(listing_id=listing.pk).count() == 0


# --- refusals -----------------------------------------------------------------------------


def test_approving_an_unverified_sellers_listing_is_a_conflict_and_changes_nothing(staff_user):
    listing = ListingFactory(seller=CompanyFactory(seller=True), pending=True)
    before = _row(listing)

    with pytest.raises(Conflict) as caught:
        listing_approve(listing=listing, actor=staff_user)

    assert caught.value.code == "seller_not_verified"
    assert caught.value.message.endswith("is not verified yet; its listings cannot be published.")
    assert _row(listing) == before
    assert ModerationEvent.objects.count() == 0


def test_only_platform_staff_may_approve_or_reject(seller, seller_user):
    listing = ListingFactory(seller=seller, pending=True)
    before = _row(listing)

    with pytest.raises(PermissionDenied):
        listing_approve(listing=listing, actor=seller_user)
    with pytest.raises(PermissionDenied):
        listing_reject(listing=listing, actor=seller_user, reason="Self-rejection")

    assert _row(listing) == before
    assert ModerationEvent.objects.count() == 0


def test_reject_without_a_reason_is_refused(seller, staff_user):
    listing = ListingFactory(seller=seller, pending=True)
    before = _row(listing)

    with pytest.raises(ValidationError) as caught:
        listing_reject(listing=listing, actor=staff_user, reason="   ")

    assert caught.value.message_dict == {
        "reason": ["Give a reason for the rejection; the seller will see it."]
    }
    assert _row(listing) == before
    assert ModerationEvent.objects.count() == 0


# Each (service, starting status) the table or the service refuses.
REFUSED = [
    ("submit", ListingStatus.PENDING_REVIEW),
    ("submit", ListingStatus.PUBLISHED),
    ("submit", ListingStatus.ARCHIVED),
    ("approve", ListingStatus.DRAFT),
    ("approve", ListingStatus.PUBLISHED),
    ("approve", ListingStatus.REJECTED),
    ("approve", ListingStatus.ARCHIVED),
    ("reject", ListingStatus.DRAFT),
    ("reject", ListingStatus.PUBLISHED),
    ("reject", ListingStatus.REJECTED),
    ("reject", ListingStatus.ARCHIVED),
    ("archive", ListingStatus.ARCHIVED),
    ("delete", ListingStatus.PENDING_REVIEW),
    ("delete", ListingStatus.PUBLISHED),
    ("delete", ListingStatus.REJECTED),
    ("delete", ListingStatus.ARCHIVED),
]


@pytest.mark.parametrize(("action", "status"), REFUSED)
def test_a_transition_outside_the_table_is_refused(action, status, seller, seller_user, staff_user):
    listing = ListingFactory(seller=seller, status=status)
    before = _row(listing)
    calls = {
        "submit": lambda: listing_submit(listing=listing, actor=seller_user),
        "approve": lambda: listing_approve(listing=listing, actor=staff_user),
        "reject": lambda: listing_reject(listing=listing, actor=staff_user, reason="No"),
        "archive": lambda: listing_archive(listing=listing, actor=seller_user),
        "delete": lambda: listing_delete(listing=listing, actor=seller_user),
    }

    with pytest.raises(InvalidTransition) as caught:
        calls[action]()

    assert caught.value.current == status
    assert _row(listing) == before
    assert ModerationEvent.objects.count() == 0


def test_the_transition_table_is_the_documented_lifecycle():
    assert {k: set(v) for k, v in LISTING_TRANSITIONS.items()} == {
        "draft": {"pending_review", "archived"},
        "pending_review": {"published", "rejected", "archived"},
        "published": {"pending_review", "archived"},
        "rejected": {"pending_review", "archived"},
        "archived": set(),
    }


def test_seller_b_cannot_submit_archive_or_delete_seller_as_listing(seller):
    listing = ListingFactory(seller=seller)
    other = MembershipFactory(company=CompanyFactory(seller=True, verified=True)).user
    before = _row(listing)

    for call in (listing_submit, listing_archive, listing_delete):
        with pytest.raises(PermissionDenied):
            call(listing=listing, actor=other)

    assert _row(listing) == before


# --- concurrency --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_moderators_deciding_at_once_exactly_one_wins():
    seller = CompanyFactory(seller=True, verified=True)
    listing = ListingFactory(seller=seller, pending=True)
    first = staff_user("moderators")
    second = staff_user("moderators")
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def decide(name: str, call) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[name] = call().status
        except Exception as error:
            outcomes[name] = error
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=decide,
            args=("approve", lambda: listing_approve(listing=listing, actor=first)),
        ),
        threading.Thread(
            target=decide,
            args=(
                "reject",
                lambda: listing_reject(listing=listing, actor=second, reason="Duplicate"),
            ),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    winners = [name for name, value in outcomes.items() if isinstance(value, str)]
    losers = [value for value in outcomes.values() if isinstance(value, InvalidTransition)]
    assert len(winners) == 1
    assert len(losers) == 1
    listing.refresh_from_db()
    assert listing.status == {"approve": "published", "reject": "rejected"}[winners[0]]
    assert ModerationEvent.objects.filter(listing=listing).count() == 1


# --- emails -------------------------------------------------------------------------------


def test_approve_enqueues_the_seller_email_after_commit(
    seller, staff_user, django_capture_on_commit_callbacks, monkeypatch
):
    listing = ListingFactory(seller=seller, pending=True)
    enqueued: list[dict] = []
    monkeypatch.setattr(listing_moderation_notify_task, "delay", lambda **kw: enqueued.append(kw))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        listing_approve(listing=listing, actor=staff_user)

    event = ModerationEvent.objects.get(listing=listing)
    assert len(callbacks) == 1
    assert enqueued == [{"event_id": event.pk}]


def test_the_approval_email_goes_to_the_sellers_owners_and_admins_once(seller, staff_user):
    MembershipFactory(company=seller, user=UserFactory(email="admin@ningbo.test"), role="admin")
    MembershipFactory(
        company=seller, user=UserFactory(email="clerk@ningbo.test"), role=MembershipRole.STAFF
    )
    MembershipFactory(company=seller, user=UserFactory(email="owner@ningbo.test"))
    listing = ListingFactory(seller=seller, pending=True, title="Hex bolts M8")
    listing_approve(listing=listing, actor=staff_user)
    event = ModerationEvent.objects.get(listing=listing)

    assert listing_moderation_notify_task(event_id=event.pk) is True
    assert listing_moderation_notify_task(event_id=event.pk) is False  # redelivered: no resend

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Published: Hex bolts M8"
    assert message.to == ["admin@ningbo.test", "owner@ningbo.test"]
    assert 'Your listing "Hex bolts M8" of Ningbo Fasteners Co., Ltd. has been approved' in (
        message.body
    )
    event.refresh_from_db()
    assert event.notified_at is not None


def test_the_rejection_email_carries_the_reason(seller, seller_user, staff_user):
    listing = ListingFactory(seller=seller, pending=True, title="Hex bolts M8")
    listing_reject(listing=listing, actor=staff_user, reason="Wrong HS code: use 731815.")
    event = ModerationEvent.objects.get(listing=listing)

    listing_moderation_notify(event_id=event.pk)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Needs changes: Hex bolts M8"
    assert "The reviewer's reason:\nWrong HS code: use 731815.\n" in mail.outbox[0].body
    assert mail.outbox[0].to == ["owner@ningbo.test"]


def test_no_email_for_a_submit_event(seller, seller_user):
    listing = ListingFactory(seller=seller)
    listing_submit(listing=listing, actor=seller_user)
    event = ModerationEvent.objects.get(listing=listing)

    assert listing_moderation_notify(event_id=event.pk) is False
    assert mail.outbox == []


def test_a_published_price_edit_then_approval_republishes(seller, seller_user, staff_user):
    listing = ListingFactory(seller=seller, published=True)
    listing_update(
        listing=listing,
        actor=seller_user,
        price_tiers=[TierInput(100, Decimal("1.1000"))],
    )

    republished = listing_approve(listing=listing, actor=staff_user)

    assert republished.status == ListingStatus.PUBLISHED
    assert [e[:3] for e in _events(listing)] == [
        ("published", "pending_review", "Changed: price tiers"),
        ("pending_review", "published", ""),
    ]
