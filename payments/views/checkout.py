"""The buyer pays a confirmed order in the browser.

With a Stripe key the pay page mounts Stripe's Payment Element (js.stripe.com) on the
PaymentIntent's ``client_secret``; Stripe sends the buyer back to the return page, which
polls the payment's status until the webhook has marked the order paid. In the offline
sandbox (no key) the page says so and offers "Pay (sandbox)" / "Decline (sandbox)", which
settle the PaymentIntent exactly as the sandbox API does (signed webhook events included).

Every order is found through ``order_get_for_company`` (another company's order is a 404);
only the buying company pays (403); an order that is not confirmed cannot be paid (409 page,
no PaymentIntent created).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from marketplace.accounts.models import Company
from marketplace.core.exceptions import Conflict, NotFound
from marketplace.trade.money import Money
from orders import selectors as order_selectors
from orders.enums import OrderStatus
from orders.models import Order
from payments import collection
from payments.enums import OPEN_PAYMENT_STATUSES, PaymentStatus
from payments.gateway import GatewayError, PaymentsNotConfigured, sandbox_enabled
from payments.models import Payment
from payments.sandbox import SandboxGateway

SANDBOX_OUTCOMES = {"succeed": True, "decline": False}

# Statuses after "paid": the order's money has been collected.
PAID_OR_LATER = frozenset(
    {OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED}
)

# How often the return page asks whether the payment went through (htmx "every").
STATUS_POLL_SECONDS = 2


def company_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in and acting for a company (the view gets it); else the 403 page."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        company = getattr(request, "active_company", None)
        if not company:
            raise PermissionDenied("You do not act for a company.")
        return view(request, company, *args, **kwargs)

    return wrapper


def _order_for_buyer(company: Company, pk: int) -> Order:
    """The order if the company is a party (else 404); only its buyer pays it (else 403)."""
    try:
        order = order_selectors.order_get_for_company(company=company, order_id=pk)
    except NotFound:
        raise Http404("No such order among your company's.") from None
    if order.buyer_id != company.pk:
        raise PermissionDenied(f"Only the buyer of order {order.number} pays for it.")
    return order


def payment_latest_for_order(*, order: Order) -> Payment | None:
    """The order's latest payment attempt (the one the buyer is shown)."""
    return Payment.objects.filter(order=order).order_by("-attempt").first()


def _money(minor: int, currency: str) -> Money:
    return Money.from_minor_units(minor, currency)


def _not_payable(request: HttpRequest, order: Order, message: str = "") -> HttpResponse:
    """409: the order cannot be paid now (already paid, not confirmed yet, cancelled...)."""
    if not message:
        if order.status in PAID_OR_LATER:
            message = f"Order {order.number} is already paid: there is nothing more to pay."
        else:
            message = (
                f"Order {order.number} is {order.get_status_display().lower()}: only a "
                "confirmed order can be paid."
            )
    return render(
        request,
        "payments/not_payable.html",
        {"order": order, "message": message, "paid": order.status in PAID_OR_LATER},
        status=409,
    )


def _render_pay(
    request: HttpRequest, order: Order, payment: Payment, *, status: int = 200
) -> HttpResponse:
    sandbox = payment.sandbox and sandbox_enabled()
    publishable_key = "" if sandbox else settings.STRIPE_PUBLISHABLE_KEY
    return render(
        request,
        "payments/pay.html",
        {
            "order": order,
            "payment": payment,
            "amount": _money(payment.amount_minor, payment.currency),
            "order_total": _money(order.total_minor, order.currency),
            "sandbox": sandbox,
            "publishable_key": publishable_key,
            "stripe_ready": not sandbox and bool(publishable_key) and bool(payment.client_secret),
            "failed": payment.status == PaymentStatus.FAILED,
            "return_url": request.build_absolute_uri(
                reverse("payments:order-pay-return", args=[order.pk])
            ),
        },
        status=status,
    )


def _unavailable(request: HttpRequest, order: Order, message: str) -> HttpResponse:
    return render(
        request,
        "payments/not_payable.html",
        {"order": order, "message": message, "paid": False, "unavailable": True},
        status=503,
    )


def _payment_start(request: HttpRequest, company: Company, order: Order) -> Payment | HttpResponse:
    """The open PaymentIntent of the order (created on first visit), or the page that says
    why there is none."""
    if order.status != OrderStatus.CONFIRMED:
        return _not_payable(request, order)
    try:
        started = collection.payment_start(order=order, company=company, actor=request.user)  # type: ignore[arg-type]
    except Conflict as exc:  # paid or cancelled meanwhile
        order.refresh_from_db()
        return _not_payable(request, order, exc.message)
    except (GatewayError, PaymentsNotConfigured) as exc:
        return _unavailable(
            request,
            order,
            f"Card payments are not available right now ({exc}). Nothing was charged; "
            "please try again in a few minutes.",
        )
    return started.payment


@company_required
@require_GET
def order_pay(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    """``/orders/<id>/pay/``: pay a confirmed order (Payment Element, or the sandbox form)."""
    order = _order_for_buyer(company, pk)
    payment = _payment_start(request, company, order)
    if isinstance(payment, HttpResponse):
        return payment
    return _render_pay(request, order, payment)


@company_required
@require_POST
def order_pay_sandbox(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    """The sandbox plays the buyer's bank: the payment succeeds or is declined, and the
    sandbox sends the platform the signed webhook event Stripe would. 404 without the sandbox."""
    if not sandbox_enabled():
        raise Http404("The payments sandbox is off.")
    order = _order_for_buyer(company, pk)
    outcome = request.POST.get("outcome", "")
    if order.status != OrderStatus.CONFIRMED:
        return _not_payable(request, order)
    if outcome not in SANDBOX_OUTCOMES:
        messages.error(request, "Choose “Pay (sandbox)” or “Decline (sandbox)”.")
        latest = payment_latest_for_order(order=order)
        if latest is None or latest.status not in OPEN_PAYMENT_STATUSES:
            return redirect("payments:order-pay", pk=order.pk)
        return _render_pay(request, order, latest, status=400)
    payment = _payment_start(request, company, order)
    if isinstance(payment, HttpResponse):
        return payment
    if request.POST.get("payment_intent", "") != payment.payment_intent_id:
        # The page was stale (another tab started a new attempt): show the current one.
        messages.error(request, "This payment page was out of date; here is the current one.")
        return _render_pay(request, order, payment, status=409)
    try:
        SandboxGateway().payment_intent_settle(
            payment.payment_intent_id, succeed=SANDBOX_OUTCOMES[outcome]
        )
    except (Conflict, NotFound) as exc:
        order.refresh_from_db()
        return _not_payable(request, order, getattr(exc, "message", "") or str(exc))
    payment.refresh_from_db()
    order.refresh_from_db()
    if order.status == OrderStatus.PAID:
        messages.success(
            request,
            f"Payment received (sandbox, no real money moved): order {order.number} is paid "
            f"({_money(payment.amount_received_minor, payment.currency)}).",
        )
        return redirect("orders:detail", pk=order.pk)
    if payment.status == PaymentStatus.FAILED:
        # The pay page itself shows the reason (it stays on a reload) and the buttons again.
        return redirect("payments:order-pay", pk=order.pk)
    return redirect("payments:order-pay-return", pk=order.pk)


def _status_context(order: Order) -> dict[str, Any]:
    payment = payment_latest_for_order(order=order)
    if order.status in PAID_OR_LATER:
        state = "paid"
    elif payment is None:
        state = "none"
    elif payment.status == PaymentStatus.FAILED:
        state = "failed"
    elif payment.status == PaymentStatus.CANCELED:
        state = "canceled"
    elif order.status != OrderStatus.CONFIRMED:
        state = "not_payable"
    else:
        state = "processing"
    return {
        "order": order,
        "payment": payment,
        "state": state,
        "poll_seconds": STATUS_POLL_SECONDS,
        "amount": (
            _money(payment.amount_received_minor or payment.amount_minor, payment.currency)
            if payment is not None
            else None
        ),
    }


@company_required
@require_GET
def order_pay_return(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    """Where Stripe sends the buyer back: progress until the webhook has marked it paid."""
    order = _order_for_buyer(company, pk)
    return render(request, "payments/pay_return.html", _status_context(order))


@company_required
@require_GET
def order_pay_status(request: HttpRequest, company: Company, pk: int) -> HttpResponse:
    """The status fragment the return page polls (htmx); it stops polling once final."""
    order = _order_for_buyer(company, pk)
    return render(request, "payments/_pay_status.html", _status_context(order))
