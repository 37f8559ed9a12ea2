"""Verification stays true: a verified seller that changes what was verified (names, country,
address, registration or VAT number) goes back to review, and its listings stop showing it as
verified (badge, search facet, API) until staff verify it again. Other edits keep it verified;
its published listings stay published."""

import pytest
from django.urls import reverse

from listings.enums import ListingStatus
from marketplace.accounts.enums import VerificationStatus
from marketplace.accounts.models import Company, CompanyVerificationEvent
from marketplace.accounts.services import company_update, company_verify
from tests.factories import company_profile as profile
from tests.factories import staff_user
from tests.listings.factories import ListingFactory

pytestmark = pytest.mark.django_db

PROFILE_URL = reverse("accounts:company_profile")


def profile_form(company: Company, **overrides) -> dict:
    data = {**profile(company), "sells": "on", **overrides}
    data.pop("buys")
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def bolts(seller, hs_codes):
    return ListingFactory(seller=seller, title="Stainless hex bolts M8", published=True)


def _badges(client, listing) -> tuple[bool, bool]:
    content = client.get(reverse("listings:detail", args=[listing.pk])).content.decode()
    return "Verified seller" in content, "Not verified" in content


def _in_verified_search(client, api_client, listing) -> tuple[bool, bool]:
    """Whether ``listing`` is among the "verified sellers only" results: page and API."""
    html = client.get(reverse("listings:search"), {"q": "hex", "verified": "on"})
    api = api_client.get("/api/v1/listings/", {"q": "hex", "verified": "true"})
    assert (html.status_code, api.status_code) == (200, 200)
    results = html.content.decode().split('id="search-results"')[1]
    return listing.title in results, listing.pk in [row["id"] for row in api.json()["results"]]


def test_changing_the_trading_name_in_the_form_sends_the_seller_back_to_review(
    client, api_client, seller, seller_user, bolts
):
    assert _badges(client, bolts) == (True, False)
    assert _in_verified_search(client, api_client, bolts) == (True, True)
    client.force_login(seller_user)

    response = client.post(
        PROFILE_URL, profile_form(seller, trading_name="Ningbo Bolts"), follow=True
    )

    assert [str(m) for m in response.context["messages"]] == [
        "Ningbo Bolts's profile is saved.",
        "You changed details that were verified: the company is back in review and shows as "
        "verified again once our team has checked them.",
    ]
    seller.refresh_from_db()
    assert (seller.verification_status, seller.verified_at, seller.trading_name) == (
        VerificationStatus.PENDING,
        None,
        "Ningbo Bolts",
    )
    event = CompanyVerificationEvent.objects.get(company=seller)
    assert (event.actor, event.from_status, event.to_status, event.note) == (
        seller_user,
        "verified",
        "pending",
        "Changed after verification: trading name.",
    )
    client.logout()
    assert _badges(client, bolts) == (False, True)
    assert _in_verified_search(client, api_client, bolts) == (False, False)
    bolts.refresh_from_db()
    assert bolts.status == ListingStatus.PUBLISHED  # still listed, without the badge
    api = api_client.get(f"/api/v1/listings/{bolts.pk}/").json()
    assert api["seller"]["verified"] is False

    company_verify(company=seller, actor=staff_user("verification"))

    assert _badges(client, bolts) == (True, False)
    assert _in_verified_search(client, api_client, bolts) == (True, True)


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("legal_name", "Ningbo Fasteners Group Co., Ltd.", "legal name"),
        ("trading_name", "Ningbo Bolts", "trading name"),
        ("country", "FR", "country"),
        ("address_line1", "No. 1 Harbour Road", "address"),
        ("address_line2", "Building B", "address (line 2)"),
        ("city", "Ningbo", "city"),
        ("region", "Zhejiang", "state / province"),
        ("postal_code", "315000", "postal code"),
        ("registration_number", "91330200MA2A7K3L1X", "registration number"),
        ("vat_number", "CN91330200", "VAT / tax id"),
    ],
)
def test_each_verified_detail_sends_the_company_back_to_review(
    seller, seller_user, field, value, label
):
    updated = company_update(company=seller, actor=seller_user, **profile(seller, **{field: value}))

    assert updated.verification_status == VerificationStatus.PENDING
    assert list(
        CompanyVerificationEvent.objects.filter(company=seller).values_list(
            "from_status", "to_status", "note"
        )
    ) == [("verified", "pending", f"Changed after verification: {label}.")]


@pytest.mark.parametrize(
    "changes",
    [{"buys": True}, {"default_currency": "USD"}, {"address_line1": None}],
    ids=["also-buys", "currency", "nothing"],
)
def test_other_edits_keep_the_company_verified(client, seller, seller_user, bolts, changes):
    changes = {k: v for k, v in changes.items() if v is not None}

    updated = company_update(company=seller, actor=seller_user, **profile(seller, **changes))

    assert updated.verification_status == VerificationStatus.VERIFIED
    assert updated.verified_at is not None
    assert not CompanyVerificationEvent.objects.exists()
    assert _badges(client, bolts) == (True, False)


def test_an_unverified_company_stays_unverified_when_its_details_change(db):
    from tests.factories import CompanyFactory, MembershipFactory

    membership = MembershipFactory(company=CompanyFactory(legal_name="Fresh Ltd"))

    updated = company_update(
        company=membership.company,
        actor=membership.user,
        **profile(membership.company, legal_name="Fresh Trading Ltd"),
    )

    assert updated.verification_status == VerificationStatus.UNVERIFIED
    assert not CompanyVerificationEvent.objects.exists()
