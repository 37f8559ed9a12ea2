"""Security events: recorded for sign-ins, lockouts, tokens, refusals, passwords and admin
actions; logged as JSON; readable (never writable) by staff with the permission."""

import json
import logging

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from marketplace.accounts.enums import VerificationStatus
from marketplace.accounts.models import Company, SecurityEvent
from marketplace.accounts.security import _on_user_locked_out, security_event_record
from marketplace.core.log_format import JsonFormatter
from tests.factories import (
    DEFAULT_PASSWORD,
    CompanyFactory,
    MembershipFactory,
    UserFactory,
    admin_login,
    staff_user,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/securityevent/"


def _events() -> list[tuple]:
    return list(SecurityEvent.objects.order_by("id").values_list("kind", "email", "user_id", "ip"))


def test_a_site_sign_in_is_recorded_with_address_user_agent_and_company(client):
    membership = MembershipFactory(user__email="buyer@example.com")

    client.post(
        reverse("accounts:login"),
        {"username": "buyer@example.com", "password": DEFAULT_PASSWORD},
        REMOTE_ADDR="198.51.100.20",
        HTTP_USER_AGENT="Mozilla/5.0 test",
    )

    event = SecurityEvent.objects.get()
    assert (event.kind, event.user, event.email, event.ip, event.user_agent) == (
        "login_succeeded",
        membership.user,
        "buyer@example.com",
        "198.51.100.20",
        "Mozilla/5.0 test",
    )
    assert event.company == membership.company
    assert event.details == {"second_factor": False}


def test_a_failed_site_sign_in_records_the_email_tried_and_no_user(client):
    UserFactory(email="buyer@example.com")

    client.post(
        reverse("accounts:login"),
        {"username": "buyer@example.com", "password": "wrong"},
        REMOTE_ADDR="198.51.100.21",
    )

    assert _events() == [("login_failed", "buyer@example.com", None, "198.51.100.21")]


def test_signing_out_is_recorded(client):
    user = UserFactory(email="buyer@example.com")
    client.force_login(user)

    client.post(reverse("accounts:logout"))

    assert _events()[-1] == ("logged_out", "buyer@example.com", user.pk, "127.0.0.1")


def test_issuing_a_token_is_recorded_without_the_secret(api_client):
    user = UserFactory(email="buyer@example.com")

    response = api_client.post(
        "/api/v1/auth/token/",
        {"email": "buyer@example.com", "password": DEFAULT_PASSWORD, "name": "ERP"},
    )

    event = SecurityEvent.objects.get()
    token_id = response.json()["id"]
    assert (event.kind, event.user, event.object_ref) == (
        "token_issued",
        user,
        f"accounts.apitoken:{token_id}",
    )
    assert event.details["name"] == "ERP"
    assert response.json()["token"] not in json.dumps(event.details)


def test_an_axes_lockout_is_recorded(rf):
    # The receiver is connected to axes' user_locked_out signal when axes is installed.
    request = rf.post("/accounts/login/", REMOTE_ADDR="203.0.113.50")

    _on_user_locked_out("axes", request=request, username="victim@example.com")

    assert _events() == [("locked_out", "victim@example.com", None, "203.0.113.50")]


def test_a_refused_page_is_recorded_and_answers_403(client):
    membership = MembershipFactory(role="staff", user__email="clerk@example.com")
    client.force_login(membership.user)

    response = client.post(reverse("accounts:company_profile"), {"legal_name": "Hijacked"})

    assert response.status_code == 403
    assert Company.objects.get(pk=membership.company.pk).legal_name != "Hijacked"
    event = SecurityEvent.objects.get(kind="permission_denied")
    assert (event.user, event.company, event.object_ref) == (
        membership.user,
        membership.company,
        "/accounts/company/",
    )
    assert event.details["method"] == "POST"


def test_an_admin_action_is_recorded_with_who_what_and_which_objects(client):
    company = CompanyFactory(verification_status=VerificationStatus.PENDING)
    admin = UserFactory(email="root@platform.example", is_staff=True, is_superuser=True)
    admin_login(client, admin)

    response = client.post(
        reverse("admin:accounts_company_changelist"),
        {"action": "verify_selected", "_selected_action": [company.pk]},
        REMOTE_ADDR="192.0.2.10",
    )

    assert response.status_code == 302
    event = SecurityEvent.objects.get(kind="admin_action")
    assert (event.user, event.ip, event.object_ref) == (
        admin,
        "192.0.2.10",
        "accounts_company_changelist",
    )
    assert event.details == {
        "path": "/admin/accounts/company/",
        "view": "accounts_company_changelist",
        "action": "verify_selected",
        "selected": [str(company.pk)],
    }


def test_an_admin_edit_that_fails_validation_is_not_an_admin_action(client):
    admin_login(client, UserFactory(is_staff=True, is_superuser=True))
    company = CompanyFactory()

    response = client.post(reverse("admin:accounts_company_change", args=[company.pk]), {})

    assert response.status_code == 200
    assert not SecurityEvent.objects.filter(kind="admin_action").exists()


def test_an_event_is_also_a_json_log_record():
    user = UserFactory(email="buyer@example.com")
    logger = logging.getLogger("marketplace.security")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        event = security_event_record(
            kind="payout_account_changed", user=user, object_ref="payments.connectedaccount:7"
        )
    finally:
        logger.removeHandler(handler)

    line = json.loads(JsonFormatter().format(records[0]))
    assert line == {
        "time": line["time"],
        "level": "INFO",
        "logger": "marketplace.security",
        "message": "security event payout_account_changed",
        "event": "payout_account_changed",
        "event_id": event.pk,
        "user_id": user.pk,
        "email": "buyer@example.com",
        "company_id": None,
        "ip": None,
        "user_agent": "",
        "object_ref": "payments.connectedaccount:7",
        "details": {},
    }


def test_an_unknown_kind_is_refused_and_nothing_is_stored():
    with pytest.raises(ValueError, match="Unknown security event kind: 'hacked'"):
        security_event_record(kind="hacked")

    assert SecurityEvent.objects.count() == 0


# --- the admin: read-only, for staff with the permission -----------------------------------------


@pytest.fixture
def events():
    """Two events recorded after the staff in the tests signed in."""
    first = security_event_record(kind="login_failed", email="mallory@example.com")
    SecurityEvent.objects.filter(pk=first.pk).update(ip="203.0.113.7")
    second = security_event_record(kind="token_issued", user=UserFactory(email="ok@example.com"))
    return first, second


def test_staff_with_the_permission_list_search_and_filter_events(client, request):
    reader = staff_user(permissions=("accounts.view_securityevent",))
    admin_login(client, reader)
    signed_in = SecurityEvent.objects.get(kind="login_succeeded")
    first, second = request.getfixturevalue("events")

    everything = client.get(CHANGELIST)
    by_ip = client.get(CHANGELIST, {"q": "203.0.113"})
    by_email = client.get(CHANGELIST, {"q": "ok@example"})
    by_kind = client.get(CHANGELIST, {"kind__exact": "login_failed"})
    detail = client.get(f"{CHANGELIST}{first.pk}/change/")

    assert everything.status_code == 200
    assert [e.pk for e in everything.context["cl"].result_list] == [
        second.pk,
        first.pk,
        signed_in.pk,
    ]
    assert [e.pk for e in by_ip.context["cl"].result_list] == [first.pk]
    assert [e.pk for e in by_email.context["cl"].result_list] == [second.pk]
    assert [e.pk for e in by_kind.context["cl"].result_list] == [first.pk]
    assert detail.status_code == 200
    assert "mallory@example.com" in detail.content.decode()


def test_nobody_adds_changes_or_deletes_events_in_the_admin(client, events):
    first, _second = events
    admin_login(client, UserFactory(is_staff=True, is_superuser=True))
    before = list(SecurityEvent.objects.order_by("id").values())

    add = client.get(f"{CHANGELIST}add/")
    change = client.post(f"{CHANGELIST}{first.pk}/change/", {"kind": "login_succeeded"})
    delete = client.post(f"{CHANGELIST}{first.pk}/delete/", {"post": "yes"})
    bulk = client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [first.pk], "post": "yes"}
    )

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert bulk.status_code == 200  # no delete action offered: Django shows the list again
    after = list(SecurityEvent.objects.order_by("id").values())
    assert after[: len(before)] == before
    # Only the three refusals were added, each one recorded.
    assert [(e["kind"], e["object_ref"]) for e in after[len(before) :]] == [
        ("permission_denied", f"{CHANGELIST}add/"),
        ("permission_denied", f"{CHANGELIST}{first.pk}/change/"),
        ("permission_denied", f"{CHANGELIST}{first.pk}/delete/"),
    ]


def test_staff_without_the_permission_cannot_see_events(client, events):
    admin_login(client, staff_user("finance", "support", "moderators", "verification"))

    assert client.get(CHANGELIST).status_code == 403
    assert Permission.objects.filter(codename="view_securityevent").count() == 1
