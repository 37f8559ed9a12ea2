import pytest

from marketplace.accounts.enums import MembershipRole, VerificationStatus
from tests.factories import DEFAULT_PASSWORD, CompanyFactory, MembershipFactory, UserFactory


@pytest.mark.django_db
def test_user_factory_user_can_sign_in_with_the_default_password():
    user = UserFactory()

    assert user.check_password(DEFAULT_PASSWORD) is True


@pytest.mark.django_db
def test_company_factory_traits_set_the_trade_roles_and_verification():
    seller = CompanyFactory(seller=True)
    buyer = CompanyFactory(buyer=True, verified=True)

    assert (seller.sells, seller.buys, seller.verification_status) == (
        True,
        False,
        VerificationStatus.UNVERIFIED,
    )
    assert (buyer.sells, buyer.buys, buyer.verification_status) == (
        False,
        True,
        VerificationStatus.VERIFIED,
    )
    assert buyer.verified_at is not None


@pytest.mark.django_db
def test_membership_factory_makes_the_user_an_owner_of_a_new_company():
    membership = MembershipFactory()

    assert membership.role == MembershipRole.OWNER
    assert list(membership.user.companies.all()) == [membership.company]
