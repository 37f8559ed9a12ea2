"""Changing where a seller is paid: the password again, a masked history, an email to every
owner and admin, and the payouts still pending held until an admin releases them."""

import csv
import io

import pytest
from django.contrib.admin import helpers
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import ValidationError

from marketplace.accounts.enums import MembershipRole
from marketplace.core.exceptions import InvalidTransition
from orders import services as order_services
from payments.enums import BankPayoutStatus, HoldReason, PayoutMethod, SettlementStatus
from payments.models import (
    BankPayout,
    BankPayoutEvent,
    ConnectedAccount,
    PayoutAccountChange,
    SettlementEvent,
)
from payments.payouts import (
    bank_payout_mark_paid,
    bank_payouts_export_csv,
    payout_account_use_bank_transfer,
)
from payments.settlement import settlement_run
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory, admin_login
from tests.payments.conftest import pay

pytestmark = pytest.mark.django_db

PAGE = "/payments/payout-account/"
BANK_URL = "/payments/payout-account/bank/"
FIRST = {
    "account_holder": "Ningbo Fasteners Co., Ltd.",
    "bank_name": "Bank of China, Ningbo Branch",
    "iban": "6217 8560 0001 2345 678",
    "swift": "BKCHCNBJ92A",
    "country": "CN",
}
SECOND = {
    "account_holder": "Ningbo Fasteners Co., Ltd.",
    "bank_name": "Industrial and Commercial Bank of China",
    "iban": "6222 0202 0011 2233 445",
    "swift": "ICBKCNBJNBO",
    "country": "CN",
}
WRONG = "Your password is not correct: the payout account was not changed."


@pytest.fixture
def celery_eager():
    from marketplace.celery import app

    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


def _use_bank(company, user, details, **extra):
    return payout_account_use_bank_transfer(
        company=company,
        actor=user,
        current_password=DEFAULT_PASSWORD,
        **details,
        **extra,
    )


def _completed(order, *, buyer, buyer_user, seller_user):
    pay(order, company=buyer, actor=buyer_user)
    order = order_services.order_ship(
        order=order, actor=seller_user, carrier="Maersk", tracking_number="MSKU1234567"
    )
    order = order_services.order_confirm_delivery(order=order, actor=buyer_user)
    return order_services.order_accept(order=order, actor=buyer_user)


@pytest.fixture
def pending_payout(confirmed_order, buyer, buyer_user, seller, seller_user) -> BankPayout:
    """The seller is paid by bank to FIRST; a completed order's 1,050.00 USD is pending."""
    _use_bank(seller, seller_user, FIRST)
    PayoutAccountChange.objects.all().delete()  # the first setup is tested on its own
    order = _completed(confirmed_order, buyer=buyer, buyer_user=buyer_user, seller_user=seller_user)
    settlement_run(order_id=order.pk)
    mail.outbox.clear()
    return BankPayout.objects.get()


def _bank_state(company):
    account = ConnectedAccount.objects.filter(company=company).first()
    return (
        account and (account.method, account.bank_iban, account.bank_swift, account.bank_name),
        list(BankPayout.objects.values_list("status", "hold_reason")),
        PayoutAccountChange.objects.count(),
        BankPayoutEvent.objects.count(),
    )


def _csv_ids(content: str) -> list[str]:
    return [row[0] for row in list(csv.reader(io.StringIO(content)))[1:]]


# --- the password again -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [("not-my-password", WRONG), ("", "Enter your password to confirm the change.")],
)
def test_a_wrong_or_missing_password_is_an_inline_error_and_changes_nothing(
    client,
    seller,
    seller_user,
    pending_payout,
    django_capture_on_commit_callbacks,
    password,
    message,
):
    client.force_login(seller_user)
    before = _bank_state(seller)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(BANK_URL, {**SECOND, "current_password": password})

    assert response.status_code == 400
    assert response.context["bank_form"].errors == {"current_password": [message]}
    body = response.content.decode()
    assert message in body
    assert 'name="current_password"' in body and "not-my-password" not in body  # never echoed
    assert _bank_state(seller) == before
    assert before[1] == [(BankPayoutStatus.PENDING, "")]
    assert callbacks == []
    assert mail.outbox == []


def test_the_service_refuses_a_wrong_password_together_with_bad_details(seller, seller_user):
    with pytest.raises(ValidationError) as refused:
        payout_account_use_bank_transfer(
            company=seller,
            actor=seller_user,
            current_password="guess",
            **{**SECOND, "swift": "ICBK"},
        )

    assert refused.value.message_dict == {
        "swift": ["A SWIFT/BIC code has 8 or 11 characters, not 4."],
        "current_password": [WRONG],
    }
    assert not ConnectedAccount.objects.exists()
    assert not PayoutAccountChange.objects.exists()


# --- a change: history, email, holds ----------------------------------------------------------


def test_changing_the_bank_account_holds_pending_payouts_keeps_history_and_emails_managers(
    client,
    seller,
    seller_user,
    pending_payout,
    django_capture_on_commit_callbacks,
    celery_eager,
):
    MembershipFactory(company=seller, user__email="admin@ningbo.example", role="admin")
    MembershipFactory(company=seller, user__email="clerk@ningbo.example", role="staff")
    client.force_login(seller_user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            BANK_URL,
            {**SECOND, "current_password": DEFAULT_PASSWORD},
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR="198.51.100.1",
        )

    assert response.status_code == 302
    account = ConnectedAccount.objects.get(company=seller)
    assert (account.bank_iban, account.bank_swift) == ("6222020200112233445", "ICBKCNBJNBO")
    change = PayoutAccountChange.objects.get()
    assert (
        change.company,
        change.changed_by,
        change.client_ip,
        change.old_method,
        change.new_method,
        change.old_account,
        change.new_account,
        change.payouts_held,
        change.settlements_held,
    ) == (
        seller,
        seller_user,
        "203.0.113.7",
        PayoutMethod.BANK_TRANSFER,
        PayoutMethod.BANK_TRANSFER,
        "Bank account •••• 5678",
        "Bank account •••• 3445",
        1,
        0,
    )
    assert change.notified_at is not None
    pending_payout.refresh_from_db()
    assert (pending_payout.status, pending_payout.hold_reason) == (
        BankPayoutStatus.ON_HOLD,
        HoldReason.ACCOUNT_CHANGE,
    )
    [event] = BankPayoutEvent.objects.all()
    assert (event.from_status, event.to_status, event.actor, event.note) == (
        "pending",
        "on_hold",
        seller_user,
        "The payout account changed: held until an admin reviews the change.",
    )
    # Held payouts are not exported for the bank.
    assert _csv_ids(bank_payouts_export_csv()) == []

    [message] = mail.outbox
    assert sorted(message.to) == ["admin@ningbo.example", seller_user.email]
    assert message.subject == (
        "The payout account of Ningbo Fasteners Co., Ltd. was changed on Open Trade Marketplace"
    )
    assert "Before: Bank account •••• 5678" in message.body
    assert "Now: Bank account •••• 3445" in message.body
    assert "From the address: 203.0.113.7" in message.body
    assert "1 bank payout and 0 settlements" in message.body
    assert "6222020200112233445" not in message.body and "6217856000012345678" not in message.body

    page = client.get(PAGE).content.decode()
    assert "Changes to the payout account" in page
    assert "Bank account •••• 5678" in page and "Bank account •••• 3445" in page
    assert "203.0.113.7" in page
    assert "1 payout, 0 settlements" in page
    assert 'id="payout-holds"' in page and "Some payouts are held for review:" in page
    assert "<dt>Held for review</dt><dd>USD 1,050.00 (1 payout)</dd>" in page
    assert "<dt>Pending bank payouts</dt><dd>None</dd>" in page


def test_a_held_payout_cannot_be_marked_paid(pending_payout, seller_user):
    _use_bank(pending_payout.seller, seller_user, SECOND)
    admin_user = UserFactory(is_staff=True, is_superuser=True)

    with pytest.raises(InvalidTransition):
        bank_payout_mark_paid(payout_id=pending_payout.pk, bank_reference="B-1", actor=admin_user)

    pending_payout.refresh_from_db()
    assert (pending_payout.status, pending_payout.bank_reference, pending_payout.paid_at) == (
        BankPayoutStatus.ON_HOLD,
        "",
        None,
    )
    assert pending_payout.settlement.status == SettlementStatus.BANK_PAYABLE


def test_saving_the_same_details_again_is_not_a_change(
    seller, seller_user, pending_payout, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _use_bank(seller, seller_user, FIRST)

    assert callbacks == []
    assert not PayoutAccountChange.objects.exists()
    pending_payout.refresh_from_db()
    assert pending_payout.status == BankPayoutStatus.PENDING


def test_a_first_setup_holds_nothing_and_pays_what_waited(
    confirmed_order,
    buyer,
    buyer_user,
    seller,
    seller_user,
    django_capture_on_commit_callbacks,
    celery_eager,
):
    order = _completed(confirmed_order, buyer=buyer, buyer_user=buyer_user, seller_user=seller_user)
    waiting = settlement_run(order_id=order.pk)
    assert waiting.status == SettlementStatus.AWAITING_ACCOUNT

    with django_capture_on_commit_callbacks(execute=True):
        _use_bank(seller, seller_user, FIRST, client_ip="192.0.2.10")

    change = PayoutAccountChange.objects.get()
    assert (change.old_method, change.old_account, change.new_account, change.client_ip) == (
        "",
        "",
        "Bank account •••• 5678",
        "192.0.2.10",
    )
    assert (change.payouts_held, change.settlements_held) == (0, 0)
    waiting.refresh_from_db()
    assert waiting.status == SettlementStatus.BANK_PAYABLE
    payout = BankPayout.objects.get()
    assert (payout.status, payout.amount_minor) == (BankPayoutStatus.PENDING, 105000)
    [message] = mail.outbox
    assert "Before: no payout account" in message.body


def test_leaving_an_onboarded_stripe_account_holds_the_settlements_awaiting_it(
    confirmed_order, buyer, buyer_user, seller, seller_user, django_capture_on_commit_callbacks
):
    order = _completed(confirmed_order, buyer=buyer, buyer_user=buyer_user, seller_user=seller_user)
    ConnectedAccount.objects.create(
        company=seller,
        method=PayoutMethod.STRIPE,
        stripe_account_id="acct_1PausedByStripe9876",
        details_submitted=True,
        payouts_enabled=False,  # Stripe paused payouts: settlements wait
    )
    waiting = settlement_run(order_id=order.pk)
    assert waiting.status == SettlementStatus.AWAITING_ACCOUNT

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _use_bank(seller, seller_user, FIRST)

    waiting.refresh_from_db()
    assert (waiting.status, waiting.hold_reason) == (
        SettlementStatus.HELD,
        HoldReason.ACCOUNT_CHANGE,
    )
    [event] = SettlementEvent.objects.all()
    assert (event.from_status, event.to_status, event.actor) == (
        "awaiting_account",
        "held",
        seller_user,
    )
    change = PayoutAccountChange.objects.get()
    assert (change.old_account, change.new_account, change.settlements_held) == (
        "Stripe Connect •••• 9876",
        "Bank account •••• 5678",
        1,
    )
    assert len(callbacks) == 1  # the email only: nothing sent to the payout task
    assert not BankPayout.objects.exists()


# --- admin: release the hold ------------------------------------------------------------------


def _admin_post(client, model, action, ids):
    return client.post(
        f"/admin/payments/{model}/",
        {"action": action, helpers.ACTION_CHECKBOX_NAME: [str(pk) for pk in ids]},
        follow=True,
    )


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_an_admin_releases_a_held_payout_and_it_is_exported_again(
    client, pending_payout, seller_user
):
    _use_bank(pending_payout.seller, seller_user, SECOND)
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    admin_login(client, admin_user)

    response = _admin_post(client, "bankpayout", "release_hold", [pending_payout.pk])

    assert _messages(response) == ["Hold released for 1 payout."]
    pending_payout.refresh_from_db()
    assert (pending_payout.status, pending_payout.hold_reason) == (BankPayoutStatus.PENDING, "")
    event = BankPayoutEvent.objects.order_by("pk").last()
    assert (event.from_status, event.to_status, event.actor, event.note) == (
        "on_hold",
        "pending",
        admin_user,
        "Hold released by an admin.",
    )
    assert _csv_ids(bank_payouts_export_csv()) == [str(pending_payout.pk)]

    again = _admin_post(client, "bankpayout", "release_hold", [pending_payout.pk])
    assert _messages(again) == [
        f"Payout {pending_payout.pk} stays as it is: it is pending, not on hold."
    ]


def test_release_hold_needs_the_change_permission(client, pending_payout, seller_user):
    _use_bank(pending_payout.seller, seller_user, SECOND)
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_bankpayout", content_type__app_label="payments")
    )
    admin_login(client, viewer)

    page = client.get("/admin/payments/bankpayout/").content.decode()
    assert "release_hold" not in page
    response = _admin_post(client, "bankpayout", "release_hold", [pending_payout.pk])

    # The viewer has no action at all on this list (the CSV export needs its own permission),
    # so the admin runs none and says nothing.
    assert response.status_code == 200
    assert _messages(response) == []
    pending_payout.refresh_from_db()
    assert pending_payout.status == BankPayoutStatus.ON_HOLD


def test_an_admin_releases_a_held_settlement_and_it_is_paid(
    client,
    confirmed_order,
    buyer,
    buyer_user,
    seller,
    seller_user,
    django_capture_on_commit_callbacks,
    celery_eager,
):
    order = _completed(confirmed_order, buyer=buyer, buyer_user=buyer_user, seller_user=seller_user)
    ConnectedAccount.objects.create(
        company=seller,
        method=PayoutMethod.STRIPE,
        stripe_account_id="acct_1PausedByStripe9876",
        details_submitted=True,
    )
    held = settlement_run(order_id=order.pk)
    _use_bank(seller, seller_user, FIRST)
    held.refresh_from_db()
    assert held.status == SettlementStatus.HELD
    admin_login(client, UserFactory(is_staff=True, is_superuser=True))

    with django_capture_on_commit_callbacks(execute=True):
        response = _admin_post(client, "settlement", "release_hold", [held.pk])

    assert _messages(response) == ["Hold released for 1 settlement."]
    held.refresh_from_db()
    assert (held.status, held.hold_reason) == (SettlementStatus.BANK_PAYABLE, "")
    assert list(SettlementEvent.objects.values_list("from_status", "to_status")) == [
        ("awaiting_account", "held"),
        ("held", "released"),
    ]
    payout = BankPayout.objects.get()
    assert (payout.status, payout.amount_minor) == (BankPayoutStatus.PENDING, 105000)


# --- escaping ---------------------------------------------------------------------------------


def test_the_email_escapes_what_users_wrote(
    seller, seller_user, pending_payout, django_capture_on_commit_callbacks, celery_eager
):
    seller.legal_name = '<img src=x onerror="alert(1)"> & Co'
    seller.save(update_fields=["legal_name"])
    seller_user.full_name = "<script>alert(2)</script>"
    seller_user.save(update_fields=["full_name"])

    with django_capture_on_commit_callbacks(execute=True):
        _use_bank(seller, seller_user, SECOND)

    [message] = mail.outbox
    for text in (message.subject, message.body):
        assert "<img" not in text and "<script>" not in text
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; Co" in message.subject
    assert "By: &lt;script&gt;alert(2)&lt;/script&gt;" in message.body


def test_a_staff_member_cannot_change_the_account_even_with_their_password(
    client, seller, pending_payout
):
    staff = MembershipFactory(company=seller, role=MembershipRole.STAFF).user
    client.force_login(staff)
    before = _bank_state(seller)

    response = client.post(BANK_URL, {**SECOND, "current_password": DEFAULT_PASSWORD})

    assert response.status_code == 403
    assert _bank_state(seller) == before


# --- leaving the bank account for Stripe ------------------------------------------------------

STRIPE_URL = "/payments/payout-account/stripe/"
DE_BANK = {
    "account_holder": "Hamburg Bolts GmbH",
    "bank_name": "Hamburger Sparkasse",
    "iban": "DE89 3704 0044 0532 0130 00",
    "swift": "HASPDEHH",
    "country": "DE",
}


@pytest.fixture
def de_bank_seller(db):
    from tests.orders.factories import seller_member

    company, user = seller_member(legal_name="Hamburg Bolts GmbH", country="DE")
    _use_bank(company, user, DE_BANK)
    PayoutAccountChange.objects.all().delete()
    mail.outbox.clear()
    return company, user


@pytest.mark.parametrize("password", ["", "not-my-password"])
def test_leaving_the_bank_account_for_stripe_needs_the_password(
    client, de_bank_seller, django_capture_on_commit_callbacks, password
):
    company, user = de_bank_seller
    client.force_login(user)
    before = _bank_state(company)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(STRIPE_URL, {"current_password": password})

    assert response.status_code == 400
    assert response.context["stripe_password_error"] == WRONG
    assert WRONG in response.content.decode()
    assert _bank_state(company) == before
    assert ConnectedAccount.objects.get(company=company).stripe_account_id == ""
    assert callbacks == []
    # The "link expired" return address cannot switch either.
    refreshed = client.get("/payments/payout-account/stripe/refresh/", follow=True)
    assert _messages(refreshed) == ["Connect with Stripe from this page, with your password."]
    assert _bank_state(company) == before


def test_leaving_the_bank_account_for_stripe_is_kept_in_the_history_and_emailed(
    client, de_bank_seller, django_capture_on_commit_callbacks, celery_eager
):
    company, user = de_bank_seller
    client.force_login(user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            STRIPE_URL, {"current_password": DEFAULT_PASSWORD}, REMOTE_ADDR="203.0.113.9"
        )

    assert response.status_code == 302
    account = ConnectedAccount.objects.get(company=company)
    assert account.method == PayoutMethod.STRIPE
    change = PayoutAccountChange.objects.get()
    assert (
        change.changed_by,
        change.client_ip,
        change.old_method,
        change.new_method,
        change.old_account,
        change.new_account,
    ) == (
        user,
        "203.0.113.9",
        PayoutMethod.BANK_TRANSFER,
        PayoutMethod.STRIPE,
        "Bank account •••• 3000",
        "Stripe Connect (being set up)",
    )
    [message] = mail.outbox
    assert message.to == [user.email]
    assert "Now: Stripe Connect (being set up)" in message.body


def test_the_history_is_read_only_in_the_admin(client, pending_payout, seller_user):
    _use_bank(pending_payout.seller, seller_user, SECOND, client_ip="203.0.113.7")
    change = PayoutAccountChange.objects.get()
    admin_login(client, UserFactory(is_staff=True, is_superuser=True))

    listing = client.get("/admin/payments/payoutaccountchange/").content.decode()
    detail = client.get(f"/admin/payments/payoutaccountchange/{change.pk}/change/")

    assert "Bank account •••• 5678" in listing and "Bank account •••• 3445" in listing
    assert "203.0.113.7" in listing
    assert client.get("/admin/payments/payoutaccountchange/add/").status_code == 403
    assert detail.status_code == 200
    assert 'name="new_account"' not in detail.content.decode()  # nothing to edit
    assert (
        client.post(f"/admin/payments/payoutaccountchange/{change.pk}/delete/", {"post": "yes"})
    ).status_code == 403
    assert PayoutAccountChange.objects.filter(pk=change.pk).exists()


def test_a_settlement_released_but_not_paid_yet_is_held_too(
    confirmed_order, buyer, buyer_user, seller, seller_user
):
    from payments.settlement import settlement_pay, settlement_release

    _use_bank(seller, seller_user, FIRST)
    order = _completed(confirmed_order, buyer=buyer, buyer_user=buyer_user, seller_user=seller_user)
    released = settlement_release(order_id=order.pk)  # the payout task has not run yet
    assert released.status == SettlementStatus.RELEASED

    _use_bank(seller, seller_user, SECOND)

    released.refresh_from_db()
    assert (released.status, released.hold_reason) == (
        SettlementStatus.HELD,
        HoldReason.ACCOUNT_CHANGE,
    )
    assert PayoutAccountChange.objects.order_by("pk").last().settlements_held == 1
    # The payout task, arriving now, pays nothing to the new account.
    assert settlement_pay(settlement_id=released.pk).status == SettlementStatus.HELD
    assert not BankPayout.objects.exists()
