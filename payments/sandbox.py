"""The offline sandbox gateway: no Stripe key, no network, no real money.

It keeps what it makes in ``SandboxObject`` rows and answers like Stripe, idempotency keys
included. Outcomes are driven from outside (the sandbox pay page, or
``POST /api/v1/sandbox/payments/{payment_intent}/succeed|fail/``); each sends the platform the
webhook event Stripe would send, signed with the webhook secret, through the same webhook
service, so the code that runs is the code that runs with Stripe.

Never on when ``STRIPE_SECRET_KEY`` is set (``payments.gateway.sandbox_enabled``, and a
system check refuses the combination).
"""

import json
import secrets
import time
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace.core.exceptions import Conflict, NotFound
from payments.gateway import (
    GatewayAccount,
    GatewayPaymentIntent,
    GatewayRefund,
    GatewayRefused,
    GatewayTransfer,
    gateway_amount,
)
from payments.models import SandboxObject
from payments.webhooks import webhook_sign

SANDBOX_PREFIX = "sbx"


def _new_id(prefix: str) -> str:
    return f"{prefix}_{SANDBOX_PREFIX}_{secrets.token_hex(12)}"


def _create(kind: str, prefix: str, idempotency_key: str | None, data: dict[str, Any]) -> dict:
    """Store a new object once per idempotency key; a repeated key returns the first."""
    if idempotency_key:
        existing = SandboxObject.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing.data
    object_id = _new_id(prefix)
    data = {"id": object_id, "object": kind, "created": int(time.time()), **data}
    try:
        with transaction.atomic():
            SandboxObject.objects.create(
                object_id=object_id, kind=kind, idempotency_key=idempotency_key, data=data
            )
    except IntegrityError:  # the same key, concurrently: the first one wins
        return SandboxObject.objects.get(idempotency_key=idempotency_key).data
    return data


def _load(object_id: str, kind: str) -> SandboxObject:
    row = SandboxObject.objects.filter(object_id=object_id, kind=kind).first()
    if row is None:
        raise GatewayRefused(f"No such {kind}: {object_id!r}", code="resource_missing")
    return row


def _intent(data: dict) -> GatewayPaymentIntent:
    return GatewayPaymentIntent(
        id=data["id"],
        client_secret=data["client_secret"],
        amount_minor=data["amount"],
        amount_received_minor=data.get("amount_received", 0),
        currency=data["currency"].upper(),
        status=data["status"],
        latest_charge=data.get("latest_charge") or "",
        last_error=(data.get("last_payment_error") or {}).get("message", ""),
        metadata=data.get("metadata", {}),
    )


def _transfer(data: dict) -> GatewayTransfer:
    return GatewayTransfer(
        id=data["id"],
        amount_minor=data["amount"],
        currency=data["currency"].upper(),
        destination=data["destination"],
        transfer_group=data.get("transfer_group", ""),
        reversed=data.get("reversed", False),
        amount_reversed_minor=data.get("amount_reversed", 0),
        metadata=data.get("metadata", {}),
    )


def _refund(data: dict) -> GatewayRefund:
    return GatewayRefund(
        id=data["id"],
        amount_minor=data["amount"],
        currency=data["currency"].upper(),
        payment_intent=data["payment_intent"],
        status=data["status"],
        metadata=data.get("metadata", {}),
    )


def _account(data: dict) -> GatewayAccount:
    return GatewayAccount(
        id=data["id"],
        country=data["country"],
        charges_enabled=data["charges_enabled"],
        payouts_enabled=data["payouts_enabled"],
        details_submitted=data["details_submitted"],
        requirements_due=list(data.get("requirements", {}).get("currently_due", [])),
    )


def sandbox_event_send(*, event_type: str, obj: dict) -> None:
    """Sign an event as Stripe does and hand it to the platform's webhook service."""
    from payments.webhooks import webhook_receive

    event = {
        "id": _new_id("evt"),
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": int(time.time()),
        "livemode": False,
        "type": event_type,
        "data": {"object": obj},
    }
    payload = json.dumps(event).encode()
    webhook_receive(payload=payload, signature_header=webhook_sign(payload))


class SandboxGateway:
    name = "sandbox"
    sandbox = True

    # --- PaymentIntents ---------------------------------------------------------------

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
        amount = gateway_amount(amount_minor=amount_minor, currency=currency)
        data = _create(
            "payment_intent",
            "pi",
            idempotency_key,
            {
                "amount": amount,
                "amount_received": 0,
                "currency": currency.lower(),
                "status": "requires_payment_method",
                "transfer_group": transfer_group,
                "metadata": metadata,
                "description": description,
                "latest_charge": None,
                "last_payment_error": None,
            },
        )
        if not data.get("client_secret"):
            row = SandboxObject.objects.get(object_id=data["id"])
            data["client_secret"] = f"{data['id']}_secret_{secrets.token_hex(8)}"
            row.data = data
            row.save(update_fields=["data"])
        return _intent(data)

    def payment_intent_retrieve(self, payment_intent_id: str) -> GatewayPaymentIntent:
        return _intent(_load(payment_intent_id, "payment_intent").data)

    # --- transfers -------------------------------------------------------------------

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
        account = _load(destination, "account").data
        if not account["payouts_enabled"]:
            raise GatewayRefused(
                f"The account {destination} cannot receive transfers yet.",
                code="account_invalid",
            )
        existed = SandboxObject.objects.filter(idempotency_key=idempotency_key).exists()
        data = _create(
            "transfer",
            "tr",
            idempotency_key,
            {
                "amount": amount_minor,
                "currency": currency.lower(),
                "destination": destination,
                "transfer_group": transfer_group,
                "metadata": metadata,
                "reversed": False,
                "amount_reversed": 0,
            },
        )
        if not existed:
            transaction.on_commit(
                lambda: sandbox_event_send(event_type="transfer.created", obj=data)
            )
        return _transfer(data)

    def transfer_retrieve(self, transfer_id: str) -> GatewayTransfer:
        return _transfer(_load(transfer_id, "transfer").data)

    def transfers_for_group(self, transfer_group: str) -> list[GatewayTransfer]:
        rows = SandboxObject.objects.filter(
            kind="transfer", data__transfer_group=transfer_group
        ).order_by("id")
        return [_transfer(row.data) for row in rows]

    # --- refunds ---------------------------------------------------------------------

    def refund_create(
        self,
        *,
        payment_intent_id: str,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> GatewayRefund:
        existing = SandboxObject.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return _refund(existing.data)
        with transaction.atomic():
            intent_row = SandboxObject.objects.select_for_update().get(
                object_id=_load(payment_intent_id, "payment_intent").object_id
            )
            intent = intent_row.data
            if intent["status"] != "succeeded":
                raise GatewayRefused(
                    f"{payment_intent_id} has no successful charge to refund.",
                    code="charge_not_refundable",
                )
            refunded = intent.get("amount_refunded", 0)
            if amount_minor > intent["amount_received"] - refunded:
                raise GatewayRefused(
                    f"Refund of {amount_minor} is greater than the unrefunded amount "
                    f"{intent['amount_received'] - refunded}.",
                    code="amount_too_large",
                )
            data = _create(
                "refund",
                "re",
                idempotency_key,
                {
                    "amount": amount_minor,
                    "currency": currency.lower(),
                    "payment_intent": payment_intent_id,
                    "charge": intent["latest_charge"],
                    "status": "succeeded",
                    "metadata": metadata,
                },
            )
            intent["amount_refunded"] = refunded + amount_minor
            intent_row.data = intent
            intent_row.save(update_fields=["data"])
            charge = self._charge(intent)
            transaction.on_commit(
                lambda: sandbox_event_send(event_type="charge.refunded", obj=charge)
            )
        return _refund(data)

    def refund_retrieve(self, refund_id: str) -> GatewayRefund:
        return _refund(_load(refund_id, "refund").data)

    def refunds_for_payment_intent(self, payment_intent_id: str) -> list[GatewayRefund]:
        rows = SandboxObject.objects.filter(
            kind="refund", data__payment_intent=payment_intent_id
        ).order_by("id")
        return [_refund(row.data) for row in rows]

    # --- connected accounts -------------------------------------------------------------

    def account_create(
        self, *, country: str, email: str, business_name: str, idempotency_key: str
    ) -> GatewayAccount:
        data = _create(
            "account",
            "acct",
            idempotency_key,
            {
                "type": "express",
                "country": country,
                "email": email,
                "business_profile": {"name": business_name},
                "charges_enabled": False,
                "payouts_enabled": False,
                "details_submitted": False,
                "requirements": {"currently_due": ["external_account", "tos_acceptance.date"]},
            },
        )
        return _account(data)

    def account_retrieve(self, account_id: str) -> GatewayAccount:
        return _account(_load(account_id, "account").data)

    def account_link_create(self, *, account_id: str, refresh_url: str, return_url: str) -> str:
        from django.urls import reverse
        from django.utils.http import urlencode

        _load(account_id, "account")
        path = reverse("payments:sandbox-onboarding", kwargs={"account_id": account_id})
        return f"{path}?{urlencode({'return_url': return_url})}"

    def connected_balance_available_minor(self, *, account_id: str, currency: str) -> int:
        transfers = SandboxObject.objects.filter(
            kind="transfer", data__destination=account_id, data__currency=currency.lower()
        ).values_list("data", flat=True)
        return sum(data["amount"] - data.get("amount_reversed", 0) for data in transfers)

    # --- what only the sandbox can do: play the buyer's bank and the seller's onboarding ---

    @staticmethod
    def _charge(intent: dict) -> dict:
        return {
            "id": intent["latest_charge"],
            "object": "charge",
            "amount": intent["amount"],
            "amount_captured": intent["amount_received"],
            "amount_refunded": intent.get("amount_refunded", 0),
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "refunded": intent.get("amount_refunded", 0) >= intent["amount_received"],
            "transfer_group": intent.get("transfer_group", ""),
        }

    def payment_intent_settle(
        self, payment_intent_id: str, *, succeed: bool
    ) -> GatewayPaymentIntent:
        """The buyer's payment succeeds or fails; the matching webhook event is sent."""
        with transaction.atomic():
            row = (
                SandboxObject.objects.select_for_update()
                .filter(object_id=payment_intent_id, kind="payment_intent")
                .first()
            )
            if row is None:
                raise NotFound(f"No sandbox payment {payment_intent_id}.")
            intent = row.data
            if intent["status"] == "succeeded":
                raise Conflict(
                    "This payment has already succeeded.", code="payment_already_succeeded"
                )
            if intent["status"] == "canceled":
                raise Conflict("This payment was canceled.", code="payment_canceled")
            if succeed:
                intent["status"] = "succeeded"
                intent["amount_received"] = intent["amount"]
                intent["latest_charge"] = _new_id("ch")
                intent["last_payment_error"] = None
                event_type = "payment_intent.succeeded"
            else:
                intent["status"] = "requires_payment_method"
                intent["last_payment_error"] = {
                    "code": "card_declined",
                    "message": "Your card was declined. (sandbox)",
                }
                event_type = "payment_intent.payment_failed"
            row.data = intent
            row.save(update_fields=["data"])
        sandbox_event_send(event_type=event_type, obj=intent)
        return _intent(intent)

    def account_onboarding_complete(self, account_id: str) -> GatewayAccount:
        """The seller finished onboarding: payouts are enabled and account.updated is sent."""
        with transaction.atomic():
            row = (
                SandboxObject.objects.select_for_update()
                .filter(object_id=account_id, kind="account")
                .first()
            )
            if row is None:
                raise NotFound(f"No sandbox account {account_id}.")
            data = row.data
            data.update(
                charges_enabled=True,
                payouts_enabled=True,
                details_submitted=True,
                requirements={"currently_due": []},
                tos_acceptance={"date": int(timezone.now().timestamp())},
            )
            row.data = data
            row.save(update_fields=["data"])
        sandbox_event_send(event_type="account.updated", obj=data)
        return _account(data)

    def transfer_reverse(self, transfer_id: str) -> GatewayTransfer:
        """Reverse a transfer in full (used by admins' tests of transfer.reversed)."""
        with transaction.atomic():
            row = SandboxObject.objects.select_for_update().get(object_id=transfer_id)
            data = row.data
            data.update(reversed=True, amount_reversed=data["amount"])
            row.data = data
            row.save(update_fields=["data"])
        sandbox_event_send(event_type="transfer.reversed", obj=data)
        return _transfer(data)
