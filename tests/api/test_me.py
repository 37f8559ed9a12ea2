import pytest

from marketplace.accounts.enums import MembershipRole
from tests.factories import CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/"


@pytest.fixture
def member():
    user = UserFactory(email="trader@example.com", full_name="Ana Trader")
    first = MembershipFactory(
        user=user,
        role=MembershipRole.OWNER,
        company=CompanyFactory(
            legal_name="Alpha Exports SA",
            trading_name="Alpha",
            slug="alpha",
            country="PT",
            seller=True,
            default_currency="EUR",
        ),
    ).company
    second = MembershipFactory(
        user=user,
        role=MembershipRole.STAFF,
        company=CompanyFactory(
            legal_name="Beta Imports Ltd",
            slug="beta",
            country="GB",
            buyer=True,
            verified=True,
            default_currency="GBP",
        ),
    ).company
    return user, first, second


def company_json(company, role: str) -> dict:
    return {
        "id": company.pk,
        "legal_name": company.legal_name,
        "trading_name": company.trading_name,
        "slug": company.slug,
        "country": company.country.code,
        "role": role,
        "sells": company.sells,
        "buys": company.buys,
        "verification_status": company.verification_status,
        "default_currency": company.default_currency,
    }


def test_me_without_header_acts_for_the_first_company(api_client, member):
    user, first, second = member
    api_client.force_authenticate(user)

    response = api_client.get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "email": "trader@example.com",
        "full_name": "Ana Trader",
        "companies": [company_json(first, "owner"), company_json(second, "staff")],
        "active_company": company_json(first, "owner"),
    }
    assert response.json()["companies"][0] == {
        "id": first.pk,
        "legal_name": "Alpha Exports SA",
        "trading_name": "Alpha",
        "slug": "alpha",
        "country": "PT",
        "role": "owner",
        "sells": True,
        "buys": False,
        "verification_status": "unverified",
        "default_currency": "EUR",
    }


def test_me_with_x_company_acts_for_that_company(api_client, member):
    user, _first, second = member
    api_client.force_authenticate(user)

    response = api_client.get(URL, HTTP_X_COMPANY=str(second.pk))

    assert response.status_code == 200
    assert response.json()["active_company"] == company_json(second, "staff")


@pytest.mark.parametrize("header", ["foreign", "abc", "-1", "1.5"])
def test_me_with_x_company_not_yours_is_403(api_client, member, header):
    user, _first, _second = member
    foreign = CompanyFactory()
    api_client.force_authenticate(user)
    value = str(foreign.pk) if header == "foreign" else header

    response = api_client.get(URL, HTTP_X_COMPANY=value)

    assert response.status_code == 403
    assert response.json() == {
        "detail": "The X-Company header does not name one of your companies."
    }


def test_me_with_a_token_and_x_company(api_client, member):
    from tests.factories import api_token_for

    user, _first, second = member
    api_client.credentials(
        HTTP_AUTHORIZATION=f"Token {api_token_for(user)}",
        HTTP_X_COMPANY=str(second.pk),
    )

    assert api_client.get(URL).json()["active_company"]["id"] == second.pk


def test_me_for_a_session_user_follows_the_company_switched_to_in_the_browser(client, member):
    user, _first, second = member
    client.force_login(user)
    client.post("/accounts/company/switch/", {"company_id": second.pk})

    assert client.get(URL).json()["active_company"]["id"] == second.pk


def test_me_for_a_user_without_companies_has_no_active_company(api_client):
    user = UserFactory(email="solo@example.com", full_name="")
    api_client.force_authenticate(user)

    response = api_client.get(URL)

    assert response.json() == {
        "id": user.pk,
        "email": "solo@example.com",
        "full_name": "",
        "companies": [],
        "active_company": None,
    }


def test_me_unauthenticated_is_401(api_client):
    response = api_client.get(URL)

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_me_with_a_bad_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = api_client.get(URL)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_me_query_count_does_not_grow_with_companies(
    api_client, member, django_assert_max_num_queries
):
    user, _first, _second = member
    for _ in range(5):
        MembershipFactory(user=user)
    api_client.force_authenticate(user)

    with django_assert_max_num_queries(3):
        response = api_client.get(URL)

    assert len(response.json()["companies"]) == 7
