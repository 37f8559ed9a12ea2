"""Money paths raced with real threads and real transactions: two payment starts on one order
make one Payment and one PaymentIntent; the same Stripe event delivered twice at once is
stored once, applied once and posted to the ledger once."""

import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from orders.enums import OrderStatus
from orders.models import Order, OrderEvent
from payments import collection
from payments.enums import PaymentStatus, StripeEventStatus
from payments.ledger.models import LedgerTransaction
from payments.ledger.selectors import ledger_check, order_escrow_held_minor
from payments.models import Payment, SandboxObject, StripeEvent
from payments.sandbox import SandboxGateway
from payments.webhooks import webhook_sign
from tests.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_messages(monkeypatch):
    monkeypatch.setattr("orders.services.notifications._notify_on_commit", lambda event: None)
    monkeypatch.setattr("marketplace.core.outbox.outbox_publish", lambda *, event_id: False)


def as_company(user, company) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    client.credentials(HTTP_X_COMPANY=str(company.pk))
    return client


def test_two_payment_starts_at_once_make_one_payment_and_one_payment_intent(
    confirmed_order, buyer, buyer_user
):
    url = f"/api/v1/orders/{confirmed_order.pk}/payments/"

    outcomes = run_together([lambda: as_company(buyer_user, buyer).post(url)] * 3)

    assert [kind for kind, _ in outcomes] == ["ok", "ok", "ok"], outcomes
    responses = [response for _, response in outcomes]
    # The first call to commit the row answers 201; the others find it open and answer 200
    # (or 201 if they were the one that saved the PaymentIntent's id): never a second one.
    assert {r.status_code for r in responses} <= {200, 201}, [r.content for r in responses]
    assert 201 in {r.status_code for r in responses}
    payment = Payment.objects.get()
    assert (payment.attempt, payment.amount_minor, payment.idempotency_key) == (
        1,
        108150,
        f"pi:{confirmed_order.number}:1",
    )
    assert SandboxObject.objects.filter(kind="payment_intent").count() == 1
    assert SandboxObject.objects.get(kind="payment_intent").object_id == payment.payment_intent_id
    for response in responses:
        assert response.json()["payment_intent"] == payment.payment_intent_id
        assert response.json()["client_secret"] == payment.client_secret
        assert response.json()["amount"] == {"amount": "1081.50", "currency": "USD"}
    assert Order.objects.get(pk=confirmed_order.pk).status == OrderStatus.CONFIRMED


def test_the_same_webhook_delivered_twice_at_once_is_stored_applied_and_posted_once(
    confirmed_order, buyer, buyer_user, monkeypatch
):
    started = collection.payment_start(order=confirmed_order, company=buyer, actor=buyer_user)
    intent_id = started.payment.payment_intent_id
    sent: list[tuple[str, dict]] = []
    # Keep the event the sandbox would deliver, to deliver it ourselves, twice at once.
    monkeypatch.setattr(
        "payments.sandbox.sandbox_event_send",
        lambda *, event_type, obj: sent.append((event_type, obj)),
    )
    SandboxGateway().payment_intent_settle(intent_id, succeed=True)
    [(event_type, obj)] = sent
    payload = json.dumps(
        {
            "id": "evt_race_1",
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "created": 1_780_000_000,
            "livemode": False,
            "type": event_type,
            "data": {"object": obj},
        }
    ).encode()
    signature = webhook_sign(payload)

    def deliver():
        return Client().post(
            "/webhooks/stripe/",
            data=payload,
            content_type="application/json",
            headers={"Stripe-Signature": signature},
        )

    outcomes = run_together([deliver, deliver])

    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    answers = sorted(
        (response.status_code, json.dumps(response.json(), sort_keys=True))
        for _, response in outcomes
    )
    assert answers == [
        (200, '{"received": "evt_race_1", "replayed": false, "status": "processed"}'),
        (200, '{"received": "evt_race_1", "replayed": true, "status": "processed"}'),
    ]
    [stored] = StripeEvent.objects.all()
    assert (stored.event_id, stored.status, stored.attempts) == (
        "evt_race_1",
        StripeEventStatus.PROCESSED,
        1,
    )
    order = Order.objects.get(pk=confirmed_order.pk)
    assert order.status == OrderStatus.PAID
    assert OrderEvent.objects.filter(order=order, to_status="paid").count() == 1
    payment = Payment.objects.get()
    assert (payment.status, payment.amount_received_minor) == (PaymentStatus.SUCCEEDED, 108150)
    [captured] = LedgerTransaction.objects.filter(kind="payment_captured")
    assert captured.order_id == order.pk
    assert order_escrow_held_minor(order=order) == 108150
    assert ledger_check()["balanced"] is True
