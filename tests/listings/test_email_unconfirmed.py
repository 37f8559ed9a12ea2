"""A seller whose email is unconfirmed cannot create or submit a listing, in the browser or
the API: a 403 that says why (a resend button on the page), and nothing changes."""

import pytest
from django.urls import reverse

from listings import services
from listings.enums import ListingStatus
from listings.models import Listing, ModerationEvent
from marketplace.accounts.selectors import EMAIL_UNCONFIRMED_MESSAGE
from marketplace.core.exceptions import Forbidden
from tests.listings.factories import ListingFactory, listing_create_data
from tests.listings.test_api_listings import LIST_URL, detail_url, payload
from tests.listings.test_views_seller import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def unconfirmed(seller_user):
    seller_user.email_confirmed_at = None
    seller_user.save(update_fields=["email_confirmed_at"])
    return seller_user


def _state():
    return (
        list(Listing.objects.order_by("pk").values_list("pk", "status")),
        ModerationEvent.objects.count(),
    )


def test_listing_form_refuses_with_a_resend_button(client, unconfirmed, hs_codes):
    client.force_login(unconfirmed)

    page = client.get(reverse("listings:create"))
    post = client.post(reverse("listings:create"), form_data(submit="1"))

    for response in (page, post):
        assert response.status_code == 403
        assert "accounts/email_unconfirmed.html" in [t.name for t in response.templates]
        assert "Send me a new link" in response.content.decode()
    assert _state() == ([], 0)


def test_submit_button_refuses_and_the_draft_stays_a_draft(client, unconfirmed, seller):
    listing = ListingFactory(seller=seller)
    before = _state()
    client.force_login(unconfirmed)

    response = client.post(reverse("listings:submit", args=[listing.pk]))

    assert response.status_code == 403
    assert _state() == before
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DRAFT


def test_api_create_is_403_with_the_reason_and_saves_nothing(
    api_client, unconfirmed, seller, hs_codes
):
    api_client.force_authenticate(unconfirmed)

    response = api_client.post(LIST_URL, payload(seller), format="json")

    assert response.status_code == 403
    assert response.json() == {"detail": EMAIL_UNCONFIRMED_MESSAGE, "code": "email_unconfirmed"}
    assert _state() == ([], 0)


def test_api_submit_is_403_and_the_draft_stays_a_draft(api_client, unconfirmed, seller):
    listing = ListingFactory(seller=seller)
    before = _state()
    api_client.force_authenticate(unconfirmed)

    response = api_client.post(f"{detail_url(listing)}submit/")

    assert response.status_code == 403
    assert response.json()["code"] == "email_unconfirmed"
    assert _state() == before


def test_the_services_refuse_too(unconfirmed, seller, hs_codes):
    draft = ListingFactory(seller=seller)
    before = _state()

    with pytest.raises(Forbidden):
        services.listing_create(actor=unconfirmed, **listing_create_data(seller=seller))
    with pytest.raises(Forbidden):
        services.listing_submit(listing=draft, actor=unconfirmed)

    assert _state() == before
