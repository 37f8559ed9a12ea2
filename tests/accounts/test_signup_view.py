import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from marketplace.accounts.models import Company, Membership, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIGNUP_URL = reverse("accounts:signup")


def form_data(**overrides) -> dict:
    data = {
        "email": "li.wei@shenzhen-hardware.example",
        "full_name": "Li Wei",
        "password": "a-long-and-unusual-passphrase",
        "password_confirm": "a-long-and-unusual-passphrase",
        "legal_name": "Shenzhen Hardware Co., Ltd.",
        "trading_name": "SZ Hardware",
        "country": "CN",
        "address_line1": "88 Industrial Road",
        "city": "Shenzhen",
        "postal_code": "518000",
        "registration_number": "91440300MA5",
        "vat_number": "",
        "eori_number": "",
        "sells": "on",
        "default_currency": "CNY",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def counts() -> tuple[int, int, int]:
    return (User.objects.count(), Company.objects.count(), Membership.objects.count())


def test_signup_page_shows_one_form_for_the_person_and_the_company(client):
    response = client.get(SIGNUP_URL)

    assert response.status_code == 200
    body = response.content.decode()
    for name in (
        "email",
        "full_name",
        "password",
        "password_confirm",
        "legal_name",
        "country",
        "address_line1",
        "eori_number",
        "sells",
        "buys",
        "default_currency",
    ):
        assert f'name="{name}"' in body
    assert '<option value="DE">Germany</option>' in body


def test_signup_creates_the_account_signs_in_and_redirects_home(client):
    response = client.post(SIGNUP_URL, form_data())

    assert response.status_code == 302
    assert response.url == reverse("home")
    user = User.objects.get()
    membership = Membership.objects.select_related("company").get()
    assert (user.email, membership.user, membership.role) == (
        "li.wei@shenzhen-hardware.example",
        user,
        "owner",
    )
    assert membership.company.country.code == "CN"
    assert (membership.company.sells, membership.company.buys) == (True, False)
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.session["active_company_id"] == membership.company.pk
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Welcome, Li! SZ Hardware is registered.",
        "We sent a confirmation link to li.wei@shenzhen-hardware.example: open it before you "
        "order or list products.",
    ]
    assert user.email_confirmed_at is None


def _refused(client, **overrides):
    before = counts()
    response = client.post(SIGNUP_URL, form_data(**overrides))
    assert response.status_code == 200
    assert counts() == before
    assert "_auth_user_id" not in client.session
    return response.context["form"]


def test_signup_with_an_email_taken_in_another_case_shows_the_error_inline(client):
    UserFactory(email="li.wei@shenzhen-hardware.example")

    form = _refused(client, email="LI.WEI@Shenzhen-Hardware.example")

    assert form.errors == {"email": ["An account with this email address already exists."]}


def test_signup_with_a_weak_password_shows_the_validators_messages(client):
    form = _refused(client, password="12345678", password_confirm="12345678")

    assert form.errors == {
        "password": [
            "This password is too short. It must contain at least 10 characters.",
            "This password is too common.",
            "This password is entirely numeric.",
        ]
    }


def test_signup_with_mismatched_passwords_is_refused(client):
    form = _refused(client, password_confirm="another-long-passphrase")

    assert form.errors == {"password_confirm": ["The two passwords do not match."]}


def test_signup_with_an_unknown_country_is_refused(client):
    form = _refused(client, country="XX")

    assert form.errors == {"country": ["“XX” is not a country we know."]}


def test_signup_for_a_company_that_neither_sells_nor_buys_is_refused(client):
    form = _refused(client, sells=None)

    assert form.errors == {"sells": ["Choose whether the company sells, buys, or both."]}


def test_signup_with_an_eori_number_outside_the_eu_and_uk_is_refused(client):
    form = _refused(client, eori_number="CN1234567")

    assert form.errors == {
        "eori_number": [
            "Companies registered in China have no EORI number; leave this field blank."
        ]
    }


def test_signup_marks_invalid_fields_for_assistive_technology(client):
    before = counts()

    response = client.post(SIGNUP_URL, form_data(country="XX"))

    body = response.content.decode()
    assert 'aria-invalid="true"' in body
    assert 'aria-describedby="id_country_error"' in body
    assert counts() == before


def test_signup_with_an_eu_eori_number_is_stored_normalised(client):
    client.post(SIGNUP_URL, form_data(country="NL", eori_number="nl 123456789"))

    assert Company.objects.get().eori_number == "NL123456789"
