import pytest
from django.db.models import Sum

from listings.models import Listing
from marketplace.demo.orders import (
    COLOGNE_BUYER_SLUG,
    HANGZHOU_SELLER_SLUG,
    NAIROBI_BUYER_SLUG,
    OSAKA_SELLER_SLUG,
    demo_orders_seed,
)
from orders.models import Order, OrderLine
from tests.factories import CompanyFactory, MembershipFactory
from tests.listings.factories import ListingFactory


@pytest.fixture
def demo_parties(fx_rates):
    buyers = {
        COLOGNE_BUYER_SLUG: CompanyFactory(
            slug=COLOGNE_BUYER_SLUG, buyer=True, legal_name="Rheinland Import GmbH", country="DE"
        ),
        NAIROBI_BUYER_SLUG: CompanyFactory(
            slug=NAIROBI_BUYER_SLUG, buyer=True, country="KE", city="Nairobi"
        ),
    }
    sellers = {
        HANGZHOU_SELLER_SLUG: CompanyFactory(
            slug=HANGZHOU_SELLER_SLUG, seller=True, verified=True, country="CN"
        ),
        OSAKA_SELLER_SLUG: CompanyFactory(
            slug=OSAKA_SELLER_SLUG, seller=True, verified=True, country="JP"
        ),
    }
    for company in [*buyers.values(), *sellers.values()]:
        MembershipFactory(company=company)
    for _ in range(5):
        ListingFactory(
            seller=sellers[HANGZHOU_SELLER_SLUG], published=True, incoterms=["FOB", "CIF"]
        )
    for _ in range(2):
        ListingFactory(
            seller=sellers[OSAKA_SELLER_SLUG],
            published=True,
            currency="JPY",
            incoterms=["CIF"],
            tiers=[(100, "480"), (1000, "450")],
        )
    return buyers, sellers


def test_demo_orders_seed_places_one_order_per_state_through_the_services(demo_parties):
    created = demo_orders_seed()
    assert created == {
        "placed": 1,
        "confirmed": 1,
        "paid": 1,
        "shipped": 1,
        "delivered": 1,
        "completed": 1,
        "cancelled": 1,
    }
    by_reference = {o.buyer_reference: o for o in Order.objects.all()}
    paid_cif = by_reference["DEMO-PO-1003"]  # Osaka, CIF only: freight and insurance quoted
    assert (paid_cif.status, paid_cif.currency, paid_cif.incoterm, paid_cif.named_place) == (
        "paid",
        "JPY",
        "CIF",
        "Hamburg",
    )
    assert (paid_cif.freight_minor, paid_cif.insurance_minor) == (98000, 1500)
    assert by_reference["DEMO-PO-2001"].shipment.carrier == "Maersk Line"
    assert by_reference["DEMO-PO-1004"].events.count() == 6
    # Stock was reserved for every order but the cancelled one.
    reserved = OrderLine.objects.exclude(order__status="cancelled").aggregate(q=Sum("quantity"))
    assert Listing.objects.aggregate(s=Sum("stock"))["s"] == 7 * 10_000 - reserved["q"]


def test_demo_orders_seed_twice_adds_nothing(demo_parties):
    demo_orders_seed()
    orders = list(Order.objects.order_by("pk").values_list("pk", "status"))
    assert demo_orders_seed() == {}
    assert list(Order.objects.order_by("pk").values_list("pk", "status")) == orders


def test_demo_orders_seed_without_published_listings_skips(db):
    CompanyFactory(slug=COLOGNE_BUYER_SLUG, buyer=True)
    CompanyFactory(slug=HANGZHOU_SELLER_SLUG, seller=True)
    assert demo_orders_seed() == {}
    assert not Order.objects.exists()


def test_demo_orders_are_paid_and_settled_through_the_sandbox(demo_parties):
    from payments.enums import PaymentStatus, SettlementStatus
    from payments.ledger.selectors import ledger_check, order_escrow_held_minor
    from payments.models import BankPayout, ConnectedAccount, Payment

    demo_orders_seed()
    by_reference = {o.buyer_reference: o for o in Order.objects.all()}
    # Paid, shipped, delivered and completed orders each have one succeeded sandbox payment.
    for reference in ("DEMO-PO-1003", "DEMO-PO-2001", "DEMO-PO-2002", "DEMO-PO-1004"):
        order = by_reference[reference]
        [payment] = Payment.objects.filter(order=order)
        assert (payment.status, payment.sandbox, payment.amount_received_minor) == (
            PaymentStatus.SUCCEEDED,
            True,
            order.total_minor,
        )
    assert (
        Payment.objects.filter(order__buyer_reference__in=["DEMO-PO-1001", "DEMO-PO-1002"]).count()
        == 0
    )
    # Orders not yet completed hold their whole total in escrow; the completed one holds none.
    paid = by_reference["DEMO-PO-1003"]
    assert order_escrow_held_minor(order=paid) == paid.total_minor
    completed = by_reference["DEMO-PO-1004"]
    assert order_escrow_held_minor(order=completed) == 0
    # The Hangzhou seller (CN) is paid by bank: the settlement waits as a bank payout.
    assert completed.settlement.status == SettlementStatus.BANK_PAYABLE
    payout = BankPayout.objects.get(settlement=completed.settlement)
    assert payout.amount_minor == completed.total_minor - completed.platform_fee_minor
    osaka = ConnectedAccount.objects.get(company__slug=OSAKA_SELLER_SLUG)
    assert (osaka.method, osaka.payouts_enabled) == ("stripe", True)
    assert ledger_check()["balanced"] is True
