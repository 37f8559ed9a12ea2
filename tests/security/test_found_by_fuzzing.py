"""Server errors the hostile-input fuzz (test_hostile_input.py) found, each pinned by a plain
test: the request is refused with a 4xx and nothing is stored."""

import pytest
from rest_framework.test import APIClient

from marketplace.core.ids import opaque_id_parse
from orders.models import CartLine
from payments.models import ConnectedAccount, Payment
from tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.listings.factories import ListingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer_user():
    company = CompanyFactory(buyer=True, legal_name="Rheinland Import GmbH")
    return MembershipFactory(company=company, user=UserFactory(email="b@example.com")).user


def test_cart_add_with_a_unicode_digit_as_listing_is_refused_not_a_server_error(client, buyer_user):
    """The issue's probe: ``listing=²`` passed ``str.isdigit()`` and then failed ``int()``."""
    listing = ListingFactory(published=True)
    client.force_login(buyer_user)

    response = client.post("/cart/add/", {"listing": "²", "quantity": "100"})

    assert (response.status_code, response["Location"]) == (302, "/cart/")
    assert not CartLine.objects.exists()
    assert CartLine.objects.filter(listing=listing).count() == 0


@pytest.mark.parametrize("code", ["%00", "ABC%00DEF", "x" * 300])
def test_a_verification_code_with_a_nul_byte_or_too_long_is_404(client, api_client, code):
    """A NUL in the path reached PostgreSQL ("A string literal cannot contain NUL")."""
    page = client.get(f"/documents/verify/{code}/")
    checked = client.post(f"/documents/verify/{code}/", {})
    api = api_client.get(f"/api/v1/documents/verify/{code}/")

    assert (page.status_code, checked.status_code, api.status_code) == (404, 404, 404)


def test_sandbox_onboarding_of_an_account_id_with_a_nul_byte_is_404(client, buyer_user):
    client.force_login(buyer_user)

    assert client.get("/payments/sandbox/onboarding/acct%00x/").status_code == 404
    assert client.post("/payments/sandbox/onboarding/acct%00x/", {}).status_code == 404
    assert not ConnectedAccount.objects.exists()


@pytest.mark.parametrize("outcome", ["succeed", "fail"])
def test_sandbox_payment_outcome_for_an_intent_id_with_a_nul_byte_is_404(buyer_user, outcome):
    client = APIClient()
    client.force_authenticate(buyer_user)

    response = client.post(f"/api/v1/sandbox/payments/pi_%00/{outcome}/")

    assert response.status_code == 404
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("pi_3NxYz0AbC", "pi_3NxYz0AbC"),
        ("acct_sbx_12-ab", "acct_sbx_12-ab"),
        ("a\x00b", None),
        ("", None),
        ("pi 1", None),
        ("pí_1", None),
        ("x" * 256, None),
        (None, None),
        (7, None),
    ],
)
def test_opaque_ids_are_ascii_letters_digits_underscore_and_dash(value, expected):
    assert opaque_id_parse(value) == expected
