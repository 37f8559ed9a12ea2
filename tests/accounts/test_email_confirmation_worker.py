"""The confirmation email of a sign-up goes through the real broker and a real worker."""

import re

from django.urls import reverse

from marketplace.accounts.models import User
from tests.accounts.test_password_reset_worker import _wait_for_outbox
from tests.accounts.test_signup_view import form_data


def test_signup_confirmation_email_is_sent_by_a_real_worker_and_its_link_confirms(
    client, celery_worker, settings
):
    from django.core import mail

    settings.SITE_URL = "http://testserver"

    response = client.post(reverse("accounts:signup"), form_data(email="new@lotus.example"))
    _wait_for_outbox(1)

    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["new@lotus.example"]]
    link = re.search(r"http://testserver(/accounts/email/confirm/\S+/)", mail.outbox[0].body)
    assert link is not None
    assert User.objects.get().email_confirmed_at is None
    assert client.post(link.group(1)).status_code == 302
    assert User.objects.get().email_confirmed_at is not None
