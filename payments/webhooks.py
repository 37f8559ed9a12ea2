"""Stripe webhooks: verify the signature, store each event once by id, then apply it.

``webhook_receive`` is what ``POST /webhooks/stripe/`` calls, and what the offline sandbox
calls with the events it signs itself. Verification is the SDK's
(``stripe.WebhookSignature.verify_header``: ``t=…,v1=…`` HMAC-SHA256 of ``"{t}.{body}"`` with
the endpoint secret, within the tolerance). An event is stored in its own transaction before it
is applied; applying is idempotent, so a replayed event (same id) changes nothing, and an event
whose application failed is applied again when Stripe redelivers it.

Handlers re-read state rather than trusting the order events arrive in: a
``payment_intent.payment_failed`` that arrives after ``payment_intent.succeeded`` does not
un-pay an order; ``account.updated`` re-reads the account from the gateway.

An event whose ``livemode`` is not the configured key's (``sk_live_``/``rk_live_``: true; a test
key or the sandbox: false) is refused with 400 and not stored. A handler that finds the event
must not be applied (``EventNeedsReview``: a payment for another amount or currency than is
due) leaves nothing behind; the event is kept as ``needs_review`` with the reason, for an admin.
"""

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import import_module

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from marketplace.core.exceptions import DomainError
from payments.enums import StripeEventStatus
from payments.models import StripeEvent

logger = logging.getLogger(__name__)

# event type → "module.function" taking the event's data.object (a dict) and the StripeEvent.
EVENT_HANDLERS: dict[str, str] = {
    "payment_intent.succeeded": "payments.collection.payment_intent_succeeded",
    "payment_intent.payment_failed": "payments.collection.payment_intent_failed",
    "payment_intent.processing": "payments.collection.payment_intent_processing",
    "payment_intent.canceled": "payments.collection.payment_intent_canceled",
    "charge.refunded": "payments.refunds.charge_refunded",
    "charge.dispute.created": "payments.card_disputes.charge_dispute_created",
    "charge.dispute.closed": "payments.card_disputes.charge_dispute_closed",
    "account.updated": "payments.payouts.account_updated",
    "transfer.created": "payments.settlement.transfer_created",
    "transfer.reversed": "payments.settlement.transfer_reversed",
}


class EventNeedsReview(DomainError):
    """Raised by a handler when applying the event would be wrong (the amount paid is not what
    is due): what the handler did is rolled back, the event is kept as ``needs_review`` with the
    reason for an admin, and the webhook answers 200 (a redelivery would not make it right)."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message, code=code)


class WebhookRejected(DomainError):
    """A request that is not a genuine, well-formed Stripe event: 400, nothing stored."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message, code=code)


# Applied, not ours to apply, or kept for an admin: a redelivery changes nothing.
SETTLED_EVENT_STATUSES = frozenset(
    {StripeEventStatus.PROCESSED, StripeEventStatus.IGNORED, StripeEventStatus.NEEDS_REVIEW}
)


@dataclass(frozen=True)
class WebhookOutcome:
    event: StripeEvent
    replayed: bool


def webhook_secret() -> str:
    """The endpoint secret: ``STRIPE_WEBHOOK_SECRET``, or in the sandbox one derived locally."""
    if settings.STRIPE_WEBHOOK_SECRET:
        return settings.STRIPE_WEBHOOK_SECRET
    if not settings.STRIPE_SECRET_KEY and settings.PAYMENTS_SANDBOX:
        digest = hmac.new(
            settings.SECRET_KEY.encode(), b"payments-sandbox-webhooks", hashlib.sha256
        ).hexdigest()
        return f"whsec_sandbox_{digest[:32]}"
    return ""


def configured_livemode() -> bool:
    """Whether the configured key is a live one (``sk_live_`` / ``rk_live_``); test keys and
    the offline sandbox are test mode."""
    return settings.STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))


def webhook_sign(payload: bytes, *, secret: str | None = None, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe would send for ``payload``."""
    secret = secret if secret is not None else webhook_secret()
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + payload
    signature = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def _verify(payload: bytes, signature_header: str) -> dict:
    secret = webhook_secret()
    if not secret:
        raise WebhookRejected("Webhooks are not configured.", code="webhook_not_configured")
    if not signature_header:
        raise WebhookRejected("The Stripe-Signature header is missing.", code="signature_missing")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        # Stripe sends UTF-8 JSON; the signature is over the raw bytes, which a replacement
        # character would change, so say what is wrong rather than "bad signature".
        raise WebhookRejected("The body is not UTF-8 JSON.", code="malformed_json") from None
    try:
        stripe.WebhookSignature.verify_header(
            text,
            signature_header,
            secret,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
        )
    except stripe.SignatureVerificationError as exc:
        message = str(exc)
        code = "signature_stale" if "tolerance" in message else "signature_invalid"
        raise WebhookRejected(message, code=code) from None
    try:
        event = json.loads(text)
    except json.JSONDecodeError:
        raise WebhookRejected("The body is not valid JSON.", code="malformed_json") from None
    if not (
        isinstance(event, dict)
        and isinstance(event.get("id"), str)
        and event["id"]
        and isinstance(event.get("type"), str)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    ):
        raise WebhookRejected(
            "The body is not a Stripe event (id, type, data.object).", code="malformed_event"
        )
    expected = configured_livemode()
    if event.get("livemode") is not expected:
        raise WebhookRejected(
            f"The event's livemode is {event.get('livemode')!r} but the configured key is a "
            f"{'live' if expected else 'test'} key: refused.",
            code="livemode_mismatch",
        )
    return event


def _store(event: dict) -> tuple[StripeEvent, bool]:
    created_ts = event.get("created")
    created = (
        datetime.fromtimestamp(created_ts, tz=UTC)
        if isinstance(created_ts, int)
        else timezone.now()
    )
    known = event["type"] in EVENT_HANDLERS
    try:
        with transaction.atomic():
            row = StripeEvent.objects.create(
                event_id=event["id"][:64],
                type=event["type"][:64],
                payload=event,
                livemode=bool(event.get("livemode", False)),
                created=created,
                status=StripeEventStatus.RECEIVED if known else StripeEventStatus.IGNORED,
            )
        return row, True
    except IntegrityError:
        return StripeEvent.objects.get(event_id=event["id"][:64]), False


def _handler(event_type: str) -> Callable[..., None]:
    module, _, name = EVENT_HANDLERS[event_type].rpartition(".")
    return getattr(import_module(module), name)


def stripe_event_apply(*, event_id: int) -> StripeEvent:
    """Apply a stored event once: under a row lock, skipped when already processed.

    A handler that fails rolls back all it did; the event is marked failed with the reason
    (visible in admin) and the error is raised, so the webhook answers 500 and Stripe
    redelivers it later.
    """
    try:
        with transaction.atomic():
            event = StripeEvent.objects.select_for_update().get(pk=event_id)
            if event.status in SETTLED_EVENT_STATUSES:
                return event
            try:
                with transaction.atomic():
                    _handler(event.type)(event.payload["data"]["object"], event=event)
            except EventNeedsReview as review:
                event.status = StripeEventStatus.NEEDS_REVIEW
                event.error = review.message[:4000]
                event.attempts += 1
                event.processed_at = timezone.now()
                event.save(update_fields=["status", "error", "attempts", "processed_at"])
                logger.warning("Stripe event %s needs review: %s", event.event_id, review.message)
                return event
            event.status = StripeEventStatus.PROCESSED
            event.error = ""
            event.attempts += 1
            event.processed_at = timezone.now()
            event.save(update_fields=["status", "error", "attempts", "processed_at"])
            return event
    except Exception as exc:
        StripeEvent.objects.filter(pk=event_id).update(
            status=StripeEventStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:4000],
            attempts=F("attempts") + 1,
        )
        logger.exception("Stripe event %s failed", event_id)
        raise


def webhook_receive(*, payload: bytes, signature_header: str) -> WebhookOutcome:
    """Verify, store once, apply. Raises ``WebhookRejected`` (400) before storing anything."""
    event = _verify(payload, signature_header)
    row, created = _store(event)
    if row.status in SETTLED_EVENT_STATUSES:
        return WebhookOutcome(event=row, replayed=not created)
    stripe_event_apply(event_id=row.pk)
    row.refresh_from_db()
    return WebhookOutcome(event=row, replayed=not created)


def stripe_events_retry(*, limit: int = 100, max_attempts: int = 10) -> int:
    """Apply failed events again, oldest first (beat); returns how many now succeeded. An event
    that keeps failing stops being retried after ``max_attempts`` and stays visible in admin."""
    applied = 0
    failed = StripeEvent.objects.filter(
        status=StripeEventStatus.FAILED, attempts__lt=max_attempts
    ).order_by("id")
    for event_id in list(failed.values_list("pk", flat=True)[:limit]):
        try:
            stripe_event_apply(event_id=event_id)
        except Exception:  # recorded on the event by stripe_event_apply; try the next one
            logger.warning("Stripe event %s still fails; it stays failed", event_id)
            continue
        applied += 1
    return applied
