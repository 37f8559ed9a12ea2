import hashlib
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest

from marketplace.accounts.models import ApiToken, SecurityEvent
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/token/"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_token_for_valid_credentials_is_hashed_at_rest_and_expires_after_90_days(api_client):
    user = UserFactory(email="buyer@example.com")

    with mock.patch("django.utils.timezone.now", return_value=NOW):
        response = api_client.post(
            URL, {"email": "Buyer@Example.com", "password": DEFAULT_PASSWORD, "name": "ERP sync"}
        )

    assert response.status_code == 200
    body = response.json()
    token = ApiToken.objects.get()
    assert body == {
        "token": body["token"],
        "id": token.pk,
        "name": "ERP sync",
        "expires": "2026-05-31T09:30:00Z",
    }
    assert len(body["token"]) == 64
    assert (token.user, token.name, token.created, token.expiry) == (
        user,
        "ERP sync",
        NOW,
        NOW + timedelta(days=90),
    )
    # Only the SHA-512 digest and the 15-character lookup prefix are stored.
    assert token.digest == hashlib.sha512(body["token"].encode()).hexdigest()
    assert token.token_key == body["token"][:15]
    stored = [str(value) for value in ApiToken.objects.values_list(flat=False).get()]
    assert body["token"] not in stored


def test_each_sign_in_issues_another_token_and_both_work(api_client):
    UserFactory(email="buyer@example.com")
    body = {"email": "buyer@example.com", "password": DEFAULT_PASSWORD}

    first = api_client.post(URL, {**body, "name": "laptop"}).json()["token"]
    second = api_client.post(URL, body).json()["token"]

    assert first != second
    assert sorted(ApiToken.objects.values_list("name", flat=True)) == ["", "laptop"]
    for token in (first, second):
        response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
        assert response.json()["email"] == "buyer@example.com"


def test_token_works_for_authenticated_requests(api_client):
    UserFactory(email="buyer@example.com")
    token = api_client.post(URL, {"email": "buyer@example.com", "password": DEFAULT_PASSWORD})

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")

    assert api_client.get("/api/v1/me/").json()["email"] == "buyer@example.com"


def test_an_expired_token_is_401_and_is_deleted(api_client):
    user = UserFactory(email="buyer@example.com")
    with mock.patch("django.utils.timezone.now", return_value=NOW - timedelta(days=91)):
        _token, secret = ApiToken.objects.create(user=user, name="old")

    response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {secret}")

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    assert ApiToken.objects.count() == 0


def test_a_wrong_token_is_401(api_client):
    UserFactory(email="buyer@example.com")

    response = api_client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token " + "ab" * 32)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    assert response["WWW-Authenticate"] == "Token"


def test_a_token_name_longer_than_100_characters_is_400_and_no_token_is_made(api_client):
    UserFactory(email="buyer@example.com")

    response = api_client.post(
        URL, {"email": "buyer@example.com", "password": DEFAULT_PASSWORD, "name": "n" * 101}
    )

    assert response.status_code == 400
    assert response.json() == {"name": ["Ensure this field has no more than 100 characters."]}
    assert ApiToken.objects.count() == 0


def test_a_wrong_password_is_recorded_with_the_address_it_came_from(api_client):
    UserFactory(email="buyer@example.com")

    api_client.post(
        URL,
        {"email": "buyer@example.com", "password": "wrong-password"},
        REMOTE_ADDR="203.0.113.9",
        HTTP_USER_AGENT="curl/8.5",
    )

    event = SecurityEvent.objects.get()
    assert (event.kind, event.email, event.user, event.ip, event.user_agent) == (
        "login_failed",
        "buyer@example.com",
        None,
        "203.0.113.9",
        "curl/8.5",
    )


def test_token_with_missing_fields_is_400_with_field_errors(api_client):
    response = api_client.post(URL, {})

    assert response.status_code == 400
    assert response.json() == {
        "email": ["This field is required."],
        "password": ["This field is required."],
    }
    assert ApiToken.objects.count() == 0


def test_token_with_a_malformed_email_is_400(api_client):
    response = api_client.post(URL, {"email": "nope", "password": "x"})

    assert response.status_code == 400
    assert response.json() == {"email": ["Enter a valid email address."]}


def test_token_with_a_wrong_password_is_401(api_client):
    UserFactory(email="buyer@example.com")

    response = api_client.post(URL, {"email": "buyer@example.com", "password": "wrong-password"})

    assert response.status_code == 401
    assert response.json() == {"detail": "No active account matches this email and password."}
    assert ApiToken.objects.count() == 0


def test_token_for_an_inactive_user_is_401(api_client):
    UserFactory(email="gone@example.com", is_active=False)

    response = api_client.post(URL, {"email": "gone@example.com", "password": DEFAULT_PASSWORD})

    assert response.status_code == 401
    assert ApiToken.objects.count() == 0


def test_token_requests_are_rate_limited_to_ten_a_minute(api_client):
    UserFactory(email="buyer@example.com")
    # Ten different emails: one email would be locked out (django-axes) at its fifth failure.
    bodies = [{"email": f"buyer{n}@example.com", "password": "wrong-password"} for n in range(10)]

    codes = [api_client.post(URL, body).status_code for body in bodies]
    response = api_client.post(URL, {"email": "buyer@example.com", "password": DEFAULT_PASSWORD})

    assert codes == [401] * 10
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Request was throttled. Expected available in")
    assert ApiToken.objects.count() == 0


def test_token_endpoint_ignores_session_csrf(client):
    UserFactory(email="buyer@example.com")
    client.handler.enforce_csrf_checks = True

    response = client.post(
        URL,
        {"email": "buyer@example.com", "password": DEFAULT_PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 200
