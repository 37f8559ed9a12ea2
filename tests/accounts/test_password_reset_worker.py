"""The password-reset email goes through the real broker and a real worker, not eager mode."""

import re
import time

from django.core import mail
from django.http import HttpRequest

from tests.factories import UserFactory


def _wait_for_outbox(count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while len(mail.outbox) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_password_reset_email_is_sent_by_a_real_worker_and_its_link_works(client, celery_worker):
    UserFactory(email="ops@harbour-imports.example")

    response = client.post("/accounts/password-reset/", {"email": "ops@harbour-imports.example"})
    _wait_for_outbox(1)

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ops@harbour-imports.example"]
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/\S+/)", message.body)
    assert link is not None
    confirm = client.get(link.group(1), follow=True)
    assert confirm.status_code == 200
    done = client.post(
        confirm.redirect_chain[-1][0],
        {"new_password1": "a-fresh-harbour-pass-9", "new_password2": "a-fresh-harbour-pass-9"},
    )
    assert done.status_code == 302
    # django-axes watches every sign-in, so authenticate() is given a request.
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = "127.0.0.1"
    assert client.login(
        request=request, email="ops@harbour-imports.example", password="a-fresh-harbour-pass-9"
    )


def test_password_reset_for_an_unknown_email_sends_nothing(client, celery_worker):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.com"})
    time.sleep(1.0)

    assert response.status_code == 302
    assert mail.outbox == []
