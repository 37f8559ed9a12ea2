"""An order is paid only when the gateway received exactly what is due, and only events of the
configured mode (live key: live events; test key or sandbox: test events) are accepted."""

import pytest
from django.test import override_settings

from orders.enums import OrderStatus
from orders.models import Order, OrderEvent
from payments import collection
from payments.enums import PaymentStatus, StripeEventStatus
from payments.ledger.models import LedgerTransaction
from payments.models import Payment, StripeEvent
from tests.payments.stripe_standin import StripeStandIn
from tests.payments.test_webhooks import deliver, event

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(stripe_mode: StripeStandIn, confirmed_order, buyer, buyer_user) -> Payment:
    """The buyer started paying at the stand-in: an open PaymentIntent of 108150 USD cents."""
    return collection.payment_start(order=confirmed_order, company=buyer, actor=buyer_user).payment


@pytest.fixture
def succeeded(stripe_mode: StripeStandIn, started: Payment) -> dict:
    """Stripe's PaymentIntent after the buyer's bank accepted (not yet delivered)."""
    return stripe_mode.payment_intent_succeed(started.payment_intent_id)


def assert_nothing_applied(order: Order, payment: Payment) -> None:
    payment.refresh_from_db()
    assert (payment.status, payment.amount_received_minor, payment.succeeded_at) == (
        PaymentStatus.REQUIRES_PAYMENT,
        0,
        None,
    )
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED
    assert not OrderEvent.objects.filter(order=order, to_status=OrderStatus.PAID).exists()
    assert LedgerTransaction.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "received_text"),
    [
        ({"amount_received": 108149}, "108149 USD"),  # one cent short
        ({"amount_received": 108151}, "108151 USD"),  # one cent over
        ({"currency": "eur"}, "108150 EUR"),  # the right number in another currency
        ({"amount_received": None}, "None USD"),  # no amount at all
        ({"amount_received": "108150"}, "None USD"),  # not an integer
    ],
)
def test_a_succeeded_event_for_another_amount_or_currency_is_kept_for_review_and_pays_nothing(
    client, started, succeeded, confirmed_order, change, received_text
):
    wrong = {**succeeded, **change}

    response = deliver(client, event("payment_intent.succeeded", wrong, event_id="evt_wrong"))
    replay = deliver(client, event("payment_intent.succeeded", wrong, event_id="evt_wrong"))

    assert response.status_code == 200
    assert response.json() == {
        "received": "evt_wrong",
        "status": "needs_review",
        "replayed": False,
    }
    assert replay.json()["replayed"] is True
    stored = StripeEvent.objects.get()
    assert (stored.status, stored.attempts) == (StripeEventStatus.NEEDS_REVIEW, 1)
    assert stored.error == (
        f"PaymentIntent {succeeded['id']} received {received_text} (minor units) but payment "
        f"{started.pk} of order {confirmed_order.number} is due 108150 USD: not marked paid."
    )
    assert_nothing_applied(confirmed_order, started)


def test_the_exact_amount_after_a_mismatch_pays_the_order(
    client, started, succeeded, confirmed_order
):
    deliver(
        client,
        event("payment_intent.succeeded", {**succeeded, "amount_received": 1}, event_id="e1"),
    )
    response = deliver(client, event("payment_intent.succeeded", succeeded, event_id="e2"))

    assert response.json()["status"] == "processed"
    started.refresh_from_db()
    assert (started.status, started.amount_received_minor) == (PaymentStatus.SUCCEEDED, 108150)
    assert Order.objects.get(pk=confirmed_order.pk).status == OrderStatus.PAID
    assert list(StripeEvent.objects.order_by("pk").values_list("event_id", "status")) == [
        ("e1", StripeEventStatus.NEEDS_REVIEW),
        ("e2", StripeEventStatus.PROCESSED),
    ]


def test_the_beat_retry_does_not_apply_an_event_kept_for_review(
    client, started, succeeded, confirmed_order
):
    from payments.webhooks import stripe_events_retry

    deliver(
        client,
        event("payment_intent.succeeded", {**succeeded, "amount_received": 5}, event_id="e1"),
    )

    assert stripe_events_retry() == 0
    assert StripeEvent.objects.get().status == StripeEventStatus.NEEDS_REVIEW
    assert_nothing_applied(confirmed_order, started)


# --- livemode ---------------------------------------------------------------------------------


def test_a_live_event_with_a_test_key_is_400_and_nothing_is_stored(
    client, started, succeeded, confirmed_order
):
    live = {**event("payment_intent.succeeded", succeeded), "livemode": True}

    response = deliver(client, live)

    assert response.status_code == 400
    assert response.json() == {
        "error": "livemode_mismatch",
        "detail": "The event's livemode is True but the configured key is a test key: refused.",
    }
    assert StripeEvent.objects.count() == 0
    assert_nothing_applied(confirmed_order, started)


@pytest.mark.parametrize("livemode", [False, None, "true", 1])
def test_with_a_live_key_only_livemode_true_is_accepted(client, stripe_mode, livemode):
    test_event = {**event("customer.created", {"id": "cus_1"}), "livemode": livemode}
    live_event = {**event("customer.created", {"id": "cus_1"}, event_id="evt_live")}
    live_event["livemode"] = True

    with override_settings(STRIPE_SECRET_KEY="sk_live_0123456789"):
        refused = deliver(client, test_event)
        accepted = deliver(client, live_event)

    assert refused.status_code == 400
    assert refused.json()["error"] == "livemode_mismatch"
    assert accepted.status_code == 200
    stored = StripeEvent.objects.get()
    assert (stored.event_id, stored.livemode, stored.status) == (
        "evt_live",
        True,
        StripeEventStatus.IGNORED,
    )


def test_the_sandbox_accepts_its_own_test_mode_events(confirmed_order, buyer, buyer_user):
    from payments.sandbox import SandboxGateway

    intent = collection.payment_start(
        order=confirmed_order, company=buyer, actor=buyer_user
    ).payment.payment_intent_id
    SandboxGateway().payment_intent_settle(intent, succeed=True)

    assert StripeEvent.objects.get().livemode is False
    assert Order.objects.get(pk=confirmed_order.pk).status == OrderStatus.PAID
