"""Disputes resolved by an admin: release to the seller, refund the buyer, or split, each one
ledger transaction with exact amounts; then the seller's part paid and the buyer's refunded,
once. Bad amounts and a second resolution are refused with nothing changed. The admin page."""

import pytest
from django.core.exceptions import PermissionDenied

from marketplace.core.exceptions import DomainError, InvalidTransition
from orders.enums import DisputeStatus, OrderStatus
from orders.models import Dispute, Order
from payments import disputes, refunds, settlement
from payments.enums import RefundReason, RefundStatus, SettlementStatus
from payments.ledger.models import LedgerTransaction
from payments.ledger.selectors import ledger_check, order_escrow_held_minor, seller_money_summary
from payments.models import DisputeCase, Refund, SandboxObject, Settlement
from tests.factories import UserFactory, admin_login
from tests.payments.fault_gateway import disputed

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return UserFactory(email="disputes@platform.example", is_staff=True, is_superuser=True)


@pytest.fixture
def dispute_order(confirmed_order, buyer, buyer_user, seller, seller_user) -> Order:
    return disputed(
        confirmed_order, buyer=buyer, buyer_user=buyer_user, seller=seller, seller_user=seller_user
    )


def dispute_entries(order: Order) -> list[tuple[str, int]]:
    tx = LedgerTransaction.objects.get(idempotency_key=f"dispute:{order.number}")
    assert tx.kind == "dispute_split"
    return sorted(tx.entries.values_list("account__code", "amount_minor"))


def snapshot(order: Order) -> tuple:
    order.refresh_from_db()
    dispute = Dispute.objects.get(order=order)
    return (
        order.status,
        dispute.status,
        dispute.resolved_at,
        LedgerTransaction.objects.count(),
        Refund.objects.count(),
        Settlement.objects.count(),
        order_escrow_held_minor(order=order),
        order.events.count(),
    )


def test_release_pays_the_seller_in_full_less_the_fee(dispute_order, admin_user, seller):
    resolution = disputes.dispute_resolve(
        order=dispute_order,
        actor=admin_user,
        outcome=DisputeStatus.RELEASED,
        note="Photos show M8 bolts.",
    )

    assert (
        resolution.split.held_minor,
        resolution.split.buyer_refund_minor,
        resolution.split.seller_share_minor,
        resolution.split.platform_fee_minor,
    ) == (108150, 0, 105000, 3150)
    assert dispute_entries(dispute_order) == [
        ("escrow", -108150),
        ("platform_fees", 3150),
        ("seller_payable", 105000),
    ]
    assert resolution.refund is None
    assert resolution.order.status == OrderStatus.COMPLETED
    dispute = Dispute.objects.get(order=dispute_order)
    assert (dispute.status, dispute.resolved_by, dispute.resolution_note) == (
        DisputeStatus.RELEASED,
        admin_user,
        "Photos show M8 bolts.",
    )
    released = resolution.settlement
    assert (released.status, released.seller_share_minor, released.platform_fee_minor) == (
        SettlementStatus.RELEASED,
        105000,
        3150,
    )
    # The order.completed handler finds the settlement and pays it, without a second release.
    assert settlement.settlement_release(order_id=dispute_order.pk).pk == released.pk
    paid = settlement.settlement_run(order_id=dispute_order.pk)
    assert paid.status == SettlementStatus.TRANSFERRED
    [transfer] = SandboxObject.objects.filter(kind="transfer")
    assert transfer.data["amount"] == 105000
    assert not LedgerTransaction.objects.filter(kind="settlement_released").exists()
    [money] = seller_money_summary(company=seller)
    assert (money.held_minor, money.payable_minor, money.paid_out_minor) == (0, 0, 105000)
    assert ledger_check()["balanced"] is True


def test_refund_returns_everything_to_the_buyer_and_keeps_no_fee(dispute_order, admin_user):
    resolution = disputes.dispute_resolve(
        order=dispute_order, actor=admin_user, outcome=DisputeStatus.REFUNDED, note="Wrong size."
    )

    assert dispute_entries(dispute_order) == [("buyer_refunds", 108150), ("escrow", -108150)]
    assert resolution.settlement is None
    assert resolution.order.status == OrderStatus.REFUNDED
    refund = resolution.refund
    assert (refund.amount_minor, refund.reason, refund.status, refund.idempotency_key) == (
        108150,
        RefundReason.DISPUTE,
        RefundStatus.PENDING,
        f"refund:{dispute_order.number}:dispute",
    )
    transactions = LedgerTransaction.objects.count()

    executed = refunds.refund_execute(refund_id=refund.pk)
    again = refunds.refund_execute(refund_id=refund.pk)

    assert executed.status == again.status == RefundStatus.SUCCEEDED
    [gateway_refund] = SandboxObject.objects.filter(kind="refund")
    assert gateway_refund.idempotency_key == refund.idempotency_key
    assert gateway_refund.data["amount"] == 108150
    assert LedgerTransaction.objects.count() == transactions  # the dispute already posted it
    assert order_escrow_held_minor(order=dispute_order) == 0
    assert not Settlement.objects.exists()
    assert ledger_check()["balanced"] is True


def test_split_refunds_the_buyer_and_pays_the_seller_the_rest_less_a_proportional_fee(
    dispute_order, admin_user, seller
):
    resolution = disputes.dispute_resolve(
        order=dispute_order,
        actor=admin_user,
        outcome=DisputeStatus.SPLIT,
        buyer_refund_minor=40000,
        note="400.00 back for the M6 cartons.",
    )

    # fee 3150 × (108150 − 40000) / 108150 = 1984.95 → 1985; seller 68150 − 1985 = 66165.
    assert (
        resolution.split.buyer_refund_minor,
        resolution.split.seller_share_minor,
        resolution.split.platform_fee_minor,
    ) == (40000, 66165, 1985)
    assert dispute_entries(dispute_order) == [
        ("buyer_refunds", 40000),
        ("escrow", -108150),
        ("platform_fees", 1985),
        ("seller_payable", 66165),
    ]
    assert resolution.order.status == OrderStatus.COMPLETED
    assert Dispute.objects.get(order=dispute_order).status == DisputeStatus.SPLIT

    paid = settlement.settlement_run(order_id=dispute_order.pk)
    refunded = refunds.refund_execute(refund_id=resolution.refund.pk)

    assert (paid.status, paid.seller_share_minor, paid.platform_fee_minor) == (
        SettlementStatus.TRANSFERRED,
        66165,
        1985,
    )
    assert refunded.status == RefundStatus.SUCCEEDED
    assert [o.data["amount"] for o in SandboxObject.objects.filter(kind="transfer")] == [66165]
    assert [o.data["amount"] for o in SandboxObject.objects.filter(kind="refund")] == [40000]
    [money] = seller_money_summary(company=seller)
    assert (money.held_minor, money.payable_minor, money.paid_out_minor) == (0, 0, 66165)
    assert ledger_check()["balanced"] is True


@pytest.mark.parametrize(
    ("outcome", "amount", "code"),
    [
        (DisputeStatus.SPLIT, -100, "refund_amount_not_positive"),
        (DisputeStatus.SPLIT, 0, "refund_amount_not_positive"),
        (DisputeStatus.SPLIT, 108150, "refund_amount_too_large"),
        (DisputeStatus.SPLIT, 500000, "refund_amount_too_large"),
        (DisputeStatus.SPLIT, None, "refund_amount_required"),
        (DisputeStatus.SPLIT, True, "refund_amount_invalid"),
        (DisputeStatus.RELEASED, 100, "refund_amount_unused"),
        (DisputeStatus.REFUNDED, 108150, "refund_amount_unused"),
    ],
)
def test_a_bad_refund_amount_is_refused_and_nothing_changes(
    dispute_order, admin_user, outcome, amount, code
):
    before = snapshot(dispute_order)

    with pytest.raises(DomainError) as refused:
        disputes.dispute_resolve(
            order=dispute_order, actor=admin_user, outcome=outcome, buyer_refund_minor=amount
        )

    assert (refused.value.field, refused.value.code) == ("buyer_refund_minor", code)
    assert snapshot(dispute_order) == before
    assert before[:2] == (OrderStatus.DISPUTED, DisputeStatus.OPEN)


def test_an_unknown_outcome_is_refused(dispute_order, admin_user):
    before = snapshot(dispute_order)

    with pytest.raises(DomainError) as refused:
        disputes.dispute_resolve(order=dispute_order, actor=admin_user, outcome="halve")

    assert refused.value.field == "outcome"
    assert snapshot(dispute_order) == before


def test_resolving_twice_is_refused_and_changes_nothing(dispute_order, admin_user):
    disputes.dispute_resolve(order=dispute_order, actor=admin_user, outcome=DisputeStatus.RELEASED)
    before = snapshot(dispute_order)

    with pytest.raises(InvalidTransition):
        disputes.dispute_resolve(
            order=dispute_order, actor=admin_user, outcome=DisputeStatus.REFUNDED
        )

    assert snapshot(dispute_order) == before
    assert before[:2] == (OrderStatus.COMPLETED, DisputeStatus.RELEASED)


def test_only_staff_resolve_disputes(dispute_order, seller_user):
    before = snapshot(dispute_order)

    with pytest.raises(PermissionDenied):
        disputes.dispute_resolve(
            order=dispute_order, actor=seller_user, outcome=DisputeStatus.RELEASED
        )

    assert snapshot(dispute_order) == before


def test_orders_never_imports_payments():
    import pathlib

    import orders

    root = pathlib.Path(orders.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "from payments" in path.read_text() or "import payments" in path.read_text()
    ]
    assert offenders == []


# --- the admin page ---------------------------------------------------------------------


def resolve_url(order: Order) -> str:
    case = DisputeCase.objects.get(order=order)
    return f"/admin/payments/disputecase/{case.pk}/resolve/"


def test_the_admin_lists_open_disputes_with_a_resolve_link(client, admin_user, dispute_order):
    admin_login(client, admin_user)

    page = client.get("/admin/payments/disputecase/?status__exact=open")

    assert page.status_code == 200
    html = page.content.decode()
    assert dispute_order.number in html
    assert resolve_url(dispute_order) in html


def test_the_admin_resolves_a_split_from_a_decimal_amount(client, admin_user, dispute_order):
    admin_login(client, admin_user)
    url = resolve_url(dispute_order)

    form = client.get(url)
    assert form.status_code == 200
    assert '<div class="readonly" id="held">USD 1,081.50</div>' in form.content.decode()

    done = client.post(url, {"outcome": "split", "refund_amount": "400.00", "note": "M6 cartons"})

    assert done.status_code == 302
    assert dispute_entries(dispute_order) == [
        ("buyer_refunds", 40000),
        ("escrow", -108150),
        ("platform_fees", 1985),
        ("seller_payable", 66165),
    ]
    assert Dispute.objects.get(order=dispute_order).resolved_by == admin_user


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"outcome": "split", "refund_amount": "400.001"}, "USD has 2 decimals"),
        ({"outcome": "split", "refund_amount": "-5.00"}, "more than nothing"),
        ({"outcome": "split", "refund_amount": "0"}, "more than nothing"),
        ({"outcome": "split", "refund_amount": "1081.50"}, "refunds less than"),
        ({"outcome": "split", "refund_amount": ""}, "Enter how much goes back"),
        ({"outcome": "split", "refund_amount": "abc"}, "Enter a number"),
        ({"outcome": "released", "refund_amount": "10.00"}, "Leave the amount empty"),
        ({"refund_amount": ""}, "This field is required"),
    ],
)
def test_the_admin_shows_a_bad_amount_inline_and_changes_nothing(
    client, admin_user, dispute_order, data, message
):
    admin_login(client, admin_user)
    before = snapshot(dispute_order)

    page = client.post(resolve_url(dispute_order), data)

    assert page.status_code == 400
    assert message in page.content.decode()
    assert 'role="alert"' in page.content.decode()
    assert snapshot(dispute_order) == before


def test_the_admin_refuses_a_resolved_dispute_with_409(client, admin_user, dispute_order):
    disputes.dispute_resolve(order=dispute_order, actor=admin_user, outcome=DisputeStatus.REFUNDED)
    admin_login(client, admin_user)
    before = snapshot(dispute_order)

    page = client.post(resolve_url(dispute_order), {"outcome": "released"})

    assert page.status_code == 409
    assert "already resolved" in page.content.decode()
    assert snapshot(dispute_order) == before


def test_the_resolve_page_needs_a_staff_user(client, seller_user, dispute_order):
    client.force_login(seller_user)

    page = client.get(resolve_url(dispute_order))

    assert page.status_code == 302
    assert page["Location"].startswith("/admin/login/")
