"""Demo orders between the demo companies, one in each state of the lifecycle.

Every order is placed and moved on through the order services, exactly as the buyer and
the seller would in the browser (stock reserved, totals and landed cost frozen, events and
emails), and paid and settled through the payments services in the offline sandbox
(``marketplace.demo.payments``), so the demo shows real data. The buyer's reference (``DEMO-PO-…``) is the natural
key: an order that already exists is left as it is, so running the seed again adds nothing.
"""

from dataclasses import dataclass
from decimal import Decimal

from listings.enums import ListingStatus
from listings.models import Listing
from marketplace.accounts.enums import MembershipRole
from marketplace.accounts.models import Company, Membership, User
from marketplace.demo.payments import demo_pay, demo_payout_accounts_seed, demo_settle
from marketplace.trade.incoterms import INCOTERMS
from orders import services
from orders.enums import OrderStatus
from orders.models import Order

COLOGNE_BUYER_SLUG = "rheinland-import"
NAIROBI_BUYER_SLUG = "nairobi-hardware-supplies"
HANGZHOU_SELLER_SLUG = "hangzhou-westlake-trading"
OSAKA_SELLER_SLUG = "naniwa-precision-tools"

# The Incoterms a demo order prefers, in order: the buyer arranges the carriage.
_PREFERRED_INCOTERMS = ("FOB", "FCA", "EXW")
# Freight and insurance a seller quotes where its Incoterm makes it pay them.
_DEMO_FREIGHT = {"USD": Decimal("850.00"), "JPY": Decimal("98000")}
_DEMO_INSURANCE = {"USD": Decimal("12.50"), "JPY": Decimal("1500")}


@dataclass(frozen=True)
class DemoOrder:
    reference: str
    buyer_slug: str
    seller_slug: str
    listing_index: int  # among the seller's published listings, oldest first
    status: OrderStatus
    quantity_factor: int = 1  # times the listing's MOQ


DEMO_ORDERS: tuple[DemoOrder, ...] = (
    DemoOrder("DEMO-PO-1001", COLOGNE_BUYER_SLUG, HANGZHOU_SELLER_SLUG, 0, OrderStatus.PLACED),
    DemoOrder(
        "DEMO-PO-1002", COLOGNE_BUYER_SLUG, HANGZHOU_SELLER_SLUG, 1, OrderStatus.CONFIRMED, 2
    ),
    DemoOrder("DEMO-PO-1003", COLOGNE_BUYER_SLUG, OSAKA_SELLER_SLUG, 0, OrderStatus.PAID),
    DemoOrder("DEMO-PO-2001", NAIROBI_BUYER_SLUG, HANGZHOU_SELLER_SLUG, 2, OrderStatus.SHIPPED),
    DemoOrder("DEMO-PO-2002", NAIROBI_BUYER_SLUG, OSAKA_SELLER_SLUG, 1, OrderStatus.DELIVERED),
    DemoOrder(
        "DEMO-PO-1004", COLOGNE_BUYER_SLUG, HANGZHOU_SELLER_SLUG, 3, OrderStatus.COMPLETED, 3
    ),
    DemoOrder("DEMO-PO-2003", NAIROBI_BUYER_SLUG, HANGZHOU_SELLER_SLUG, 4, OrderStatus.CANCELLED),
)

_PATH = (
    OrderStatus.PLACED,
    OrderStatus.CONFIRMED,
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
)


def _owner(company: Company) -> User | None:
    membership = (
        Membership.objects.filter(company=company, role=MembershipRole.OWNER, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def _ship_to(company: Company) -> services.ShipTo:
    return services.ShipTo(
        name=f"{company.legal_name}, goods receiving",
        line1=company.address_line1,
        line2=company.address_line2,
        city=company.city,
        region=company.region,
        postal_code=company.postal_code,
        country=str(company.country),
    )


def _incoterm(listing: Listing) -> str:
    for code in _PREFERRED_INCOTERMS:
        if code in listing.incoterms:
            return code
    return listing.incoterms[0]


def _named_place(listing: Listing, incoterm: str, buyer: Company) -> str:
    if INCOTERMS[incoterm].seller_pays_main_carriage:
        return str(buyer.city)  # a C or D rule names the destination
    return listing.ship_from


def _advance(*, order: Order, target: OrderStatus, buyer: User, seller: User) -> Order:
    """Move a placed order on to ``target`` through the services, step by step."""
    if target == OrderStatus.CANCELLED:
        return services.order_cancel(
            order=order,
            actor=buyer,
            company=order.buyer,
            reason="Demo: the buyer found the goods closer to home.",
        )
    rule = INCOTERMS[order.incoterm]
    for status in _PATH[1 : _PATH.index(target) + 1]:
        if status == OrderStatus.CONFIRMED:
            order = services.order_confirm(
                order=order,
                actor=seller,
                freight=_DEMO_FREIGHT.get(order.currency)
                if rule.seller_pays_main_carriage
                else None,
                insurance=_DEMO_INSURANCE.get(order.currency) if rule.seller_insures else None,
            )
        elif status == OrderStatus.PAID:
            paid = demo_pay(order=order, buyer=buyer)
            if paid is None:  # no sandbox: the demo order waits for a real payment
                return order
            order = paid
        elif status == OrderStatus.SHIPPED:
            order = services.order_ship(
                order=order,
                actor=seller,
                carrier="Maersk Line",
                tracking_number=f"MAEU{order.pk:07d}",
            )
        elif status == OrderStatus.DELIVERED:
            order = services.order_confirm_delivery(order=order, actor=buyer)
        elif status == OrderStatus.COMPLETED:
            order = services.order_accept(order=order, actor=buyer)
            demo_settle(order=order)
    return order


def demo_orders_seed() -> dict[str, int]:
    """Place the demo orders that do not exist yet; returns how many were created per status.

    Skips an order whose companies, owners or listings are not there (e.g. a seller with no
    published listing yet).
    """
    created: dict[str, int] = {}
    companies = {c.slug: c for c in Company.objects.filter(slug__in=_slugs())}
    demo_payout_accounts_seed(
        stripe_seller=companies.get(OSAKA_SELLER_SLUG),
        bank_seller=companies.get(HANGZHOU_SELLER_SLUG),
    )
    for spec in DEMO_ORDERS:
        buyer = companies.get(spec.buyer_slug)
        seller = companies.get(spec.seller_slug)
        if buyer is None or seller is None:
            continue
        if Order.objects.filter(buyer=buyer, buyer_reference=spec.reference).exists():
            continue
        buyer_user, seller_user = _owner(buyer), _owner(seller)
        listings = list(
            Listing.objects.filter(seller=seller, status=ListingStatus.PUBLISHED).order_by("pk")
        )
        if buyer_user is None or seller_user is None or not listings:
            continue
        listing = listings[spec.listing_index % len(listings)]
        quantity = listing.moq * spec.quantity_factor
        if quantity > listing.stock:
            continue
        incoterm = _incoterm(listing)
        order = services.order_place(
            buyer=buyer,
            actor=buyer_user,
            lines=[services.LineInput(listing_id=listing.pk, quantity=quantity)],
            incoterm=incoterm,
            named_place=_named_place(listing, incoterm, buyer),
            ship_to=_ship_to(buyer),
            buyer_reference=spec.reference,
        )
        order = _advance(order=order, target=spec.status, buyer=buyer_user, seller=seller_user)
        created[order.status] = created.get(order.status, 0) + 1
    return created


def _slugs() -> list[str]:
    return sorted({s.buyer_slug for s in DEMO_ORDERS} | {s.seller_slug for s in DEMO_ORDERS})
