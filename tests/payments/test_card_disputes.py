"""Card disputes hold the order's money until the buyer's bank decides: signed
``charge.dispute.created`` / ``charge.dispute.closed`` events against the Stripe stand-in."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders import services as order_services
from orders.enums import OrderStatus
from orders.models import Order
from payments import collection, settlement, tasks
from payments.enums import (
    BankPayoutStatus,
    GatewayDisputeOutcome,
    GatewayDisputeStatus,
    HoldReason,
    PayoutMethod,
    SettlementStatus,
    StripeEventStatus,
)
from payments.holds import bank_payouts_release_hold, settlements_release_hold
from payments.ledger.enums import LedgerTransactionKind
from payments.ledger.models import LedgerTransaction
from payments.ledger.selectors import ledger_check, order_escrow_held_minor, seller_money_summary
from payments.models import (
    BankPayout,
    ConnectedAccount,
    GatewayDispute,
    Payment,
    Settlement,
    SettlementEvent,
    StripeEvent,
)
from payments.payouts import bank_payouts_export_csv, payout_account_use_bank_transfer
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.payments.stripe_standin import StripeStandIn
from tests.payments.test_webhooks import deliver, event

pytestmark = pytest.mark.django_db

# The order: 108150 USD cents paid; seller share 105000, platform fee 3150.


@pytest.fixture
def celery_eager():
    from marketplace.celery import app

    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture
def paid(client, stripe_mode: StripeStandIn, confirmed_order, buyer, buyer_user) -> dict:
    """Paid at the stand-in (the event delivered); returns Stripe's PaymentIntent."""
    payment = collection.payment_start(order=confirmed_order, company=buyer, actor=buyer_user)
    intent = stripe_mode.payment_intent_succeed(payment.payment.payment_intent_id)
    assert deliver(client, event("payment_intent.succeeded", intent, event_id="evt_paid")).json()[
        "status"
    ] == ("processed")
    return intent


@pytest.fixture
def stripe_seller(stripe_mode: StripeStandIn, seller) -> ConnectedAccount:
    account = stripe_mode.account_add(country="CN")
    return ConnectedAccount.objects.create(
        company=seller,
        method=PayoutMethod.STRIPE,
        stripe_account_id=account["id"],
        payouts_enabled=True,
        charges_enabled=True,
        details_submitted=True,
    )


def _complete(order: Order, *, seller_user, buyer_user) -> Order:
    order = Order.objects.get(pk=order.pk)
    order = order_services.order_ship(
        order=order, actor=seller_user, carrier="Maersk", tracking_number="MSKU1234567"
    )
    order = order_services.order_confirm_delivery(order=order, actor=buyer_user)
    return order_services.order_accept(order=order, actor=buyer_user)


def _dispute(intent: dict, *, amount: int = 108150, status: str = "needs_response") -> dict:
    return {
        "id": "dp_standin123",
        "object": "dispute",
        "amount": amount,
        "currency": "usd",
        "charge": intent["latest_charge"],
        "payment_intent": intent["id"],
        "reason": "product_not_received",
        "status": status,
    }


def _open(client, intent: dict, **kwargs) -> None:
    response = deliver(
        client, event("charge.dispute.created", _dispute(intent, **kwargs), event_id="evt_dp")
    )
    assert response.status_code == 200


def _close(client, intent: dict, status: str, *, event_id: str = "evt_dp_closed", **kwargs):
    return deliver(
        client,
        event(
            "charge.dispute.closed", _dispute(intent, status=status, **kwargs), event_id=event_id
        ),
    )


def _transfers(stripe_mode: StripeStandIn) -> list:
    return stripe_mode.requests_to("POST", "/v1/transfers")


def _money(seller) -> tuple[int, int, int]:
    [money] = seller_money_summary(company=seller)
    return money.held_minor, money.payable_minor, money.paid_out_minor


# --- created: nothing leaves ------------------------------------------------------------------


def test_an_open_card_dispute_holds_the_settlement_and_nothing_is_transferred(
    client, stripe_mode, paid, confirmed_order, stripe_seller, seller, seller_user, buyer_user
):
    _open(client, paid)
    order = _complete(confirmed_order, seller_user=seller_user, buyer_user=buyer_user)

    held = settlement.settlement_run(order_id=order.pk)

    assert (held.status, held.hold_reason, held.transfer_id) == (
        SettlementStatus.HELD,
        HoldReason.CARD_DISPUTE,
        "",
    )
    [event_row] = SettlementEvent.objects.all()
    assert (event_row.from_status, event_row.to_status, event_row.actor, event_row.note) == (
        "released",
        "held",
        None,
        "A card dispute is open on the order's payment: held until it closes.",
    )
    assert _transfers(stripe_mode) == []
    assert _money(seller) == (0, 105000, 0)  # released in the ledger, not paid out
    # Paying it again (a redelivered task, the safety net) changes nothing.
    assert settlement.settlement_pay(settlement_id=held.pk).status == SettlementStatus.HELD
    assert settlement.settlements_stuck(older_than_minutes=0) == []
    assert _transfers(stripe_mode) == []


def test_the_safety_net_does_not_settle_a_disputed_order(
    client, stripe_mode, paid, confirmed_order, stripe_seller, seller, seller_user, buyer_user
):
    _open(client, paid)
    order = _complete(confirmed_order, seller_user=seller_user, buyer_user=buyer_user)
    Order.objects.filter(pk=order.pk).update(completed_at=timezone.now() - timedelta(hours=1))
    assert settlement.orders_unsettled() == [order.pk]

    outcome = tasks.settlement_order_task.apply(kwargs={"order_id": order.pk}).get()

    assert outcome == SettlementStatus.HELD
    assert Settlement.objects.get(order=order).status == SettlementStatus.HELD
    assert settlement.settlements_stuck(older_than_minutes=0) == []
    assert tasks.settlements_resume_task.apply().get() == 0
    assert _transfers(stripe_mode) == []


def test_an_admin_cannot_release_a_card_dispute_hold(
    client, stripe_mode, paid, confirmed_order, stripe_seller, seller_user, buyer_user
):
    _open(client, paid)
    order = _complete(confirmed_order, seller_user=seller_user, buyer_user=buyer_user)
    held = settlement.settlement_run(order_id=order.pk)

    result = settlements_release_hold(settlement_ids=[held.pk], actor=UserFactory(is_staff=True))

    assert (result.released, result.refused) == (
        [],
        {held.pk: "its order has an open card dispute"},
    )
    held.refresh_from_db()
    assert held.status == SettlementStatus.HELD
    assert SettlementEvent.objects.count() == 1


# --- closed: won ------------------------------------------------------------------------------


def test_a_dispute_won_releases_the_settlement_and_pays_the_seller(
    client,
    stripe_mode,
    paid,
    confirmed_order,
    stripe_seller,
    seller,
    seller_user,
    buyer_user,
    django_capture_on_commit_callbacks,
    celery_eager,
):
    _open(client, paid)
    order = _complete(confirmed_order, seller_user=seller_user, buyer_user=buyer_user)
    held = settlement.settlement_run(order_id=order.pk)

    with django_capture_on_commit_callbacks(execute=True):
        response = _close(client, paid, "won")
    _close(client, paid, "won", event_id="evt_dp_closed_again")  # another id, same close

    assert response.json()["status"] == "processed"
    dispute = GatewayDispute.objects.get()
    assert (dispute.status, dispute.outcome, dispute.note) == (
        GatewayDisputeStatus.CLOSED,
        GatewayDisputeOutcome.WON,
        "Dispute dp_standin123 closed in the platform's favour: hold released.",
    )
    held.refresh_from_db()
    assert (held.status, held.hold_reason) == (SettlementStatus.TRANSFERRED, "")
    [transfer] = _transfers(stripe_mode)
    assert transfer.form["amount"] == "105000"
    assert _money(seller) == (0, 0, 105000)
    assert not LedgerTransaction.objects.filter(kind=LedgerTransactionKind.CHARGEBACK).exists()
    assert ledger_check()["balanced"] is True


# --- closed: lost -----------------------------------------------------------------------------


def test_a_dispute_lost_after_release_posts_the_chargeback_and_charges_the_settlement_back(
    client, stripe_mode, paid, confirmed_order, stripe_seller, seller, seller_user, buyer_user
):
    _open(client, paid)
    order = _complete(confirmed_order, seller_user=seller_user, buyer_user=buyer_user)
    held = settlement.settlement_run(order_id=order.pk)

    response = _close(client, paid, "lost")
    _close(client, paid, "lost", event_id="evt_dp_closed_again")

    assert response.status_code == 200
    held.refresh_from_db()
    assert (held.status, held.seller_share_minor, held.platform_fee_minor) == (
        SettlementStatus.CHARGED_BACK,
        0,
        0,
    )
    [chargeback] = LedgerTransaction.objects.filter(kind=LedgerTransactionKind.CHARGEBACK)
    assert chargeback.idempotency_key == "chargeback:dp_standin123"
    assert sorted(
        (entry.account.code, entry.amount_minor) for entry in chargeback.entries.all()
    ) == [("buyer_refunds", 108150), ("platform_fees", -3150), ("seller_payable", -105000)]
    assert _money(seller) == (0, 0, 0)
    assert ledger_check()["balanced"] is True
    dispute = GatewayDispute.objects.get()
    assert (dispute.status, dispute.outcome) == (
        GatewayDisputeStatus.CLOSED,
        GatewayDisputeOutcome.LOST,
    )
    assert dispute.note == (
        "Lost: 108150 USD (minor units) taken back by the buyer's bank; 108150 posted as a "
        "chargeback from the settlement (105000 from the seller's share, 3150 from the fee; 0 "
        "left to pay)"
    )
    assert _transfers(stripe_mode) == []


def test_a_partial_chargeback_pays_the_seller_what_is_left(
    client,
    stripe_mode,
    paid,
    confirmed_order,
    stripe_seller,
    seller,
    seller_user,
    buyer_user,
    django_capture_on_commit_callbacks,
    celery_eager,
):
    _open(client, paid, amount=50000)
    order = _complete(confirmed_order, seller_user=seller_user, buyer_user=buyer_user)
    held = settlement.settlement_run(order_id=order.pk)

    with django_capture_on_commit_callbacks(execute=True):
        _close(client, paid, "lost", amount=50000)

    held.refresh_from_db()
    assert (held.status, held.seller_share_minor, held.platform_fee_minor) == (
        SettlementStatus.TRANSFERRED,
        55000,
        3150,
    )
    [transfer] = _transfers(stripe_mode)
    assert transfer.form["amount"] == "55000"
    assert _money(seller) == (0, 0, 55000)
    assert ledger_check()["balanced"] is True


def test_a_dispute_lost_before_the_order_settles_takes_the_money_from_escrow(
    client, stripe_mode, paid, confirmed_order
):
    _open(client, paid)

    _close(client, paid, "lost")

    order = Order.objects.get(pk=confirmed_order.pk)
    assert order.status == OrderStatus.PAID
    assert order_escrow_held_minor(order=order) == 0
    [chargeback] = LedgerTransaction.objects.filter(kind=LedgerTransactionKind.CHARGEBACK)
    assert sorted((e.account.code, e.amount_minor) for e in chargeback.entries.all()) == [
        ("buyer_refunds", 108150),
        ("escrow", -108150),
    ]
    assert ledger_check()["balanced"] is True
    assert GatewayDispute.objects.get().note == (
        "Lost: 108150 USD (minor units) taken back by the buyer's bank; 108150 posted as a "
        "chargeback from escrow"
    )


def test_a_dispute_lost_after_the_seller_was_paid_is_recorded_for_the_admins(
    client, stripe_mode, paid, confirmed_order, stripe_seller, seller, seller_user, buyer_user
):
    order = _complete(confirmed_order, seller_user=seller_user, buyer_user=buyer_user)
    done = settlement.settlement_run(order_id=order.pk)
    assert done.status == SettlementStatus.TRANSFERRED
    _open(client, paid)

    _close(client, paid, "lost")

    done.refresh_from_db()
    assert done.status == SettlementStatus.TRANSFERRED
    assert not LedgerTransaction.objects.filter(kind=LedgerTransactionKind.CHARGEBACK).exists()
    assert GatewayDispute.objects.get().note == (
        "Lost: 108150 USD taken back by the buyer's bank, but the seller was already paid "
        "(settlement transferred): nothing held to post; recover it from the seller."
    )


def test_a_close_with_an_unknown_status_is_kept_for_review_and_changes_nothing(
    client, stripe_mode, paid, confirmed_order, stripe_seller, seller_user, buyer_user
):
    _open(client, paid)
    order = _complete(confirmed_order, seller_user=seller_user, buyer_user=buyer_user)
    held = settlement.settlement_run(order_id=order.pk)

    response = _close(client, paid, "under_review")

    assert response.json()["status"] == StripeEventStatus.NEEDS_REVIEW
    assert StripeEvent.objects.get(event_id="evt_dp_closed").error == (
        "Dispute dp_standin123 closed with status 'under_review', which is not won, lost or "
        "warning_closed: nothing done."
    )
    assert GatewayDispute.objects.get().status == GatewayDisputeStatus.OPEN
    held.refresh_from_db()
    assert held.status == SettlementStatus.HELD


# --- bank payouts -----------------------------------------------------------------------------


def test_a_dispute_holds_a_pending_bank_payout_until_it_is_won(
    client, stripe_mode, paid, confirmed_order, seller, seller_user, buyer_user
):
    payout_account_use_bank_transfer(
        company=seller,
        actor=seller_user,
        current_password=DEFAULT_PASSWORD,
        account_holder="Ningbo Fasteners Co., Ltd.",
        bank_name="Bank of China, Ningbo Branch",
        iban="6217856000012345678",
        swift="BKCHCNBJ92A",
        country="CN",
    )
    order = _complete(confirmed_order, seller_user=seller_user, buyer_user=buyer_user)
    settlement.settlement_run(order_id=order.pk)
    payout = BankPayout.objects.get()
    assert payout.status == BankPayoutStatus.PENDING

    _open(client, paid)

    payout.refresh_from_db()
    assert (payout.status, payout.hold_reason) == (
        BankPayoutStatus.ON_HOLD,
        HoldReason.CARD_DISPUTE,
    )
    assert bank_payouts_export_csv().count("\r\n") == 1  # the header only
    refused = bank_payouts_release_hold(payout_ids=[payout.pk], actor=UserFactory(is_staff=True))
    assert refused.refused == {payout.pk: "its order has an open card dispute"}

    _close(client, paid, "won")

    payout.refresh_from_db()
    assert (payout.status, payout.hold_reason, payout.amount_minor) == (
        BankPayoutStatus.PENDING,
        "",
        105000,
    )
    assert list(payout.events.values_list("from_status", "to_status")) == [
        ("pending", "on_hold"),
        ("on_hold", "pending"),
    ]


def test_a_dispute_lost_cancels_the_bank_payout(
    client, stripe_mode, paid, confirmed_order, seller, seller_user, buyer_user
):
    payout_account_use_bank_transfer(
        company=seller,
        actor=seller_user,
        current_password=DEFAULT_PASSWORD,
        account_holder="Ningbo Fasteners Co., Ltd.",
        bank_name="Bank of China, Ningbo Branch",
        iban="6217856000012345678",
        swift="BKCHCNBJ92A",
        country="CN",
    )
    order = _complete(confirmed_order, seller_user=seller_user, buyer_user=buyer_user)
    done = settlement.settlement_run(order_id=order.pk)
    _open(client, paid)

    _close(client, paid, "lost")

    payout = BankPayout.objects.get()
    assert payout.status == BankPayoutStatus.CANCELLED
    done.refresh_from_db()
    assert done.status == SettlementStatus.CHARGED_BACK
    assert _money(seller) == (0, 0, 0)
    assert ledger_check()["balanced"] is True
    assert Payment.objects.get().status == "succeeded"
