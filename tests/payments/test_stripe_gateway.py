"""StripeGateway with the real ``stripe`` SDK against the local Stripe stand-in: what is sent
(paths, form parameters, ``Idempotency-Key``, ``Stripe-Account``), what comes back, and how
failures are retried or refused."""

import pytest
from django.db import connection
from django.test import override_settings

from marketplace.core.exceptions import DomainError
from orders.models import Order
from payments import collection
from payments.enums import PaymentStatus
from payments.gateway import (
    GatewayAccount,
    GatewayError,
    GatewayPaymentIntent,
    GatewayRefund,
    GatewayRefused,
    GatewayTransfer,
    PaymentsNotConfigured,
    gateway_amount,
    gateway_get,
    gateway_transfer_amount,
)
from payments.models import Payment
from payments.stripe_gateway import StripeGateway
from tests.listings.factories import ListingFactory
from tests.orders.factories import place_order
from tests.payments.stripe_standin import SECRET_KEY, StripeStandIn

pytestmark = pytest.mark.django_db


def _gateway() -> StripeGateway:
    gateway = gateway_get()
    assert isinstance(gateway, StripeGateway)
    return gateway


def _intent(gateway: StripeGateway, **overrides) -> GatewayPaymentIntent:
    values = {
        "amount_minor": 108150,
        "currency": "USD",
        "transfer_group": "ORD-2025-000042",
        "idempotency_key": "pi:ORD-2025-000042:1",
        "metadata": {"order_number": "ORD-2025-000042", "order_id": "42", "payment_id": "7"},
        "description": "Order ORD-2025-000042",
    }
    values.update(overrides)
    return gateway.payment_intent_create(**values)


# --- amounts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "amount_minor", "expected"),
    [
        ("USD", 108150, 108150),  # cents as they are
        ("USD", 1, 1),
        ("JPY", 113560, 113560),  # zero-decimal: yen as they are, not × 100
        ("KRW", 1500000, 1500000),
        ("VND", 25000001, 25000001),
        ("KWD", 12340, 12340),  # three-decimal: already ends in 0
        ("KWD", 12341, 12350),  # rounded UP to the next ten fils, never down
        ("KWD", 12349, 12350),
        ("BHD", 1, 10),
        ("BHD", 999, 1000),
        ("kwd", 5, 10),  # the code in either case
    ],
)
def test_gateway_amount_follows_stripes_currency_rules(currency, amount_minor, expected):
    assert gateway_amount(amount_minor=amount_minor, currency=currency) == expected


def test_three_decimal_amounts_are_never_undercharged_and_end_in_zero():
    for amount in range(1, 2001):
        charged = gateway_amount(amount_minor=amount, currency="KWD")
        assert charged % 10 == 0
        assert amount <= charged < amount + 10


def test_transfer_amounts_round_down_in_three_decimal_currencies():
    assert gateway_transfer_amount(amount_minor=12349, currency="KWD") == 12340
    assert gateway_transfer_amount(amount_minor=12340, currency="BHD") == 12340
    assert gateway_transfer_amount(amount_minor=12349, currency="USD") == 12349


def test_gateway_amount_refuses_unknown_currencies_and_non_positive_amounts():
    with pytest.raises(PaymentsNotConfigured):
        gateway_amount(amount_minor=100, currency="XXX")
    with pytest.raises(DomainError) as excinfo:
        gateway_amount(amount_minor=0, currency="USD")
    assert excinfo.value.code == "amount_not_positive"


# --- PaymentIntents ----------------------------------------------------------------------


def test_payment_intent_is_created_with_stripes_form_encoding_and_the_idempotency_key(
    stripe_mode: StripeStandIn,
):
    intent = _intent(_gateway())

    [request] = stripe_mode.requests
    assert (request.method, request.path) == ("POST", "/v1/payment_intents")
    assert request.form == {
        "amount": "108150",
        "currency": "usd",
        "transfer_group": "ORD-2025-000042",
        "automatic_payment_methods[enabled]": "true",
        "metadata[order_number]": "ORD-2025-000042",
        "metadata[order_id]": "42",
        "metadata[payment_id]": "7",
        "description": "Order ORD-2025-000042",
    }
    assert request.idempotency_key == "pi:ORD-2025-000042:1"
    assert request.headers["Authorization"] == f"Bearer {SECRET_KEY}"
    assert request.stripe_account is None
    [made] = stripe_mode.of_kind("payment_intent")
    assert intent == GatewayPaymentIntent(
        id=made["id"],
        client_secret=made["client_secret"],
        amount_minor=108150,
        amount_received_minor=0,
        currency="USD",
        status="requires_payment_method",
        latest_charge="",
        last_error="",
        metadata={"order_number": "ORD-2025-000042", "order_id": "42", "payment_id": "7"},
    )
    assert intent.client_secret.startswith(f"{intent.id}_secret_")


@pytest.mark.parametrize(
    ("currency", "amount_minor", "sent_amount", "sent_currency"),
    [
        ("JPY", 113560, "113560", "jpy"),
        ("KWD", 12345, "12350", "kwd"),
        ("BHD", 120000, "120000", "bhd"),
    ],
)
def test_payment_intent_amount_in_the_currencys_minor_units(
    stripe_mode: StripeStandIn, currency, amount_minor, sent_amount, sent_currency
):
    intent = _intent(_gateway(), amount_minor=amount_minor, currency=currency)

    [request] = stripe_mode.requests
    assert (request.form["amount"], request.form["currency"]) == (sent_amount, sent_currency)
    assert (intent.amount_minor, intent.currency) == (int(sent_amount), currency)


def test_the_same_idempotency_key_replays_the_same_payment_intent(stripe_mode: StripeStandIn):
    gateway = _gateway()
    first = _intent(gateway)
    second = _intent(gateway)

    assert second == first
    assert len(stripe_mode.of_kind("payment_intent")) == 1
    assert [r.idempotency_key for r in stripe_mode.requests] == ["pi:ORD-2025-000042:1"] * 2


def test_the_same_key_with_other_parameters_is_refused_not_retried(stripe_mode: StripeStandIn):
    gateway = _gateway()
    _intent(gateway)

    with pytest.raises(GatewayRefused) as excinfo:
        _intent(gateway, amount_minor=108160)

    assert excinfo.value.code == "idempotency"
    assert excinfo.value.retryable is False
    assert len(stripe_mode.requests) == 2
    assert len(stripe_mode.of_kind("payment_intent")) == 1


def test_payment_intent_retrieve_reads_status_charge_and_error(stripe_mode: StripeStandIn):
    gateway = _gateway()
    intent = _intent(gateway)
    stripe_mode.payment_intent_succeed(intent.id)

    read = gateway.payment_intent_retrieve(intent.id)

    assert stripe_mode.requests[-1].method == "GET"
    assert stripe_mode.requests[-1].path == f"/v1/payment_intents/{intent.id}"
    assert (read.status, read.amount_received_minor, read.latest_charge) == (
        "succeeded",
        108150,
        stripe_mode.objects[intent.id]["latest_charge"],
    )
    declined = _intent(gateway, idempotency_key="pi:ORD-2025-000042:2")
    stripe_mode.payment_intent_decline(declined.id)
    assert gateway.payment_intent_retrieve(declined.id).last_error == (
        "Your card has insufficient funds."
    )


def test_retrieving_a_missing_object_is_refused(stripe_mode: StripeStandIn):
    with pytest.raises(GatewayRefused) as excinfo:
        _gateway().payment_intent_retrieve("pi_missing")

    assert excinfo.value.code == "resource_missing"
    assert len(stripe_mode.requests) == 1  # a 404 is not retried


# --- retries --------------------------------------------------------------------------


def test_a_500_is_retried_with_the_same_key_and_makes_one_object(stripe_mode: StripeStandIn):
    stripe_mode.fail("POST", "/v1/payment_intents", times=1, status=500)

    intent = _intent(_gateway())

    requests = stripe_mode.requests_to("POST", "/v1/payment_intents")
    assert len(requests) == 2
    assert {r.idempotency_key for r in requests} == {"pi:ORD-2025-000042:1"}
    assert requests[0].form == requests[1].form
    assert [obj["id"] for obj in stripe_mode.of_kind("payment_intent")] == [intent.id]


def test_dropped_connections_are_retried_with_the_same_key(stripe_mode: StripeStandIn):
    stripe_mode.fail("POST", "/v1/payment_intents", times=2, connection=True)

    intent = _intent(_gateway())  # STRIPE_MAX_NETWORK_RETRIES = 2: the third attempt works

    requests = stripe_mode.requests_to("POST", "/v1/payment_intents")
    assert [r.idempotency_key for r in requests] == ["pi:ORD-2025-000042:1"] * 3
    assert [obj["id"] for obj in stripe_mode.of_kind("payment_intent")] == [intent.id]


def test_still_failing_after_the_retries_is_a_retryable_gateway_error(stripe_mode: StripeStandIn):
    stripe_mode.fail("POST", "/v1/payment_intents", times=3, status=503)
    gateway = _gateway()

    with pytest.raises(GatewayError) as excinfo:
        _intent(gateway)

    assert not isinstance(excinfo.value, GatewayRefused)
    assert excinfo.value.retryable is True
    assert len(stripe_mode.requests) == 3
    assert stripe_mode.of_kind("payment_intent") == []
    # The caller's later retry asks again with the same key: one PaymentIntent.
    intent = _intent(gateway)
    assert [obj["id"] for obj in stripe_mode.of_kind("payment_intent")] == [intent.id]
    assert {r.idempotency_key for r in stripe_mode.requests} == {"pi:ORD-2025-000042:1"}


@override_settings(STRIPE_MAX_NETWORK_RETRIES=0)
def test_with_retries_off_the_first_500_reaches_the_caller(stripe_mode: StripeStandIn):
    stripe_mode.fail("POST", "/v1/payment_intents", times=1, status=500)

    with pytest.raises(GatewayError):
        _intent(_gateway())

    assert len(stripe_mode.requests) == 1


def test_a_400_is_refused_without_a_retry(stripe_mode: StripeStandIn):
    stripe_mode.refuse(
        "POST",
        "/v1/payment_intents",
        status=400,
        code="parameter_invalid_integer",
        message="Invalid integer: 1.5",
    )

    with pytest.raises(GatewayRefused) as excinfo:
        _intent(_gateway())

    assert excinfo.value.code == "parameter_invalid_integer"
    assert excinfo.value.retryable is False
    assert str(excinfo.value) == "InvalidRequestError: Invalid integer: 1.5"
    assert len(stripe_mode.requests) == 1
    assert stripe_mode.of_kind("payment_intent") == []


def test_a_card_error_is_refused_without_a_retry(stripe_mode: StripeStandIn):
    stripe_mode.refuse(
        "POST",
        "/v1/payment_intents",
        status=402,
        error_type="card_error",
        code="card_declined",
        message="Your card was declined.",
    )

    with pytest.raises(GatewayRefused) as excinfo:
        _intent(_gateway())

    assert (excinfo.value.code, str(excinfo.value)) == (
        "card_declined",
        "CardError: Your card was declined.",
    )
    assert len(stripe_mode.requests) == 1


def test_a_stripe_amount_rule_violation_is_refused(stripe_mode: StripeStandIn):
    """The stand-in enforces Stripe's rule the gateway respects: a KWD amount must end in 0."""
    gateway = _gateway()
    with pytest.raises(GatewayRefused) as excinfo:
        gateway.transfer_create(
            amount_minor=12345,
            currency="KWD",
            destination=stripe_mode.account_add()["id"],
            transfer_group="ORD-1",
            idempotency_key="transfer:ORD-1",
            metadata={},
        )
    assert excinfo.value.code == "invalid_amount"


# --- the order's PaymentIntent: key committed before Stripe is asked -----------------------


@pytest.mark.django_db(transaction=True)
def test_payment_start_commits_the_payment_and_its_key_before_calling_stripe(
    stripe_mode: StripeStandIn, confirmed_order: Order, buyer, buyer_user
):
    seen: list[tuple] = []

    def look_at_the_database(request) -> None:
        # The stand-in's own thread and database connection: only committed rows are visible.
        try:
            seen.append(
                tuple(
                    Payment.objects.filter(idempotency_key=request.idempotency_key).values_list(
                        "order_id", "attempt", "status", "payment_intent_id", "amount_minor"
                    )
                )
            )
        finally:
            connection.close()

    stripe_mode.observe(look_at_the_database)

    started = collection.payment_start(order=confirmed_order, company=buyer, actor=buyer_user)

    number = confirmed_order.number
    [request] = stripe_mode.requests
    assert request.idempotency_key == f"pi:{number}:1"
    assert seen == [((confirmed_order.pk, 1, PaymentStatus.REQUIRES_PAYMENT, None, 108150),)]
    assert request.form == {
        "amount": "108150",
        "currency": "usd",
        "transfer_group": number,
        "automatic_payment_methods[enabled]": "true",
        "metadata[order_number]": number,
        "metadata[order_id]": str(confirmed_order.pk),
        "metadata[payment_id]": str(started.payment.pk),
        "description": f"Order {number}",
    }
    payment = Payment.objects.get()
    [made] = stripe_mode.of_kind("payment_intent")
    assert (payment.payment_intent_id, payment.client_secret, payment.sandbox) == (
        made["id"],
        made["client_secret"],
        False,
    )


def test_payment_start_after_a_crash_asks_again_with_the_same_key(
    stripe_mode: StripeStandIn, confirmed_order: Order, buyer, buyer_user
):
    """Stripe made the PaymentIntent but the answer was lost (3 dropped connections): the row
    stays without an intent; the next call asks with the same key and gets the same one."""
    stripe_mode.fail("POST", "/v1/payment_intents", times=3, connection=True)
    with pytest.raises(GatewayError):
        collection.payment_start(order=confirmed_order, company=buyer, actor=buyer_user)
    payment = Payment.objects.get()
    assert (payment.idempotency_key, payment.payment_intent_id) == (
        f"pi:{confirmed_order.number}:1",
        None,
    )

    started = collection.payment_start(order=confirmed_order, company=buyer, actor=buyer_user)

    assert started.payment.pk == payment.pk
    assert started.created is True  # the buyer gets the PaymentIntent for the first time
    [made] = stripe_mode.of_kind("payment_intent")
    assert started.payment.payment_intent_id == made["id"]
    assert {r.idempotency_key for r in stripe_mode.requests} == {f"pi:{confirmed_order.number}:1"}
    assert Payment.objects.count() == 1


def test_a_kwd_order_is_charged_in_fils_rounded_up_never_less_than_its_total(
    stripe_mode: StripeStandIn, seller, buyer, buyer_user, seller_user, fx_rates
):
    from orders import services as order_services

    listing = ListingFactory(
        seller=seller, published=True, currency="KWD", moq=1, stock=1000, tiers=[(1, "0.3333")]
    )
    order = place_order(listing=listing, quantity=37, buyer=buyer, actor=buyer_user)
    order = order_services.order_confirm(order=order, actor=seller_user)
    assert order.currency == "KWD"
    total = order.total_minor
    assert total % 10 != 0  # the case that needs rounding

    started = collection.payment_start(order=order, company=buyer, actor=buyer_user)

    expected = total + (10 - total % 10)
    [request] = stripe_mode.requests
    assert (request.form["amount"], request.form["currency"]) == (str(expected), "kwd")
    assert started.payment.amount_minor == expected


# --- transfers, refunds, accounts, balance ------------------------------------------------


def test_transfer_to_a_connected_account_in_the_orders_transfer_group(stripe_mode: StripeStandIn):
    account = stripe_mode.account_add(country="CN")
    gateway = _gateway()

    transfer = gateway.transfer_create(
        amount_minor=105000,
        currency="USD",
        destination=account["id"],
        transfer_group="ORD-2025-000042",
        idempotency_key="transfer:ORD-2025-000042",
        metadata={"order_number": "ORD-2025-000042", "settlement_id": "3"},
    )
    again = gateway.transfer_create(
        amount_minor=105000,
        currency="USD",
        destination=account["id"],
        transfer_group="ORD-2025-000042",
        idempotency_key="transfer:ORD-2025-000042",
        metadata={"order_number": "ORD-2025-000042", "settlement_id": "3"},
    )

    first, second = stripe_mode.requests
    assert (first.method, first.path, first.idempotency_key) == (
        "POST",
        "/v1/transfers",
        "transfer:ORD-2025-000042",
    )
    assert first.form == {
        "amount": "105000",
        "currency": "usd",
        "destination": account["id"],
        "transfer_group": "ORD-2025-000042",
        "metadata[order_number]": "ORD-2025-000042",
        "metadata[settlement_id]": "3",
    }
    assert first.stripe_account is None  # made on the platform, sent to the destination
    assert second.idempotency_key == first.idempotency_key
    assert again == transfer
    [made] = stripe_mode.of_kind("transfer")
    assert transfer == GatewayTransfer(
        id=made["id"],
        amount_minor=105000,
        currency="USD",
        destination=account["id"],
        transfer_group="ORD-2025-000042",
        reversed=False,
        amount_reversed_minor=0,
        metadata={"order_number": "ORD-2025-000042", "settlement_id": "3"},
    )
    # The transfer group lists it (how a retry learns that an unclear attempt made it).
    assert gateway.transfers_for_group("ORD-2025-000042") == [transfer]
    assert stripe_mode.requests[-1].query == {"transfer_group": "ORD-2025-000042", "limit": "100"}
    assert gateway.transfers_for_group("ORD-2025-000099") == []
    stripe_mode.transfer_reverse(transfer.id)
    read = gateway.transfer_retrieve(transfer.id)
    assert stripe_mode.requests[-1].path == f"/v1/transfers/{transfer.id}"
    assert (read.reversed, read.amount_reversed_minor) == (True, 105000)


def test_a_transfer_to_an_account_that_cannot_receive_is_refused(stripe_mode: StripeStandIn):
    account = stripe_mode.account_add(payouts_enabled=False)

    with pytest.raises(GatewayRefused) as excinfo:
        _gateway().transfer_create(
            amount_minor=100,
            currency="USD",
            destination=account["id"],
            transfer_group="ORD-1",
            idempotency_key="transfer:ORD-1",
            metadata={},
        )

    assert excinfo.value.code == "insufficient_capabilities_for_transfer"
    assert len(stripe_mode.requests) == 1


def test_refund_of_a_payment_intent(stripe_mode: StripeStandIn):
    gateway = _gateway()
    intent = _intent(gateway)
    stripe_mode.payment_intent_succeed(intent.id)

    refund = gateway.refund_create(
        payment_intent_id=intent.id,
        amount_minor=8150,
        currency="USD",
        idempotency_key="refund:ORD-2025-000042:cancelled",
        metadata={"order_number": "ORD-2025-000042", "refund_id": "5"},
    )

    request = stripe_mode.requests_to("POST", "/v1/refunds")[0]
    assert request.form == {
        "payment_intent": intent.id,
        "amount": "8150",
        "metadata[order_number]": "ORD-2025-000042",
        "metadata[refund_id]": "5",
    }
    assert request.idempotency_key == "refund:ORD-2025-000042:cancelled"
    [made] = stripe_mode.of_kind("refund")
    assert refund == GatewayRefund(
        id=made["id"],
        amount_minor=8150,
        currency="USD",
        payment_intent=intent.id,
        status="succeeded",
        metadata={"order_number": "ORD-2025-000042", "refund_id": "5"},
    )
    assert gateway.refund_retrieve(refund.id) == refund
    assert stripe_mode.requests[-1].path == f"/v1/refunds/{refund.id}"
    assert gateway.refunds_for_payment_intent(intent.id) == [refund]
    assert stripe_mode.requests[-1].query == {"payment_intent": intent.id, "limit": "100"}
    assert stripe_mode.charge(intent.id)["amount_refunded"] == 8150
    # More than what is left on the charge: refused.
    with pytest.raises(GatewayRefused) as excinfo:
        gateway.refund_create(
            payment_intent_id=intent.id,
            amount_minor=100001,
            currency="USD",
            idempotency_key="refund:ORD-2025-000042:dispute",
            metadata={},
        )
    assert excinfo.value.code == "amount_too_large"


def test_connected_account_and_onboarding_link(stripe_mode: StripeStandIn):
    gateway = _gateway()

    account = gateway.account_create(
        country="CN",
        email="finance@ningbo-fasteners.example",
        business_name="Ningbo Fasteners Co., Ltd.",
        idempotency_key="account:17",
    )

    [request] = stripe_mode.requests
    assert (request.method, request.path, request.idempotency_key) == (
        "POST",
        "/v1/accounts",
        "account:17",
    )
    assert request.form == {
        "type": "express",
        "country": "CN",
        "email": "finance@ningbo-fasteners.example",
        "business_type": "company",
        "business_profile[name]": "Ningbo Fasteners Co., Ltd.",
        "capabilities[transfers][requested]": "true",
    }
    assert account == GatewayAccount(
        id=stripe_mode.of_kind("account")[0]["id"],
        country="CN",
        charges_enabled=False,
        payouts_enabled=False,
        details_submitted=False,
        requirements_due=["external_account", "tos_acceptance.date"],
    )

    url = gateway.account_link_create(
        account_id=account.id,
        refresh_url="https://market.example/payouts/refresh/",
        return_url="https://market.example/payouts/",
    )
    link_request = stripe_mode.requests[-1]
    assert (link_request.method, link_request.path) == ("POST", "/v1/account_links")
    assert link_request.form == {
        "account": account.id,
        "refresh_url": "https://market.example/payouts/refresh/",
        "return_url": "https://market.example/payouts/",
        "type": "account_onboarding",
    }
    assert url.startswith(f"https://connect.stripe.com/setup/e/{account.id}/")

    stripe_mode.account_onboard(account.id)
    read = gateway.account_retrieve(account.id)
    assert stripe_mode.requests[-1].path == f"/v1/accounts/{account.id}"
    assert (read.payouts_enabled, read.charges_enabled, read.requirements_due) == (True, True, [])


def test_connected_balance_is_read_with_the_stripe_account_header(stripe_mode: StripeStandIn):
    account = stripe_mode.account_add()
    stripe_mode.balance_set(account=account["id"], currency="usd", amount=105000)
    stripe_mode.balance_set(account=account["id"], currency="eur", amount=990)
    stripe_mode.balance_set(currency="usd", amount=7_000_000)  # the platform's own

    available = _gateway().connected_balance_available_minor(
        account_id=account["id"], currency="USD"
    )

    [request] = stripe_mode.requests
    assert (request.method, request.path, request.stripe_account) == (
        "GET",
        "/v1/balance",
        account["id"],
    )
    assert available == 105000


def test_the_api_base_may_end_in_a_slash(stripe_mode: StripeStandIn):
    with override_settings(STRIPE_API_BASE=stripe_mode.api_base + "/"):
        _intent(_gateway())
    assert [r.path for r in stripe_mode.requests] == ["/v1/payment_intents"]
