"""A new account confirms its email: the signed, expiring link mailed through Celery at
sign-up, the confirmation page, and the resend action."""

import re
import time

import pytest
from django.core import mail, signing
from django.urls import reverse

from marketplace.accounts import selectors, services
from marketplace.accounts.models import User
from marketplace.core.exceptions import DomainError, Forbidden
from tests.accounts.test_signup_view import form_data
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/accounts/email/confirm/[^/\s]+/)")


def _mailed_link() -> str:
    assert len(mail.outbox) == 1
    match = LINK.search(mail.outbox[0].body)
    assert match, mail.outbox[0].body
    return match.group(1)


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


def test_signup_leaves_the_account_unconfirmed_and_queues_the_link_after_commit(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("accounts:signup"), form_data())

    user = User.objects.get()
    assert response.status_code == 302
    assert user.email_confirmed_at is None
    assert selectors.user_email_confirmed(user=user) is False
    assert [c.__qualname__ for c in callbacks] == ["user_email_confirmation_send_task.delay"]
    assert [c.keywords for c in callbacks] == [{"user_id": user.pk}]


def test_the_worker_mails_a_link_that_confirms_the_email(client):
    user = UserFactory(email="new@example.com", email_confirmed_at=None)

    assert services.user_email_confirmation_send(user_id=user.pk) is True
    message = mail.outbox[0]
    path = _mailed_link()
    page = client.get(path)
    confirmed = client.post(path)

    assert message.to == ["new@example.com"]
    assert message.subject == "Confirm your email address for Open Trade Marketplace"
    assert "within 72 hours" in message.body
    # Opening the link (a mail scanner too) confirms nothing; the button does.
    assert page.status_code == 200
    assert "Confirm my email address" in page.content.decode()
    assert confirmed.status_code == 302
    assert confirmed.url == reverse("home")
    user.refresh_from_db()
    assert user.email_confirmed_at is not None
    assert selectors.user_email_confirmed(user=user) is True


def test_confirming_twice_keeps_the_first_moment():
    user = UserFactory(email_confirmed_at=None)
    token = services._email_confirmation_token(user)

    first = services.user_email_confirm(token=token).email_confirmed_at
    second = services.user_email_confirm(token=token).email_confirmed_at

    assert first == second is not None


def test_an_expired_link_is_refused_and_confirms_nothing(client, settings):
    settings.EMAIL_CONFIRMATION_HOURS = 1
    user = UserFactory(email_confirmed_at=None)

    class SignedAnHourAgo(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time()) - 3605)

    token = SignedAnHourAgo(salt="marketplace.accounts.email-confirmation").sign_object(
        {"u": user.pk, "e": user.email}
    )

    response = client.post(reverse("accounts:email_confirm", kwargs={"token": token}))

    assert response.status_code == 400
    assert "This confirmation link has expired. Sign in and ask for a new one." in (
        response.content.decode()
    )
    user.refresh_from_db()
    assert user.email_confirmed_at is None


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        signing.dumps({"u": 1, "e": "x@example.com"}, salt="another-salt"),
        signing.dumps(
            {"u": "1", "e": "x@example.com"}, salt="marketplace.accounts.email-confirmation"
        ),
    ],
)
def test_a_forged_or_foreign_token_is_refused(client, token):
    user = UserFactory(email_confirmed_at=None)

    response = client.post(reverse("accounts:email_confirm", kwargs={"token": token}))

    assert response.status_code == 400
    assert "This confirmation link is not valid." in response.content.decode()
    user.refresh_from_db()
    assert user.email_confirmed_at is None


def test_a_link_for_an_earlier_email_address_no_longer_confirms():
    user = UserFactory(email="old@example.com", email_confirmed_at=None)
    token = services._email_confirmation_token(user)
    User.objects.filter(pk=user.pk).update(email="new@example.com")

    with pytest.raises(DomainError) as refused:
        services.user_email_confirm(token=token)

    assert refused.value.code == "invalid"
    user.refresh_from_db()
    assert user.email_confirmed_at is None


def test_no_mail_for_a_confirmed_or_inactive_user():
    confirmed = UserFactory()
    inactive = UserFactory(email_confirmed_at=None, is_active=False)

    assert services.user_email_confirmation_send(user_id=confirmed.pk) is False
    assert services.user_email_confirmation_send(user_id=inactive.pk) is False
    assert mail.outbox == []


def test_resend_queues_a_new_link_and_returns_to_the_page(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory(email="new@example.com", email_confirmed_at=None)
    client.force_login(user)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("accounts:email_confirmation_resend"), {"next": "/orders/checkout/"}
        )

    assert response.status_code == 302
    assert response.url == "/orders/checkout/"
    assert [(c.__qualname__, c.keywords) for c in callbacks] == [
        ("user_email_confirmation_send_task.delay", {"user_id": user.pk})
    ]


def test_resend_for_a_confirmed_user_sends_nothing(client, django_capture_on_commit_callbacks):
    client.force_login(UserFactory())

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("accounts:email_confirmation_resend"), {"next": "https://evil.example/"}
        )

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert callbacks == []


def test_resend_is_rate_limited_per_user(client, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_CONFIRMATION_RESEND_RATE = "2/h"
    client.force_login(UserFactory(email_confirmed_at=None))
    url = reverse("accounts:email_confirmation_resend")

    with django_capture_on_commit_callbacks() as callbacks:
        codes = [client.post(url).status_code for _ in range(3)]

    assert codes == [302, 302, 429]
    assert len(callbacks) == 2


def test_resend_needs_a_signed_in_user_and_a_post(client):
    url = reverse("accounts:email_confirmation_resend")

    assert client.post(url).status_code == 302  # to the sign-in page
    client.force_login(UserFactory(email_confirmed_at=None))
    assert client.get(url).status_code == 405


def test_the_require_check_raises_forbidden_with_its_code():
    with pytest.raises(Forbidden) as refused:
        selectors.user_email_confirmed_require(user=UserFactory(email_confirmed_at=None))

    assert refused.value.code == "email_unconfirmed"
    assert refused.value.message == selectors.EMAIL_UNCONFIRMED_MESSAGE
    selectors.user_email_confirmed_require(user=UserFactory())
