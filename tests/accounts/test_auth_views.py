import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_login_by_email_in_any_case_signs_in_and_redirects_home(client):
    user = UserFactory(email="buyer@example.com")

    response = client.post(
        reverse("accounts:login"), {"username": "Buyer@Example.COM", "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_login_page_labels_the_field_email(client):
    response = client.get(reverse("accounts:login"))

    body = response.content.decode()
    assert response.context["form"].fields["username"].label == "Email"
    assert '<label for="id_username">Email' in body
    assert 'type="email" name="username"' in body


def test_login_with_a_wrong_password_is_refused(client):
    UserFactory(email="buyer@example.com")

    response = client.post(
        reverse("accounts:login"), {"username": "buyer@example.com", "password": "wrong-one"}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Please enter a correct email address and password. Note that both fields may be "
        "case-sensitive."
    ]
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_that_signs_out(client):
    user = UserFactory()
    client.force_login(user)

    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert "_auth_user_id" not in client.session


def test_password_reset_enqueues_the_email_after_commit_instead_of_sending_it(
    client, django_capture_on_commit_callbacks
):
    UserFactory(email="seller@example.com")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("accounts:password_reset"), {"email": "seller@example.com"})

    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_done")
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_password_reset_sends_exactly_one_email_through_the_task_and_the_link_works(
    client, django_capture_on_commit_callbacks, celery_eager
):
    user = UserFactory(email="seller@example.com")
    MembershipFactory(user=user)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": "SELLER@example.com"})

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["seller@example.com"]
    assert message.subject == "Reset your Open Trade Marketplace password"
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/\S+/)", message.body)
    assert link is not None

    response = client.get(link.group(1), follow=True)
    assert response.context["validlink"] is True
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "brand-new-passphrase-42", "new_password2": "brand-new-passphrase-42"},
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("brand-new-passphrase-42") is True


def test_password_reset_for_an_unknown_email_sends_nothing(
    client, django_capture_on_commit_callbacks, celery_eager
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert callbacks == []
    assert mail.outbox == []
