"""Staff powers follow Django permissions and the staff groups, not ``is_staff`` alone."""

import importlib

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from marketplace.accounts.enums import DocumentKind, VerificationStatus
from marketplace.accounts.models import Company, CompanyDocument, SecurityEvent
from marketplace.accounts.services import (
    DocumentUpload,
    company_verification_submit,
    company_verify,
)
from marketplace.accounts.staff import STAFF_GROUPS, staff_may
from orders.models import Order
from payments import disputes
from tests.accounts.conftest import PDF_BYTES, pdf_upload
from tests.documents.issued import document_bytes, issue_document, order_with_parties
from tests.factories import (
    CompanyFactory,
    MembershipFactory,
    UserFactory,
    admin_login,
    api_token_for,
    staff_user,
)
from tests.listings.factories import ListingFactory

pytestmark = pytest.mark.django_db

LEDGER_URLS = ["/api/v1/ledger/balances/", "/api/v1/ledger/check/"]


def _perms(group: Group) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_the_migration_made_the_four_staff_groups_with_their_permissions():
    groups = {group.name: _perms(group) for group in Group.objects.filter(name__in=STAFF_GROUPS)}

    assert groups == {name: set(perms) for name, perms in STAFF_GROUPS.items()}
    frozen = {
        name: set(perms)
        for name, perms in importlib.import_module(
            "payments.migrations.0006_staff_groups"
        ).GROUPS.items()
    }
    added = importlib.import_module("payments.migrations.0007_negotiation_staff_groups").ADDED
    for name, perms in added.items():
        frozen[name] |= set(perms)
    assert frozen == {name: set(perms) for name, perms in STAFF_GROUPS.items()}
    assert "payments.export_bank_payouts" in groups["finance"]
    assert "ledger.view_ledger" in groups["finance"]
    assert "accounts.view_verification_document" in groups["verification"]
    assert "listings.moderate_listing" in groups["moderators"]
    assert "documents.view_any_trade_document" not in set().union(*groups.values())


def test_staff_may_needs_staff_status_activity_and_the_permission():
    finance = staff_user("finance")
    not_staff = UserFactory()
    not_staff.groups.add(Group.objects.get(name="finance"))
    inactive = staff_user("finance", is_active=False)
    superuser = UserFactory(is_staff=True, is_superuser=True)

    assert staff_may(finance, "ledger.view_ledger") is True
    assert staff_may(finance, "listings.moderate_listing") is False
    assert staff_may(not_staff, "ledger.view_ledger") is False
    assert staff_may(inactive, "ledger.view_ledger") is False
    assert staff_may(superuser, "ledger.view_ledger") is True
    assert staff_may(None, "ledger.view_ledger") is False


# --- the ledger API ----------------------------------------------------------------------------


@pytest.mark.parametrize("url", LEDGER_URLS)
def test_staff_without_the_ledger_permission_are_refused_403_and_it_is_recorded(api_client, url):
    refused = staff_user("support", "moderators", "verification", email="ops@platform.example")

    response = api_client.get(url, HTTP_AUTHORIZATION=f"Token {api_token_for(refused)}")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "This needs platform staff with a permission you do not have."
    }
    event = SecurityEvent.objects.get(kind="permission_denied")
    assert (event.user, event.email, event.object_ref) == (refused, "ops@platform.example", url)
    assert event.details == {
        "method": "GET",
        "path": url,
        "reason": "This needs platform staff with a permission you do not have.",
        "api": True,
    }


@pytest.mark.parametrize("url", LEDGER_URLS)
@pytest.mark.parametrize("who", ["finance", "superuser"])
def test_finance_staff_and_superusers_read_the_ledger(api_client, url, who):
    user = (
        staff_user("finance") if who == "finance" else UserFactory(is_staff=True, is_superuser=True)
    )

    response = api_client.get(url, HTTP_AUTHORIZATION=f"Token {api_token_for(user)}")

    assert response.status_code == 200


# --- verification documents --------------------------------------------------------------------


@pytest.fixture
def verification_document(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    membership = MembershipFactory()
    company_verification_submit(
        company=membership.company,
        actor=membership.user,
        documents=[DocumentUpload(kind=DocumentKind.OTHER, file=pdf_upload("deed.pdf"))],
    )
    return CompanyDocument.objects.get()


@pytest.mark.parametrize("groups", [(), ("finance", "moderators", "support")])
def test_staff_without_the_document_permission_get_404_for_a_verification_document(
    client, verification_document, groups
):
    client.force_login(staff_user(*groups))

    response = client.get(reverse("accounts:company_document", args=[verification_document.pk]))

    assert response.status_code == 404
    assert PDF_BYTES not in response.content


@pytest.mark.parametrize("who", ["verification", "superuser"])
def test_verification_staff_and_superusers_download_a_verification_document(
    client, verification_document, who
):
    user = staff_user("verification") if who == "verification" else None
    client.force_login(user or UserFactory(is_staff=True, is_superuser=True))

    response = client.get(reverse("accounts:company_document", args=[verification_document.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES


# --- company verification ------------------------------------------------------------------------


def test_staff_without_the_verify_permission_cannot_verify_a_company():
    company = CompanyFactory(verification_status=VerificationStatus.PENDING)

    with pytest.raises(PermissionDenied):
        company_verify(company=company, actor=staff_user("support", "finance", "moderators"))

    company.refresh_from_db()
    assert company.verification_status == VerificationStatus.PENDING
    assert company.verification_events.count() == 0


def test_verification_staff_verify_a_company():
    company = CompanyFactory(verification_status=VerificationStatus.PENDING)

    company_verify(company=company, actor=staff_user("verification"))

    company.refresh_from_db()
    assert company.verification_status == VerificationStatus.VERIFIED


def test_the_admin_offers_the_verify_actions_only_to_staff_who_may_verify(client):
    company = CompanyFactory(verification_status=VerificationStatus.PENDING)
    viewer = staff_user("support")
    admin_login(client, viewer)
    url = reverse("admin:accounts_company_changelist")

    page = client.get(url)
    response = client.post(url, {"action": "verify_selected", "_selected_action": [company.pk]})

    assert page.status_code == 200
    assert "verify_selected" not in page.content.decode()
    assert response.status_code == 200  # no action is offered to support: the list again
    assert Company.objects.get(pk=company.pk).verification_status == VerificationStatus.PENDING


# --- trade documents of other companies ----------------------------------------------------------


def test_staff_without_the_trade_document_permission_get_404(client, api_client):
    parties = order_with_parties()
    document = issue_document(order=parties.order, number="NBF-CI-2026-00004")
    support = staff_user("support", "finance")
    client.force_login(support)

    browser = client.get(f"/documents/{document.pk}/download/")
    api = api_client.get(
        f"/api/v1/documents/{document.pk}/download/",
        HTTP_AUTHORIZATION=f"Token {api_token_for(support)}",
    )
    listing = api_client.get(
        f"/api/v1/orders/{parties.order.pk}/documents/",
        HTTP_AUTHORIZATION=f"Token {api_token_for(support)}",
    )

    assert (browser.status_code, api.status_code, listing.status_code) == (404, 404, 404)
    assert b"%PDF" not in browser.content


@pytest.mark.parametrize("who", ["permitted", "superuser"])
def test_staff_with_the_trade_document_permission_and_superusers_download(client, who):
    parties = order_with_parties()
    document = issue_document(order=parties.order, number="NBF-CI-2026-00004")
    if who == "permitted":
        user = staff_user(permissions=("documents.view_any_trade_document",))
    else:
        user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)

    response = client.get(f"/documents/{document.pk}/download/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == document_bytes(document)


# --- listing moderation --------------------------------------------------------------------------


def test_staff_who_do_not_moderate_cannot_approve_a_listing(api_client):
    listing = ListingFactory(seller=CompanyFactory(seller=True, verified=True), pending=True)
    api_client.force_authenticate(staff_user("finance", "verification", "support"))

    response = api_client.post(f"/api/v1/moderation/listings/{listing.pk}/approve/")

    assert response.status_code == 403
    listing.refresh_from_db()
    assert listing.status == "pending_review"


def test_staff_who_do_not_moderate_do_not_see_an_unpublished_listing(api_client):
    listing = ListingFactory(seller=CompanyFactory(seller=True, verified=True), pending=True)
    api_client.force_authenticate(staff_user("finance"))

    assert api_client.get(f"/api/v1/listings/{listing.pk}/").status_code == 404
    api_client.force_authenticate(staff_user("moderators"))
    assert api_client.get(f"/api/v1/listings/{listing.pk}/").status_code == 200


# --- disputes ------------------------------------------------------------------------------------


def test_staff_without_the_resolve_permission_cannot_resolve_a_dispute():
    order = order_with_parties().order
    before = Order.objects.values().get(pk=order.pk)

    with pytest.raises(PermissionDenied):
        disputes.dispute_resolve(
            order=order, actor=staff_user("support", "moderators"), outcome="release"
        )

    assert Order.objects.values().get(pk=order.pk) == before
