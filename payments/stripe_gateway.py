"""The Stripe implementation of ``PaymentGateway`` with the official ``stripe`` SDK.

One ``StripeClient`` per process (``STRIPE_API_BASE`` points it elsewhere, e.g. at the tests'
local stand-in). Retries are explicit: the SDK retries network errors and 409/429/5xx answers
``STRIPE_MAX_NETWORK_RETRIES`` times with backoff, always with the same idempotency key, so a
retried write is applied once. Whatever is still failing reaches the caller as
``GatewayError`` (retry later) or ``GatewayRefused`` (do not retry).

Separate charges and transfers: the buyer's PaymentIntent is created on the platform account
with ``transfer_group`` = order number; the seller's share is a Transfer to the connected
account in the same group, made only when the order settles.
"""

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import stripe
from django.conf import settings

from payments.gateway import (
    GatewayAccount,
    GatewayError,
    GatewayPaymentIntent,
    GatewayRefund,
    GatewayRefused,
    GatewayTransfer,
    gateway_amount,
)


@lru_cache(maxsize=4)
def _client(api_key: str, api_base: str, retries: int, timeout: int) -> stripe.StripeClient:
    http_client = stripe.RequestsClient(timeout=timeout) if _has_requests() else None
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base},
        max_network_retries=retries,
        http_client=http_client,
    )


def _has_requests() -> bool:
    try:
        import requests  # noqa: F401
    except ImportError:
        return False
    return True


def _plain(obj: Any) -> dict[str, Any]:
    """The SDK's answer as plain dicts and lists (a ``StripeObject`` is not a mapping: since
    stripe 13 iterating it, e.g. ``dict(intent.metadata)``, raises ``TypeError``)."""
    if isinstance(obj, stripe.StripeObject):
        return obj.to_dict()
    return dict(obj)


def _translate(call: Callable[[], Any]) -> dict[str, Any]:
    """Run one SDK call; turn its errors into the gateway's two kinds; the answer as a dict."""
    try:
        return _plain(call())
    except (stripe.InvalidRequestError, stripe.PermissionError, stripe.CardError) as exc:
        raise GatewayRefused(_message(exc), code=exc.code or type(exc).__name__) from exc
    except stripe.AuthenticationError as exc:
        raise GatewayRefused(_message(exc), code="authentication") from exc
    except stripe.IdempotencyError as exc:
        # The same key with different parameters: a bug on our side, never retried blindly.
        raise GatewayRefused(_message(exc), code="idempotency") from exc
    except stripe.StripeError as exc:  # connection, rate limit, API error (5xx)
        raise GatewayError(_message(exc), code=exc.code or type(exc).__name__) from exc


def _message(exc: stripe.StripeError) -> str:
    return f"{type(exc).__name__}: {exc.user_message or str(exc)}"[:2000]


def _get(obj: Any, name: str, default: Any = None) -> Any:
    value = obj.get(name) if isinstance(obj, dict) else None
    return default if value is None else value


def _id_of(value: Any) -> str:
    """An id, whether the API answered it as a string or as an expanded object."""
    return str(_get(value, "id", "")) if isinstance(value, dict) else str(value or "")


def _intent(obj: Any) -> GatewayPaymentIntent:
    error = _get(obj, "last_payment_error")
    return GatewayPaymentIntent(
        id=obj["id"],
        client_secret=_get(obj, "client_secret", ""),
        amount_minor=int(obj["amount"]),
        amount_received_minor=int(_get(obj, "amount_received", 0)),
        currency=str(obj["currency"]).upper(),
        status=obj["status"],
        latest_charge=_id_of(_get(obj, "latest_charge", "")),
        last_error=_get(error, "message", "") if error else "",
        metadata=dict(_get(obj, "metadata", {}) or {}),
    )


def _transfer(obj: Any) -> GatewayTransfer:
    return GatewayTransfer(
        id=obj["id"],
        amount_minor=int(obj["amount"]),
        currency=str(obj["currency"]).upper(),
        destination=_id_of(_get(obj, "destination", "")),
        transfer_group=_get(obj, "transfer_group", ""),
        reversed=bool(_get(obj, "reversed", False)),
        amount_reversed_minor=int(_get(obj, "amount_reversed", 0)),
        metadata=dict(_get(obj, "metadata", {}) or {}),
    )


def _refund(obj: Any) -> GatewayRefund:
    return GatewayRefund(
        id=obj["id"],
        amount_minor=int(obj["amount"]),
        currency=str(obj["currency"]).upper(),
        payment_intent=_id_of(_get(obj, "payment_intent", "")),
        status=_get(obj, "status", "pending"),
        metadata=dict(_get(obj, "metadata", {}) or {}),
    )


def _account(obj: Any) -> GatewayAccount:
    requirements = _get(obj, "requirements", {}) or {}
    return GatewayAccount(
        id=obj["id"],
        country=_get(obj, "country", ""),
        charges_enabled=bool(_get(obj, "charges_enabled", False)),
        payouts_enabled=bool(_get(obj, "payouts_enabled", False)),
        details_submitted=bool(_get(obj, "details_submitted", False)),
        requirements_due=list(_get(requirements, "currently_due", []) or []),
    )


class StripeGateway:
    name = "stripe"
    sandbox = False

    def __init__(self, client: stripe.StripeClient):
        self.client = client

    @classmethod
    def from_settings(cls) -> "StripeGateway":
        return cls(
            _client(
                settings.STRIPE_SECRET_KEY,
                settings.STRIPE_API_BASE.rstrip("/"),
                settings.STRIPE_MAX_NETWORK_RETRIES,
                settings.STRIPE_TIMEOUT_SECONDS,
            )
        )

    def payment_intent_create(
        self,
        *,
        amount_minor: int,
        currency: str,
        transfer_group: str,
        idempotency_key: str,
        metadata: dict[str, str],
        description: str = "",
    ) -> GatewayPaymentIntent:
        params: dict[str, Any] = {
            "amount": gateway_amount(amount_minor=amount_minor, currency=currency),
            "currency": currency.lower(),
            "transfer_group": transfer_group,
            "automatic_payment_methods": {"enabled": True},
            "metadata": metadata,
        }
        if description:
            params["description"] = description
        return _intent(
            _translate(
                lambda: self.client.v1.payment_intents.create(
                    params=params,  # type: ignore[arg-type]
                    options={"idempotency_key": idempotency_key},
                )
            )
        )

    def payment_intent_retrieve(self, payment_intent_id: str) -> GatewayPaymentIntent:
        return _intent(
            _translate(lambda: self.client.v1.payment_intents.retrieve(payment_intent_id))
        )

    def transfer_create(
        self,
        *,
        amount_minor: int,
        currency: str,
        destination: str,
        transfer_group: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> GatewayTransfer:
        params: dict[str, Any] = {
            "amount": amount_minor,
            "currency": currency.lower(),
            "destination": destination,
            "transfer_group": transfer_group,
            "metadata": metadata,
        }
        return _transfer(
            _translate(
                lambda: self.client.v1.transfers.create(
                    params=params,  # type: ignore[arg-type]
                    options={"idempotency_key": idempotency_key},
                )
            )
        )

    def transfer_retrieve(self, transfer_id: str) -> GatewayTransfer:
        return _transfer(_translate(lambda: self.client.v1.transfers.retrieve(transfer_id)))

    def transfers_for_group(self, transfer_group: str) -> list[GatewayTransfer]:
        params: dict[str, Any] = {"transfer_group": transfer_group, "limit": 100}
        page = _translate(
            lambda: self.client.v1.transfers.list(params=params)  # type: ignore[arg-type]
        )
        return [_transfer(item) for item in page.get("data", [])]

    def refund_create(
        self,
        *,
        payment_intent_id: str,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> GatewayRefund:
        params: dict[str, Any] = {
            "payment_intent": payment_intent_id,
            "amount": amount_minor,
            "metadata": metadata,
        }
        return _refund(
            _translate(
                lambda: self.client.v1.refunds.create(
                    params=params,  # type: ignore[arg-type]
                    options={"idempotency_key": idempotency_key},
                )
            )
        )

    def refund_retrieve(self, refund_id: str) -> GatewayRefund:
        return _refund(_translate(lambda: self.client.v1.refunds.retrieve(refund_id)))

    def refunds_for_payment_intent(self, payment_intent_id: str) -> list[GatewayRefund]:
        params: dict[str, Any] = {"payment_intent": payment_intent_id, "limit": 100}
        page = _translate(
            lambda: self.client.v1.refunds.list(params=params)  # type: ignore[arg-type]
        )
        return [_refund(item) for item in page.get("data", [])]

    def account_create(
        self, *, country: str, email: str, business_name: str, idempotency_key: str
    ) -> GatewayAccount:
        params: dict[str, Any] = {
            "type": "express",
            "country": country,
            "email": email,
            "business_type": "company",
            "business_profile": {"name": business_name},
            "capabilities": {"transfers": {"requested": True}},
        }
        return _account(
            _translate(
                lambda: self.client.v1.accounts.create(
                    params=params,  # type: ignore[arg-type]
                    options={"idempotency_key": idempotency_key},
                )
            )
        )

    def account_retrieve(self, account_id: str) -> GatewayAccount:
        return _account(_translate(lambda: self.client.v1.accounts.retrieve(account_id)))

    def account_link_create(self, *, account_id: str, refresh_url: str, return_url: str) -> str:
        params: dict[str, Any] = {
            "account": account_id,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "type": "account_onboarding",
        }
        link = _translate(
            lambda: self.client.v1.account_links.create(params=params)  # type: ignore[arg-type]
        )
        return str(link["url"])

    def connected_balance_available_minor(self, *, account_id: str, currency: str) -> int:
        """The connected account's available balance in ``currency`` (``Stripe-Account``)."""
        balance = _translate(
            lambda: self.client.v1.balance.retrieve(options={"stripe_account": account_id})
        )
        return sum(
            int(item["amount"])
            for item in _get(balance, "available", [])
            if str(item["currency"]).upper() == currency.upper()
        )
