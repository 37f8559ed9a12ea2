"""The payments API: ``POST /api/v1/orders/{id}/payments/`` with the real Stripe SDK against the
stand-in and in the offline sandbox, and the sandbox's ``succeed``/``fail`` endpoints."""

from dataclasses import dataclass

import pytest
from django.core.checks import Error
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from rest_framework.test import APIClient

from orders.enums import OrderStatus
from orders.models import Order
from payments.checks import payments_configuration
from payments.enums import PaymentStatus
from payments.ledger.models import LedgerTransaction
from payments.ledger.selectors import ledger_check, order_escrow_held_minor
from payments.models import Payment, SandboxObject, StripeEvent
from tests.orders.factories import buyer_member, place_order
from tests.payments.stripe_standin import SECRET_KEY, StripeStandIn

pytestmark = pytest.mark.django_db

AMOUNT = {"amount": "1081.50", "currency": "USD"}


def pay_url(order: Order) -> str:
    return f"/api/v1/orders/{order.pk}/payments/"


def sandbox_url(intent: str, outcome: str) -> str:
    return f"/api/v1/sandbox/payments/{intent}/{outcome}/"


def as_company(user, company) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    client.credentials(HTTP_X_COMPANY=str(company.pk))
    return client


@dataclass
class Mode:
    """How the buyer's bank says yes in each mode: the sandbox endpoint, or Stripe's event."""

    name: str
    standin: StripeStandIn | None

    def succeed(self, client: APIClient, intent: str):
        if self.standin is None:
            return client.post(sandbox_url(intent, "succeed"))
        obj = self.standin.payment_intent_succeed(intent)
        return self.standin.send_event(
            APIClient(), self.standin.event("payment_intent.succeeded", obj)
        )


@pytest.fixture(params=["stripe", "sandbox"])
def mode(request) -> Mode:
    if request.param == "stripe":
        return Mode("stripe", request.getfixturevalue("stripe_mode"))
    return Mode("sandbox", None)


def test_pay_returns_201_with_the_payment_intent_then_200_with_the_same(
    mode: Mode, confirmed_order, buyer, buyer_user
):
    client = as_company(buyer_user, buyer)

    first = client.post(pay_url(confirmed_order))
    second = client.post(pay_url(confirmed_order))

    assert first.status_code == 201, first.content
    payment = Payment.objects.get()
    expected = {
        "payment_intent": payment.payment_intent_id,
        "client_secret": payment.client_secret,
        "amount": AMOUNT,
        "status": "requires_payment",
        "sandbox": mode.name == "sandbox",
        "publishable_key": "pk_test_standin_0123456789" if mode.name == "stripe" else "",
        "last_error": "",
    }
    assert first.json() == expected
    assert second.status_code == 200
    assert second.json() == expected
    assert payment.client_secret.startswith(f"{payment.payment_intent_id}_secret_")
    assert payment.idempotency_key == f"pi:{confirmed_order.number}:1"
    if mode.standin is not None:
        assert payment.payment_intent_id.startswith("pi_standin")
        [made] = mode.standin.of_kind("payment_intent")
        assert (made["id"], made["amount"], made["currency"], made["transfer_group"]) == (
            payment.payment_intent_id,
            108150,
            "usd",
            confirmed_order.number,
        )
        assert len(mode.standin.requests) == 1  # the open one is not asked for again
    else:
        assert payment.payment_intent_id.startswith("pi_sbx_")
        assert SandboxObject.objects.get(object_id=payment.payment_intent_id).data["amount"] == (
            108150
        )


def test_paying_marks_the_order_paid_and_a_paid_order_cannot_be_paid_again(
    mode: Mode, confirmed_order, buyer, buyer_user
):
    client = as_company(buyer_user, buyer)
    intent = client.post(pay_url(confirmed_order)).json()["payment_intent"]

    paid = mode.succeed(client, intent)

    assert paid.status_code == 200, paid.content
    order = Order.objects.get(pk=confirmed_order.pk)
    assert order.status == OrderStatus.PAID
    assert order_escrow_held_minor(order=order) == 108150
    for _ in range(2):
        again = client.post(pay_url(confirmed_order))
        assert again.status_code == 409
        assert again.json()["code"] == "order_already_paid"
    assert Payment.objects.count() == 1
    assert LedgerTransaction.objects.filter(idempotency_key=f"capture:{intent}").count() == 1


def test_an_order_not_yet_confirmed_cannot_be_paid(mode: Mode, listing, buyer, buyer_user):
    placed = place_order(listing=listing, quantity=1000, buyer=buyer, actor=buyer_user)
    client = as_company(buyer_user, buyer)

    response = client.post(pay_url(placed))

    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Order {placed.number} is placed: only a confirmed order can be paid.",
        "code": "order_not_payable",
    }
    assert Payment.objects.count() == 0
    if mode.standin is not None:
        assert mode.standin.requests == []


def test_another_companys_order_is_not_found(mode: Mode, confirmed_order, outsider):
    company = outsider.memberships.get().company
    response = as_company(outsider, company).post(pay_url(confirmed_order))

    assert response.status_code == 404
    assert Payment.objects.count() == 0


def test_the_seller_cannot_pay_its_own_order(mode: Mode, confirmed_order, seller, seller_user):
    response = as_company(seller_user, seller).post(pay_url(confirmed_order))

    assert response.status_code == 403
    assert Payment.objects.count() == 0
    if mode.standin is not None:
        assert mode.standin.requests == []


def test_signing_in_is_required(mode: Mode, confirmed_order):
    response = APIClient().post(pay_url(confirmed_order))

    assert response.status_code == 401  # token authentication first: DRF answers 401
    assert Payment.objects.count() == 0


def test_an_unknown_order_id_is_not_found(mode: Mode, buyer, buyer_user):
    response = as_company(buyer_user, buyer).post("/api/v1/orders/999999/payments/")
    assert response.status_code == 404


# --- Stripe unreachable or refusing -------------------------------------------------------


def test_stripe_unreachable_is_a_503_and_the_retry_gets_the_same_key(
    stripe_mode: StripeStandIn, confirmed_order, buyer, buyer_user
):
    stripe_mode.fail("POST", "/v1/payment_intents", times=3, status=500)
    client = as_company(buyer_user, buyer)

    down = client.post(pay_url(confirmed_order))

    assert down.status_code == 503
    assert down.json()["code"] == "gateway_unavailable"
    assert down["Retry-After"] == "30"
    payment = Payment.objects.get()
    assert payment.payment_intent_id is None

    up = client.post(pay_url(confirmed_order))

    assert up.status_code == 201
    [made] = stripe_mode.of_kind("payment_intent")
    assert up.json()["payment_intent"] == made["id"]
    assert {r.idempotency_key for r in stripe_mode.requests} == {f"pi:{confirmed_order.number}:1"}
    assert Payment.objects.get().pk == payment.pk


def test_stripe_refusing_is_a_502_and_nothing_is_paid(
    stripe_mode: StripeStandIn, confirmed_order, buyer, buyer_user
):
    stripe_mode.refuse("POST", "/v1/payment_intents", code="currency_not_supported")

    response = as_company(buyer_user, buyer).post(pay_url(confirmed_order))

    assert response.status_code == 502
    assert response.json()["code"] == "gateway_refused"
    assert len(stripe_mode.requests) == 1
    assert Order.objects.get(pk=confirmed_order.pk).status == OrderStatus.CONFIRMED


def test_a_sandbox_attempt_is_replaced_when_stripe_is_switched_on(
    stripe_mode: StripeStandIn, confirmed_order, buyer, buyer_user
):
    client = as_company(buyer_user, buyer)
    with override_settings(STRIPE_SECRET_KEY="", PAYMENTS_SANDBOX=True):
        sandbox = client.post(pay_url(confirmed_order)).json()["payment_intent"]

    response = client.post(pay_url(confirmed_order))

    assert response.status_code == 201
    old, new = Payment.objects.order_by("attempt")
    assert (old.payment_intent_id, old.status, old.sandbox) == (sandbox, "canceled", True)
    assert (new.attempt, new.idempotency_key, new.sandbox) == (
        2,
        f"pi:{confirmed_order.number}:2",
        False,
    )
    assert response.json()["payment_intent"] == new.payment_intent_id
    assert stripe_mode.requests[0].idempotency_key == f"pi:{confirmed_order.number}:2"


# --- the sandbox -------------------------------------------------------------------------


def test_sandbox_succeed_pays_the_order_through_a_signed_event(confirmed_order, buyer, buyer_user):
    client = as_company(buyer_user, buyer)
    intent = client.post(pay_url(confirmed_order)).json()["payment_intent"]

    response = client.post(sandbox_url(intent, "succeed"))

    assert response.status_code == 200
    body = response.json()
    assert (body["payment_intent"], body["status"], body["sandbox"], body["amount"]) == (
        intent,
        "succeeded",
        True,
        AMOUNT,
    )
    order = Order.objects.get(pk=confirmed_order.pk)
    assert order.status == OrderStatus.PAID
    [event] = StripeEvent.objects.all()
    assert (event.type, event.status, event.payload["data"]["object"]["id"]) == (
        "payment_intent.succeeded",
        "processed",
        intent,
    )
    capture = LedgerTransaction.objects.get(idempotency_key=f"capture:{intent}")
    assert sorted(capture.entries.values_list("amount_minor", flat=True)) == [-108150, 108150]
    assert order_escrow_held_minor(order=order) == 108150
    payment = Payment.objects.get()
    assert (payment.status, payment.amount_received_minor) == (PaymentStatus.SUCCEEDED, 108150)
    assert ledger_check() == {"balanced": True, "transactions": 1}


def test_sandbox_fail_records_the_failure_and_the_buyer_can_retry(
    confirmed_order, buyer, buyer_user
):
    client = as_company(buyer_user, buyer)
    intent = client.post(pay_url(confirmed_order)).json()["payment_intent"]

    failed = client.post(sandbox_url(intent, "fail"))

    assert failed.status_code == 200
    assert (failed.json()["status"], failed.json()["last_error"]) == (
        "failed",
        "Your card was declined. (sandbox)",
    )
    assert Order.objects.get(pk=confirmed_order.pk).status == OrderStatus.CONFIRMED
    assert list(StripeEvent.objects.values_list("type", "status")) == [
        ("payment_intent.payment_failed", "processed")
    ]
    assert LedgerTransaction.objects.count() == 0

    retry = client.post(pay_url(confirmed_order))

    assert retry.status_code == 200  # the same PaymentIntent, confirmed again with a new card
    assert (retry.json()["payment_intent"], retry.json()["status"]) == (intent, "failed")
    assert client.post(sandbox_url(intent, "succeed")).status_code == 200
    assert Order.objects.get(pk=confirmed_order.pk).status == OrderStatus.PAID
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED


def test_sandbox_succeed_twice_is_a_conflict(confirmed_order, buyer, buyer_user):
    client = as_company(buyer_user, buyer)
    intent = client.post(pay_url(confirmed_order)).json()["payment_intent"]
    client.post(sandbox_url(intent, "succeed"))

    again = client.post(sandbox_url(intent, "succeed"))
    fail_after = client.post(sandbox_url(intent, "fail"))

    assert again.status_code == 409
    assert again.json()["code"] == "payment_already_succeeded"
    assert fail_after.status_code == 409
    assert StripeEvent.objects.count() == 1
    assert LedgerTransaction.objects.count() == 1


@pytest.mark.parametrize("outcome", ["succeed", "fail"])
def test_sandbox_endpoints_are_404_when_the_sandbox_is_off(
    outcome, confirmed_order, buyer, buyer_user
):
    client = as_company(buyer_user, buyer)
    intent = client.post(pay_url(confirmed_order)).json()["payment_intent"]

    with override_settings(PAYMENTS_SANDBOX=False):
        off = client.post(sandbox_url(intent, outcome))
    with override_settings(STRIPE_SECRET_KEY=SECRET_KEY, PAYMENTS_SANDBOX=True):
        with_key = client.post(sandbox_url(intent, outcome))

    assert (off.status_code, with_key.status_code) == (404, 404)
    assert Order.objects.get(pk=confirmed_order.pk).status == OrderStatus.CONFIRMED
    assert StripeEvent.objects.count() == 0
    assert Payment.objects.get().status == PaymentStatus.REQUIRES_PAYMENT
    assert SandboxObject.objects.get(object_id=intent).data["status"] == "requires_payment_method"


@pytest.mark.parametrize("outcome", ["succeed", "fail"])
def test_sandbox_endpoints_are_404_for_someone_elses_payment(
    outcome, confirmed_order, buyer, buyer_user, seller, seller_user
):
    intent = as_company(buyer_user, buyer).post(pay_url(confirmed_order)).json()["payment_intent"]
    other_buyer, other_user = buyer_member(legal_name="Lyon Négoce SARL", country="FR")

    by_other_buyer = as_company(other_user, other_buyer).post(sandbox_url(intent, outcome))
    by_seller = as_company(seller_user, seller).post(sandbox_url(intent, outcome))
    unknown = as_company(buyer_user, buyer).post(sandbox_url("pi_sbx_unknown", outcome))
    anonymous = APIClient().post(sandbox_url(intent, outcome))

    assert (by_other_buyer.status_code, by_seller.status_code, unknown.status_code) == (
        404,
        404,
        404,
    )
    assert anonymous.status_code == 401
    assert StripeEvent.objects.count() == 0
    assert Order.objects.get(pk=confirmed_order.pk).status == OrderStatus.CONFIRMED


# --- configuration ----------------------------------------------------------------------


def test_system_check_refuses_the_sandbox_beside_a_stripe_key():
    with override_settings(
        STRIPE_SECRET_KEY=SECRET_KEY, STRIPE_WEBHOOK_SECRET="whsec_x", PAYMENTS_SANDBOX=True
    ):
        problems = payments_configuration(None)
        with pytest.raises(SystemCheckError, match=r"payments\.E001"):
            call_command("check")

    assert [(type(p), p.id) for p in problems] == [(Error, "payments.E001")]


def test_system_checks_pass_for_either_mode_alone():
    with override_settings(
        STRIPE_SECRET_KEY=SECRET_KEY, STRIPE_WEBHOOK_SECRET="whsec_x", PAYMENTS_SANDBOX=False
    ):
        assert payments_configuration(None) == []
    with override_settings(STRIPE_SECRET_KEY="", STRIPE_WEBHOOK_SECRET="", PAYMENTS_SANDBOX=True):
        assert payments_configuration(None) == []
    with override_settings(
        STRIPE_SECRET_KEY=SECRET_KEY, STRIPE_WEBHOOK_SECRET="", PAYMENTS_SANDBOX=False
    ):
        assert [p.id for p in payments_configuration(None)] == ["payments.W001"]


# --- the answers match the OpenAPI document -------------------------------------------------


@pytest.fixture
def in_process_requests():
    """Keep the request signals from closing the test's connection (as Django's client does)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_payment_answers_conform_to_the_openapi_schema(
    confirmed_order, buyer, buyer_user, in_process_requests
):
    import schemathesis
    from django.core.wsgi import get_wsgi_application
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        response_schema_conformance,
        status_code_conformance,
    )

    from tests.factories import api_token_for

    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    headers = {"Authorization": f"Token {api_token_for(buyer_user)}", "X-Company": str(buyer.pk)}
    checks = [not_a_server_error, status_code_conformance, response_schema_conformance]

    pay = schema["/api/v1/orders/{id}/payments/"]["POST"]
    created = pay.Case(path_parameters={"id": confirmed_order.pk}).call_and_validate(
        headers=headers, checks=checks
    )
    again = pay.Case(path_parameters={"id": confirmed_order.pk}).call_and_validate(
        headers=headers, checks=checks
    )
    intent = created.json()["payment_intent"]
    succeed = schema["/api/v1/sandbox/payments/{payment_intent}/succeed/"]["POST"]
    done = succeed.Case(path_parameters={"payment_intent": intent}).call_and_validate(
        headers=headers, checks=checks
    )
    paid_already = pay.Case(path_parameters={"id": confirmed_order.pk}).call_and_validate(
        headers=headers, checks=checks
    )

    assert (created.status_code, again.status_code, done.status_code) == (201, 200, 200)
    assert paid_already.status_code == 409
