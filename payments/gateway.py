"""The one interface the platform uses to move money at a payment gateway.

Two implementations: ``payments.stripe_gateway.StripeGateway`` (the real ``stripe`` SDK, used
whenever ``STRIPE_SECRET_KEY`` is set; tests point it at a local stand-in of the Stripe API)
and ``payments.sandbox.SandboxGateway`` (offline, for the local run and the demo, clearly
labelled; it sends itself the same signed webhook events Stripe would, so the same code runs).

Amounts cross this interface in the platform's minor units (ISO 4217 exponent: JPY yen, USD
cents, KWD fils); ``gateway_amount`` applies the gateway's own rules.
"""

from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings

from marketplace.core.exceptions import DomainError
from marketplace.trade.currencies import CURRENCIES

# Stripe charges three-decimal currencies in thousandths, but the last digit must be 0.
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


class GatewayError(Exception):
    """The gateway could not be asked or refused for a reason that may pass: retry."""

    def __init__(self, message: str, *, code: str = "", retryable: bool = True):
        super().__init__(message)
        self.code = code
        self.retryable = retryable


class GatewayRefused(GatewayError):
    """The gateway refused the request for good (invalid request, account unable to receive)."""

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message, code=code, retryable=False)


class PaymentsNotConfigured(DomainError):
    def __init__(self, message: str):
        super().__init__(message, code="payments_not_configured")


@dataclass(frozen=True)
class GatewayPaymentIntent:
    id: str
    client_secret: str
    amount_minor: int
    amount_received_minor: int
    currency: str
    status: str  # Stripe's: requires_payment_method, processing, succeeded, canceled, ...
    latest_charge: str = ""
    last_error: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayTransfer:
    id: str
    amount_minor: int
    currency: str
    destination: str
    transfer_group: str
    reversed: bool = False
    amount_reversed_minor: int = 0
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayRefund:
    id: str
    amount_minor: int
    currency: str
    payment_intent: str
    status: str  # pending, succeeded, failed, canceled, requires_action
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayAccount:
    id: str
    country: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    requirements_due: list[str] = field(default_factory=list)


class PaymentGateway(Protocol):
    """What the platform asks of a gateway. Every write takes an idempotency key."""

    name: str
    sandbox: bool

    def payment_intent_create(
        self,
        *,
        amount_minor: int,
        currency: str,
        transfer_group: str,
        idempotency_key: str,
        metadata: dict[str, str],
        description: str = "",
    ) -> GatewayPaymentIntent: ...

    def payment_intent_retrieve(self, payment_intent_id: str) -> GatewayPaymentIntent: ...

    def transfer_create(
        self,
        *,
        amount_minor: int,
        currency: str,
        destination: str,
        transfer_group: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> GatewayTransfer: ...

    def transfer_retrieve(self, transfer_id: str) -> GatewayTransfer: ...

    def transfers_for_group(self, transfer_group: str) -> list[GatewayTransfer]:
        """The transfers made in ``transfer_group`` (an order number): how a retry learns
        whether an attempt that got no clear answer made its transfer after all."""
        ...

    def refund_create(
        self,
        *,
        payment_intent_id: str,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        metadata: dict[str, str],
    ) -> GatewayRefund: ...

    def refund_retrieve(self, refund_id: str) -> GatewayRefund: ...

    def refunds_for_payment_intent(self, payment_intent_id: str) -> list[GatewayRefund]:
        """The refunds of a PaymentIntent (same purpose as ``transfers_for_group``)."""
        ...

    def account_create(
        self, *, country: str, email: str, business_name: str, idempotency_key: str
    ) -> GatewayAccount: ...

    def account_retrieve(self, account_id: str) -> GatewayAccount: ...

    def account_link_create(self, *, account_id: str, refresh_url: str, return_url: str) -> str: ...

    def connected_balance_available_minor(self, *, account_id: str, currency: str) -> int: ...


def gateway_amount(*, amount_minor: int, currency: str) -> int:
    """The integer amount the gateway expects for ``amount_minor`` of ``currency``.

    Stripe's "smallest currency unit" is the ISO minor unit for two- and zero-decimal currencies
    (cents; yen as is) and for three-decimal ones (fils), where the last digit must be 0.
    A three-decimal amount that does not end in 0 is rounded UP to the next ten: the buyer is
    never charged less than the order's total (what is over stays in escrow and settles as fee).
    """
    code = currency.upper()
    if code not in CURRENCIES:
        raise PaymentsNotConfigured(f"Unknown currency {currency!r}.")
    if amount_minor <= 0:
        raise DomainError("The amount to charge must be positive.", code="amount_not_positive")
    if code in THREE_DECIMAL_CURRENCIES and amount_minor % 10:
        return amount_minor + (10 - amount_minor % 10)
    return amount_minor


def gateway_transfer_amount(*, amount_minor: int, currency: str) -> int:
    """The largest amount a transfer may carry: three-decimal currencies round DOWN to a ten."""
    if currency.upper() in THREE_DECIMAL_CURRENCIES:
        return amount_minor - amount_minor % 10
    return amount_minor


def sandbox_enabled() -> bool:
    """The offline sandbox runs only when no Stripe key is set (and it is not switched off)."""
    return not settings.STRIPE_SECRET_KEY and settings.PAYMENTS_SANDBOX


def gateway_get() -> PaymentGateway:
    """The configured gateway: Stripe when a secret key is set, else the offline sandbox."""
    if settings.STRIPE_SECRET_KEY:
        from payments.stripe_gateway import StripeGateway

        return StripeGateway.from_settings()
    if settings.PAYMENTS_SANDBOX:
        from payments.sandbox import SandboxGateway

        return SandboxGateway()
    raise PaymentsNotConfigured(
        "Payments are not configured: set STRIPE_SECRET_KEY, or PAYMENTS_SANDBOX=true for the "
        "offline sandbox."
    )
