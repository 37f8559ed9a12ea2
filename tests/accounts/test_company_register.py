import pytest

from marketplace.accounts.enums import MembershipRole, VerificationStatus
from marketplace.accounts.models import Company, Membership, User
from marketplace.accounts.services import company_register
from marketplace.core.exceptions import DomainError
from tests.factories import CompanyFactory, UserFactory

pytestmark = pytest.mark.django_db


def registration(**overrides) -> dict:
    data = {
        "email": "Anna.Schmidt@Example.com",
        "password": "a-long-and-unusual-passphrase",
        "full_name": "Anna Schmidt",
        "legal_name": "Schmidt Maschinenbau GmbH",
        "trading_name": "Schmidt Machines",
        "country": "DE",
        "address_line1": "Hafenstraße 12",
        "city": "Hamburg",
        "postal_code": "20457",
        "sells": True,
        "buys": False,
        "default_currency": "EUR",
        "registration_number": "HRB 123456",
        "vat_number": "DE123456789",
        "eori_number": "de123456789012345",
    }
    return {**data, **overrides}


def counts() -> tuple[int, int, int]:
    return (User.objects.count(), Company.objects.count(), Membership.objects.count())


def test_company_register_creates_user_company_and_owner_membership():
    membership = company_register(**registration())

    user, company = membership.user, membership.company
    assert membership.role == MembershipRole.OWNER
    assert user.email == "anna.schmidt@example.com"
    assert user.full_name == "Anna Schmidt"
    assert user.check_password("a-long-and-unusual-passphrase") is True
    assert company.legal_name == "Schmidt Maschinenbau GmbH"
    assert company.slug == "schmidt-machines"
    assert company.country.code == "DE"
    assert company.eori_number == "DE123456789012345"
    assert (company.sells, company.buys) == (True, False)
    assert company.verification_status == VerificationStatus.UNVERIFIED
    assert counts() == (1, 1, 1)


def test_company_register_slug_is_unique_when_the_name_is_taken():
    CompanyFactory(slug="schmidt-machines")
    CompanyFactory(slug="schmidt-machines-2")

    membership = company_register(**registration())

    assert membership.company.slug == "schmidt-machines-3"


def test_company_register_slug_falls_back_to_the_legal_name_and_to_company():
    first = company_register(**registration(trading_name=""))
    second = company_register(
        **registration(email="li@example.cn", legal_name="深圳五金有限公司", trading_name="")
    )

    assert first.company.slug == "schmidt-maschinenbau-gmbh"
    assert second.company.slug == "company"


def _refused(**overrides) -> DomainError:
    before = counts()
    with pytest.raises(DomainError) as excinfo:
        company_register(**registration(**overrides))
    assert counts() == before
    return excinfo.value


def test_company_register_refuses_an_email_already_taken_in_another_case():
    UserFactory(email="anna.schmidt@example.com")

    error = _refused(email="ANNA.SCHMIDT@example.COM")

    assert (error.field, error.code) == ("email", "duplicate_email")
    assert error.message == "An account with this email address already exists."


def test_company_register_refuses_a_weak_password():
    error = _refused(password="password")

    assert (error.field, error.code) == ("password", "weak_password")
    assert error.message == (
        "This password is too short. It must contain at least 10 characters. "
        "This password is too common."
    )


def test_company_register_refuses_an_unknown_country():
    error = _refused(country="XX", eori_number="")

    assert (error.field, error.code) == ("country", "unknown_country")
    assert error.message == "“XX” is not a country we know. Choose the country from the list."


def test_company_register_refuses_a_company_that_neither_sells_nor_buys():
    error = _refused(sells=False, buys=False)

    assert (error.field, error.code) == ("sells", "no_role")
    assert error.message == "Choose whether the company sells, buys, or both."


def test_company_register_refuses_an_eori_number_in_a_country_without_eori():
    error = _refused(country="US", eori_number="US123456789")

    assert (error.field, error.code) == ("eori_number", "eori_not_applicable")


def test_company_register_refuses_an_unsupported_currency():
    error = _refused(default_currency="XYZ")

    assert (error.field, error.code) == ("default_currency", "unknown_currency")


def test_company_register_refuses_a_missing_legal_name():
    error = _refused(legal_name="   ")

    assert (error.field, error.message) == ("legal_name", "Enter the company's legal name.")


def test_company_register_refuses_an_invalid_email():
    error = _refused(email="not-an-email")

    assert (error.field, error.message) == ("email", "Enter a valid email address.")


def test_company_register_refuses_an_overlong_field_through_the_model_limits():
    error = _refused(city="x" * 101)

    assert error.field == "city"
    assert error.message == "Ensure this value has at most 100 characters (it has 101)."
