"""Demo money: the demo orders are paid, and settled, through the payments services in the
offline sandbox, so the ledger, the seller dashboards and the admin show real postings.

The Osaka seller is paid by Stripe Connect (a sandbox Express account, onboarded); the
Hangzhou seller's country is not one Stripe Connect pays out to, so it is paid by bank
transfer and its settlements wait as bank payouts for an admin to export and mark paid.
"""

from django.db import transaction

from marketplace.accounts.models import Company, User
from orders.models import Order
from payments import collection, settlement
from payments.enums import PayoutMethod
from payments.gateway import sandbox_enabled
from payments.models import ConnectedAccount
from payments.sandbox import SandboxGateway


def demo_payout_accounts_seed(
    *, stripe_seller: Company | None, bank_seller: Company | None
) -> None:
    """Give the demo sellers their payout accounts (once)."""
    if not sandbox_enabled():
        return
    gateway = SandboxGateway()
    if (
        stripe_seller is not None
        and not ConnectedAccount.objects.filter(company=stripe_seller).exists()
    ):
        remote = gateway.account_create(
            country=str(stripe_seller.country),
            email=f"payouts@{stripe_seller.slug}.example",
            business_name=stripe_seller.legal_name,
            idempotency_key=f"account:{stripe_seller.pk}",
        )
        with transaction.atomic():
            ConnectedAccount.objects.create(
                company=stripe_seller, method=PayoutMethod.STRIPE, stripe_account_id=remote.id
            )
        gateway.account_onboarding_complete(remote.id)
    if (
        bank_seller is not None
        and not ConnectedAccount.objects.filter(company=bank_seller).exists()
    ):
        ConnectedAccount.objects.create(
            company=bank_seller,
            method=PayoutMethod.BANK_TRANSFER,
            bank_account_holder=bank_seller.legal_name,
            bank_name="Bank of Hangzhou",
            bank_iban="6222020200112233445",
            bank_swift="HZCBCN2H",
            bank_country="CN",
        )


def demo_pay(*, order: Order, buyer: User) -> Order | None:
    """The buyer pays in the sandbox (PaymentIntent, signed webhook, ledger capture); None
    when the sandbox is off (a real gateway cannot be paid by a script)."""
    if not sandbox_enabled():
        return None
    started = collection.payment_start(order=order, company=order.buyer, actor=buyer)
    SandboxGateway().payment_intent_settle(started.payment.payment_intent_id or "", succeed=True)
    return Order.objects.get(pk=order.pk)


def demo_settle(*, order: Order) -> None:
    """Settle a completed demo order now rather than waiting for the worker (idempotent: the
    worker's handler then finds the settlement done)."""
    if sandbox_enabled():
        settlement.settlement_run(order_id=order.pk)
