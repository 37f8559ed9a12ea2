"""Shared fixtures for payments: a confirmed order placed through the real services, the
offline sandbox as the gateway, and helpers that drive an order to each state."""

import pytest

from orders import services as order_services
from orders.models import Order
from payments import collection
from payments.enums import PayoutMethod
from payments.models import ConnectedAccount
from payments.sandbox import SandboxGateway
from tests.listings.factories import ListingFactory
from tests.orders.conftest import (  # noqa: F401  (fixtures re-exported for payments tests)
    buyer,
    buyer_pair,
    buyer_user,
    fx_rates,
    listing,
    outsider,
    seller,
    seller_pair,
    seller_user,
)
from tests.orders.factories import place_order
from tests.payments.stripe_standin import stripe_mode, stripe_standin  # noqa: F401  (fixtures)


@pytest.fixture
def confirmed_order(listing, buyer, buyer_user, seller_user) -> Order:
    """1,000 × 1.0500 USD FOB: goods 1,050.00 + fee 31.50 = total 1,081.50 (108150 cents)."""
    order = place_order(listing=listing, quantity=1000, buyer=buyer, actor=buyer_user)
    return order_services.order_confirm(order=order, actor=seller_user)


def pay(order: Order, *, company, actor) -> str:
    """Start paying in the sandbox and let the buyer's bank accept it; returns the intent id."""
    started = collection.payment_start(order=order, company=company, actor=actor)
    intent = started.payment.payment_intent_id
    SandboxGateway().payment_intent_settle(intent, succeed=True)
    return intent


def stripe_account_ready(company) -> ConnectedAccount:
    """The seller onboarded with Stripe Connect in the sandbox (payouts enabled)."""
    gateway = SandboxGateway()
    account = gateway.account_create(
        country=str(company.country),
        email="finance@seller.example",
        business_name=company.legal_name,
        idempotency_key=f"account:{company.pk}",
    )
    connected = ConnectedAccount.objects.create(
        company=company, method=PayoutMethod.STRIPE, stripe_account_id=account.id
    )
    gateway.account_onboarding_complete(account.id)
    connected.refresh_from_db()
    return connected


@pytest.fixture
def other_listing(seller):
    return ListingFactory(seller=seller, published=True, moq=1, stock=100)
