"""Reconciliation: a clean run finds nothing; each tampering is found exactly, once."""

import io
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from orders import services as order_services
from orders.enums import OrderStatus
from orders.models import Order
from payments import settlement
from payments.enums import MismatchKind, RefundStatus, SettlementStatus
from payments.gateway import GatewayError
from payments.ledger.enums import LedgerAccountCode
from payments.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from payments.ledger.services import ledger_post_payment_captured
from payments.models import Payment, ReconciliationMismatch, ReconciliationRun, SandboxObject
from payments.reconciliation import reconcile
from payments.refunds import refund_for_cancelled_order
from payments.sandbox import SandboxGateway
from tests.factories import UserFactory, admin_login
from tests.orders.factories import place_order
from tests.payments.conftest import pay, stripe_account_ready


def _deliver(order: Order, *, seller_user, buyer_user) -> Order:
    order = order_services.order_ship(
        order=order, actor=seller_user, carrier="Maersk", tracking_number="MSKU1234567"
    )
    return order_services.order_confirm_delivery(order=order, actor=buyer_user)


@pytest.fixture
def settled(confirmed_order, buyer, buyer_user, seller, seller_user):
    """Paid 108150 cents, completed, settled: transfer 105000 to the seller, fee 3150."""
    intent = pay(confirmed_order, company=buyer, actor=buyer_user)
    stripe_account_ready(seller)
    order = _deliver(
        Order.objects.get(pk=confirmed_order.pk), seller_user=seller_user, buyer_user=buyer_user
    )
    order = order_services.order_accept(order=order, actor=buyer_user)
    done = settlement.settlement_run(order_id=order.pk)
    assert done.status == SettlementStatus.TRANSFERRED
    return order, intent, done


@pytest.fixture
def refunded(other_listing, buyer, buyer_user, seller, seller_user):
    """A second order, paid, cancelled by the seller and refunded in full."""
    order = place_order(listing=other_listing, quantity=10, buyer=buyer, actor=buyer_user)
    order = order_services.order_confirm(order=order, actor=seller_user)
    intent = pay(order, company=buyer, actor=buyer_user)
    order = Order.objects.get(pk=order.pk)
    order_services.order_cancel(
        order=order, actor=seller_user, company=seller, reason="Out of stock after a fire."
    )
    refund = refund_for_cancelled_order(order_id=order.pk)
    assert refund is not None and refund.status == RefundStatus.SUCCEEDED
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    return order, intent, refund


def _found(run: ReconciliationRun) -> list[tuple[str, str, str, str]]:
    return sorted(run.items.values_list("kind", "reference", "expected", "actual"))


def _without_ledger_triggers():
    """Tampering only: changes the database would refuse (the ledger is append-only and
    balanced) in this test's transaction, which is rolled back afterwards. The checks already
    pending run first (they pass); the tampering itself queues none."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("SET LOCAL session_replication_role = replica")


def _with_ledger_triggers():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = origin")


def test_a_clean_run_finds_nothing(settled, refunded):
    run = reconcile()

    assert _found(run) == []
    assert (run.mismatches, run.error) == (0, "")
    # ledger 1 + payments 2 + settlements 1 + refunds 1 + finished orders 2
    assert run.checked == 7
    assert run.finished_at is not None and run.finished_at >= run.started_at


def test_the_gateway_received_another_amount(settled):
    order, intent, _ = settled
    row = SandboxObject.objects.get(object_id=intent)
    row.data = {**row.data, "amount_received": 100000}
    row.save(update_fields=["data"])

    run = reconcile()

    assert _found(run) == [
        (MismatchKind.PAYMENT_AMOUNT, intent, "108150 USD", "100000 USD"),
    ]
    assert run.items.get().order_id == order.pk


def test_the_gateway_says_the_payment_did_not_succeed(settled):
    _, intent, _ = settled
    row = SandboxObject.objects.get(object_id=intent)
    row.data = {**row.data, "status": "requires_payment_method"}
    row.save(update_fields=["data"])

    assert _found(reconcile()) == [
        (MismatchKind.PAYMENT_STATUS, intent, "succeeded", "requires_payment_method"),
    ]


def test_a_payment_without_its_ledger_capture(confirmed_order, buyer, buyer_user):
    intent = pay(confirmed_order, company=buyer, actor=buyer_user)
    capture = LedgerTransaction.objects.get(idempotency_key=f"capture:{intent}")
    _without_ledger_triggers()
    LedgerEntry.objects.filter(transaction=capture).delete()
    capture.delete()
    _with_ledger_triggers()

    run = reconcile()

    assert _found(run) == [
        (
            MismatchKind.PAYMENT_NOT_CAPTURED,
            intent,
            f"capture:{intent} of 108150 USD",
            "missing",
        ),
    ]
    assert run.checked == 2  # the ledger and one payment (the order is paid, not finished)


def test_a_capture_of_another_amount(confirmed_order, buyer, buyer_user):
    intent = pay(confirmed_order, company=buyer, actor=buyer_user)
    Payment.objects.filter(payment_intent_id=intent).update(amount_received_minor=108000)

    assert _found(reconcile()) == [
        # the ledger holds what the gateway received; the platform's row says otherwise
        (MismatchKind.PAYMENT_AMOUNT, intent, "108000", "108150"),
        (MismatchKind.PAYMENT_AMOUNT, intent, "108000 USD", "108150 USD"),
    ]


def test_a_transfer_missing_at_the_gateway(settled):
    order, _, done = settled
    SandboxObject.objects.filter(object_id=done.transfer_id).delete()

    run = reconcile()

    assert _found(run) == [
        (MismatchKind.TRANSFER_MISSING, done.transfer_id, "a transfer of 105000 USD", "missing"),
    ]
    assert run.items.get().order_id == order.pk
    assert run.error == ""


def test_a_transfer_of_another_amount_to_another_account_reversed(settled):
    _, _, done = settled
    row = SandboxObject.objects.get(object_id=done.transfer_id)
    row.data = {
        **row.data,
        "amount": 104000,
        "destination": "acct_sbx_elsewhere",
        "reversed": True,
        "amount_reversed": 104000,
    }
    row.save(update_fields=["data"])
    destination = settled[2].seller.payout_account.stripe_account_id

    assert _found(reconcile()) == [
        # the ledger's payout is compared with what the gateway transferred
        (MismatchKind.TRANSFER_AMOUNT, f"payout:{done.order.number}", "104000", "105000"),
        (MismatchKind.TRANSFER_AMOUNT, done.transfer_id, "105000 USD", "104000 USD"),
        (MismatchKind.TRANSFER_DESTINATION, done.transfer_id, destination, "acct_sbx_elsewhere"),
        (MismatchKind.TRANSFER_REVERSED, done.transfer_id, "not reversed", "reversed 104000"),
    ]


def test_a_transfer_without_its_ledger_payout(settled):
    order, _, _ = settled
    payout = LedgerTransaction.objects.get(idempotency_key=f"payout:{order.number}")
    _without_ledger_triggers()
    LedgerEntry.objects.filter(transaction=payout).delete()
    payout.delete()
    _with_ledger_triggers()

    assert _found(reconcile()) == [
        (MismatchKind.PAYOUT_MISSING, f"payout:{order.number}", "105000", "missing"),
    ]


def test_escrow_left_on_a_completed_order(settled):
    order, _, _ = settled
    ledger_post_payment_captured(order=order, amount_minor=500, idempotency_key="capture:stray")

    run = reconcile()

    assert _found(run) == [(MismatchKind.ESCROW_LEFT, order.number, "0 USD", "500 USD")]
    assert run.items.get().order_id == order.pk


def test_a_completed_order_never_settled(confirmed_order, buyer, buyer_user, seller_user):
    pay(confirmed_order, company=buyer, actor=buyer_user)
    order = _deliver(
        Order.objects.get(pk=confirmed_order.pk), seller_user=seller_user, buyer_user=buyer_user
    )
    order = order_services.order_accept(order=order, actor=buyer_user)

    # Within the grace period the settlement may still be on its way: nothing to report.
    assert _found(reconcile()) == []

    later = reconcile(now=timezone.now() + timedelta(hours=2))
    assert _found(later) == [
        (MismatchKind.ESCROW_LEFT, order.number, "0 USD", "108150 USD"),
        (MismatchKind.SETTLEMENT_MISSING, order.number, "a settlement", "missing"),
    ]


def test_a_refund_the_gateway_knows_otherwise(settled, refunded):
    _, _, refund = refunded
    row = SandboxObject.objects.get(object_id=refund.gateway_refund_id)
    row.data = {**row.data, "amount": refund.amount_minor - 100}
    row.save(update_fields=["data"])

    assert _found(reconcile()) == [
        (
            MismatchKind.REFUND_MISMATCH,
            refund.gateway_refund_id,
            f"succeeded {refund.amount_minor} USD {refund.payment.payment_intent_id}",
            f"succeeded {refund.amount_minor - 100} USD {refund.payment.payment_intent_id}",
        ),
    ]


def test_an_unbalanced_ledger_transaction(settled):
    _, intent, _ = settled
    capture = LedgerTransaction.objects.get(idempotency_key=f"capture:{intent}")
    clearing = LedgerAccount.objects.get(code=LedgerAccountCode.GATEWAY_CLEARING, currency="USD")
    _without_ledger_triggers()
    LedgerEntry.objects.create(
        transaction=capture, account=clearing, amount_minor=-1, currency="USD"
    )
    _with_ledger_triggers()

    assert _found(reconcile()) == [
        (MismatchKind.LEDGER_UNBALANCED, f"ledger transaction #{capture.pk}", "0 USD", "-1 USD"),
    ]


def test_gateway_errors_are_recorded_and_the_run_goes_on(settled, monkeypatch):
    _, intent, done = settled
    SandboxObject.objects.filter(object_id=done.transfer_id).delete()

    def down(self, payment_intent_id):
        raise GatewayError("APIConnectionError: connection refused", code="api_connection")

    monkeypatch.setattr(SandboxGateway, "payment_intent_retrieve", down)

    run = reconcile()

    assert run.error == f"PaymentIntent {intent}: APIConnectionError: connection refused"
    assert _found(run) == [
        (MismatchKind.TRANSFER_MISSING, done.transfer_id, "a transfer of 105000 USD", "missing"),
    ]
    assert run.checked == 4 and run.finished_at is not None


def test_command_prints_a_summary_and_exits_1_on_mismatches(settled):
    out = io.StringIO()
    call_command("reconcile", stdout=out)
    assert "0 mismatches" in out.getvalue()

    _, _, done = settled
    SandboxObject.objects.filter(object_id=done.transfer_id).delete()
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("reconcile", stdout=out)

    assert exit_info.value.code == 1
    text = out.getvalue()
    assert "4 checked, 1 mismatches" in text
    assert "Transfer missing at the gateway (transfer_missing): 1" in text
    assert f"transfer_missing {done.transfer_id}: expected a transfer of 105000 USD" in text
    assert ReconciliationRun.objects.count() == 2


@pytest.fixture
def staff_client(client, db):
    admin_login(client, UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_lists_filters_and_resolves_mismatches(staff_client, settled):
    order, _, done = settled
    SandboxObject.objects.filter(object_id=done.transfer_id).delete()
    ledger_post_payment_captured(order=order, amount_minor=500, idempotency_key="capture:stray")
    run = reconcile()
    missing = run.items.get(kind=MismatchKind.TRANSFER_MISSING)
    escrow = run.items.get(kind=MismatchKind.ESCROW_LEFT)

    runs = staff_client.get(reverse("admin:payments_reconciliationrun_changelist"))
    assert runs.status_code == 200
    assert f"?run__id__exact={run.pk}" in runs.content.decode()

    url = reverse("admin:payments_reconciliationmismatch_changelist")
    body = staff_client.get(url, {"kind__exact": "transfer_missing"}).content.decode()
    assert done.transfer_id in body and "500 USD" not in body

    response = staff_client.post(
        url, {"action": "mark_resolved", "_selected_action": [missing.pk]}, follow=True
    )
    assert response.status_code == 200
    assert "1 mismatch(es) marked resolved." in response.content.decode()
    assert dict(ReconciliationMismatch.objects.values_list("pk", "resolved")) == {
        missing.pk: True,
        escrow.pk: False,
    }
    unresolved = staff_client.get(url, {"resolved__exact": "0"}).content.decode()
    assert order.number in unresolved and done.transfer_id not in unresolved

    # Read-only otherwise: no adding, no deleting, no editable field.
    assert staff_client.get(reverse("admin:payments_reconciliationrun_add")).status_code == 403
    assert staff_client.get(reverse("admin:payments_reconciliationmismatch_add")).status_code == 403
    page = staff_client.get(
        reverse("admin:payments_reconciliationmismatch_change", args=[escrow.pk])
    )
    assert page.status_code == 200
    assert 'name="reference"' not in page.content.decode()
    assert 'name="resolved"' not in page.content.decode()
    assert (
        staff_client.post(
            reverse("admin:payments_reconciliationmismatch_delete", args=[escrow.pk]),
            {"post": "yes"},
        ).status_code
        == 403
    )
    assert ReconciliationMismatch.objects.count() == 2


def test_reconcile_task_runs_on_a_real_worker(celery_worker, confirmed_order, buyer, buyer_user):
    from payments.tasks import reconcile_task

    intent = pay(confirmed_order, company=buyer, actor=buyer_user)
    row = SandboxObject.objects.get(object_id=intent)
    row.data = {**row.data, "amount_received": 1}
    row.save(update_fields=["data"])

    reconcile_task.delay()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        run = ReconciliationRun.objects.filter(finished_at__isnull=False).first()
        if run is not None:
            break
        time.sleep(0.1)

    assert run is not None
    assert _found(run) == [(MismatchKind.PAYMENT_AMOUNT, intent, "108150 USD", "1 USD")]
