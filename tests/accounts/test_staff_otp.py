"""Staff sign in with a second factor (TOTP, django-otp): the admin, the API token, the site."""

import io
import re

import pytest
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from marketplace.accounts.forms import (
    OTP_INVALID_MESSAGE,
    OTP_NOT_ENROLLED_MESSAGE,
    OTP_REQUIRED_MESSAGE,
    STAFF_SIGN_IN_MESSAGE,
)
from marketplace.accounts.models import ApiToken, SecurityEvent
from tests.factories import DEFAULT_PASSWORD, UserFactory, otp_code, otp_device_for

pytestmark = pytest.mark.django_db

ADMIN_LOGIN = "/admin/login/?next=/admin/"
TOKEN_URL = "/api/v1/auth/token/"
DEMO_EXEMPT = {"DEBUG": True, "OTP_EXEMPT_EMAILS": ["admin@demo.test"]}


@pytest.fixture
def staff():
    return UserFactory(email="ops@platform.example", is_staff=True, is_superuser=True)


def _admin_login(client, email: str, otp_token: str | None = None):
    data = {"username": email, "password": DEFAULT_PASSWORD}
    if otp_token is not None:
        data["otp_token"] = otp_token
    return client.post(ADMIN_LOGIN, data)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_admin_login_asks_for_the_authentication_code(client):
    body = client.get(ADMIN_LOGIN).content.decode()

    assert 'name="otp_token"' in body
    assert 'autocomplete="one-time-code"' in body


def test_admin_sign_in_without_a_code_is_refused(client, staff):
    otp_device_for(staff)

    response = _admin_login(client, staff.email)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [OTP_REQUIRED_MESSAGE]
    assert not _signed_in(client)
    assert client.get("/admin/").status_code == 302


def test_admin_sign_in_with_a_wrong_code_is_refused_and_recorded(client, staff):
    device = otp_device_for(staff)
    wrong = f"{(int(otp_code(device)) + 1) % 1_000_000:06d}"

    response = _admin_login(client, staff.email, wrong)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [OTP_INVALID_MESSAGE]
    assert not _signed_in(client)
    assert list(SecurityEvent.objects.values_list("kind", "user")) == [("otp_failed", staff.pk)]


def test_admin_sign_in_with_a_valid_code_opens_the_admin(client, staff):
    device = otp_device_for(staff)

    response = _admin_login(client, staff.email, otp_code(device))

    assert response.status_code == 302
    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == 200
    event = SecurityEvent.objects.get(kind="login_succeeded")
    assert (event.user, event.details) == (staff, {"second_factor": True})


def test_a_code_works_only_once(client, staff):
    device = otp_device_for(staff)
    code = otp_code(device)
    assert _admin_login(client, staff.email, code).status_code == 302
    client.logout()

    response = _admin_login(client, staff.email, code)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [OTP_INVALID_MESSAGE]
    assert not _signed_in(client)


def test_a_staff_user_without_a_device_is_told_how_to_enrol(client, staff):
    response = _admin_login(client, staff.email, "123456")

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [OTP_NOT_ENROLLED_MESSAGE]
    assert "manage.py staff_otp_enrol" in response.content.decode()
    assert not _signed_in(client)


def test_a_staff_session_without_a_verified_device_does_not_open_the_admin(client, staff):
    otp_device_for(staff)
    client.force_login(staff)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response.url == "/admin/login/?next=/admin/"


def test_a_wrong_password_with_a_valid_code_is_refused(client, staff):
    device = otp_device_for(staff)

    response = client.post(
        ADMIN_LOGIN,
        {"username": staff.email, "password": "wrong-password", "otp_token": otp_code(device)},
    )

    assert response.status_code == 200
    assert not _signed_in(client)


def test_staff_cannot_sign_in_through_the_site_login_and_are_sent_to_the_admin(client, staff):
    response = client.post(
        reverse("accounts:login"), {"username": staff.email, "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [STAFF_SIGN_IN_MESSAGE]
    assert not _signed_in(client)


@override_settings(**DEMO_EXEMPT)
def test_the_local_demo_admin_alone_signs_in_without_a_code(client):
    UserFactory(email="admin@demo.test", is_staff=True, is_superuser=True)
    other = UserFactory(email="finance@demo.test", is_staff=True, is_superuser=True)
    otp_device_for(other)

    exempt = _admin_login(client, "admin@demo.test")
    assert exempt.status_code == 302
    assert client.get("/admin/").status_code == 200
    client.logout()

    response = _admin_login(client, other.email)
    assert response.context["form"].non_field_errors() == [OTP_REQUIRED_MESSAGE]
    assert not _signed_in(client)


@override_settings(DEBUG=False, OTP_EXEMPT_EMAILS=["admin@demo.test"])
def test_the_exemption_does_nothing_with_debug_off_and_a_system_check_refuses_it(client):
    UserFactory(email="admin@demo.test", is_staff=True, is_superuser=True)

    response = _admin_login(client, "admin@demo.test")

    assert response.context["form"].non_field_errors() == [OTP_NOT_ENROLLED_MESSAGE]
    errors = [message for message in run_checks() if message.id == "accounts.E001"]
    assert len(errors) == 1
    assert errors[0].msg.startswith("OTP_EXEMPT_EMAILS lets staff sign in without a second")


@override_settings(**DEMO_EXEMPT)
def test_the_exemption_passes_the_system_check_in_the_local_demo():
    assert [message for message in run_checks() if message.id == "accounts.E001"] == []


def test_production_settings_allow_no_exemption_and_the_local_demo_exempts_its_admin(monkeypatch):
    import importlib
    from pathlib import Path

    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "marketplace.example.com")
    production = importlib.import_module("marketplace.settings.production")
    local = (Path(__file__).resolve().parents[2] / "marketplace/settings/local.py").read_text()

    assert (production.OTP_EXEMPT_EMAILS, production.DEBUG) == ([], False)
    assert 'OTP_EXEMPT_EMAILS = ["admin@demo.test"]' in local


# --- the API token ----------------------------------------------------------------------------


def _token(api_client, email: str, **extra):
    return api_client.post(TOKEN_URL, {"email": email, "password": DEFAULT_PASSWORD, **extra})


def test_a_staff_token_request_without_a_code_is_400_on_otp(api_client, staff):
    otp_device_for(staff)

    response = _token(api_client, staff.email)

    assert response.status_code == 400
    assert response.json() == {"otp": [OTP_REQUIRED_MESSAGE]}
    assert ApiToken.objects.count() == 0


def test_a_staff_token_request_with_a_wrong_code_is_400_on_otp(api_client, staff):
    device = otp_device_for(staff)
    wrong = f"{(int(otp_code(device)) + 1) % 1_000_000:06d}"

    for otp in (wrong, "١٢٣٤٥٦", "abc"):
        response = _token(api_client, staff.email, otp=otp)
        assert response.status_code == 400
        assert response.json() == {"otp": [OTP_INVALID_MESSAGE]}
    assert ApiToken.objects.count() == 0


def test_a_staff_token_request_with_a_valid_code_gets_a_token(api_client, staff):
    device = otp_device_for(staff)

    response = _token(api_client, staff.email, otp=otp_code(device), name="ops laptop")

    assert response.status_code == 200
    assert ApiToken.objects.get().name == "ops laptop"


def test_a_staff_token_request_with_a_wrong_password_is_still_401(api_client, staff):
    device = otp_device_for(staff)

    response = api_client.post(
        TOKEN_URL, {"email": staff.email, "password": "wrong", "otp": otp_code(device)}
    )

    assert response.status_code == 401
    assert ApiToken.objects.count() == 0


def test_a_non_staff_user_needs_no_code(api_client):
    UserFactory(email="buyer@example.com")

    assert _token(api_client, "buyer@example.com").status_code == 200


# --- enrolment ---------------------------------------------------------------------------------


def test_staff_otp_enrol_creates_a_device_and_prints_its_url_and_qr_code(client, staff):
    out = io.StringIO()

    call_command("staff_otp_enrol", "OPS@platform.example", "--name", "Phone", stdout=out)

    device = TOTPDevice.objects.get(user=staff)
    text = out.getvalue()
    assert (device.name, device.confirmed) == ("Phone", True)
    assert f"or enter this URL: {device.config_url}" in text
    assert device.config_url.startswith("otpauth://totp/")
    assert "secret=" in device.config_url
    assert re.search(r"[█▀▄]{10}", text) is not None  # the QR code, drawn in the terminal
    assert SecurityEvent.objects.get(kind="otp_device_enrolled").user == staff
    # The enrolled device signs the user in.
    assert _admin_login(client, staff.email, otp_code(device)).status_code == 302


def test_staff_otp_enrol_refuses_an_unknown_or_non_staff_account():
    UserFactory(email="buyer@example.com")

    with pytest.raises(CommandError, match=r"No account has the email address 'x@example\.com'\."):
        call_command("staff_otp_enrol", "x@example.com", stdout=io.StringIO())
    with pytest.raises(CommandError, match=r"Only active staff accounts enrol a second factor\."):
        call_command("staff_otp_enrol", "buyer@example.com", stdout=io.StringIO())
    assert TOTPDevice.objects.count() == 0


def test_the_make_run_banner_says_the_demo_admin_alone_skips_the_second_factor(capsys):
    from marketplace.devstack import print_banner

    print_banner("http://127.0.0.1:8000/")

    out = capsys.readouterr().out
    assert (
        "  Staff sign-in: admin@demo.test alone signs in to the admin without a\n"
        "  second factor, in this local demo only (OTP_EXEMPT_EMAILS in settings/local.py).\n"
        "  Every other staff account needs a TOTP code: manage.py staff_otp_enrol EMAIL.\n"
    ) in out


def test_the_admin_never_shows_a_devices_secret(client, staff):
    from tests.factories import admin_login

    device = otp_device_for(UserFactory(email="other-staff@platform.example", is_staff=True))
    admin_login(client, staff)

    listing = client.get("/admin/otp_totp/totpdevice/")
    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    qrcode = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/")

    assert (listing.status_code, page.status_code) == (200, 200)
    for response in (listing, page):
        assert device.key not in response.content.decode()
        assert "otpauth://" not in response.content.decode()
    assert qrcode.status_code == 403


@override_settings(OTP_TOTP_THROTTLE_FACTOR=60)
def test_after_a_wrong_code_even_the_right_one_is_refused_for_a_while(client, api_client, staff):
    device = otp_device_for(staff)
    right = otp_code(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    _admin_login(client, staff.email, wrong)
    response = _admin_login(client, staff.email, right)
    token = _token(api_client, staff.email, otp=right)

    assert response.context["form"].non_field_errors() == [OTP_INVALID_MESSAGE]
    assert not _signed_in(client)
    assert token.status_code == 400
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # refused while throttled: not counted again
    assert SecurityEvent.objects.filter(kind="otp_failed", user=staff).count() == 3
