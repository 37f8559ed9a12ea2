"""Sign-up and password reset are rate limited (django-ratelimit) per client address, and the
reset also per email: 429 with Retry-After and a page that says so; nothing created, no mail."""

import pytest
from django.core import mail
from django.urls import reverse

from marketplace.accounts.models import Company, Membership, User
from tests.accounts.test_signup_view import form_data
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIGNUP_URL = reverse("accounts:signup")
RESET_URL = reverse("accounts:password_reset")


def _counts() -> tuple[int, int, int]:
    return (User.objects.count(), Company.objects.count(), Membership.objects.count())


def test_signup_beyond_the_rate_is_429_and_creates_nothing(client, settings):
    settings.SIGNUP_RATE = "3/h"
    codes = []
    for n in range(3):
        codes.append(client.post(SIGNUP_URL, form_data(email=f"owner{n}@example.com")).status_code)
        client.logout()
    before = _counts()

    response = client.post(SIGNUP_URL, form_data(email="owner9@example.com"))

    assert codes == [302, 302, 302]
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert "rate_limited.html" in [t.name for t in response.templates]
    body = response.content.decode()
    assert "Too many attempts" in body
    assert "Too many requests to create an account came from your address" in body
    assert _counts() == before == (3, 3, 3)
    assert not User.objects.filter(email="owner9@example.com").exists()


def test_signup_limit_counts_invalid_posts_too_and_spares_other_addresses(client, settings):
    settings.SIGNUP_RATE = "2/h"
    codes = [client.post(SIGNUP_URL, {"email": "x"}).status_code for _ in range(3)]

    other = client.post(SIGNUP_URL, form_data(), REMOTE_ADDR="198.51.100.20")

    assert codes == [200, 200, 429]
    assert other.status_code == 302
    assert _counts() == (1, 1, 1)


def test_signup_limit_ignores_spoofed_x_forwarded_for(client, settings):
    settings.SIGNUP_RATE = "2/h"
    codes = [
        client.post(SIGNUP_URL, {"email": "x"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(3)
    ]

    assert codes == [200, 200, 429]


def test_the_signup_page_itself_is_never_limited(client, settings):
    settings.SIGNUP_RATE = "1/h"
    client.post(SIGNUP_URL, {"email": "x"})
    client.post(SIGNUP_URL, {"email": "x"})

    assert client.get(SIGNUP_URL).status_code == 200


def test_password_reset_beyond_the_rate_per_address_is_429_and_sends_nothing(
    client, settings, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_RATE = "5/h"
    for n in range(6):
        UserFactory(email=f"user{n}@example.com")
    with django_capture_on_commit_callbacks() as callbacks:
        codes = [
            client.post(RESET_URL, {"email": f"user{n}@example.com"}).status_code for n in range(6)
        ]

    assert codes == [302] * 5 + [429]
    # Five emails queued (one per allowed request), none for the refused one.
    assert len(callbacks) == 5
    assert mail.outbox == []


def test_password_reset_is_limited_per_email_across_addresses(
    client, settings, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_RATE = "2/h"
    UserFactory(email="victim@example.com")
    with django_capture_on_commit_callbacks() as callbacks:
        codes = [
            client.post(
                RESET_URL, {"email": "Victim@Example.com"}, REMOTE_ADDR=f"198.51.100.{n}"
            ).status_code
            for n in range(3)
        ]
    refused = client.post(RESET_URL, {"email": "victim@example.com"}, REMOTE_ADDR="198.51.100.9")

    assert codes == [302, 302, 429]
    assert len(callbacks) == 2
    assert refused.status_code == 429
    assert "Too many requests to reset a password" in refused.content.decode()
    assert 1 <= int(refused["Retry-After"]) <= 3600
