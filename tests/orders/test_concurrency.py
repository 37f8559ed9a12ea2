"""Stock reservation under real concurrency: real threads, each with its own database
connection and its own transactions, released together by a barrier."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from listings.models import Listing
from orders.models import Order, OrderLine
from orders.services import LineInput, order_place
from tests.listings.factories import ListingFactory
from tests.orders.factories import buyer_member, seller_member, ship_to
from tests.threads import run_together

# Real transactions; tests/conftest.py puts back the data-migration rows after each flush.
pytestmark = pytest.mark.django_db(transaction=True)


def test_twenty_buyers_ordering_ten_each_of_a_hundred_never_oversell(monkeypatch):
    monkeypatch.setattr("orders.services.notifications._notify_on_commit", lambda event: None)
    seller, _ = seller_member()
    listing = ListingFactory(
        seller=seller,
        published=True,
        title="Hot item",
        moq=10,
        stock=100,
        incoterms=["EXW"],
        tiers=[(10, "5.0000")],
    )
    buyers = [buyer_member() for _ in range(20)]

    def order_for(buyer, actor):
        return lambda: order_place(
            buyer=buyer,
            actor=actor,
            lines=[LineInput(listing_id=listing.pk, quantity=10)],
            incoterm="EXW",
            named_place="Ningbo",
            ship_to=ship_to(country="KE"),
        )

    outcomes = run_together([order_for(buyer, actor) for buyer, actor in buyers])

    succeeded = [value for kind, value in outcomes if kind == "ok"]
    failed = [value for kind, value in outcomes if kind == "error"]
    assert len(succeeded) == 10
    assert len(failed) == 10
    for error in failed:
        assert isinstance(error, ValidationError), repr(error)
        assert error.message_dict["lines"][0].startswith("Only ")
        assert error.message_dict["lines"][0].endswith(
            " of “Hot item” are in stock; you asked for 10."
        )
    assert Listing.objects.get(pk=listing.pk).stock == 0
    assert Order.objects.filter(lines__listing=listing).count() == 10
    assert OrderLine.objects.filter(listing=listing).aggregate(total=Sum("quantity")) == {
        "total": 100
    }
    assert len({order.number for order in succeeded}) == 10


def test_two_orders_locking_the_same_listings_in_opposite_line_order_do_not_deadlock(
    monkeypatch,
):
    monkeypatch.setattr("orders.services.notifications._notify_on_commit", lambda event: None)
    seller, _ = seller_member()
    first = ListingFactory(seller=seller, published=True, moq=1, stock=1000, incoterms=["EXW"])
    second = ListingFactory(seller=seller, published=True, moq=1, stock=1000, incoterms=["EXW"])
    (buyer_a, actor_a), (buyer_b, actor_b) = buyer_member(), buyer_member()

    def order(buyer, actor, listings):
        return lambda: order_place(
            buyer=buyer,
            actor=actor,
            lines=[LineInput(listing_id=x.pk, quantity=100) for x in listings],
            incoterm="EXW",
            named_place="Ningbo",
            ship_to=ship_to(country="KE"),
        )

    for _ in range(5):  # several rounds: a lock-order bug would deadlock in one of them
        outcomes = run_together(
            [order(buyer_a, actor_a, [first, second]), order(buyer_b, actor_b, [second, first])]
        )
        assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    assert Listing.objects.get(pk=first.pk).stock == 0
    assert Listing.objects.get(pk=second.pk).stock == 0


def test_two_placements_at_the_unpaid_cap_at_once_cannot_both_pass(monkeypatch, settings):
    """The buyer holds one unpaid order and may hold two: two orders with two different sellers
    (no listing lock in common) placed at the same moment; the buyer's row lock lets one in."""
    monkeypatch.setattr("orders.services.notifications._notify_on_commit", lambda event: None)
    settings.MAX_UNPAID_ORDERS_PER_BUYER = 2
    buyer, actor = buyer_member()
    listings = []
    for name in ("First Seller Ltd", "Second Seller Ltd", "Third Seller Ltd"):
        seller, _ = seller_member(legal_name=name)
        listings.append(
            ListingFactory(
                seller=seller,
                published=True,
                moq=10,
                stock=100,
                incoterms=["EXW"],
                tiers=[(10, "5.0000")],
            )
        )

    def order_of(listing):
        return lambda: order_place(
            buyer=buyer,
            actor=actor,
            lines=[LineInput(listing_id=listing.pk, quantity=10)],
            incoterm="EXW",
            named_place="Ningbo",
            ship_to=ship_to(country="KE"),
        )

    order_of(listings[0])()
    outcomes = run_together([order_of(listings[1]), order_of(listings[2])])

    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["error", "ok"]
    error = next(value for kind, value in outcomes if kind == "error")
    assert isinstance(error, ValidationError), repr(error)
    assert error.message_dict["non_field_errors"][0].startswith("Your company has 2 unpaid orders;")
    assert Order.objects.filter(buyer=buyer).count() == 2
    # The refused order reserved nothing: 10 taken from exactly two of the three listings.
    stocks = sorted(
        Listing.objects.filter(pk__in=[x.pk for x in listings]).values_list("stock", flat=True)
    )
    assert stocks == [90, 90, 100]
