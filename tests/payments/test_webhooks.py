"""``POST /webhooks/stripe/`` with events signed exactly as Stripe signs them, against the
Stripe stand-in as the gateway: verification (400, nothing stored), storing once by id,
replays, events out of order, failures and redelivery, and each handled event type."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from orders import services as order_services
from orders.enums import OrderStatus
from orders.models import Order, OrderEvent
from payments import collection, settlement
from payments.enums import (
    GatewayDisputeStatus,
    PaymentStatus,
    PayoutMethod,
    RefundReason,
    RefundStatus,
    SettlementStatus,
    StripeEventStatus,
)
from payments.gateway import gateway_get
from payments.ledger.models import LedgerTransaction
from payments.ledger.selectors import ledger_check, order_escrow_held_minor, seller_money_summary
from payments.models import ConnectedAccount, GatewayDispute, Payment, Refund, StripeEvent
from payments.refunds import refund_execute
from tests.payments.stripe_standin import WEBHOOK_SECRET, StripeStandIn

pytestmark = pytest.mark.django_db

URL = "/webhooks/stripe/"
TOLERANCE = 300  # STRIPE_WEBHOOK_TOLERANCE_SECONDS


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """Stripe's scheme, written from its documentation: ``t=<unix ts>,v1=<hex>`` where the hex
    is HMAC-SHA256, keyed with the endpoint secret, of ``"<ts>." + raw body``."""
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode("utf-8"), b"%d." % ts + payload, hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


def deliver(client: Client, event: dict | bytes, *, signature: str | None = None, **kwargs):
    payload = event if isinstance(event, bytes) else json.dumps(event).encode()
    headers = {} if signature == "" else {"Stripe-Signature": signature or sign(payload, **kwargs)}
    return client.post(URL, data=payload, content_type="application/json", headers=headers)


def event(event_type: str, obj: dict, *, event_id: str = "evt_1") -> dict:
    return {
        "id": event_id,
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": int(time.time()),
        "livemode": False,
        "type": event_type,
        "data": {"object": obj},
    }


def nothing_changed_since(order: Order) -> None:
    assert StripeEvent.objects.count() == 0
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED
    assert LedgerTransaction.objects.count() == 0


@pytest.fixture
def started(stripe_mode: StripeStandIn, confirmed_order, buyer, buyer_user) -> Payment:
    """The buyer started paying at the stand-in: an open PaymentIntent."""
    return collection.payment_start(order=confirmed_order, company=buyer, actor=buyer_user).payment


@pytest.fixture
def succeeded(stripe_mode: StripeStandIn, started: Payment) -> dict:
    """Stripe's PaymentIntent after the buyer's bank accepted (not yet delivered as an event)."""
    return stripe_mode.payment_intent_succeed(started.payment_intent_id)


def paid(stripe_mode: StripeStandIn, client: Client, succeeded: dict) -> Order:
    response = deliver(client, event("payment_intent.succeeded", succeeded, event_id="evt_paid"))
    assert response.status_code == 200
    return Order.objects.get(pk=Payment.objects.get(payment_intent_id=succeeded["id"]).order_id)


# --- verification: 400 and nothing stored -------------------------------------------------


def test_a_genuine_event_is_stored_and_applied(client, started, succeeded, confirmed_order):
    response = deliver(client, event("payment_intent.succeeded", succeeded))

    assert response.status_code == 200
    assert response.json() == {"received": "evt_1", "status": "processed", "replayed": False}
    [stored] = StripeEvent.objects.all()
    assert (stored.event_id, stored.type, stored.status, stored.attempts) == (
        "evt_1",
        "payment_intent.succeeded",
        StripeEventStatus.PROCESSED,
        1,
    )
    assert stored.payload["data"]["object"]["id"] == succeeded["id"]
    assert Order.objects.get(pk=confirmed_order.pk).status == OrderStatus.PAID


@pytest.mark.parametrize(
    "tamper",
    ["wrong_secret", "changed_body", "no_v1", "garbage", "v0_only"],
)
def test_a_bad_signature_is_400_and_nothing_is_stored(
    client, started, succeeded, confirmed_order, tamper
):
    body = json.dumps(event("payment_intent.succeeded", succeeded)).encode()
    ts = int(time.time())
    good = sign(body, timestamp=ts)
    signature, payload = {
        "wrong_secret": (sign(body, secret="whsec_someone_else", timestamp=ts), body),
        "changed_body": (good, body.replace(b'"livemode": false', b'"livemode": true ')),
        "no_v1": (f"t={ts}", body),
        "garbage": ("not a signature", body),
        "v0_only": (good.replace("v1=", "v0="), body),
    }[tamper]

    response = deliver(client, payload, signature=signature)

    assert response.status_code == 400
    assert response.json()["error"] == "signature_invalid"
    nothing_changed_since(confirmed_order)


def test_a_stale_timestamp_is_400_and_nothing_is_stored(
    client, started, succeeded, confirmed_order
):
    body = json.dumps(event("payment_intent.succeeded", succeeded)).encode()

    response = deliver(client, body, timestamp=int(time.time()) - TOLERANCE - 60)

    assert response.status_code == 400
    assert response.json()["error"] == "signature_stale"
    nothing_changed_since(confirmed_order)


def test_a_timestamp_within_the_tolerance_is_accepted(client, started, succeeded):
    body = json.dumps(event("payment_intent.succeeded", succeeded)).encode()

    response = deliver(client, body, timestamp=int(time.time()) - TOLERANCE + 60)

    assert response.status_code == 200
    assert StripeEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (b'{"id": "evt_1", "type": "payment_intent.succeeded", "data": {', "malformed_json"),
        (b"\xff\xfe not utf-8", "malformed_json"),
        (b'["not", "an", "event"]', "malformed_event"),
        (b'{"id": "evt_1", "type": "payment_intent.succeeded"}', "malformed_event"),
        (b'{"id": "", "type": "x", "data": {"object": {}}}', "malformed_event"),
    ],
)
def test_a_validly_signed_malformed_body_is_400_and_nothing_is_stored(
    client, started, confirmed_order, payload, error
):
    response = deliver(client, payload)

    assert response.status_code == 400
    assert response.json()["error"] == error
    nothing_changed_since(confirmed_order)


def test_a_missing_signature_header_is_400(client, started, succeeded, confirmed_order):
    response = deliver(client, event("payment_intent.succeeded", succeeded), signature="")

    assert response.status_code == 400
    assert response.json()["error"] == "signature_missing"
    nothing_changed_since(confirmed_order)


@override_settings(STRIPE_WEBHOOK_SECRET="", STRIPE_SECRET_KEY="sk_test_x", PAYMENTS_SANDBOX=False)
def test_webhooks_are_refused_when_no_secret_is_configured(client):
    response = deliver(client, event("payment_intent.succeeded", {"id": "pi_1"}))

    assert response.status_code == 400
    assert response.json()["error"] == "webhook_not_configured"
    assert StripeEvent.objects.count() == 0


def test_only_post_is_allowed(client):
    assert client.get(URL).status_code == 405


# --- stored once, applied once -----------------------------------------------------------


def test_an_unknown_event_type_is_stored_as_ignored_and_changes_nothing(
    client, stripe_mode, started, confirmed_order
):
    obj = {"id": "cus_123", "object": "customer", "email": "buyer@example.test"}

    first = deliver(client, event("customer.created", obj, event_id="evt_unknown"))
    second = deliver(client, event("customer.created", obj, event_id="evt_unknown"))

    assert first.status_code == 200
    assert first.json() == {"received": "evt_unknown", "status": "ignored", "replayed": False}
    assert second.json() == {"received": "evt_unknown", "status": "ignored", "replayed": True}
    [stored] = StripeEvent.objects.all()
    assert (stored.type, stored.status, stored.attempts) == ("customer.created", "ignored", 0)
    nothing_changed = Order.objects.get(pk=confirmed_order.pk)
    assert nothing_changed.status == OrderStatus.CONFIRMED
    assert Payment.objects.get().status == PaymentStatus.REQUIRES_PAYMENT
    assert LedgerTransaction.objects.count() == 0
    assert len(stripe_mode.requests) == 1  # only the PaymentIntent's creation


def test_the_same_event_delivered_three_times_is_applied_once(
    client, started, succeeded, confirmed_order
):
    the_event = event("payment_intent.succeeded", succeeded, event_id="evt_thrice")

    answers = [deliver(client, the_event) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["replayed"] for a in answers] == [False, True, True]
    assert StripeEvent.objects.count() == 1
    assert StripeEvent.objects.get().attempts == 1
    order = Order.objects.get(pk=confirmed_order.pk)
    assert order.status == OrderStatus.PAID
    assert OrderEvent.objects.filter(order=order, to_status=OrderStatus.PAID).count() == 1
    assert LedgerTransaction.objects.filter(idempotency_key__startswith="capture:").count() == 1
    assert order_escrow_held_minor(order=order) == 108150
    assert ledger_check() == {"balanced": True, "transactions": 1}


def test_the_same_payment_under_two_event_ids_is_applied_once(
    client, started, succeeded, confirmed_order
):
    """Stripe may send two events about one fact (e.g. a resend from the dashboard)."""
    deliver(client, event("payment_intent.succeeded", succeeded, event_id="evt_a"))
    deliver(client, event("payment_intent.succeeded", succeeded, event_id="evt_b"))

    assert StripeEvent.objects.filter(status="processed").count() == 2
    assert LedgerTransaction.objects.count() == 1
    assert order_escrow_held_minor(order=confirmed_order) == 108150


def test_payment_failed_arriving_after_succeeded_leaves_the_order_paid(
    client, stripe_mode, started, confirmed_order
):
    intent = started.payment_intent_id
    declined = stripe_mode.payment_intent_decline(intent)  # the first card was declined ...
    succeeded = stripe_mode.payment_intent_succeed(intent)  # ... the second one went through

    deliver(client, event("payment_intent.succeeded", succeeded, event_id="evt_ok"))
    late = deliver(client, event("payment_intent.payment_failed", declined, event_id="evt_ko"))
    processing = {**succeeded, "status": "processing"}
    deliver(client, event("payment_intent.processing", processing, event_id="evt_proc"))

    assert late.status_code == 200
    payment = Payment.objects.get()
    assert (payment.status, payment.last_error, payment.amount_received_minor) == (
        PaymentStatus.SUCCEEDED,
        "",
        108150,
    )
    assert Order.objects.get(pk=confirmed_order.pk).status == OrderStatus.PAID
    assert LedgerTransaction.objects.count() == 1


def test_payment_failed_then_succeeded_in_order(client, stripe_mode, started, confirmed_order):
    intent = started.payment_intent_id
    declined = stripe_mode.payment_intent_decline(intent)

    deliver(client, event("payment_intent.payment_failed", declined, event_id="evt_ko"))

    payment = Payment.objects.get()
    assert (payment.status, payment.last_error) == (
        PaymentStatus.FAILED,
        "Your card has insufficient funds.",
    )
    assert Order.objects.get(pk=confirmed_order.pk).status == OrderStatus.CONFIRMED

    succeeded = stripe_mode.payment_intent_succeed(intent)
    deliver(client, event("payment_intent.succeeded", succeeded, event_id="evt_ok"))

    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
    assert Order.objects.get(pk=confirmed_order.pk).status == OrderStatus.PAID


@pytest.mark.parametrize("how", ["cancelled", "expired"])
def test_a_payment_for_an_order_cancelled_meanwhile_is_captured_and_refunded_in_full(
    client, stripe_mode, started, confirmed_order, buyer, buyer_user, how
):
    if how == "cancelled":
        order_services.order_cancel(
            order=confirmed_order, actor=buyer_user, company=buyer, reason="Found it cheaper."
        )
    else:
        expired = order_services.orders_expire_unpaid(now=timezone.now() + timedelta(days=365))
        assert expired == 1
    succeeded = stripe_mode.payment_intent_succeed(started.payment_intent_id)
    intent = succeeded["id"]

    response = deliver(client, event("payment_intent.succeeded", succeeded))

    assert response.status_code == 200
    order = Order.objects.get(pk=confirmed_order.pk)
    assert order.status == OrderStatus.CANCELLED
    payment = Payment.objects.get()
    assert (payment.status, payment.amount_received_minor) == (PaymentStatus.CANCELED, 108150)
    assert LedgerTransaction.objects.filter(idempotency_key=f"capture:{intent}").count() == 1
    assert order_escrow_held_minor(order=order) == 108150
    [refund] = Refund.objects.all()
    assert (refund.amount_minor, refund.reason, refund.status, refund.idempotency_key) == (
        108150,
        RefundReason.LATE_PAYMENT,
        RefundStatus.PENDING,
        f"refund:{intent}:late",
    )

    refund = refund_execute(refund_id=refund.pk)  # what the refund task does

    [asked] = stripe_mode.requests_to("POST", "/v1/refunds")
    assert asked.form["payment_intent"] == intent
    assert asked.form["amount"] == "108150"
    assert asked.idempotency_key == f"refund:{intent}:late"
    assert refund.status == RefundStatus.SUCCEEDED
    order = Order.objects.get(pk=confirmed_order.pk)
    assert order_escrow_held_minor(order=order) == 0
    assert order.status == OrderStatus.REFUNDED
    assert ledger_check() == {"balanced": True, "transactions": 2}
    # Stripe then confirms the refund: nothing more moves.
    deliver(client, event("charge.refunded", stripe_mode.charge(intent), event_id="evt_refunded"))
    assert Refund.objects.count() == 1
    assert LedgerTransaction.objects.count() == 2


def test_a_retired_attempt_paid_anyway_is_refunded_and_does_not_pay_the_order(
    client, stripe_mode, started, confirmed_order, buyer, buyer_user
):
    """The platform switched gateways while the buyer had the old PaymentIntent open: the new
    attempt is the order's; money arriving on the old one goes back in full."""
    Payment.objects.filter(pk=started.pk).update(sandbox=True)  # as if made by the sandbox
    replacement = collection.payment_start(order=confirmed_order, company=buyer, actor=buyer_user)
    assert replacement.payment.attempt == 2
    old = stripe_mode.payment_intent_succeed(started.payment_intent_id)

    deliver(client, event("payment_intent.succeeded", old, event_id="evt_old"))

    assert Order.objects.get(pk=confirmed_order.pk).status == OrderStatus.CONFIRMED
    [refund] = Refund.objects.all()
    assert (refund.amount_minor, refund.reason, refund.payment_id) == (
        108150,
        RefundReason.LATE_PAYMENT,
        started.pk,
    )
    new = stripe_mode.payment_intent_succeed(replacement.payment.payment_intent_id)
    deliver(client, event("payment_intent.succeeded", new, event_id="evt_new"))
    assert Order.objects.get(pk=confirmed_order.pk).status == OrderStatus.PAID
    assert Payment.objects.get(pk=replacement.payment.pk).status == PaymentStatus.SUCCEEDED


def test_a_failing_handler_answers_500_marks_the_event_failed_and_a_redelivery_applies_it(
    stripe_mode, seller
):
    account = stripe_mode.account_add(payouts_enabled=False)
    connected = ConnectedAccount.objects.create(
        company=seller, method=PayoutMethod.STRIPE, stripe_account_id=account["id"]
    )
    stripe_mode.account_onboard(account["id"])
    the_event = event("account.updated", stripe_mode.objects[account["id"]], event_id="evt_acct")
    # Stripe's API is down longer than the SDK retries: re-reading the account fails.
    stripe_mode.fail("GET", f"/v1/accounts/{account['id']}", times=3, status=500)
    client = Client(raise_request_exception=False)

    failed = deliver(client, the_event)

    assert failed.status_code == 500
    stored = StripeEvent.objects.get()
    assert (stored.status, stored.attempts) == (StripeEventStatus.FAILED, 1)
    assert stored.error.startswith("GatewayError: APIError")
    connected.refresh_from_db()
    assert connected.payouts_enabled is False

    redelivered = deliver(client, the_event)

    assert redelivered.status_code == 200
    assert redelivered.json() == {"received": "evt_acct", "status": "processed", "replayed": True}
    stored.refresh_from_db()
    assert (stored.status, stored.attempts, stored.error) == (StripeEventStatus.PROCESSED, 2, "")
    connected.refresh_from_db()
    assert (connected.payouts_enabled, connected.charges_enabled, connected.requirements_due) == (
        True,
        True,
        [],
    )
    assert StripeEvent.objects.count() == 1


# --- each handled type ---------------------------------------------------------------------


def test_account_updated_rereads_the_account_from_the_gateway(client, stripe_mode, seller):
    account = stripe_mode.account_add(payouts_enabled=False)
    connected = ConnectedAccount.objects.create(
        company=seller, method=PayoutMethod.STRIPE, stripe_account_id=account["id"]
    )
    claims_enabled = {**account, "payouts_enabled": True, "charges_enabled": True}

    deliver(client, event("account.updated", claims_enabled, event_id="evt_1"))

    assert len(stripe_mode.requests_to("GET", f"/v1/accounts/{account['id']}")) == 1
    connected.refresh_from_db()
    assert (connected.payouts_enabled, connected.charges_enabled) == (False, False)
    assert connected.requirements_due == ["external_account", "tos_acceptance.date"]

    # Onboarded at Stripe; a stale event saying "not enabled" arrives: the gateway's word wins.
    stripe_mode.account_onboard(account["id"])
    deliver(client, event("account.updated", account, event_id="evt_2"))

    connected.refresh_from_db()
    assert (connected.payouts_enabled, connected.requirements_due) == (True, [])


def test_account_updated_for_an_account_we_do_not_know_changes_nothing(client, stripe_mode):
    response = deliver(client, event("account.updated", {"id": "acct_unknown"}))

    assert response.status_code == 200
    assert StripeEvent.objects.get().status == StripeEventStatus.PROCESSED
    assert stripe_mode.requests == []


@pytest.fixture
def completed(client, stripe_mode, succeeded, confirmed_order, seller, seller_user, buyer_user):
    """Paid at the stand-in, shipped, delivered, accepted, released in the ledger; the seller
    has an onboarded Stripe account."""
    paid(stripe_mode, client, succeeded)
    account = stripe_mode.account_add(country="CN")
    ConnectedAccount.objects.create(
        company=seller,
        method=PayoutMethod.STRIPE,
        stripe_account_id=account["id"],
        payouts_enabled=True,
        charges_enabled=True,
    )
    order = Order.objects.get(pk=confirmed_order.pk)
    order = order_services.order_ship(
        order=order, actor=seller_user, carrier="Maersk", tracking_number="MSKU1234567"
    )
    order = order_services.order_confirm_delivery(order=order, actor=buyer_user)
    return order_services.order_accept(order=order, actor=buyer_user)


def test_transfer_created_records_a_transfer_the_worker_did_not(
    client, stripe_mode, completed, seller
):
    released = settlement.settlement_release(order_id=completed.pk)
    assert released.status == SettlementStatus.RELEASED
    # The worker asked Stripe, Stripe made the transfer, the worker died before recording it.
    account_id = ConnectedAccount.objects.get(company=seller).stripe_account_id
    transfer = gateway_get().transfer_create(
        amount_minor=105000,
        currency="USD",
        destination=account_id,
        transfer_group=completed.number,
        idempotency_key=released.transfer_idempotency_key,
        metadata={"order_number": completed.number, "settlement_id": str(released.pk)},
    )
    obj = stripe_mode.objects[transfer.id]

    deliver(client, event("transfer.created", obj, event_id="evt_tr"))
    deliver(client, event("transfer.created", obj, event_id="evt_tr"))  # replayed
    deliver(client, event("transfer.created", obj, event_id="evt_tr_again"))  # resent

    done = settlement.settlement_pay(settlement_id=released.pk)  # the redelivered task
    assert (done.status, done.transfer_id) == (SettlementStatus.TRANSFERRED, transfer.id)
    assert len(stripe_mode.of_kind("transfer")) == 1
    assert len(stripe_mode.requests_to("POST", "/v1/transfers")) == 1
    assert (
        LedgerTransaction.objects.filter(idempotency_key=f"payout:{completed.number}").count() == 1
    )
    [money] = seller_money_summary(company=seller)
    assert (money.held_minor, money.payable_minor, money.paid_out_minor) == (0, 0, 105000)
    assert ledger_check()["balanced"] is True


def test_transfer_reversed_reverses_the_payout_in_the_ledger(
    client, stripe_mode, completed, seller
):
    done = settlement.settlement_run(order_id=completed.pk)
    assert done.status == SettlementStatus.TRANSFERRED
    reversed_obj = stripe_mode.transfer_reverse(done.transfer_id)

    deliver(client, event("transfer.reversed", reversed_obj, event_id="evt_rev"))
    deliver(client, event("transfer.reversed", reversed_obj, event_id="evt_rev_again"))

    done.refresh_from_db()
    assert done.status == SettlementStatus.REVERSED
    assert done.last_error == f"Transfer {done.transfer_id} reversed at the gateway."
    assert (
        LedgerTransaction.objects.filter(
            idempotency_key=f"reverse:payout:{completed.number}"
        ).count()
        == 1
    )
    [money] = seller_money_summary(company=seller)
    assert (money.payable_minor, money.paid_out_minor) == (105000, 0)
    assert ledger_check()["balanced"] is True


def test_charge_refunded_records_a_refund_made_at_the_gateway(
    client, stripe_mode, succeeded, confirmed_order
):
    order = paid(stripe_mode, client, succeeded)
    charge = stripe_mode.refund_at_dashboard(succeeded["id"], 8150)

    response = deliver(client, event("charge.refunded", charge, event_id="evt_ref"))
    deliver(client, event("charge.refunded", charge, event_id="evt_ref_resent"))

    assert response.status_code == 200
    [refund] = Refund.objects.all()
    assert (refund.amount_minor, refund.reason, refund.status, refund.currency) == (
        8150,
        RefundReason.GATEWAY,
        RefundStatus.SUCCEEDED,
        "USD",
    )
    assert order_escrow_held_minor(order=order) == 100000
    assert LedgerTransaction.objects.count() == 2
    assert ledger_check()["balanced"] is True
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_charge_dispute_created_opens_a_gateway_dispute(
    client, stripe_mode, succeeded, confirmed_order
):
    paid(stripe_mode, client, succeeded)
    dispute = {
        "id": "dp_standin123",
        "object": "dispute",
        "amount": 108150,
        "currency": "usd",
        "charge": succeeded["latest_charge"],
        "payment_intent": succeeded["id"],
        "reason": "product_not_received",
        "status": "needs_response",
    }

    deliver(client, event("charge.dispute.created", dispute, event_id="evt_dp"))
    deliver(client, event("charge.dispute.created", dispute, event_id="evt_dp_resent"))

    [row] = GatewayDispute.objects.all()
    assert (row.dispute_id, row.payment, row.amount_minor, row.currency, row.reason) == (
        "dp_standin123",
        Payment.objects.get(),
        108150,
        "USD",
        "product_not_received",
    )
    assert row.status == GatewayDisputeStatus.OPEN


def test_events_from_the_sandbox_are_verified_the_same_way(confirmed_order, buyer, buyer_user):
    """The sandbox signs its own events with the derived secret; a forged one is refused."""
    from payments.sandbox import SandboxGateway

    intent = collection.payment_start(
        order=confirmed_order, company=buyer, actor=buyer_user
    ).payment.payment_intent_id
    SandboxGateway().payment_intent_settle(intent, succeed=True)
    assert StripeEvent.objects.get().status == StripeEventStatus.PROCESSED

    forged = deliver(Client(), event("payment_intent.succeeded", {"id": intent}, event_id="e2"))
    assert forged.status_code == 400
    assert StripeEvent.objects.count() == 1


def test_beat_applies_a_failed_event_again_without_a_redelivery(stripe_mode, seller):
    """The offline sandbox never redelivers: beat's retry applies the failed event once."""
    from payments.webhooks import stripe_events_retry

    account = stripe_mode.account_add(payouts_enabled=False)
    connected = ConnectedAccount.objects.create(
        company=seller, method=PayoutMethod.STRIPE, stripe_account_id=account["id"]
    )
    stripe_mode.account_onboard(account["id"])
    the_event = event("account.updated", stripe_mode.objects[account["id"]], event_id="evt_beat")
    stripe_mode.fail("GET", f"/v1/accounts/{account['id']}", times=3, status=500)
    client = Client(raise_request_exception=False)
    assert deliver(client, the_event).status_code == 500

    assert stripe_events_retry() == 1
    assert stripe_events_retry() == 0  # processed: nothing left to retry

    stored = StripeEvent.objects.get()
    assert (stored.status, stored.attempts) == (StripeEventStatus.PROCESSED, 2)
    connected.refresh_from_db()
    assert connected.payouts_enabled is True
