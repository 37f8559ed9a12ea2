"""Hostile sign-in values are counted by the lockout, never a server error (found by the fuzz)."""

import pytest
from axes.models import AccessAttempt

from marketplace.accounts.models import SecurityEvent

pytestmark = pytest.mark.django_db


def test_an_overlong_email_on_the_sign_in_page_is_refused_and_counted(client):
    response = client.post(
        "/accounts/login/", {"username": "A" * 300 + "@example.com", "password": "wrong"}
    )

    assert response.status_code == 200
    assert [(a.username, a.failures_since_start) for a in AccessAttempt.objects.all()] == [
        ("a" * 255, 1)
    ]
    assert SecurityEvent.objects.filter(kind="login_failed").count() == 1


def test_a_nul_byte_in_the_email_is_a_form_error_and_tries_no_sign_in(client):
    response = client.post(
        "/accounts/login/", {"username": "mal\x00lory@example.com", "password": "wrong"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"username": ["Null characters are not allowed."]}
    assert AccessAttempt.objects.count() == 0
    assert SecurityEvent.objects.count() == 0


def test_a_hostile_email_on_the_api_token_endpoint_is_refused_and_counted(api_client):
    response = api_client.post(
        "/api/v1/auth/token/", {"email": "b" * 300 + "@example.com", "password": "wrong"}
    )

    assert (response.status_code, response.json()) == (
        401,
        {"detail": "No active account matches this email and password."},
    )
    assert [(a.username, a.failures_since_start) for a in AccessAttempt.objects.all()] == [
        ("b" * 255, 1)
    ]
