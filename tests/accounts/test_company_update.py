import pytest
from django.core.exceptions import PermissionDenied

from marketplace.accounts.enums import MembershipRole, VerificationStatus
from marketplace.accounts.models import Company, CompanyVerificationEvent
from marketplace.accounts.services import company_update
from marketplace.core.exceptions import DomainError
from tests.factories import CompanyFactory, MembershipFactory
from tests.factories import company_profile as profile

pytestmark = pytest.mark.django_db


def snapshot(company: Company) -> dict:
    company.refresh_from_db()
    return {
        **profile(company),
        "verification_status": company.verification_status,
        "events": CompanyVerificationEvent.objects.filter(company=company).count(),
    }


def test_company_update_changes_the_profile_and_keeps_the_slug():
    membership = MembershipFactory(company__slug="acme", role=MembershipRole.ADMIN)
    company = membership.company

    updated = company_update(
        company=company,
        actor=membership.user,
        **profile(company, trading_name="Acme Export", city="Bremen", buys=False),
    )

    updated.refresh_from_db()
    assert (updated.trading_name, updated.city, updated.buys, updated.slug) == (
        "Acme Export",
        "Bremen",
        False,
        "acme",
    )


def test_company_update_of_a_verified_companys_identity_sends_it_back_to_review():
    membership = MembershipFactory(company=CompanyFactory(verified=True))
    company = membership.company

    updated = company_update(
        company=company,
        actor=membership.user,
        **profile(company, legal_name="Renamed GmbH", registration_number="HRB 999"),
    )

    assert updated.verification_status == VerificationStatus.PENDING
    assert updated.verified_at is None
    event = CompanyVerificationEvent.objects.get(company=company)
    assert (event.from_status, event.to_status, event.note) == (
        "verified",
        "pending",
        "Changed after verification: legal name, registration number.",
    )


def test_company_update_by_a_staff_member_is_refused():
    membership = MembershipFactory(role=MembershipRole.STAFF)
    before = snapshot(membership.company)

    with pytest.raises(PermissionDenied):
        company_update(
            company=membership.company,
            actor=membership.user,
            **profile(membership.company, city="Bremen"),
        )

    assert snapshot(membership.company) == before


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"sells": False, "buys": False}, "sells", "no_role"),
        ({"country": "US", "eori_number": "DE123456789"}, "eori_number", "eori_not_applicable"),
        ({"country": "ZZ"}, "country", "unknown_country"),
    ],
)
def test_company_update_with_bad_input_changes_nothing(overrides, field, code):
    membership = MembershipFactory()
    before = snapshot(membership.company)

    with pytest.raises(DomainError) as excinfo:
        company_update(
            company=membership.company,
            actor=membership.user,
            **profile(membership.company, **overrides),
        )

    assert (excinfo.value.field, excinfo.value.code) == (field, code)
    assert snapshot(membership.company) == before
