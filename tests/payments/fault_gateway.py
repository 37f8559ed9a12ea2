"""What the settlement, refund, dispute and fault tests share: a local stand-in of the Stripe
API for transfers and refunds (the real SDK talks to it over HTTP, with Stripe's idempotency:
the same key gets the same answer), and helpers that drive an order through the real services.

The stand-in's memory lives outside the database, as Stripe's does: a transaction rolled back
after the gateway answered (a worker killed mid-task) does not undo the transfer.
"""

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.test import override_settings
from werkzeug import Request, Response

from orders import services as order_services
from orders.models import Order
from tests.payments.conftest import pay, stripe_account_ready


def _metadata(form: dict[str, str]) -> dict[str, str]:
    """``metadata[settlement_id]=7`` form fields as Stripe stores them: ``{"settlement_id": "7"}``."""
    return {
        name[len("metadata[") : -1]: value
        for name, value in form.items()
        if name.startswith("metadata[") and name.endswith("]")
    }


@dataclass
class Seen:
    path: str
    idempotency_key: str
    form: dict[str, str]
    stripe_account: str = ""


@dataclass
class StripeStandIn:
    """POST /v1/transfers and /v1/refunds, answered like Stripe (form parameters in, JSON out)."""

    server: Any
    requests: list[Seen] = field(default_factory=list)
    transfers: list[dict] = field(default_factory=list)
    refunds: list[dict] = field(default_factory=list)
    # Answers to give before doing the work (status, Stripe error body): a 500 is a gateway
    # error (retry), a 400 a refusal. Not remembered under the key (nothing was executed).
    failures: list[tuple[int, dict]] = field(default_factory=list)
    fail_always: tuple[int, dict] | None = None
    # Answers to give AFTER doing the work (a 500 whose transfer or refund was made all the
    # same: the outcome is unclear to the caller). Stripe stores such an answer under the key.
    failures_after: list[tuple[int, dict]] = field(default_factory=list)
    # Set when a transfer has been made; the answer waits until ``release`` is set.
    transfer_made: threading.Event = field(default_factory=threading.Event)
    release: threading.Event | None = None
    _answers: dict[str, tuple[int, dict]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.server.expect_request("/v1/transfers", method="POST").respond_with_handler(
            self._transfer
        )
        self.server.expect_request("/v1/refunds", method="POST").respond_with_handler(self._refund)
        self.server.expect_request("/v1/transfers", method="GET").respond_with_handler(
            lambda request: self._list(request, self.transfers, "transfer_group")
        )
        self.server.expect_request("/v1/refunds", method="GET").respond_with_handler(
            lambda request: self._list(request, self.refunds, "payment_intent")
        )

    def _list(self, request: Request, objects: list[dict], by: str) -> Response:
        """Stripe's list endpoints, filtered like ``?transfer_group=`` (newest first)."""
        with self._lock:
            self.requests.append(Seen(request.path, "", request.args.to_dict()))
            wanted = request.args.get(by)
            data = [dict(o) for o in objects if wanted is None or o.get(by) == wanted][::-1]
        body = {"object": "list", "url": request.path, "has_more": False, "data": data}
        return Response(json.dumps(body), status=200, content_type="application/json")

    def settings(self) -> override_settings:
        return override_settings(
            STRIPE_SECRET_KEY="sk_test_standin",
            STRIPE_API_BASE=self.base_url,
            STRIPE_MAX_NETWORK_RETRIES=0,
            STRIPE_WEBHOOK_SECRET="whsec_standin",
        )

    @property
    def base_url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def _answer(
        self, request: Request, kind: str, make: Callable[[dict[str, str]], dict]
    ) -> Response:
        key = request.headers.get("Idempotency-Key", "")
        form = request.form.to_dict()
        with self._lock:
            self.requests.append(
                Seen(request.path, key, form, request.headers.get("Stripe-Account", ""))
            )
            failure = self.failures.pop(0) if self.failures else self.fail_always
            if failure is None and key not in self._answers:
                made = make(form)
                after = self.failures_after.pop(0) if self.failures_after else None
                self._answers[key] = after if after is not None else (200, made)
            status, body = failure if failure is not None else self._answers[key]
        if failure is None and kind == "transfer" and self.release is not None:
            self.transfer_made.set()
            self.release.wait(timeout=60)
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _transfer(self, request: Request) -> Response:
        def make(form: dict[str, str]) -> dict:
            transfer = {
                "id": f"tr_standin_{secrets.token_hex(6)}",
                "object": "transfer",
                "amount": int(form["amount"]),
                "currency": form["currency"],
                "destination": form["destination"],
                "transfer_group": form.get("transfer_group", ""),
                "reversed": False,
                "amount_reversed": 0,
                "metadata": _metadata(form),
            }
            self.transfers.append(transfer)
            return transfer

        return self._answer(request, "transfer", make)

    def _refund(self, request: Request) -> Response:
        def make(form: dict[str, str]) -> dict:
            refund = {
                "id": f"re_standin_{secrets.token_hex(6)}",
                "object": "refund",
                "amount": int(form["amount"]),
                "currency": form.get("currency", "usd"),
                "payment_intent": form["payment_intent"],
                "status": "succeeded",
                "metadata": _metadata(form),
            }
            self.refunds.append(refund)
            return refund

        return self._answer(request, "refund", make)


API_ERROR = (500, {"error": {"type": "api_error", "message": "Stripe is having a moment."}})
ACCOUNT_INVALID = (
    400,
    {
        "error": {
            "type": "invalid_request_error",
            "code": "account_invalid",
            "message": "The destination account cannot receive transfers.",
        }
    },
)


def delivered(order: Order, *, buyer, buyer_user, seller, seller_user) -> Order:
    """Paid in the sandbox, the seller onboarded for transfers, shipped and delivered."""
    pay(order, company=buyer, actor=buyer_user)
    stripe_account_ready(seller)
    order = Order.objects.get(pk=order.pk)
    order = order_services.order_ship(
        order=order, actor=seller_user, carrier="Maersk", tracking_number="MSKU1234567"
    )
    return order_services.order_confirm_delivery(order=order, actor=buyer_user)


def completed(order: Order, *, buyer, buyer_user, seller, seller_user) -> Order:
    order = delivered(
        order, buyer=buyer, buyer_user=buyer_user, seller=seller, seller_user=seller_user
    )
    return order_services.order_accept(order=order, actor=buyer_user)


def disputed(order: Order, *, buyer, buyer_user, seller, seller_user) -> Order:
    order = delivered(
        order, buyer=buyer, buyer_user=buyer_user, seller=seller, seller_user=seller_user
    )
    return order_services.order_dispute_open(
        order=order, actor=buyer_user, reason="Half the bolts are M6, not M8."
    )


def wait_until(condition: Callable[[], bool], *, timeout: float = 30.0) -> None:
    """Poll until the worker's effect is visible (the tests assert on state, not on time)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("The worker did not get there in time.")
        time.sleep(0.05)
