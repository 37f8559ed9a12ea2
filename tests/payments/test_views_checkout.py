"""The buyer pays in the browser: the pay page (sandbox form or Stripe's Payment Element), the
sandbox buttons, the return page's progress, the order page's Pay button, and the sandbox
banner on every page."""

from urllib.parse import parse_qs

import pytest
from django.test import override_settings
from django.urls import reverse

from orders import services as order_services
from orders.enums import OrderStatus
from orders.models import Order
from payments.enums import PaymentStatus
from payments.ledger.selectors import order_escrow_held_minor
from payments.models import Payment, StripeEvent
from payments.sandbox import SandboxGateway
from tests.orders.factories import place_order
from tests.payments.conftest import pay

pytestmark = pytest.mark.django_db

BANNER = "Payments sandbox: no real money moves."


def _pay_url(order: Order) -> str:
    return reverse("payments:order-pay", args=[order.pk])


def _sandbox_url(order: Order) -> str:
    return reverse("payments:order-pay-sandbox", args=[order.pk])


def _order_url(order: Order) -> str:
    return reverse("orders:detail", args=[order.pk])


def _status(order: Order) -> str:
    return Order.objects.values_list("status", flat=True).get(pk=order.pk)


def _open_pay_page(client, order: Order) -> Payment:
    response = client.get(_pay_url(order))
    assert response.status_code == 200
    return Payment.objects.get(order=order)


# ---------- the pay page in the sandbox ----------


def test_pay_page_in_the_sandbox_starts_one_payment_and_offers_the_sandbox_buttons(
    client, confirmed_order, buyer_user
):
    client.force_login(buyer_user)

    response = client.get(_pay_url(confirmed_order))

    assert response.status_code == 200
    payment = Payment.objects.get(order=confirmed_order)
    assert (payment.amount_minor, payment.currency, payment.status, payment.sandbox) == (
        108150,
        "USD",
        PaymentStatus.REQUIRES_PAYMENT,
        True,
    )
    assert payment.payment_intent_id.startswith("pi_sbx_")
    page = response.content.decode()
    assert "USD 1,081.50" in page
    assert ">Pay (sandbox)</button>" in page
    assert ">Decline (sandbox)</button>" in page
    assert f'name="payment_intent" value="{payment.payment_intent_id}"' in page
    assert "No card is charged and no real money moves" in page
    assert BANNER in page
    assert "js.stripe.com" not in page

    # Reloading shows the same PaymentIntent: never a second one.
    again = client.get(_pay_url(confirmed_order))
    assert again.status_code == 200
    assert Payment.objects.filter(order=confirmed_order).count() == 1
    assert payment.payment_intent_id in again.content.decode()


def test_sandbox_pay_marks_the_order_paid_and_goes_back_to_the_order_with_a_message(
    client, confirmed_order, buyer_user
):
    client.force_login(buyer_user)
    payment = _open_pay_page(client, confirmed_order)

    response = client.post(
        _sandbox_url(confirmed_order),
        {"outcome": "succeed", "payment_intent": payment.payment_intent_id},
        follow=True,
    )

    assert response.redirect_chain == [(_order_url(confirmed_order), 302)]
    page = response.content.decode()
    assert (
        f"Payment received (sandbox, no real money moved): order {confirmed_order.number} is "
        "paid (USD 1,081.50)." in page
    )
    assert _status(confirmed_order) == OrderStatus.PAID
    payment.refresh_from_db()
    assert (payment.status, payment.amount_received_minor) == (PaymentStatus.SUCCEEDED, 108150)
    assert order_escrow_held_minor(order=confirmed_order) == 108150
    assert list(StripeEvent.objects.values_list("type", "status")) == [
        ("payment_intent.succeeded", "processed")
    ]


def test_a_declined_sandbox_payment_shows_the_reason_and_the_buyer_pays_on_the_next_try(
    client, confirmed_order, buyer_user
):
    client.force_login(buyer_user)
    payment = _open_pay_page(client, confirmed_order)

    declined = client.post(
        _sandbox_url(confirmed_order),
        {"outcome": "decline", "payment_intent": payment.payment_intent_id},
        follow=True,
    )

    assert declined.redirect_chain == [(_pay_url(confirmed_order), 302)]
    page = declined.content.decode()
    assert "The last attempt did not go through:</strong> Your card was declined. (sandbox)" in page
    assert ">Pay (sandbox)</button>" in page
    assert _status(confirmed_order) == OrderStatus.CONFIRMED
    payment.refresh_from_db()
    assert (payment.status, payment.last_error) == (
        PaymentStatus.FAILED,
        "Your card was declined. (sandbox)",
    )
    assert order_escrow_held_minor(order=confirmed_order) == 0

    # The order page says so too, and offers to try again.
    detail = client.get(_order_url(confirmed_order)).content.decode()
    assert "Your last payment did not go through: Your card was declined. (sandbox)" in detail
    assert f'href="{_pay_url(confirmed_order)}">Try again</a>' in detail

    paid = client.post(
        _sandbox_url(confirmed_order),
        {"outcome": "succeed", "payment_intent": payment.payment_intent_id},
    )

    assert paid.status_code == 302
    assert _status(confirmed_order) == OrderStatus.PAID
    assert Payment.objects.filter(order=confirmed_order).count() == 1
    payment.refresh_from_db()
    assert (payment.status, payment.amount_received_minor) == (PaymentStatus.SUCCEEDED, 108150)
    assert order_escrow_held_minor(order=confirmed_order) == 108150


def test_paying_an_order_that_is_already_paid_is_refused_and_nothing_moves(
    client, confirmed_order, buyer, buyer_user
):
    intent = pay(confirmed_order, company=buyer, actor=buyer_user)
    client.force_login(buyer_user)

    page = client.get(_pay_url(confirmed_order))
    posted = client.post(
        _sandbox_url(confirmed_order), {"outcome": "succeed", "payment_intent": intent}
    )

    assert (page.status_code, posted.status_code) == (409, 409)
    assert (
        f"Order {confirmed_order.number} is already paid: there is nothing more to pay."
        in page.content.decode()
    )
    assert Payment.objects.filter(order=confirmed_order).count() == 1
    assert StripeEvent.objects.count() == 1
    assert order_escrow_held_minor(order=confirmed_order) == 108150


def test_an_order_that_is_not_confirmed_cannot_be_paid(client, listing, buyer, buyer_user):
    placed = place_order(listing=listing, quantity=1000, buyer=buyer, actor=buyer_user)
    client.force_login(buyer_user)

    page = client.get(_pay_url(placed))
    posted = client.post(_sandbox_url(placed), {"outcome": "succeed", "payment_intent": "x"})

    assert (page.status_code, posted.status_code) == (409, 409)
    assert (
        f"Order {placed.number} is placed: only a confirmed order can be paid."
        in page.content.decode()
    )
    assert not Payment.objects.exists()
    assert _status(placed) == OrderStatus.PLACED
    # Nor a cancelled one.
    order_services.order_cancel(order=placed, actor=buyer_user, company=buyer, reason="Changed")
    assert client.get(_pay_url(placed)).status_code == 409
    assert not Payment.objects.exists()


def test_another_companys_order_is_not_found(client, confirmed_order, outsider):
    client.force_login(outsider)

    answers = [
        client.get(_pay_url(confirmed_order)).status_code,
        client.post(_sandbox_url(confirmed_order), {"outcome": "succeed"}).status_code,
        client.get(reverse("payments:order-pay-return", args=[confirmed_order.pk])).status_code,
        client.get(reverse("payments:order-pay-status", args=[confirmed_order.pk])).status_code,
    ]

    assert answers == [404, 404, 404, 404]
    assert not Payment.objects.exists()
    assert _status(confirmed_order) == OrderStatus.CONFIRMED


def test_the_seller_cannot_pay_its_own_order(client, confirmed_order, seller_user):
    client.force_login(seller_user)

    page = client.get(_pay_url(confirmed_order))
    posted = client.post(_sandbox_url(confirmed_order), {"outcome": "succeed"})

    assert (page.status_code, posted.status_code) == (403, 403)
    assert not Payment.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, confirmed_order):
    response = client.get(_pay_url(confirmed_order))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    assert not Payment.objects.exists()


def test_an_unknown_sandbox_outcome_is_a_400_and_changes_nothing(
    client, confirmed_order, buyer_user
):
    client.force_login(buyer_user)
    payment = _open_pay_page(client, confirmed_order)

    response = client.post(
        _sandbox_url(confirmed_order),
        {"outcome": "maybe", "payment_intent": payment.payment_intent_id},
    )

    assert response.status_code == 400
    assert "Choose “Pay (sandbox)” or “Decline (sandbox)”." in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REQUIRES_PAYMENT
    assert not StripeEvent.objects.exists()
    assert _status(confirmed_order) == OrderStatus.CONFIRMED


def test_a_stale_pay_page_does_not_settle_another_attempt(client, confirmed_order, buyer_user):
    client.force_login(buyer_user)
    payment = _open_pay_page(client, confirmed_order)

    response = client.post(
        _sandbox_url(confirmed_order), {"outcome": "succeed", "payment_intent": "pi_sbx_old"}
    )

    assert response.status_code == 409
    assert "This payment page was out of date" in response.content.decode()
    assert payment.payment_intent_id in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REQUIRES_PAYMENT
    assert not StripeEvent.objects.exists()
    assert _status(confirmed_order) == OrderStatus.CONFIRMED


@override_settings(PAYMENTS_SANDBOX=False)
def test_without_sandbox_or_stripe_key_the_sandbox_buttons_are_gone_and_paying_is_unavailable(
    client, confirmed_order, buyer_user
):
    client.force_login(buyer_user)

    posted = client.post(_sandbox_url(confirmed_order), {"outcome": "succeed"})
    page = client.get(_pay_url(confirmed_order))

    assert posted.status_code == 404
    assert page.status_code == 503
    assert "Card payments are not available right now" in page.content.decode()
    assert not Payment.objects.exists()


# ---------- the pay page with Stripe ----------


def _stripe_intent(order: Order, **overrides) -> dict:
    return {
        "id": "pi_3QxStripe",
        "object": "payment_intent",
        "amount": 108150,
        "amount_received": 0,
        "currency": "usd",
        "client_secret": "pi_3QxStripe_secret_abc123",
        "status": "requires_payment_method",
        "transfer_group": order.number,
        "latest_charge": None,
        "last_payment_error": None,
        "metadata": {"order_number": order.number},
        **overrides,
    }


def test_with_a_stripe_key_the_pay_page_mounts_the_payment_element(
    client, confirmed_order, buyer_user, httpserver
):
    httpserver.expect_request("/v1/payment_intents", method="POST").respond_with_json(
        _stripe_intent(confirmed_order)
    )
    client.force_login(buyer_user)

    with override_settings(
        STRIPE_SECRET_KEY="sk_test_h4",
        STRIPE_PUBLISHABLE_KEY="pk_test_h4",
        STRIPE_API_BASE=httpserver.url_for("").rstrip("/"),
        STRIPE_MAX_NETWORK_RETRIES=0,
    ):
        response = client.get(_pay_url(confirmed_order))
        sandbox_post = client.post(_sandbox_url(confirmed_order), {"outcome": "succeed"})

    assert response.status_code == 200
    page = response.content.decode()
    assert '<script src="https://js.stripe.com/v3/"></script>' in page
    assert 'data-publishable-key="pk_test_h4"' in page
    assert 'data-client-secret="pi_3QxStripe_secret_abc123"' in page
    return_url = f"http://testserver/orders/{confirmed_order.pk}/pay/return/"
    assert f'data-return-url="{return_url}"' in page
    assert "/static/js/payments" in page
    assert "Pay (sandbox)" not in page
    assert BANNER not in page
    # The gateway was asked once, in the order's currency and minor units, with the key.
    [(request, _)] = httpserver.log
    assert request.headers["Idempotency-Key"] == f"pi:{confirmed_order.number}:1"
    form = parse_qs(request.get_data(as_text=True))
    assert (form["amount"], form["currency"], form["transfer_group"]) == (
        ["108150"],
        ["usd"],
        [confirmed_order.number],
    )
    payment = Payment.objects.get(order=confirmed_order)
    assert (payment.payment_intent_id, payment.sandbox) == ("pi_3QxStripe", False)
    # With Stripe on, the sandbox endpoint does not exist.
    assert sandbox_post.status_code == 404
    assert Payment.objects.get(order=confirmed_order).status == PaymentStatus.REQUIRES_PAYMENT


# ---------- the return page ----------


def test_the_return_page_polls_while_processing_and_stops_once_paid(
    client, confirmed_order, buyer_user
):
    client.force_login(buyer_user)
    payment = _open_pay_page(client, confirmed_order)
    status_url = reverse("payments:order-pay-status", args=[confirmed_order.pk])

    waiting = client.get(reverse("payments:order-pay-return", args=[confirmed_order.pk]))

    assert waiting.status_code == 200
    page = waiting.content.decode()
    assert 'role="status" aria-live="polite"' in page
    assert "Payment processing…" in page
    assert f'hx-get="{status_url}" hx-trigger="every 2s" hx-swap="outerHTML"' in page

    SandboxGateway().payment_intent_settle(payment.payment_intent_id, succeed=True)
    done = client.get(status_url)

    assert done.status_code == 200
    fragment = done.content.decode()
    assert "Payment received" in fragment
    assert f"Order {confirmed_order.number} is paid (USD 1,081.50)." in fragment
    assert "hx-trigger" not in fragment
    assert "<html" not in fragment


def test_the_status_of_a_failed_payment_offers_to_try_again(client, confirmed_order, buyer_user):
    client.force_login(buyer_user)
    payment = _open_pay_page(client, confirmed_order)
    SandboxGateway().payment_intent_settle(payment.payment_intent_id, succeed=False)

    fragment = client.get(
        reverse("payments:order-pay-status", args=[confirmed_order.pk])
    ).content.decode()

    assert "The payment did not go through" in fragment
    assert "Your card was declined. (sandbox) Nothing was charged." in fragment
    assert f'href="{_pay_url(confirmed_order)}">Try again</a>' in fragment
    assert "hx-trigger" not in fragment


# ---------- the order page ----------


def test_the_order_page_offers_the_buyer_to_pay_and_tells_the_seller_to_wait(
    client, confirmed_order, buyer_user, seller_user
):
    client.force_login(buyer_user)
    buyer_page = client.get(_order_url(confirmed_order)).content.decode()
    client.force_login(seller_user)
    seller_page = client.get(_order_url(confirmed_order)).content.decode()

    assert (
        f'<a class="btn btn-primary" href="{_pay_url(confirmed_order)}">Pay USD 1,081.50</a>'
        in buyer_page
    )
    assert "Waiting for the buyer to pay USD 1,081.50. Ship once the order is paid." in seller_page
    assert _pay_url(confirmed_order) not in seller_page
    assert not Payment.objects.exists()  # looking at the order starts nothing


def test_a_paid_order_page_has_no_pay_button(client, confirmed_order, buyer, buyer_user):
    pay(confirmed_order, company=buyer, actor=buyer_user)
    client.force_login(buyer_user)

    page = client.get(_order_url(confirmed_order)).content.decode()

    assert _pay_url(confirmed_order) not in page
    assert "<dt>Paid</dt>" in page


# ---------- the sandbox banner on every page ----------


def _pages(client, order: Order) -> list[str]:
    return [
        client.get(url).content.decode()
        for url in (reverse("home"), reverse("listings:search"), _order_url(order))
    ]


def test_the_sandbox_banner_is_on_every_page_while_the_sandbox_is_on(
    client, confirmed_order, buyer_user
):
    client.force_login(buyer_user)

    pages = _pages(client, confirmed_order)

    assert [BANNER in page for page in pages] == [True, True, True]
    assert ['aria-label="Payments sandbox"' in page for page in pages] == [True, True, True]


def test_no_sandbox_banner_when_the_sandbox_is_off(client, confirmed_order, buyer_user):
    client.force_login(buyer_user)

    with override_settings(PAYMENTS_SANDBOX=False):
        off = _pages(client, confirmed_order)
    with override_settings(STRIPE_SECRET_KEY="sk_test_h4", STRIPE_PUBLISHABLE_KEY="pk_test_h4"):
        stripe = _pages(client, confirmed_order)

    assert [BANNER in page for page in off + stripe] == [False] * 6


def test_the_context_processor_says_whether_the_sandbox_is_on(rf):
    from payments.context_processors import payments

    request = rf.get("/")
    on = payments(request)
    with override_settings(STRIPE_SECRET_KEY="sk_test_h4", STRIPE_PUBLISHABLE_KEY="pk_test_h4"):
        stripe = payments(request)

    assert on == {"payments_sandbox": True, "stripe_publishable_key": ""}
    assert stripe == {"payments_sandbox": False, "stripe_publishable_key": "pk_test_h4"}
