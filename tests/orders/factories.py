"""Factories and helpers for orders.

Two ways to get an order:

- ``place_order(listing=..., quantity=...)`` goes through the real ``order_place`` service
  (stock reserved, totals and landed cost computed, a ``placed`` event): use it when the
  numbers matter. ``buyer_member()`` gives a buying company with a member who may act.
- ``OrderFactory()`` writes the rows directly, fast: a placed FOB order in USD of one line,
  100 × 1.2000 = USD 120.00, fee 3.60, total 123.60, with a ``placed`` event. Traits put it
  further along the lifecycle with its timestamps set: ``confirmed``, ``paid``, ``shipped``
  (with a ``Shipment``), ``delivered`` (inspection window open), ``completed``,
  ``cancelled``, ``disputed``. Pass ``lines=False`` for an order without lines, or
  ``lines__listing=`` to snapshot a given listing; ``events=False`` for no event trail.
"""

from datetime import timedelta
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from marketplace.accounts.models import Company, User
from orders import services
from orders.enums import OrderStatus
from orders.models import Order, OrderEvent, OrderLine, Shipment
from orders.services import LineInput, ShipTo
from tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.listings.factories import ListingFactory

# The lifecycle in order, for building the event trail of a factory order.
_PATH = [
    OrderStatus.PLACED,
    OrderStatus.CONFIRMED,
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
]


def ship_to(**overrides: Any) -> ShipTo:
    """A valid address in Cologne, Germany."""
    values = {
        "name": "Rheinland Import GmbH, Wareneingang",
        "line1": "Hansaring 61",
        "city": "Köln",
        "country": "DE",
        "postal_code": "50670",
        "line2": "",
        "region": "Nordrhein-Westfalen",
    }
    values.update(overrides)
    return ShipTo(**values)


def buyer_member(**company_fields: Any) -> tuple[Company, User]:
    """A buying company and an owner who may act for it."""
    company = CompanyFactory(buyer=True, **company_fields)
    user = MembershipFactory(company=company).user
    return company, user


def seller_member(**company_fields: Any) -> tuple[Company, User]:
    """A verified selling company and an owner who may act for it."""
    company = CompanyFactory(seller=True, verified=True, **company_fields)
    user = MembershipFactory(company=company).user
    return company, user


def place_order(
    *,
    listing: Any,
    quantity: int | None = None,
    buyer: Company | None = None,
    actor: User | None = None,
    incoterm: str = "FOB",
    named_place: str = "Ningbo",
    address: ShipTo | None = None,
    buyer_reference: str = "PO-4711",
) -> Order:
    """An order placed through ``order_place`` (by a fresh buyer unless one is given)."""
    if buyer is None:
        buyer, actor = buyer_member()
    elif actor is None:
        actor = MembershipFactory(company=buyer).user
    return services.order_place(
        buyer=buyer,
        actor=actor,
        lines=[LineInput(listing_id=listing.pk, quantity=quantity or listing.moq)],
        incoterm=incoterm,
        named_place=named_place,
        ship_to=address or ship_to(),
        buyer_reference=buyer_reference,
    )


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order
        skip_postgeneration_save = True

    number = factory.Sequence(lambda n: f"ORD-TEST-{n:06d}")
    buyer = factory.SubFactory(CompanyFactory, buyer=True)
    seller = factory.SubFactory(CompanyFactory, seller=True, verified=True)
    placed_by = factory.SubFactory(UserFactory)
    status = OrderStatus.PLACED
    currency = "USD"
    incoterm = "FOB"
    named_place = "Ningbo"
    buyer_reference = "PO-4711"
    ship_to_name = "Rheinland Import GmbH"
    ship_to_line1 = "Hansaring 61"
    ship_to_city = "Köln"
    ship_to_postal_code = "50670"
    ship_to_country = "DE"
    goods_minor = 12000
    platform_fee_minor = 360
    total_minor = 12360
    platform_fee_bps = 300
    landed_cost = factory.LazyFunction(dict)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))

    class Params:
        confirmed = factory.Trait(
            status=OrderStatus.CONFIRMED, confirmed_at=factory.LazyFunction(timezone.now)
        )
        paid = factory.Trait(
            status=OrderStatus.PAID,
            confirmed_at=factory.LazyFunction(timezone.now),
            paid_at=factory.LazyFunction(timezone.now),
        )
        shipped = factory.Trait(
            status=OrderStatus.SHIPPED,
            confirmed_at=factory.LazyFunction(timezone.now),
            paid_at=factory.LazyFunction(timezone.now),
            shipped_at=factory.LazyFunction(timezone.now),
        )
        delivered = factory.Trait(
            status=OrderStatus.DELIVERED,
            confirmed_at=factory.LazyFunction(timezone.now),
            paid_at=factory.LazyFunction(timezone.now),
            shipped_at=factory.LazyFunction(timezone.now),
            delivered_at=factory.LazyFunction(timezone.now),
            inspection_ends_at=factory.LazyFunction(lambda: timezone.now() + timedelta(days=14)),
        )
        completed = factory.Trait(
            status=OrderStatus.COMPLETED,
            confirmed_at=factory.LazyFunction(timezone.now),
            paid_at=factory.LazyFunction(timezone.now),
            shipped_at=factory.LazyFunction(timezone.now),
            delivered_at=factory.LazyFunction(timezone.now),
            completed_at=factory.LazyFunction(timezone.now),
        )
        cancelled = factory.Trait(
            status=OrderStatus.CANCELLED,
            cancelled_at=factory.LazyFunction(timezone.now),
            cancel_reason="Changed our plans.",
        )
        disputed = factory.Trait(
            status=OrderStatus.DISPUTED,
            confirmed_at=factory.LazyFunction(timezone.now),
            paid_at=factory.LazyFunction(timezone.now),
            shipped_at=factory.LazyFunction(timezone.now),
            delivered_at=factory.LazyFunction(timezone.now),
            inspection_ends_at=factory.LazyFunction(lambda: timezone.now() + timedelta(days=14)),
        )

    @factory.post_generation
    def lines(obj: Order, create: bool, extracted: Any, **kwargs: Any) -> None:
        """One line of 100 × 1.2000 of ``listing`` (a published listing of the seller)."""
        if not create or extracted is False:
            return
        listing = kwargs.get("listing") or ListingFactory(
            seller=obj.seller, published=True, currency=obj.currency
        )
        OrderLineFactory(order=obj, listing=listing)

    @factory.post_generation
    def events(obj: Order, create: bool, extracted: Any, **kwargs: Any) -> None:
        """The event trail up to the order's status; a Shipment once it has shipped."""
        if not create or extracted is False:
            return
        if obj.status in _PATH:
            path = _PATH[: _PATH.index(OrderStatus(obj.status)) + 1]
        elif obj.status == OrderStatus.DISPUTED:
            path = [*_PATH[:5], OrderStatus.DISPUTED]
        else:
            path = [OrderStatus.PLACED, OrderStatus(obj.status)]
        previous = ""
        for status in path:
            OrderEvent.objects.create(order=obj, actor=None, from_status=previous, to_status=status)
            previous = status
        if OrderStatus.SHIPPED in path:
            Shipment.objects.create(
                order=obj,
                carrier="Maersk",
                tracking_number="MAEU1234567",
                ship_date=timezone.localdate(),
            )


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory, lines=False)
    listing = factory.SubFactory(ListingFactory, published=True)
    title = factory.LazyAttribute(lambda o: o.listing.title if o.listing else "Hex bolts M8")
    hs_code = factory.LazyAttribute(lambda o: str(o.listing.hs_code_id) if o.listing else "731815")
    origin_country = "CN"
    unit = "piece"
    quantity = 100
    unit_price = Decimal("1.2000")
    line_total_minor = 12000
    unit_net_weight_kg = Decimal("0.045")
    units_per_carton = 200
    carton_gross_weight_kg = Decimal("9.500")
    carton_length_cm = Decimal("35.0")
    carton_width_cm = Decimal("25.0")
    carton_height_cm = Decimal("15.0")


class OrderEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderEvent

    order = factory.SubFactory(OrderFactory, events=False)
    actor = None
    from_status = ""
    to_status = OrderStatus.PLACED
    note = ""


def orders_state(*listings: Any) -> dict[str, Any]:
    """What a refused request must leave untouched: order rows, events, shipments, disputes,
    cart lines, outbox rows and the stock of ``listings``."""
    from listings.models import Listing
    from marketplace.core.models import OutboxEvent
    from orders.models import CartLine, Dispute

    return {
        "orders": list(Order.objects.order_by("pk").values_list("pk", "status")),
        "lines": OrderLine.objects.count(),
        "events": OrderEvent.objects.count(),
        "shipments": Shipment.objects.count(),
        "disputes": Dispute.objects.count(),
        "cart_lines": CartLine.objects.count(),
        "outbox": OutboxEvent.objects.count(),
        "stock": dict(
            Listing.objects.filter(pk__in=[x.pk for x in listings]).values_list("pk", "stock")
        ),
    }
