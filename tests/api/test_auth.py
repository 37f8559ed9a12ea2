import pytest
from rest_framework.authtoken.models import Token

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/token/"


def test_token_for_valid_credentials(api_client):
    user = UserFactory(email="buyer@example.com")

    response = api_client.post(URL, {"email": "Buyer@Example.com", "password": DEFAULT_PASSWORD})

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}


def test_token_is_the_same_on_the_second_sign_in(api_client):
    UserFactory(email="buyer@example.com")
    body = {"email": "buyer@example.com", "password": DEFAULT_PASSWORD}

    first = api_client.post(URL, body).json()["token"]
    second = api_client.post(URL, body).json()["token"]

    assert first == second
    assert Token.objects.count() == 1


def test_token_works_for_authenticated_requests(api_client):
    UserFactory(email="buyer@example.com")
    token = api_client.post(URL, {"email": "buyer@example.com", "password": DEFAULT_PASSWORD})

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")

    assert api_client.get("/api/v1/me/").json()["email"] == "buyer@example.com"


def test_token_with_missing_fields_is_400_with_field_errors(api_client):
    response = api_client.post(URL, {})

    assert response.status_code == 400
    assert response.json() == {
        "email": ["This field is required."],
        "password": ["This field is required."],
    }
    assert Token.objects.count() == 0


def test_token_with_a_malformed_email_is_400(api_client):
    response = api_client.post(URL, {"email": "nope", "password": "x"})

    assert response.status_code == 400
    assert response.json() == {"email": ["Enter a valid email address."]}


def test_token_with_a_wrong_password_is_401(api_client):
    UserFactory(email="buyer@example.com")

    response = api_client.post(URL, {"email": "buyer@example.com", "password": "wrong-password"})

    assert response.status_code == 401
    assert response.json() == {"detail": "No active account matches this email and password."}
    assert Token.objects.count() == 0


def test_token_for_an_inactive_user_is_401(api_client):
    UserFactory(email="gone@example.com", is_active=False)

    response = api_client.post(URL, {"email": "gone@example.com", "password": DEFAULT_PASSWORD})

    assert response.status_code == 401
    assert Token.objects.count() == 0


def test_token_requests_are_rate_limited_to_ten_a_minute(api_client):
    UserFactory(email="buyer@example.com")
    # Ten different emails: one email would be locked out (django-axes) at its fifth failure.
    bodies = [{"email": f"buyer{n}@example.com", "password": "wrong-password"} for n in range(10)]

    codes = [api_client.post(URL, body).status_code for body in bodies]
    response = api_client.post(URL, {"email": "buyer@example.com", "password": DEFAULT_PASSWORD})

    assert codes == [401] * 10
    assert response.status_code == 429
    assert response.json()["detail"].startswith("Request was throttled. Expected available in")
    assert Token.objects.count() == 0


def test_token_endpoint_ignores_session_csrf(client):
    UserFactory(email="buyer@example.com")
    client.handler.enforce_csrf_checks = True

    response = client.post(
        URL,
        {"email": "buyer@example.com", "password": DEFAULT_PASSWORD},
        content_type="application/json",
    )

    assert response.status_code == 200
