"""The whole money path in the sandbox, service by service: pay, complete, settle."""

from orders import services as order_services
from orders.enums import OrderStatus
from payments import settlement
from payments.enums import PaymentStatus, SettlementStatus
from payments.ledger.selectors import ledger_check, order_escrow_held_minor, seller_money_summary
from payments.models import Payment, StripeEvent
from tests.payments.conftest import pay, stripe_account_ready


def test_pay_complete_settle_in_the_sandbox(
    confirmed_order, buyer, buyer_user, seller, seller_user
):
    intent = pay(confirmed_order, company=buyer, actor=buyer_user)

    order = type(confirmed_order).objects.get(pk=confirmed_order.pk)
    assert order.status == OrderStatus.PAID
    payment = Payment.objects.get(payment_intent_id=intent)
    assert (payment.status, payment.amount_minor, payment.amount_received_minor) == (
        PaymentStatus.SUCCEEDED,
        108150,
        108150,
    )
    assert order_escrow_held_minor(order=order) == 108150
    assert list(StripeEvent.objects.values_list("type", "status")) == [
        ("payment_intent.succeeded", "processed")
    ]

    stripe_account_ready(seller)
    order = order_services.order_ship(
        order=order, actor=seller_user, carrier="Maersk", tracking_number="MSKU1234567"
    )
    order = order_services.order_confirm_delivery(order=order, actor=buyer_user)
    order = order_services.order_accept(order=order, actor=buyer_user)

    done = settlement.settlement_run(order_id=order.pk)
    assert (done.status, done.seller_share_minor, done.platform_fee_minor) == (
        SettlementStatus.TRANSFERRED,
        105000,
        3150,
    )
    assert done.transfer_id.startswith("tr_sbx_")
    assert order_escrow_held_minor(order=order) == 0
    [money] = seller_money_summary(company=seller)
    assert (money.held_minor, money.payable_minor, money.paid_out_minor) == (0, 0, 105000)
    assert ledger_check()["balanced"] is True
    # Run again: nothing moves twice.
    again = settlement.settlement_run(order_id=order.pk)
    assert again.pk == done.pk
    [money] = seller_money_summary(company=seller)
    assert money.paid_out_minor == 105000
