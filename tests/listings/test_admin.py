"""Moderation in Django admin, through the test client."""

import pytest
from django.contrib.admin import helpers
from django.contrib.messages import get_messages
from django.urls import reverse

from listings.models import Listing, ModerationEvent
from tests.factories import CompanyFactory, UserFactory, admin_login
from tests.listings.factories import ListingFactory, image_add_ready, image_upload

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:listings_listing_changelist")
QUEUE = reverse("admin:listings_pendinglisting_changelist")


@pytest.fixture
def moderator(client):
    user = UserFactory(email="moderator@platform.example", is_staff=True, is_superuser=True)
    admin_login(client, user)
    return user


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _statuses(*listings: Listing) -> list[str]:
    return [Listing.objects.get(pk=x.pk).status for x in listings]


def _post_action(client, url, action, listings, **extra):
    data = {"action": action, helpers.ACTION_CHECKBOX_NAME: [x.pk for x in listings], **extra}
    return client.post(url, data, follow=True)


def test_the_queue_shows_only_pending_listings(client, moderator):
    pending = ListingFactory(pending=True, title="Pending bolts")
    ListingFactory(published=True, title="Published bolts")

    response = client.get(QUEUE)

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [pending]


def test_the_changelist_filters_by_status_and_verification_and_searches_by_hs_code(
    client, moderator
):
    verified = ListingFactory(pending=True, title="Verified seller bolts")
    unverified = ListingFactory(
        pending=True, title="Unverified seller bolts", seller=CompanyFactory(seller=True)
    )
    ListingFactory(published=True, title="Live bolts")

    by_status = client.get(CHANGELIST, {"status__exact": "pending_review"})
    assert set(by_status.context["cl"].result_list) == {verified, unverified}
    by_verification = client.get(CHANGELIST, {"seller_verified": "no"})
    assert list(by_verification.context["cl"].result_list) == [unverified]
    by_hs = client.get(CHANGELIST, {"q": "731815"})
    assert by_hs.context["cl"].result_count == 3
    by_title = client.get(CHANGELIST, {"q": "Unverified"})
    assert list(by_title.context["cl"].result_list) == [unverified]


def test_the_change_page_shows_tiers_photo_and_history(client, moderator, seller, seller_user):
    from listings.services import listing_submit

    listing = ListingFactory(seller=seller)
    image_add_ready(listing=listing, actor=seller_user, file=image_upload(), alt_text="Box")
    listing_submit(listing=listing, actor=seller_user)

    response = client.get(reverse("admin:listings_listing_change", args=[listing.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "moderation history" in body.lower()
    assert 'alt="Box"' in body
    assert "1.2000" in body and "1.0500" in body
    assert "Submitted" in body


def test_approve_action_publishes_and_reports_unverified_sellers(client, moderator):
    good = ListingFactory(pending=True, title="Good bolts")
    unverified = ListingFactory(
        pending=True, title="Unverified bolts", seller=CompanyFactory(seller=True)
    )
    draft = ListingFactory(title="Draft bolts")

    response = _post_action(client, CHANGELIST, "approve_selected", [good, unverified, draft])

    assert _statuses(good, unverified, draft) == ["published", "pending_review", "draft"]
    messages = _messages(response)
    assert any(
        m.startswith("“Unverified bolts”: not approved.") and "is not verified yet" in m
        for m in messages
    )
    assert (
        "“Draft bolts”: not approved, because it is draft; only listings pending review can be "
        "approved or rejected."
    ) in messages
    assert "1 listing approved." in messages
    assert list(ModerationEvent.objects.values_list("listing_id", "to_status")) == [
        (good.pk, "published")
    ]


def test_reject_action_asks_for_a_reason_first(client, moderator):
    listing = ListingFactory(pending=True)

    response = _post_action(client, QUEUE, "reject_selected", [listing])

    assert response.status_code == 200
    assert response.templates[0].name == "listings/admin/listing_reject.html"
    assert _statuses(listing) == ["pending_review"]
    assert ModerationEvent.objects.count() == 0


def test_reject_without_a_reason_shows_the_form_again_and_changes_nothing(client, moderator):
    listing = ListingFactory(pending=True)

    response = _post_action(client, QUEUE, "reject_selected", [listing], apply="1", reason="   ")

    assert response.templates[0].name == "listings/admin/listing_reject.html"
    assert "Give a reason for the rejection; the seller will see it." in response.content.decode()
    assert _statuses(listing) == ["pending_review"]
    assert ModerationEvent.objects.count() == 0


def test_bulk_reject_with_a_reason_rejects_every_selected_listing(client, moderator):
    first, second = ListingFactory(pending=True), ListingFactory(pending=True)

    response = _post_action(
        client,
        CHANGELIST,
        "reject_selected",
        [first, second],
        apply="1",
        reason="Photos show a different product.",
    )

    assert _statuses(first, second) == ["rejected", "rejected"]
    assert set(Listing.objects.values_list("rejection_reason", flat=True)) == {
        "Photos show a different product."
    }
    assert "2 listings rejected." in _messages(response)
    assert ModerationEvent.objects.filter(note="Photos show a different product.").count() == 2


def test_non_staff_users_cannot_reach_the_moderation_admin(client):
    listing = ListingFactory(pending=True)
    client.force_login(UserFactory())

    response = client.post(
        QUEUE, {"action": "approve_selected", helpers.ACTION_CHECKBOX_NAME: [listing.pk]}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert _statuses(listing) == ["pending_review"]


def test_admin_cannot_add_or_delete_listings(client, moderator):
    assert client.get(reverse("admin:listings_listing_add")).status_code == 403
    listing = ListingFactory()
    assert (
        client.get(reverse("admin:listings_listing_delete", args=[listing.pk])).status_code == 403
    )
