"""Listing and revoking API tokens, and every token going when the password changes."""

import importlib
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from knox.models import AuthToken

from marketplace.accounts.models import ApiToken, SecurityEvent
from tests.factories import DEFAULT_PASSWORD, UserFactory, admin_login, api_token_for

pytestmark = pytest.mark.django_db

LIST_URL = "/api/v1/auth/tokens/"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _detail(pk: int) -> str:
    return f"/api/v1/auth/tokens/{pk}/"


def _me(api_client, secret: str) -> int:
    return api_client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {secret}").status_code


def test_the_owner_lists_their_working_tokens_newest_first_without_any_secret(
    api_client, django_assert_max_num_queries
):
    user = UserFactory()
    other = UserFactory()
    with mock.patch("django.utils.timezone.now", return_value=NOW - timedelta(days=100)):
        ApiToken.objects.create(user=user, name="expired")
    with mock.patch("django.utils.timezone.now", return_value=NOW - timedelta(days=1)):
        older, _ = ApiToken.objects.create(user=user, name="ERP sync")
    with mock.patch("django.utils.timezone.now", return_value=NOW):
        newer, secret = ApiToken.objects.create(user=user, name="laptop")
    ApiToken.objects.create(user=other, name="someone else's")

    with (
        mock.patch("django.utils.timezone.now", return_value=NOW + timedelta(hours=1)),
        # knox: find the token, read the user's tokens and delete the expired one; then the
        # page: count and rows. Not one more per token.
        django_assert_max_num_queries(5),
    ):
        response = api_client.get(LIST_URL, HTTP_AUTHORIZATION=f"Token {secret}")

    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": newer.pk,
                "name": "laptop",
                "created": "2026-03-02T09:30:00Z",
                "expires": "2026-05-31T09:30:00Z",
            },
            {
                "id": older.pk,
                "name": "ERP sync",
                "created": "2026-03-01T09:30:00Z",
                "expires": "2026-05-30T09:30:00Z",
            },
        ],
    }


def test_the_token_list_needs_authentication(api_client):
    response = api_client.get(LIST_URL)

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_revoking_a_token_is_204_and_it_then_answers_401_while_the_others_work(api_client):
    user = UserFactory()
    doomed, doomed_secret = ApiToken.objects.create(user=user, name="leaked")
    kept_secret = api_token_for(user, name="kept")

    response = api_client.delete(_detail(doomed.pk), HTTP_AUTHORIZATION=f"Token {kept_secret}")

    assert response.status_code == 204
    assert response.content == b""
    assert _me(api_client, doomed_secret) == 401
    assert _me(api_client, kept_secret) == 200
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["kept"]
    event = SecurityEvent.objects.get(kind="token_revoked")
    assert (event.user, event.object_ref, event.details) == (
        user,
        f"accounts.apitoken:{doomed.pk}",
        {"name": "leaked", "reason": "revoked by owner"},
    )


def test_a_token_may_revoke_itself(api_client):
    user = UserFactory()
    token, secret = ApiToken.objects.create(user=user)

    response = api_client.delete(_detail(token.pk), HTTP_AUTHORIZATION=f"Token {secret}")

    assert response.status_code == 204
    assert _me(api_client, secret) == 401


def test_another_users_token_is_404_and_keeps_working(api_client):
    theirs, their_secret = ApiToken.objects.create(user=UserFactory(), name="theirs")
    mine = api_token_for(UserFactory())

    response = api_client.delete(_detail(theirs.pk), HTTP_AUTHORIZATION=f"Token {mine}")

    assert response.status_code == 404
    assert response.json() == {"detail": "No such token."}
    assert ApiToken.objects.filter(pk=theirs.pk).exists()
    assert _me(api_client, their_secret) == 200
    assert not SecurityEvent.objects.filter(kind="token_revoked").exists()


def test_an_unknown_or_huge_token_id_is_404(api_client):
    secret = api_token_for(UserFactory())

    for pk in (987654, 2**63):
        response = api_client.delete(_detail(pk), HTTP_AUTHORIZATION=f"Token {secret}")
        assert response.status_code == 404
    assert ApiToken.objects.count() == 1


def test_a_password_reset_revokes_every_token_of_the_account(api_client, client):
    user = UserFactory(email="seller@example.com")
    secrets = [api_token_for(user, name=name) for name in ("a", "b")]
    other_secret = api_token_for(UserFactory())
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)

    page = client.get(reverse("accounts:password_reset_confirm", args=[uid, token]), follow=True)
    response = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": "brand-new-passphrase-42", "new_password2": "brand-new-passphrase-42"},
        REMOTE_ADDR="198.51.100.7",
    )

    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("brand-new-passphrase-42") is True
    assert [_me(api_client, secret) for secret in secrets] == [401, 401]
    assert _me(api_client, other_secret) == 200
    event = SecurityEvent.objects.get(kind="password_changed")
    assert (event.user, event.ip, event.details) == (
        user,
        "198.51.100.7",
        {"via": "reset", "tokens_revoked": 2, "usable": True},
    )


def test_a_refused_password_reset_keeps_the_password_and_the_tokens(api_client, client):
    user = UserFactory(email="seller@example.com")
    secret = api_token_for(user)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    page = client.get(
        reverse(
            "accounts:password_reset_confirm",
            args=[uid, default_token_generator.make_token(user)],
        ),
        follow=True,
    )

    response = client.post(
        page.redirect_chain[-1][0], {"new_password1": "short", "new_password2": "other"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "new_password2": ["The two password fields didn’t match."]
    }
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD) is True
    assert _me(api_client, secret) == 200
    assert not SecurityEvent.objects.filter(kind="password_changed").exists()


def test_an_admin_setting_a_users_password_revokes_their_tokens(api_client, client):
    target = UserFactory(email="buyer@example.com")
    secret = api_token_for(target)
    admin_login(client, UserFactory(is_staff=True, is_superuser=True))

    response = client.post(
        reverse("admin:auth_user_password_change", args=[target.pk]),
        {"password1": "brand-new-passphrase-42", "password2": "brand-new-passphrase-42"},
    )

    assert response.status_code == 302
    target.refresh_from_db()
    assert target.check_password("brand-new-passphrase-42") is True
    assert _me(api_client, secret) == 401
    assert SecurityEvent.objects.get(kind="password_changed").details == {
        "via": "admin",
        "tokens_revoked": 1,
        "usable": True,
    }


def test_a_staff_user_changing_their_own_password_in_the_admin_loses_their_tokens(
    api_client, client
):
    staff = UserFactory(is_staff=True, is_superuser=True)
    secret = api_token_for(staff)
    admin_login(client, staff)

    response = client.post(
        reverse("admin:password_change"),
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password1": "brand-new-passphrase-42",
            "new_password2": "brand-new-passphrase-42",
        },
    )

    assert response.status_code == 302
    assert response.url == reverse("admin:password_change_done")
    assert _me(api_client, secret) == 401
    # The session survives its own password change.
    assert client.get(reverse("admin:index")).status_code == 200


def test_tokens_are_not_in_the_admin(client):
    admin_login(client, UserFactory(is_staff=True, is_superuser=True))

    assert admin.site.is_registered(ApiToken) is False
    assert admin.site.is_registered(AuthToken) is False
    assert client.get("/admin/knox/").status_code == 404
    assert client.get("/admin/accounts/apitoken/").status_code == 404


def test_the_token_endpoints_and_the_token_scheme_are_in_the_schema(client):
    document = client.get("/api/schema/?format=json").json()

    assert document["components"]["securitySchemes"]["knoxApiToken"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }
    assert document["paths"][LIST_URL]["get"]["security"] == [
        {"knoxApiToken": []},
        {"cookieAuth": []},
    ]
    assert set(document["paths"][LIST_URL]) == {"get"}
    assert set(document["paths"]["/api/v1/auth/tokens/{id}/"]) == {"delete"}
    token_schema = document["components"]["schemas"]["ApiToken"]
    assert set(token_schema["properties"]) == {"id", "name", "created", "expires"}
    request_schema = document["components"]["schemas"]["TokenRequest"]
    assert set(request_schema["properties"]) == {"email", "password", "name", "otp"}


def test_plain_tokens_of_the_old_scheme_become_hashed_tokens_that_still_work(api_client):
    user = UserFactory()
    plain_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "created timestamptz NOT NULL, user_id bigint NOT NULL)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, now(), %s)", [plain_key, user.pk])
    migration = importlib.import_module(
        "marketplace.accounts.migrations.0006_api_tokens_from_plain_tokens"
    )
    from django.apps import apps

    with connection.schema_editor() as schema_editor:
        migration.plain_tokens_to_hashed(apps, schema_editor)

    token = ApiToken.objects.get()
    assert (token.user, token.name, token.token_key) == (
        user,
        "Token from before hashed tokens",
        plain_key[:15],
    )
    assert plain_key not in (token.digest, token.token_key)
    assert "authtoken_token" not in connection.introspection.table_names()
    assert _me(api_client, plain_key) == 200
