"""A local stand-in of the Stripe API for tests, on pytest-httpserver.

Stripe cannot be reached from the machines that test this project, so the real ``stripe``
SDK is pointed at this stand-in instead. It answers the endpoints the platform uses, the way
Stripe does:

- ``POST /v1/payment_intents``, ``GET /v1/payment_intents/{id}``
- ``POST /v1/transfers``, ``GET /v1/transfers/{id}``
- ``POST /v1/refunds``, ``GET /v1/refunds/{id}``
- ``POST /v1/accounts``, ``GET /v1/accounts/{id}``, ``POST /v1/account_links``
- ``GET /v1/balance`` (the platform's, or a connected account's with ``Stripe-Account``)

Writes honour ``Idempotency-Key`` as Stripe does: the same key with the same parameters
replays the first answer (same object, no second one, ``Idempotent-Replayed: true``); the same
key with other parameters is a 400 ``idempotency_error``. Every request is recorded
(``requests``: method, path, the form parameters in Stripe's bracket encoding such as
``metadata[order_number]``, and the headers) so tests can assert what the SDK sent.

Failures are injected per endpoint: ``fail(...)`` answers 5xx (or drops the connection) the
next N times, before anything is executed (no object made, nothing saved for the key), then
the endpoint works again; ``refuse(...)`` answers a 400/402 Stripe error (card declined,
invalid request) every time until ``clear_failures()``.

Use it through the fixtures (``tests/payments/conftest.py`` imports them; elsewhere import
them into a conftest)::

    from tests.payments.stripe_standin import stripe_mode, stripe_standin  # noqa: F401

``stripe_standin`` is the stand-in; ``stripe_mode`` also points the platform at it
(``STRIPE_SECRET_KEY``, ``STRIPE_API_BASE``, ``STRIPE_WEBHOOK_SECRET``, sandbox off) and
returns it. ``send_event`` delivers a webhook event signed exactly as Stripe signs it
(``Stripe-Signature: t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<body>">``), independent of the
platform's own signing code.
"""

import contextlib
import hashlib
import hmac
import json
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import override_settings
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
ZERO_DECIMAL = frozenset(
    {
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga",
        "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
    }
)  # fmt: skip

SECRET_KEY = "sk_test_standin_0123456789"
WEBHOOK_SECRET = "whsec_standin_3f1c9a7be2d54e8a"


def stripe_signature(payload: bytes, *, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe sends: ``t=<ts>,v1=<HMAC-SHA256 hex>`` of
    ``"<ts>." + body`` keyed with the endpoint secret (written here from Stripe's docs, not
    taken from the platform's code)."""
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def form_to_nested(form: dict[str, str]) -> dict[str, Any]:
    """``{"metadata[order_number]": "X"}`` → ``{"metadata": {"order_number": "X"}}``."""
    nested: dict[str, Any] = {}
    for key, value in form.items():
        parts = re.findall(r"[^\[\]]+", key)
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return nested


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    form: dict[str, str]
    query: dict[str, str]
    headers: dict[str, str]

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("Idempotency-Key")

    @property
    def stripe_account(self) -> str | None:
        return self.headers.get("Stripe-Account")


@dataclass
class _Failure:
    method: str
    path: re.Pattern[str]
    times: int | None  # None: every time
    status: int
    kind: str  # "http" or "connection"
    error_type: str
    code: str
    message: str
    decline_code: str = ""


@dataclass
class _Saved:
    form: dict[str, str]
    path: str
    status: int
    body: dict[str, Any]


class StandInError(Exception):
    def __init__(self, status: int, error_type: str, message: str, code: str = "", param: str = ""):
        super().__init__(message)
        self.status = status
        self.body = {
            "error": {
                k: v
                for k, v in {
                    "type": error_type,
                    "message": message,
                    "code": code,
                    "param": param,
                }.items()
                if v
            }
        }


def _missing(kind: str, object_id: str) -> StandInError:
    return StandInError(
        404, "invalid_request_error", f"No such {kind}: '{object_id}'", "resource_missing", "id"
    )


def _int(form: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    raw = form.get(name)
    if raw is None:
        if required:
            raise StandInError(
                400, "invalid_request_error", f"Missing required param: {name}.",
                "parameter_missing", name,
            )  # fmt: skip
        return None
    if not re.fullmatch(r"\d+", str(raw)):
        raise StandInError(
            400, "invalid_request_error", f"Invalid integer: {raw}", "parameter_invalid_integer",
            name,
        )  # fmt: skip
    return int(raw)


def _check_amount(amount: int, currency: str, *, param: str = "amount") -> None:
    if amount < 1:
        raise StandInError(
            400, "invalid_request_error", "Amount must be at least 1.", "amount_too_small", param
        )
    if currency in THREE_DECIMAL and amount % 10:
        raise StandInError(
            400,
            "invalid_request_error",
            f"Amounts in {currency.upper()} must be divisible by 10 (the last digit is 0).",
            "invalid_amount",
            param,
        )


class StripeStandIn:
    """The stand-in's state and behaviour; see the module docstring."""

    def __init__(self, server: HTTPServer):
        self.server = server
        self.api_base = server.url_for("").rstrip("/")
        self.webhook_secret = WEBHOOK_SECRET
        self.requests: list[RecordedRequest] = []
        self.objects: dict[str, dict[str, Any]] = {}
        self.balances: dict[str, dict[str, int]] = {}  # account ("" = platform) → currency
        self._saved: dict[tuple[str, str], _Saved] = {}
        self._failures: list[_Failure] = []
        self._observers: list[Callable[[RecordedRequest], None]] = []
        self._lock = threading.Lock()
        server.expect_request(re.compile(r"^/v1/.*")).respond_with_handler(self._handle)

    # --- what tests set up ------------------------------------------------------------

    def fail(
        self,
        method: str,
        path: str,
        *,
        times: int = 1,
        status: int = 500,
        connection: bool = False,
    ) -> None:
        """The next ``times`` requests to ``method path`` (a regex, anchored) fail before they
        are executed: a Stripe ``api_error`` with ``status``, or a dropped connection."""
        self._failures.append(
            _Failure(
                method=method.upper(),
                path=re.compile(f"^{path}$"),
                times=times,
                status=status,
                kind="connection" if connection else "http",
                error_type="api_error",
                code="",
                message="An unknown error occurred (stand-in).",
            )
        )

    def refuse(
        self,
        method: str,
        path: str,
        *,
        status: int = 400,
        error_type: str = "invalid_request_error",
        code: str = "parameter_invalid",
        message: str = "Invalid request (stand-in).",
        times: int | None = None,
        decline_code: str = "",
    ) -> None:
        """Answer ``method path`` with a Stripe error (e.g. 402 ``card_error``
        ``card_declined``, 400 ``invalid_request_error``) every time (or ``times`` times)."""
        self._failures.append(
            _Failure(
                method=method.upper(),
                path=re.compile(f"^{path}$"),
                times=times,
                status=status,
                kind="http",
                error_type=error_type,
                code=code,
                message=message,
                decline_code=decline_code,
            )
        )

    def clear_failures(self) -> None:
        self._failures.clear()

    def observe(self, callback: Callable[[RecordedRequest], None]) -> None:
        """Call ``callback(request)`` in the server's thread when a request arrives, before it is
        answered (e.g. to look at the database as Stripe receives the call)."""
        self._observers.append(callback)

    def account_add(
        self,
        *,
        country: str = "US",
        payouts_enabled: bool = True,
        account_id: str | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A connected account made outside the platform's calls (e.g. already onboarded)."""
        account = self._account_object(
            account_id or self._id("acct"), country=country, email="", name=""
        )
        if payouts_enabled:
            account.update(self._onboarded())
        account.update(extra)
        self.objects[account["id"]] = account
        return account

    def account_onboard(self, account_id: str) -> dict[str, Any]:
        """The seller finished onboarding at Stripe: payouts enabled (send account.updated)."""
        account = self.objects[account_id]
        account.update(self._onboarded())
        return account

    def balance_set(self, *, account: str = "", currency: str, amount: int) -> None:
        self.balances.setdefault(account, {})[currency.lower()] = amount

    def payment_intent_succeed(self, payment_intent_id: str) -> dict[str, Any]:
        """The buyer's payment went through: the PaymentIntent as Stripe then shows it."""
        intent = self.objects[payment_intent_id]
        charge_id = self._id("ch")
        intent.update(
            status="succeeded",
            amount_received=intent["amount"],
            latest_charge=charge_id,
            last_payment_error=None,
        )
        self.objects[charge_id] = {
            "id": charge_id,
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": intent["amount"],
            "amount_refunded": 0,
            "captured": True,
            "currency": intent["currency"],
            "payment_intent": payment_intent_id,
            "refunded": False,
            "transfer_group": intent.get("transfer_group"),
        }
        return dict(intent)

    def payment_intent_decline(self, payment_intent_id: str) -> dict[str, Any]:
        intent = self.objects[payment_intent_id]
        intent.update(
            status="requires_payment_method",
            last_payment_error={
                "type": "card_error",
                "code": "card_declined",
                "decline_code": "insufficient_funds",
                "message": "Your card has insufficient funds.",
            },
        )
        return dict(intent)

    def refund_at_dashboard(self, payment_intent_id: str, amount: int) -> dict[str, Any]:
        """Someone refunded at the Stripe dashboard: returns the charge (for charge.refunded)."""
        refund = self._refund_make({"payment_intent": payment_intent_id, "amount": str(amount)})
        return dict(self.objects[refund["charge"]])

    def transfer_reverse(self, transfer_id: str) -> dict[str, Any]:
        transfer = self.objects[transfer_id]
        transfer.update(reversed=True, amount_reversed=transfer["amount"])
        balance = self.balances.setdefault(transfer["destination"], {})
        balance[transfer["currency"]] = balance.get(transfer["currency"], 0) - transfer["amount"]
        return dict(transfer)

    def charge(self, payment_intent_id: str) -> dict[str, Any]:
        return dict(self.objects[self.objects[payment_intent_id]["latest_charge"]])

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [obj for obj in self.objects.values() if obj["object"] == kind]

    # --- what tests assert ------------------------------------------------------------

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        pattern = re.compile(f"^{path}$")
        return [r for r in self.requests if r.method == method.upper() and pattern.match(r.path)]

    # --- webhooks, as Stripe sends them -------------------------------------------------

    def event(self, event_type: str, obj: dict[str, Any], *, event_id: str | None = None) -> dict:
        return {
            "id": event_id or self._id("evt"),
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "type": event_type,
            "data": {"object": obj},
        }

    def sign(self, payload: bytes, *, timestamp: int | None = None) -> str:
        return stripe_signature(payload, secret=self.webhook_secret, timestamp=timestamp)

    def send_event(self, client: Any, event: dict[str, Any]) -> Any:
        """POST ``event`` to ``/webhooks/stripe/`` signed as Stripe signs it."""
        payload = json.dumps(event).encode()
        return client.post(
            "/webhooks/stripe/",
            data=payload,
            content_type="application/json",
            headers={"Stripe-Signature": self.sign(payload)},
        )

    # --- the server side ----------------------------------------------------------------

    @staticmethod
    def _id(prefix: str) -> str:
        return f"{prefix}_standin{secrets.token_hex(8)}"

    @staticmethod
    def _onboarded() -> dict[str, Any]:
        return {
            "charges_enabled": True,
            "payouts_enabled": True,
            "details_submitted": True,
            "requirements": {"currently_due": [], "eventually_due": [], "past_due": []},
            "capabilities": {"transfers": "active"},
        }

    def _handle(self, request: Request) -> Response:
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            form=dict(request.form.items()),
            query=dict(request.args.items()),
            headers=dict(request.headers.items()),
        )
        with self._lock:
            self.requests.append(recorded)
        for observer in self._observers:
            observer(recorded)
        failure = self._failure_for(recorded)
        if failure is not None:
            if failure.kind == "connection":
                return self._drop(request)
            error: dict[str, Any] = {"type": failure.error_type, "message": failure.message}
            if failure.code:
                error["code"] = failure.code
            if failure.decline_code:
                error["decline_code"] = failure.decline_code
            return self._json(failure.status, {"error": error})
        with self._lock:
            return self._execute(recorded)

    def _failure_for(self, recorded: RecordedRequest) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.method == recorded.method and failure.path.match(recorded.path):
                    if failure.times is not None:
                        failure.times -= 1
                        if failure.times <= 0:
                            self._failures.remove(failure)
                    return failure
        return None

    @staticmethod
    def _drop(request: Request) -> Response:
        sock = request.environ.get("werkzeug.socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        return Response(b"", status=500)

    @staticmethod
    def _json(status: int, body: dict[str, Any], *, replayed: bool = False) -> Response:
        headers = {"Request-Id": f"req_{secrets.token_hex(7)}"}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(
            json.dumps(body), status=status, headers=headers, content_type="application/json"
        )

    def _execute(self, recorded: RecordedRequest) -> Response:
        key = recorded.idempotency_key
        scope = (recorded.stripe_account or "", key) if key and recorded.method == "POST" else None
        if scope is not None and scope in self._saved:
            saved = self._saved[scope]
            if saved.form != recorded.form or saved.path != recorded.path:
                return self._json(
                    400,
                    {
                        "error": {
                            "type": "idempotency_error",
                            "message": "Keys for idempotent requests can only be used with the "
                            "same parameters they were first used with.",
                        }
                    },
                )
            return self._json(saved.status, saved.body, replayed=True)
        try:
            status, body = 200, self._route(recorded)
        except StandInError as exc:
            status, body = exc.status, exc.body
        if scope is not None and status < 500:
            self._saved[scope] = _Saved(
                form=recorded.form, path=recorded.path, status=status, body=body
            )
        return self._json(status, body)

    def _route(self, r: RecordedRequest) -> dict[str, Any]:
        form = form_to_nested(r.form)
        routes: list[tuple[str, str, Callable[..., dict[str, Any]]]] = [
            ("POST", r"/v1/payment_intents", lambda: self._payment_intent_make(form)),
            ("POST", r"/v1/transfers", lambda: self._transfer_make(form)),
            ("POST", r"/v1/refunds", lambda: self._refund_make(form)),
            ("POST", r"/v1/accounts", lambda: self._account_make(form)),
            ("POST", r"/v1/account_links", lambda: self._account_link_make(form)),
            ("GET", r"/v1/balance", lambda: self._balance(r.stripe_account or "")),
            ("GET", r"/v1/transfers", lambda: self._list("transfer", "transfer_group", r)),
            ("GET", r"/v1/refunds", lambda: self._list("refund", "payment_intent", r)),
        ]
        for method, path, action in routes:
            if r.method == method and re.fullmatch(path, r.path):
                return action()
        match = re.fullmatch(r"/v1/(payment_intents|transfers|refunds|accounts)/([^/]+)", r.path)
        if r.method == "GET" and match:
            kind = match[1].removesuffix("s")
            obj = self.objects.get(match[2])
            if obj is None or obj["object"] != kind:
                raise _missing(kind, match[2])
            return dict(obj)
        raise StandInError(
            404, "invalid_request_error", f"Unrecognized request URL ({r.method}: {r.path})."
        )

    def _list(self, kind: str, by: str, r: RecordedRequest) -> dict[str, Any]:
        """A list endpoint filtered as Stripe filters it (``?transfer_group=``, ``?payment_intent=``)."""
        wanted = r.query.get(by)
        data = [
            dict(obj)
            for obj in self.objects.values()
            if obj["object"] == kind and (wanted is None or obj.get(by) == wanted)
        ]
        return {"object": "list", "url": r.path, "has_more": False, "data": data[::-1]}

    def _payment_intent_make(self, form: dict[str, Any]) -> dict[str, Any]:
        currency = str(form.get("currency", "")).lower()
        amount = _int(form, "amount")
        assert amount is not None
        if not currency:
            raise StandInError(
                400, "invalid_request_error", "Missing required param: currency.",
                "parameter_missing", "currency",
            )  # fmt: skip
        _check_amount(amount, currency)
        intent_id = self._id("pi")
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_received": 0,
            "automatic_payment_methods": {
                "enabled": form.get("automatic_payment_methods", {}).get("enabled") == "true"
            },
            "client_secret": f"{intent_id}_secret_{secrets.token_hex(12)}",
            "created": int(time.time()),
            "currency": currency,
            "description": form.get("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": form.get("metadata", {}),
            "status": "requires_payment_method",
            "transfer_group": form.get("transfer_group"),
        }
        self.objects[intent_id] = intent
        return dict(intent)

    def _transfer_make(self, form: dict[str, Any]) -> dict[str, Any]:
        currency = str(form.get("currency", "")).lower()
        amount = _int(form, "amount")
        assert amount is not None
        _check_amount(amount, currency)
        destination = str(form.get("destination", ""))
        account = self.objects.get(destination)
        if account is None or account["object"] != "account":
            raise StandInError(
                400, "invalid_request_error", f"No such destination: '{destination}'",
                "resource_missing", "destination",
            )  # fmt: skip
        if not account.get("payouts_enabled"):
            raise StandInError(
                400,
                "invalid_request_error",
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                "insufficient_capabilities_for_transfer",
                "destination",
            )
        transfer_id = self._id("tr")
        transfer = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "created": int(time.time()),
            "currency": currency,
            "destination": destination,
            "livemode": False,
            "metadata": form.get("metadata", {}),
            "reversed": False,
            "transfer_group": form.get("transfer_group"),
        }
        self.objects[transfer_id] = transfer
        balance = self.balances.setdefault(destination, {})
        balance[currency] = balance.get(currency, 0) + amount
        return dict(transfer)

    def _refund_make(self, form: dict[str, Any]) -> dict[str, Any]:
        intent_id = str(form.get("payment_intent", ""))
        intent = self.objects.get(intent_id)
        if intent is None or intent["object"] != "payment_intent":
            raise StandInError(
                400, "invalid_request_error", f"No such payment_intent: '{intent_id}'",
                "resource_missing", "payment_intent",
            )  # fmt: skip
        if intent["status"] != "succeeded" or not intent.get("latest_charge"):
            raise StandInError(
                400, "invalid_request_error",
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                "charge_not_refundable", "payment_intent",
            )  # fmt: skip
        charge = self.objects[intent["latest_charge"]]
        remaining = charge["amount_captured"] - charge["amount_refunded"]
        amount = _int(form, "amount", required=False)
        amount = remaining if amount is None else amount
        _check_amount(amount, intent["currency"])
        if amount > remaining:
            raise StandInError(
                400, "invalid_request_error",
                f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                f"({remaining})", "amount_too_large", "amount",
            )  # fmt: skip
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] >= charge["amount_captured"]
        refund_id = self._id("re")
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "created": int(time.time()),
            "currency": intent["currency"],
            "metadata": form.get("metadata", {}),
            "payment_intent": intent_id,
            "reason": form.get("reason"),
            "status": "succeeded",
        }
        self.objects[refund_id] = refund
        return dict(refund)

    @staticmethod
    def _account_object(account_id: str, *, country: str, email: str, name: str) -> dict:
        return {
            "id": account_id,
            "object": "account",
            "business_profile": {"name": name or None},
            "business_type": "company",
            "capabilities": {"transfers": "inactive"},
            "charges_enabled": False,
            "country": country,
            "created": int(time.time()),
            "details_submitted": False,
            "email": email or None,
            "payouts_enabled": False,
            "requirements": {
                "currently_due": ["external_account", "tos_acceptance.date"],
                "eventually_due": ["external_account", "tos_acceptance.date"],
                "past_due": [],
            },
            "type": "express",
        }

    def _account_make(self, form: dict[str, Any]) -> dict[str, Any]:
        if form.get("type") not in ("express", "standard", "custom"):
            raise StandInError(
                400, "invalid_request_error", "Invalid type.", "parameter_invalid", "type"
            )
        account = self._account_object(
            self._id("acct"),
            country=str(form.get("country", "US")),
            email=str(form.get("email", "")),
            name=str(form.get("business_profile", {}).get("name", "")),
        )
        self.objects[account["id"]] = account
        return dict(account)

    def _account_link_make(self, form: dict[str, Any]) -> dict[str, Any]:
        account_id = str(form.get("account", ""))
        if account_id not in self.objects:
            raise _missing("account", account_id)
        for name in ("refresh_url", "return_url", "type"):
            if not form.get(name):
                raise StandInError(
                    400, "invalid_request_error", f"Missing required param: {name}.",
                    "parameter_missing", name,
                )  # fmt: skip
        now = int(time.time())
        return {
            "object": "account_link",
            "created": now,
            "expires_at": now + 300,
            "url": f"https://connect.stripe.com/setup/e/{account_id}/{secrets.token_hex(10)}",
        }

    def _balance(self, account: str) -> dict[str, Any]:
        if account and account not in self.objects:
            raise StandInError(
                403,
                "invalid_request_error",
                f"The provided key does not have access to account '{account}'.",
                "account_invalid",
            )
        amounts = self.balances.get(account, {})
        return {
            "object": "balance",
            "available": [{"amount": v, "currency": c} for c, v in sorted(amounts.items())],
            "livemode": False,
            "pending": [{"amount": 0, "currency": c} for c in sorted(amounts)],
        }


@pytest.fixture
def stripe_standin(httpserver: HTTPServer) -> StripeStandIn:
    """The Stripe stand-in on a local port (the platform is NOT pointed at it: see
    ``stripe_mode``)."""
    return StripeStandIn(httpserver)


@pytest.fixture
def stripe_mode(stripe_standin: StripeStandIn) -> Iterator[StripeStandIn]:
    """The platform talks to the stand-in with the real ``stripe`` SDK: a Stripe key is set,
    the offline sandbox is off, and webhooks are verified with the stand-in's secret."""
    with override_settings(
        STRIPE_SECRET_KEY=SECRET_KEY,
        STRIPE_PUBLISHABLE_KEY="pk_test_standin_0123456789",
        STRIPE_API_BASE=stripe_standin.api_base,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        PAYMENTS_SANDBOX=False,
    ):
        yield stripe_standin


__all__ = [
    "RecordedRequest",
    "StripeStandIn",
    "form_to_nested",
    "stripe_mode",
    "stripe_signature",
    "stripe_standin",
]
