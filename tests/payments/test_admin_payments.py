"""The payments admin: read-only lists of the money rows, "Retry payout" for settlements, and
the bank payouts' CSV export and "mark paid" with the bank reference."""

import csv
import io
import time

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders import services as order_services
from payments.enums import BankPayoutStatus, SettlementStatus, StripeEventStatus
from payments.ledger.models import LedgerTransaction
from payments.ledger.selectors import ledger_check, seller_money_summary
from payments.models import (
    BankPayout,
    ConnectedAccount,
    GatewayDispute,
    Payment,
    Refund,
    Settlement,
    StripeEvent,
)
from payments.payouts import payout_account_connect_stripe, payout_account_use_bank_transfer
from payments.refunds import refund_request
from payments.sandbox import SandboxGateway
from payments.settlement import settlement_run
from tests.factories import DEFAULT_PASSWORD, UserFactory, admin_login, staff_user
from tests.listings.factories import ListingFactory
from tests.orders.factories import buyer_member, place_order, seller_member
from tests.payments.conftest import pay

BANK = {
    "account_holder": "Ningbo Fasteners Co., Ltd.",
    "bank_name": "Bank of China, Ningbo Branch",
    "iban": "6217856000012345678",
    "swift": "BKCHCNBJ92A",
    "country": "CN",
    "current_password": DEFAULT_PASSWORD,
}
ADMIN_MODELS = [
    "payment",
    "stripeevent",
    "settlement",
    "refund",
    "bankpayout",
    "gatewaydispute",
    "connectedaccount",
]


@pytest.fixture
def superuser(db):
    return UserFactory(email="finance@platform.example", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    admin_login(client, superuser)
    return client


def _complete(order, *, buyer, buyer_user, seller_user):
    pay(order, company=buyer, actor=buyer_user)
    order = order_services.order_ship(
        order=order, actor=seller_user, carrier="Maersk", tracking_number="MSKU1234567"
    )
    order = order_services.order_confirm_delivery(order=order, actor=buyer_user)
    return order_services.order_accept(order=order, actor=buyer_user)


@pytest.fixture
def bank_payout(confirmed_order, buyer, buyer_user, seller, seller_user) -> BankPayout:
    payout_account_use_bank_transfer(company=seller, actor=seller_user, **BANK)
    order = _complete(confirmed_order, buyer=buyer, buyer_user=buyer_user, seller_user=seller_user)
    settlement_run(order_id=order.pk)
    return BankPayout.objects.select_related("settlement__order").get()


@pytest.fixture
def money_rows(bank_payout, other_listing, buyer, buyer_user, seller_user):
    """One of each money row: a payment, a settlement paid by bank, a refund, a failed event,
    a gateway dispute, a connected account."""
    order = place_order(listing=other_listing, quantity=10, buyer=buyer, actor=buyer_user)
    order = order_services.order_confirm(order=order, actor=seller_user)
    pay(order, company=buyer, actor=buyer_user)
    refund_request(
        order=order,
        amount_minor=500,
        reason="dispute",
        idempotency_key=f"refund:{order.number}:admin-test",
    )
    StripeEvent.objects.create(
        event_id="evt_broken",
        type="charge.refunded",
        payload={"id": "evt_broken", "data": {"object": {}}},
        status=StripeEventStatus.FAILED,
        error="KeyError: 'payment_intent'",
        attempts=2,
        created=timezone.now(),
    )
    payment = Payment.objects.filter(order=order).get()
    GatewayDispute.objects.create(
        dispute_id="dp_sbx_1",
        payment=payment,
        amount_minor=500,
        currency="USD",
        reason="fraudulent",
    )
    return order


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_each_money_list_and_row_renders_and_cannot_be_added_or_deleted(
    admin_client, money_rows, model
):
    changelist = admin_client.get(reverse(f"admin:payments_{model}_changelist"))
    assert changelist.status_code == 200

    row = (
        {
            "payment": Payment,
            "stripeevent": StripeEvent,
            "settlement": Settlement,
            "refund": Refund,
            "bankpayout": BankPayout,
            "gatewaydispute": GatewayDispute,
            "connectedaccount": ConnectedAccount,
        }[model]
        .objects.order_by("pk")
        .first()
    )
    assert row is not None
    change = admin_client.get(reverse(f"admin:payments_{model}_change", args=[row.pk]))
    assert change.status_code == 200
    assert b'name="_save"' not in change.content  # read-only: no save button

    assert admin_client.get(reverse(f"admin:payments_{model}_add")).status_code == 403
    delete = admin_client.post(reverse(f"admin:payments_{model}_delete", args=[row.pk]))
    assert delete.status_code == 403
    assert type(row).objects.filter(pk=row.pk).exists()


def test_the_payment_page_never_shows_the_client_secret(admin_client, money_rows):
    payment = Payment.objects.filter(order=money_rows).get()
    body = admin_client.get(
        reverse("admin:payments_payment_change", args=[payment.pk])
    ).content.decode()

    assert payment.client_secret and payment.client_secret not in body
    assert payment.payment_intent_id in body


def test_failed_events_are_listed_with_their_error(admin_client, money_rows):
    response = admin_client.get(
        reverse("admin:payments_stripeevent_changelist"), {"status__exact": "failed"}
    )

    assert [event.event_id for event in response.context["cl"].result_list] == ["evt_broken"]
    assert StripeEvent.objects.filter(status="processed").count() == 2  # filtered out
    assert "KeyError: &#x27;payment_intent&#x27;" in response.content.decode()


def test_failed_settlements_show_their_last_error(admin_client, bank_payout):
    Settlement.objects.filter(pk=bank_payout.settlement_id).update(
        status=SettlementStatus.FAILED, last_error="account_invalid: cannot receive transfers"
    )

    body = admin_client.get(
        reverse("admin:payments_settlement_changelist"), {"status__exact": "failed"}
    ).content.decode()

    assert bank_payout.settlement.order.number in body
    assert "account_invalid: cannot receive transfers" in body
    assert "USD 1,050.00" in body and "USD 31.50" in body


# --- bank payouts ------------------------------------------------------------------------------


def _action(client, action, ids, **extra):
    return client.post(
        reverse("admin:payments_bankpayout_changelist"),
        {"action": action, "_selected_action": [str(pk) for pk in ids], **extra},
    )


def test_the_export_action_downloads_the_selected_pending_payouts(admin_client, bank_payout):
    response = _action(admin_client, "export_csv", [bank_payout.pk])

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="bank-payouts-')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    number = bank_payout.settlement.order.number
    assert rows == [
        [
            "payout_id",
            "seller_legal_name",
            "account_holder",
            "bank_name",
            "country",
            "currency",
            "amount",
            "iban",
            "swift",
            "order_number",
            "reference",
        ],
        [
            str(bank_payout.pk),
            "Ningbo Fasteners Co., Ltd.",
            "Ningbo Fasteners Co., Ltd.",
            "Bank of China, Ningbo Branch",
            "CN",
            "USD",
            "1050.00",
            "6217856000012345678",
            "BKCHCNBJ92A",
            number,
            f"PAYOUT {bank_payout.pk} {number}",
        ],
    ]
    bank_payout.refresh_from_db()
    assert bank_payout.exported_at is not None


def test_the_staff_csv_url_exports_every_pending_payout_and_needs_the_export_permission(
    client, admin_client, bank_payout, seller_user
):
    other = Client()
    anonymous = other.get(reverse("payments:bank-payouts-csv"))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    for refused_user in (seller_user, staff_user("support", "moderators", "verification")):
        other.force_login(refused_user)
        assert other.get(reverse("payments:bank-payouts-csv")).status_code == 403
    bank_payout.refresh_from_db()
    assert bank_payout.exported_at is None

    response = admin_client.get(reverse("payments:bank-payouts-csv"))
    assert response.status_code == 200
    assert response.content.decode().splitlines()[1].startswith(f"{bank_payout.pk},")

    client.force_login(staff_user("finance"))
    finance = client.get(reverse("payments:bank-payouts-csv"))
    assert finance.status_code == 200
    assert finance.content.decode().splitlines()[1].startswith(f"{bank_payout.pk},")


def test_mark_paid_asks_for_the_bank_reference_first(admin_client, bank_payout):
    page = _action(admin_client, "mark_paid", [bank_payout.pk])

    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="bank_reference"' in body
    assert "USD 1,050.00" in body and bank_payout.settlement.order.number in body
    assert "Mark 1 payout paid" in body
    bank_payout.refresh_from_db()
    assert bank_payout.status == BankPayoutStatus.PENDING


def test_mark_paid_without_a_reference_shows_the_error_and_changes_nothing(
    admin_client, bank_payout
):
    page = _action(admin_client, "mark_paid", [bank_payout.pk], apply="1", bank_reference="  ")

    assert page.status_code == 400
    assert "Give the bank&#x27;s reference for this transfer." in page.content.decode()
    bank_payout.refresh_from_db()
    assert (bank_payout.status, bank_payout.bank_reference) == (BankPayoutStatus.PENDING, "")
    assert Settlement.objects.get().status == SettlementStatus.BANK_PAYABLE
    assert not LedgerTransaction.objects.filter(kind="payout").exists()


def test_mark_paid_posts_the_payout_once(admin_client, superuser, bank_payout, seller):
    done = _action(admin_client, "mark_paid", [bank_payout.pk], apply="1", bank_reference="BOC-981")

    assert done.status_code == 302
    payout = BankPayout.objects.get(pk=bank_payout.pk)
    assert (payout.status, payout.bank_reference, payout.paid_by) == (
        BankPayoutStatus.PAID,
        "BOC-981",
        superuser,
    )
    assert Settlement.objects.get().status == SettlementStatus.PAID_BY_BANK
    posting = LedgerTransaction.objects.get(kind="payout")
    assert posting.idempotency_key == f"payout:bank:{payout.pk}"
    [money] = seller_money_summary(company=seller)
    assert (money.payable_minor, money.paid_out_minor) == (0, 105000)
    messages = [str(m) for m in admin_client.get(done["Location"]).context["messages"]]
    assert messages == ["1 payout marked paid with reference BOC-981."]

    again = _action(
        admin_client, "mark_paid", [bank_payout.pk], apply="1", bank_reference="OTHER-1"
    )

    assert again.status_code == 302
    messages = [str(m) for m in admin_client.get(again["Location"]).context["messages"]]
    assert messages == ["1 payout was already paid: nothing changed."]
    payout.refresh_from_db()
    assert payout.bank_reference == "BOC-981"
    assert LedgerTransaction.objects.filter(kind="payout").count() == 1
    assert ledger_check()["balanced"] is True


def test_staff_who_may_only_view_cannot_mark_payouts_paid(client, bank_payout):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_bankpayout"))
    admin_login(client, viewer)

    assert client.get(reverse("admin:payments_bankpayout_changelist")).status_code == 200
    response = _action(client, "mark_paid", [bank_payout.pk], apply="1", bank_reference="X-1")

    # Neither action is offered to a viewer (export needs payments.export_bank_payouts, mark
    # paid the change permission): Django shows the list again.
    assert response.status_code == 200
    bank_payout.refresh_from_db()
    assert bank_payout.status == BankPayoutStatus.PENDING
    assert not LedgerTransaction.objects.filter(kind="payout").exists()


# --- retry payout (real worker) ---------------------------------------------------------------


def test_retry_payout_leaves_settlements_that_are_not_failed_or_waiting(admin_client, bank_payout):
    response = admin_client.post(
        reverse("admin:payments_settlement_changelist"),
        {"action": "retry_payout", "_selected_action": [str(bank_payout.settlement_id)]},
    )

    assert response.status_code == 302
    messages = [str(m) for m in admin_client.get(response["Location"]).context["messages"]]
    assert messages == [
        "1 not sent: only failed settlements and those awaiting a payout account are retried."
    ]
    assert Settlement.objects.get().status == SettlementStatus.BANK_PAYABLE


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_retry_payout_pays_a_failed_settlement_through_the_worker(celery_worker, client, fx_rates):
    staff = UserFactory(email="finance@platform.example", is_staff=True, is_superuser=True)
    seller, seller_user = seller_member(legal_name="Hamburg Bolts GmbH", country="DE")
    listing = ListingFactory(
        seller=seller,
        published=True,
        moq=100,
        stock=10_000,
        incoterms=["FOB"],
        tiers=[(100, "1.2000"), (1000, "1.0500")],
    )
    buyer, buyer_user = buyer_member(country="DE")
    payout_account_connect_stripe(
        company=seller, actor=seller_user, refresh_url="http://x/r", return_url="http://x/b"
    )
    account = ConnectedAccount.objects.get(company=seller)
    SandboxGateway().account_onboarding_complete(account.stripe_account_id)
    # The platform's copy says payouts are off (say, an account.updated that disabled them):
    ConnectedAccount.objects.filter(pk=account.pk).update(payouts_enabled=False)
    order = place_order(listing=listing, quantity=100, buyer=buyer, actor=buyer_user)
    order = order_services.order_confirm(order=order, actor=seller_user)
    _complete(order, buyer=buyer, buyer_user=buyer_user, seller_user=seller_user)
    deadline = time.monotonic() + 30
    while (
        time.monotonic() < deadline
        and not Settlement.objects.filter(
            order=order, status=SettlementStatus.AWAITING_ACCOUNT
        ).exists()
    ):
        time.sleep(0.1)
    failed = Settlement.objects.get(order=order)
    Settlement.objects.filter(pk=failed.pk).update(
        status=SettlementStatus.FAILED, last_error="account_invalid: cannot receive transfers"
    )
    ConnectedAccount.objects.filter(pk=account.pk).update(payouts_enabled=True)
    admin_login(client, staff)

    response = client.post(
        reverse("admin:payments_settlement_changelist"),
        {"action": "retry_payout", "_selected_action": [str(failed.pk)]},
    )

    assert response.status_code == 302
    deadline = time.monotonic() + 30
    while (
        time.monotonic() < deadline
        and not Settlement.objects.filter(
            pk=failed.pk, status=SettlementStatus.TRANSFERRED
        ).exists()
    ):
        time.sleep(0.1)
    failed.refresh_from_db()
    assert (failed.status, failed.last_error, failed.seller_share_minor) == (
        SettlementStatus.TRANSFERRED,
        "",
        12000,
    )
    [money] = seller_money_summary(company=seller)
    assert (money.payable_minor, money.paid_out_minor) == (0, 12000)
    assert ledger_check()["balanced"] is True
