"""Abuse limits on signing in: throttles keyed on the real client address, and the
django-axes lockout per (email, client address) on the sign-in page, the admin's and the API."""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from marketplace.accounts.models import ApiToken
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def test_spoofed_x_forwarded_for_does_not_escape_the_token_throttle(api_client):
    """The probe of issue 11: 13 requests, each with another X-Forwarded-For. Distinct emails,
    so that the lockout (per email and address) stays out of the way of the throttle."""
    codes = [
        api_client.post(
            TOKEN_URL,
            {"email": f"nobody{n}@example.com", "password": "wrong-password"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
        for n in range(13)
    ]

    assert [r.status_code for r in codes] == [401] * 10 + [429] * 3
    wait = int(codes[10]["Retry-After"])
    assert 59 <= wait <= 60
    assert codes[10].json()["detail"] == (
        f"Request was throttled. Expected available in {wait} seconds."
    )


def test_with_one_trusted_proxy_rightmost_forwarded_addresses_are_different_clients(
    api_client, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    body = {"email": "nobody@example.com", "password": "wrong-password"}

    # Ten from one client behind the proxy use up its budget ...
    first = [
        api_client.post(
            TOKEN_URL,
            {"email": f"nobody{n}@example.com", "password": "wrong-password"},
            HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.5",
        ).status_code
        for n in range(11)
    ]
    # ... and a forged leftmost address does not make it another client,
    forged = api_client.post(TOKEN_URL, body, HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.5")
    # but another client behind the same proxy (rightmost address) has its own budget.
    other = api_client.post(TOKEN_URL, body, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.6")

    assert first == [401] * 10 + [429]
    assert forged.status_code == 429
    assert other.status_code == 401


def test_the_original_probe_is_locked_out_then_throttled(api_client):
    """13 wrong passwords for one account, each with another X-Forwarded-For: locked out at
    the fifth failure, throttled after the tenth request; no token ever."""
    UserFactory(email="buyer@example.com")
    body = {"email": "buyer@example.com", "password": "wrong-password"}

    codes = [
        api_client.post(TOKEN_URL, body, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(13)
    ]

    assert codes == [401] * 4 + [403] * 6 + [429] * 3
    assert ApiToken.objects.count() == 0


def test_api_token_lockout_is_403_json_with_retry_after_even_for_the_right_password(
    api_client,
):
    UserFactory(email="buyer@example.com")
    wrong = {"email": "buyer@example.com", "password": "wrong-password"}

    codes = [api_client.post(TOKEN_URL, wrong).status_code for _ in range(4)]
    fifth = api_client.post(TOKEN_URL, wrong)
    right = api_client.post(TOKEN_URL, {"email": "Buyer@Example.com", "password": DEFAULT_PASSWORD})

    assert codes == [401] * 4
    assert fifth.status_code == 403
    assert right.status_code == 403
    assert right["Content-Type"] == "application/json"
    assert right.json() == {
        "detail": "Too many failed sign-in attempts for this account from your address. "
        "Try again in 15 minutes, or reset your password: a new password lifts the lock."
    }
    assert 890 <= int(right["Retry-After"]) <= 900
    assert ApiToken.objects.count() == 0
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address, attempt.failures_since_start) == (
        "buyer@example.com",
        "127.0.0.1",
        5,
    )


def test_api_lockout_is_per_client_address(api_client):
    UserFactory(email="buyer@example.com")
    wrong = {"email": "buyer@example.com", "password": "wrong-password"}
    for _ in range(5):
        api_client.post(TOKEN_URL, wrong)

    elsewhere = api_client.post(
        TOKEN_URL,
        {"email": "buyer@example.com", "password": DEFAULT_PASSWORD},
        REMOTE_ADDR="198.51.100.20",
    )

    assert elsewhere.status_code == 200
    assert ApiToken.objects.count() == 1


def test_lockout_ends_after_the_cool_off(api_client, settings):
    UserFactory(email="buyer@example.com")
    wrong = {"email": "buyer@example.com", "password": "wrong-password"}
    for _ in range(5):
        api_client.post(TOKEN_URL, wrong)
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time.replace(year=2020)
    )

    response = api_client.post(
        TOKEN_URL, {"email": "buyer@example.com", "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 200


def test_html_login_lockout_shows_the_locked_out_page(client):
    user = UserFactory(email="buyer@example.com")
    url = reverse("accounts:login")
    wrong = {"username": "buyer@example.com", "password": "wrong-one"}

    codes = [client.post(url, wrong).status_code for _ in range(4)]
    fifth = client.post(url, {"username": "BUYER@example.com", "password": "wrong-one"})
    right = client.post(url, {"username": user.email, "password": DEFAULT_PASSWORD})

    assert codes == [200] * 4
    assert fifth.status_code == 403
    assert right.status_code == 403
    assert "accounts/locked_out.html" in [t.name for t in right.templates]
    body = right.content.decode()
    assert "Sign-in locked for now" in body
    assert (
        "Too many failed sign-in attempts for this account from your address. "
        "Try again in 15 minutes, or reset your password: a new password lifts the lock." in body
    )
    assert 890 <= int(right["Retry-After"]) <= 900
    assert "_auth_user_id" not in client.session


def test_admin_login_is_locked_out_too(client):
    UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    wrong = {"username": "admin@example.com", "password": "wrong-one"}

    codes = [client.post(url, wrong).status_code for _ in range(5)]
    right = client.post(url, {"username": "admin@example.com", "password": DEFAULT_PASSWORD})

    assert codes == [200] * 4 + [403]
    assert right.status_code == 403
    assert "Sign-in locked for now" in right.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_successful_sign_in_resets_the_count(client):
    UserFactory(email="buyer@example.com")
    url = reverse("accounts:login")
    wrong = {"username": "buyer@example.com", "password": "wrong-one"}
    for _ in range(4):
        client.post(url, wrong)

    assert (
        client.post(
            url, {"username": "buyer@example.com", "password": DEFAULT_PASSWORD}
        ).status_code
        == 302
    )
    client.logout()
    codes = [client.post(url, wrong).status_code for _ in range(4)]

    assert codes == [200] * 4


def test_a_new_password_through_the_reset_link_lifts_the_lockout(client):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = UserFactory(email="buyer@example.com")
    url = reverse("accounts:login")
    for _ in range(5):
        client.post(url, {"username": "buyer@example.com", "password": "wrong-one"})
    assert AccessAttempt.objects.get().failures_since_start == 5
    confirm = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    form_url = client.get(confirm).url
    done = client.post(
        form_url,
        {"new_password1": "a-fresh-harbour-pass-9", "new_password2": "a-fresh-harbour-pass-9"},
    )

    signed_in = client.post(
        url, {"username": "buyer@example.com", "password": "a-fresh-harbour-pass-9"}
    )

    assert done.status_code == 302
    assert done.url == reverse("accounts:password_reset_complete")
    assert signed_in.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
    assert AccessAttempt.objects.count() == 0
