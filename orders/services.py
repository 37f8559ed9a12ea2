"""Writes of orders: the cart, checkout and placement, and every step of the lifecycle.

Placement checks every rule before it writes anything: a refused request raises
``ValidationError({field: [message, ...]})`` (fields ``lines``, ``incoterm``,
``named_place``, ``buyer_reference``, ``terms``, ``quantity``, ``listing`` and the ship-to
address as ``ship_to.name``, ``ship_to.line1``, ``ship_to.city``, ``ship_to.country``, ...),
and the durable transaction leaves no order, line, event or stock change behind.

Stock is reserved under row locks taken in primary-key order (``lock_many``), so concurrent
orders of one listing queue up instead of overselling, and two orders of the same listings
in a different line order cannot deadlock.

Every status change goes through ``marketplace.core.transitions.transition`` with
``ORDER_TRANSITIONS``, writes an ``OrderEvent`` (actor, from, to, note) and enqueues the
email to both parties once the transaction has committed. The wrong party raises
``PermissionDenied`` (403), a change the table does not allow ``InvalidTransition`` (409),
a rule of timing (the inspection window, a buyer cancelling a paid order) ``Conflict`` (409).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_countries import countries

from listings.enums import ListingStatus
from listings.models import Listing
from marketplace.accounts.models import Company, Membership, User
from marketplace.accounts.selectors import user_email_confirmed_require
from marketplace.core.exceptions import Conflict, DomainError, InvalidTransition
from marketplace.core.outbox import outbox_record
from marketplace.core.transitions import lock, lock_many, transition
from marketplace.trade.incoterms import INCOTERMS, Incoterm
from marketplace.trade.landed_cost import (
    CustomsRates,
    LandedCost,
    customs_rates_for,
    landed_cost_calculate,
    same_customs_territory,
)
from marketplace.trade.money import Money
from orders.documents.enums import KINDS_ON_CONFIRM, KINDS_ON_SHIP
from orders.documents.services import trade_documents_enqueue
from orders.enums import ORDER_TRANSITIONS, DisputeStatus, OrderStatus
from orders.models import Cart, CartLine, Dispute, Order, OrderEvent, OrderLine, Shipment
from orders.numbering import order_number_next
from orders.pricing import OrderTotals, line_total, order_totals, tier_unit_price

UNPAID_STATUSES = frozenset({OrderStatus.PLACED, OrderStatus.CONFIRMED})
BUYER_CANCELLABLE_STATUSES = UNPAID_STATUSES
EXPIRED_NOTE = "Expired unpaid"
INSPECTION_ENDED_NOTE = "Inspection window ended with no dispute"
TOPIC_ORDER_COMPLETED = "order.completed"
TOPIC_ORDER_CANCELLED = "order.cancelled"

# Field lengths, as in the model.
_SHIP_TO_LIMITS = {
    "name": 200,
    "line1": 200,
    "line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
}
_SHIP_TO_REQUIRED = ("name", "line1", "city")
_NAMED_PLACE_MAX = 120
_BUYER_REFERENCE_MAX = 64
_REASON_MAX = 2000
_CARRIER_MAX = 100
_TRACKING_MAX = 100
_QUANTITY_MAX = 2_147_483_647


@dataclass(frozen=True)
class ShipTo:
    name: str
    line1: str
    city: str
    country: str
    postal_code: str = ""
    line2: str = ""
    region: str = ""


@dataclass(frozen=True)
class LineInput:
    listing_id: int
    quantity: int


# --- errors and parties ---------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        messages = self.by_field.setdefault(field, [])
        if message not in messages:
            messages.append(message)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def _is_member(*, actor: User | None, company: Company) -> bool:
    return bool(
        actor is not None
        and actor.is_active
        and Membership.objects.filter(user=actor, company=company).exists()
    )


def _require_buyer_member(*, actor: User, buyer: Company) -> None:
    if not _is_member(actor=actor, company=buyer):
        raise PermissionDenied("Only members of the buying company may do this.")
    if not buyer.buys:
        raise PermissionDenied("Only a company that buys can order.")


def _require_party(*, order: Order, actor: User, party: str) -> None:
    company = order.buyer if party == "buyer" else order.seller
    if not _is_member(actor=actor, company=company):
        raise PermissionDenied(f"Only the {party} of order {order.number} may do this.")


def _lock_buyer(buyer: Company) -> None:
    """Lock the buying company's row, first in every placement, so that two placements for one
    buyer count its unpaid orders one after the other (then its cart and listings, in order)."""
    lock(Company, buyer.pk)


def _unpaid_orders_cap_check(errors: _Errors, *, buyer: Company, new_orders: int) -> None:
    """A buyer may hold at most MAX_UNPAID_ORDERS_PER_BUYER unpaid orders (placed or confirmed),
    so that it cannot lock up sellers' stock; counted under the buyer's lock."""
    cap = settings.MAX_UNPAID_ORDERS_PER_BUYER
    unpaid = Order.objects.filter(buyer=buyer, status__in=UNPAID_STATUSES).count()
    if unpaid + new_orders > cap:
        errors.add(
            "non_field_errors",
            f"Your company has {unpaid} unpaid order{'s' if unpaid != 1 else ''}; at most {cap} "
            f"may wait for payment at once, and this would place {new_orders} more. "
            "Pay or cancel unpaid orders before placing new ones.",
        )


def _clean_text(
    errors: _Errors, field: str, value: object, *, max_length: int, required: bool, label: str
) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if value is not None and not isinstance(value, str):
        errors.add(field, f"Enter the {label} as text.")
    elif required and not text:
        errors.add(field, f"Enter the {label}.")
    elif len(text) > max_length:
        errors.add(field, f"The {label} may have at most {max_length} characters.")
    return text


def _clean_ship_to(errors: _Errors, ship_to: ShipTo) -> dict[str, str]:
    labels = {
        "name": "recipient's name",
        "line1": "street address",
        "line2": "second address line",
        "city": "city",
        "region": "region",
        "postal_code": "postal code",
    }
    values = {
        f"ship_to_{name}": _clean_text(
            errors,
            f"ship_to.{name}",
            getattr(ship_to, name),
            max_length=limit,
            required=name in _SHIP_TO_REQUIRED,
            label=labels[name],
        )
        for name, limit in _SHIP_TO_LIMITS.items()
    }
    country = ship_to.country.strip().upper() if isinstance(ship_to.country, str) else ""
    if not country:
        errors.add("ship_to.country", "Choose the country the goods are shipped to.")
    elif country not in countries:
        errors.add("ship_to.country", f"“{ship_to.country}” is not a known country code.")
    values["ship_to_country"] = country
    return values


def _clean_terms(
    errors: _Errors, *, incoterm: object, named_place: object, prefix: str
) -> tuple[Incoterm | None, str]:
    code = incoterm.strip().upper() if isinstance(incoterm, str) else ""
    rule = INCOTERMS.get(code)
    if not code:
        errors.add("incoterm", f"{prefix}Choose an Incoterm.")
    elif rule is None:
        errors.add("incoterm", f"{prefix}“{incoterm}” is not an Incoterms 2020 rule.")
    place = named_place.strip() if isinstance(named_place, str) else ""
    if not place:
        means = rule.named_place_means if rule else "named place"
        errors.add("named_place", f"{prefix}Enter the {means} for the Incoterm.")
    elif len(place) > _NAMED_PLACE_MAX:
        errors.add(
            "named_place",
            f"{prefix}The named place may have at most {_NAMED_PLACE_MAX} characters.",
        )
    return rule, place


# --- placement --------------------------------------------------------------------------


@dataclass(frozen=True)
class _PricedLine:
    listing: Listing
    quantity: int
    unit_price: Decimal
    total: Money


@dataclass(frozen=True)
class _OrderDraft:
    seller: Company
    currency: str
    incoterm: Incoterm
    named_place: str
    lines: list[_PricedLine]


def _as_quantity(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _lock_listings(listing_ids: Iterable[object]) -> dict[int, Listing]:
    ids = sorted({pk for pk in listing_ids if isinstance(pk, int) and not isinstance(pk, bool)})
    listings = lock_many(Listing, ids)
    prefetch_related_objects(listings, "price_tiers")
    return {listing.pk: listing for listing in listings}


def _price_lines(
    errors: _Errors,
    *,
    buyer: Company,
    lines: list[LineInput],
    listings: Mapping[int, Listing],
    check_seller_count: bool,
) -> list[_PricedLine]:
    """Check each line against its (locked) listing and price it at its tier."""
    if not lines:
        errors.add("lines", "Add at least one line to the order.")
        return []
    priced: list[_PricedLine] = []
    seen: set[int] = set()
    for line in lines:
        listing = listings.get(line.listing_id) if isinstance(line.listing_id, int) else None
        if listing is None or listing.status != ListingStatus.PUBLISHED:
            errors.add("lines", f"Listing {line.listing_id} is not available.")
            continue
        if listing.pk in seen:
            errors.add("lines", f"“{listing.title}” appears more than once; order it in one line.")
            continue
        seen.add(listing.pk)
        if listing.seller_id == buyer.pk:
            errors.add("lines", f"You cannot order your own company's listing “{listing.title}”.")
            continue
        quantity = _as_quantity(line.quantity)
        if quantity is None or quantity < 1 or quantity > _QUANTITY_MAX:
            errors.add("lines", f"Enter a whole quantity of at least 1 for “{listing.title}”.")
            continue
        if quantity < listing.moq:
            errors.add(
                "lines",
                f"“{listing.title}” has a minimum order quantity of {listing.moq}; "
                f"you asked for {quantity}.",
            )
            continue
        if quantity > listing.stock:
            errors.add(
                "lines",
                f"Only {listing.stock} of “{listing.title}” are in stock; "
                f"you asked for {quantity}.",
            )
            continue
        unit_price = tier_unit_price(tiers=listing.price_tiers.all(), quantity=quantity)
        if unit_price is None:
            errors.add("lines", f"“{listing.title}” has no price for {quantity}.")
            continue
        priced.append(
            _PricedLine(
                listing=listing,
                quantity=quantity,
                unit_price=unit_price,
                total=line_total(
                    unit_price=unit_price, quantity=quantity, currency=listing.currency
                ),
            )
        )
    if check_seller_count and len({p.listing.seller_id for p in priced}) > 1:
        errors.add("lines", "All lines of an order must come from one seller.")
    return priced


def _draft_check(
    errors: _Errors,
    *,
    priced: list[_PricedLine],
    rule: Incoterm | None,
    named_place: str,
    prefix: str,
) -> _OrderDraft | None:
    """The checks across the lines of one seller: currency and the Incoterm offered."""
    if not priced:
        return None
    currencies = sorted({p.listing.currency for p in priced})
    if len(currencies) > 1:
        errors.add(
            "lines",
            f"{prefix}All lines of an order must be in one currency; "
            f"these are in {', '.join(currencies)}.",
        )
    if rule is not None:
        for p in priced:
            if rule.code not in p.listing.incoterms:
                errors.add(
                    "incoterm",
                    f"{prefix}“{p.listing.title}” is not offered under {rule.code}; "
                    f"offered: {', '.join(p.listing.incoterms)}.",
                )
    if rule is None or errors.by_field:
        return None
    return _OrderDraft(
        seller=priced[0].listing.seller,
        currency=currencies[0],
        incoterm=rule,
        named_place=named_place,
        lines=priced,
    )


def _apportion(amount: Money | None, weights: list[Money]) -> list[Money | None]:
    """Split ``amount`` over the parts by their goods value; the last takes the remainder."""
    if amount is None:
        return [None] * len(weights)
    total = sum((w.amount for w in weights), Decimal(0))
    shares: list[Money | None] = []
    given = Money.zero(amount.currency)
    for index, weight in enumerate(weights):
        if index == len(weights) - 1:
            share = amount - given
        elif total == 0:
            share = Money.zero(amount.currency)
        else:
            share = Money(amount.amount * weight.amount / total, amount.currency).rounded()
        given = given + share
        shares.append(share)
    return shares


def _landed_cost(
    *,
    lines: list[tuple[str, str, Money]],
    destination: str,
    incoterm: Incoterm,
    freight: Money | None,
    insurance: Money | None,
) -> tuple[Money, Money, dict[str, Any]]:
    """Estimated duty and import tax for a consignment, and the snapshot to freeze.

    ``lines`` are (HS code, origin, line total). Lines of one HS code and origin are one part
    of the estimate; freight and insurance are shared over the parts by goods value. A de
    minimis threshold applies to the whole consignment, not to each part.
    """
    currency = lines[0][2].currency
    zero = Money.zero(currency)
    parts: dict[tuple[str, str], Money] = defaultdict(lambda: zero)
    for hs_code, origin, total in lines:
        parts[(hs_code, origin)] = parts[(hs_code, origin)] + total
    goods = sum(parts.values(), zero)
    keys = list(parts)
    freight_shares = _apportion(freight, [parts[k] for k in keys])
    insurance_shares = _apportion(insurance, [parts[k] for k in keys])
    as_of = timezone.localdate()
    estimates: list[LandedCost] = []
    try:
        for (hs_code, origin), part_freight, part_insurance in zip(
            keys, freight_shares, insurance_shares, strict=True
        ):
            import_happens = not same_customs_territory(origin, destination)
            rates = CustomsRates()
            if import_happens:
                rates = customs_rates_for(
                    destination=destination, hs_code=hs_code, as_of=as_of, currency=currency
                )
                # The threshold is about the whole consignment: above it, no part is relieved.
                if rates.duty_de_minimis is not None and goods > rates.duty_de_minimis:
                    rates = replace(rates, duty_de_minimis=None)
                if rates.tax_de_minimis is not None and goods > rates.tax_de_minimis:
                    rates = replace(rates, tax_de_minimis=None)
            estimates.append(
                landed_cost_calculate(
                    goods=parts[(hs_code, origin)],
                    hs_code=hs_code,
                    origin=origin,
                    destination=destination,
                    incoterm=incoterm,
                    freight=part_freight,
                    insurance=part_insurance,
                    rates=rates,
                    as_of=as_of,
                    insurance_premium_bps=settings.INSURANCE_PREMIUM_BPS,
                    import_happens=import_happens,
                )
            )
    except DomainError as exc:  # reference data missing (an FX rate): order, but say so
        return (
            zero,
            zero,
            {
                "currency": currency,
                "incoterm": incoterm.code,
                "destination": destination,
                "as_of": as_of.isoformat(),
                "payer": incoterm.duty_paid_by,
                "flags": ["estimate_unavailable"],
                "note": exc.message,
                "parts": [],
            },
        )

    def total_of(pick: Callable[[LandedCost], Money | None]) -> Money:
        return sum((a for a in (pick(e) for e in estimates) if a is not None), zero)

    duty = total_of(lambda e: e.duty.amount)
    import_tax = total_of(lambda e: e.import_tax.amount)
    freight_known = all(e.freight.amount is not None for e in estimates)
    # A duty or tax with no known rate is unknown, not 0 (the order keeps the known part).
    duty_known = all(e.duty.amount is not None for e in estimates)
    import_tax_known = all(e.import_tax.amount is not None for e in estimates)
    snapshot = {
        "currency": currency,
        "incoterm": incoterm.code,
        "destination": destination,
        "as_of": as_of.isoformat(),
        "payer": incoterm.duty_paid_by,
        "goods": goods.as_dict(),
        "freight": total_of(lambda e: e.freight.amount).as_dict() if freight_known else None,
        "insurance": total_of(lambda e: e.insurance.amount).as_dict(),
        "duty": duty.as_dict() if duty_known else None,
        "import_tax": import_tax.as_dict() if import_tax_known else None,
        "total_for_buyer": total_of(lambda e: e.total_for_buyer).as_dict(),
        "borne_by_seller": total_of(lambda e: e.borne_by_seller).as_dict(),
        "flags": sorted({flag for e in estimates for flag in e.flags}),
        "parts": [e.as_dict() for e in estimates],
    }
    return duty, import_tax, snapshot


def order_landed_cost_preview(
    *, lines: list[tuple[str, str, Money]], currency: str, destination: str, incoterm: Incoterm
) -> dict[str, Any]:
    """The landed-cost snapshot that placing this seller's order would freeze (no freight yet),
    by the very computation ``order_place`` uses, so that checkout shows what the order keeps.
    Writes nothing."""
    _, snapshot = _totals_and_landed_cost(
        lines=lines,
        currency=currency,
        destination=destination,
        incoterm=incoterm,
        fee_bps=settings.PLATFORM_FEE_BPS,
        freight=None,
        insurance=None,
    )
    return snapshot


def _totals_and_landed_cost(
    *,
    lines: list[tuple[str, str, Money]],
    currency: str,
    destination: str,
    incoterm: Incoterm,
    fee_bps: int,
    freight: Money | None,
    insurance: Money | None,
) -> tuple[OrderTotals, dict[str, Any]]:
    duty, import_tax, snapshot = _landed_cost(
        lines=lines,
        destination=destination,
        incoterm=incoterm,
        freight=freight,
        insurance=insurance,
    )
    totals = order_totals(
        line_totals=[total for _, _, total in lines],
        currency=currency,
        fee_bps=fee_bps,
        freight=freight,
        insurance=insurance,
        duty=duty,
        import_tax=import_tax,
    )
    # What the buyer will really pay, the platform's fee included, beside the estimate.
    snapshot["platform_fee"] = totals.platform_fee.as_dict()
    if "total_for_buyer" in snapshot:
        landed = Money(snapshot["total_for_buyer"]["amount"], currency) + totals.platform_fee
        snapshot["landed_total"] = landed.as_dict()
    return totals, snapshot


def _order_create(
    *,
    buyer: Company,
    actor: User,
    draft: _OrderDraft,
    ship_to: dict[str, str],
    buyer_reference: str,
    now: datetime,
) -> Order:
    fee_bps = settings.PLATFORM_FEE_BPS
    totals, snapshot = _totals_and_landed_cost(
        lines=[
            (str(p.listing.hs_code_id), str(p.listing.origin_country), p.total) for p in draft.lines
        ],
        currency=draft.currency,
        destination=ship_to["ship_to_country"],
        incoterm=draft.incoterm,
        fee_bps=fee_bps,
        freight=None,
        insurance=None,
    )
    order = Order.objects.create(
        number=order_number_next(now=now),
        buyer=buyer,
        seller=draft.seller,
        placed_by=actor,
        status=OrderStatus.PLACED,
        currency=draft.currency,
        incoterm=draft.incoterm.code,
        named_place=draft.named_place,
        buyer_reference=buyer_reference,
        duty_and_tax_payer=draft.incoterm.duty_paid_by,
        platform_fee_bps=fee_bps,
        landed_cost=snapshot,
        expires_at=now + timedelta(days=settings.ORDER_PAYMENT_WINDOW_DAYS),
        **ship_to,
        **totals.as_minor_units(),
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            listing=p.listing,
            title=p.listing.title,
            hs_code=str(p.listing.hs_code_id),
            origin_country=p.listing.origin_country,
            unit=p.listing.unit,
            quantity=p.quantity,
            unit_price=p.unit_price,
            line_total_minor=p.total.to_minor_units(),
            unit_net_weight_kg=p.listing.unit_net_weight_kg,
            units_per_carton=p.listing.units_per_carton,
            carton_gross_weight_kg=p.listing.carton_gross_weight_kg,
            carton_length_cm=p.listing.carton_length_cm,
            carton_width_cm=p.listing.carton_width_cm,
            carton_height_cm=p.listing.carton_height_cm,
        )
        for p in draft.lines
    )
    for p in draft.lines:
        # The listing row is locked by this transaction and the stock was checked under it.
        p.listing.stock -= p.quantity
        p.listing.save(update_fields=["stock", "updated_at"])
    event = OrderEvent.objects.create(
        order=order, actor=actor, from_status="", to_status=OrderStatus.PLACED
    )
    _notify_on_commit(event)
    return order


def order_place(
    *,
    buyer: Company,
    actor: User,
    lines: list[LineInput],
    incoterm: str,
    named_place: str,
    ship_to: ShipTo,
    buyer_reference: str = "",
) -> Order:
    """Place one order with one seller, reserving its stock; all checks before any write."""
    _require_buyer_member(actor=actor, buyer=buyer)
    user_email_confirmed_require(user=actor)
    with transaction.atomic(durable=True):
        errors = _Errors()
        _lock_buyer(buyer)
        listings = _lock_listings(line.listing_id for line in lines)
        priced = _price_lines(
            errors, buyer=buyer, lines=lines, listings=listings, check_seller_count=True
        )
        rule, place = _clean_terms(errors, incoterm=incoterm, named_place=named_place, prefix="")
        address = _clean_ship_to(errors, ship_to)
        reference = _clean_text(
            errors,
            "buyer_reference",
            buyer_reference,
            max_length=_BUYER_REFERENCE_MAX,
            required=False,
            label="buyer's reference",
        )
        draft = _draft_check(errors, priced=priced, rule=rule, named_place=place, prefix="")
        _unpaid_orders_cap_check(errors, buyer=buyer, new_orders=1)
        errors.raise_if_any()
        if draft is None:  # every path to no draft has recorded an error
            raise RuntimeError("An order draft without errors is incomplete")
        return _order_create(
            buyer=buyer,
            actor=actor,
            draft=draft,
            ship_to=address,
            buyer_reference=reference,
            now=timezone.now(),
        )


# --- cart -------------------------------------------------------------------------------


def cart_get(*, buyer: Company) -> Cart:
    """The buying company's cart, created on first use."""
    cart, _ = Cart.objects.get_or_create(buyer=buyer)
    return cart


def cart_line_set(*, buyer: Company, actor: User, listing_id: int, quantity: int) -> CartLine:
    """Put ``quantity`` of a listing in the cart (add or change); checked as at checkout."""
    _require_buyer_member(actor=actor, buyer=buyer)
    with transaction.atomic(durable=True):
        errors = _Errors()
        listing = (
            Listing.objects.filter(pk=listing_id, status=ListingStatus.PUBLISHED)
            .prefetch_related("price_tiers")
            .first()
            if isinstance(listing_id, int) and not isinstance(listing_id, bool)
            else None
        )
        if listing is None:
            raise ValidationError({"listing": [f"Listing {listing_id} is not available."]})
        if listing.seller_id == buyer.pk:
            errors.add("listing", "You cannot order your own company's listing.")
        amount = _as_quantity(quantity)
        if amount is None or amount < 1 or amount > _QUANTITY_MAX:
            raise ValidationError({"quantity": ["Enter a whole quantity of at least 1."]})
        if amount < listing.moq:
            errors.add(
                "quantity",
                f"“{listing.title}” has a minimum order quantity of {listing.moq}; "
                f"you asked for {amount}.",
            )
        elif amount > listing.stock:
            errors.add(
                "quantity",
                f"Only {listing.stock} of “{listing.title}” are in stock; you asked for {amount}.",
            )
        errors.raise_if_any()
        cart = cart_get(buyer=buyer)
        line, _ = CartLine.objects.update_or_create(
            cart=cart, listing=listing, defaults={"quantity": amount}
        )
        return line


def cart_line_remove(*, buyer: Company, actor: User, listing_id: int) -> None:
    """Take a listing out of the cart; removing what is not there changes nothing."""
    _require_buyer_member(actor=actor, buyer=buyer)
    with transaction.atomic(durable=True):
        CartLine.objects.filter(cart__buyer=buyer, listing_id=listing_id).delete()


def cart_checkout(
    *,
    buyer: Company,
    actor: User,
    terms: Mapping[int, tuple[str, str]],
    ship_to: ShipTo,
    buyer_reference: str = "",
) -> list[Order]:
    """One order per seller in the cart, all or none, in one transaction; empties the cart.

    ``terms`` maps each seller's id to its (Incoterm, named place).
    """
    _require_buyer_member(actor=actor, buyer=buyer)
    user_email_confirmed_require(user=actor)
    with transaction.atomic(durable=True):
        errors = _Errors()
        _lock_buyer(buyer)
        cart = Cart.objects.select_for_update().filter(buyer=buyer).first()
        cart_lines = list(cart.lines.order_by("id")) if cart is not None else []
        if not cart_lines:
            errors.add("lines", "Your cart is empty.")
            errors.raise_if_any()
        line_inputs = [LineInput(listing_id=c.listing_id, quantity=c.quantity) for c in cart_lines]
        listings = _lock_listings(line.listing_id for line in line_inputs)
        priced = _price_lines(
            errors, buyer=buyer, lines=line_inputs, listings=listings, check_seller_count=False
        )
        address = _clean_ship_to(errors, ship_to)
        reference = _clean_text(
            errors,
            "buyer_reference",
            buyer_reference,
            max_length=_BUYER_REFERENCE_MAX,
            required=False,
            label="buyer's reference",
        )
        by_seller: dict[int, list[_PricedLine]] = defaultdict(list)
        for p in priced:
            by_seller[p.listing.seller_id].append(p)
        drafts: list[_OrderDraft] = []
        for seller_id, seller_lines in sorted(by_seller.items()):
            seller = seller_lines[0].listing.seller
            prefix = f"{seller.display_name}: "
            if seller_id not in terms:
                errors.add("terms", f"{prefix}Choose the Incoterm and the named place.")
                continue
            incoterm, named_place = terms[seller_id]
            rule, place = _clean_terms(
                errors, incoterm=incoterm, named_place=named_place, prefix=prefix
            )
            draft = _draft_check(
                errors, priced=seller_lines, rule=rule, named_place=place, prefix=prefix
            )
            if draft is not None:
                drafts.append(draft)
        _unpaid_orders_cap_check(errors, buyer=buyer, new_orders=len(by_seller))
        errors.raise_if_any()
        now = timezone.now()
        orders = [
            _order_create(
                buyer=buyer,
                actor=actor,
                draft=draft,
                ship_to=address,
                buyer_reference=reference,
                now=now,
            )
            for draft in drafts
        ]
        CartLine.objects.filter(pk__in=[c.pk for c in cart_lines]).delete()
        return orders


# --- lifecycle --------------------------------------------------------------------------


def _transition(
    *,
    order: Order,
    target: str,
    actor: User | None,
    note: str = "",
    extra_fields: Mapping[str, object] | None = None,
) -> Order:
    def record(locked: Order, from_status: str, to_status: str) -> OrderEvent:
        event = OrderEvent.objects.create(
            order=locked, actor=actor, from_status=from_status, to_status=to_status, note=note
        )
        _notify_on_commit(event)
        return event

    return transition(
        instance=order,
        target=target,
        allowed=ORDER_TRANSITIONS,
        record_event=record,
        extra_fields=extra_fields,
    )


def _lock_allowing(order: Order, target: str, *, only_from: frozenset[str] | None = None) -> Order:
    """Lock the order and check that the table allows ``target`` before validating input,
    so that a request on an order in the wrong state is a 409 whatever its body.

    ``only_from`` narrows the table for a party's action (the buyer accepts only a delivered
    order; completing a disputed one is the platform's decision)."""
    locked = lock(Order, order.pk)
    allowed = target in ORDER_TRANSITIONS.get(locked.status, frozenset())
    if not allowed or (only_from is not None and locked.status not in only_from):
        raise InvalidTransition(model="order", current=locked.status, target=target)
    return locked


def _clean_amount(
    errors: _Errors, field: str, value: object, *, currency: str, label: str
) -> Money | None:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        errors.add(field, f"Enter the {label} as an amount in {currency}.")
        return None
    try:
        money = Money(value, currency)
    except (TypeError, ValueError):
        errors.add(field, f"Enter the {label} as an amount in {currency}.")
        return None
    if money.amount < 0:
        errors.add(field, f"The {label} cannot be negative.")
        return None
    if money.rounded() != money:
        errors.add(field, f"Enter the {label} with at most {money.exponent} decimals ({currency}).")
        return None
    return money


def _order_line_keys(order: Order) -> list[tuple[str, str, Money]]:
    return [
        (
            line.hs_code,
            str(line.origin_country),
            Money.from_minor_units(line.line_total_minor, order.currency),
        )
        for line in order.lines.order_by("id")
    ]


def order_confirm(
    *,
    order: Order,
    actor: User,
    freight: Decimal | None = None,
    insurance: Decimal | None = None,
) -> Order:
    """The seller accepts the order. Where the Incoterm makes the seller pay the main carriage
    (CPT, CIP, CFR, CIF, DAP, DPU, DDP) the freight is required, and under CIF and CIP the
    insurance too; the totals and the landed-cost estimate are worked out again with them."""
    _require_party(order=order, actor=actor, party="seller")
    with transaction.atomic(durable=True):
        locked = _lock_allowing(order, OrderStatus.CONFIRMED)
        rule = INCOTERMS[locked.incoterm]
        errors = _Errors()
        freight_money = insurance_money = None
        if rule.seller_pays_main_carriage:
            if freight is None:
                errors.add(
                    "freight",
                    f"Under {rule.code} the seller pays the main carriage: enter the freight.",
                )
            else:
                freight_money = _clean_amount(
                    errors, "freight", freight, currency=locked.currency, label="freight"
                )
            if rule.seller_insures and insurance is None:
                errors.add(
                    "insurance",
                    f"Under {rule.code} the seller insures the goods: enter the insurance premium.",
                )
            elif insurance is not None:
                insurance_money = _clean_amount(
                    errors, "insurance", insurance, currency=locked.currency, label="insurance"
                )
        else:
            if freight is not None:
                errors.add(
                    "freight",
                    f"Under {rule.code} the buyer pays the main carriage: leave the freight empty.",
                )
            if insurance is not None:
                errors.add(
                    "insurance",
                    f"Under {rule.code} the buyer arranges the insurance: leave it empty.",
                )
        errors.raise_if_any()
        totals, snapshot = _totals_and_landed_cost(
            lines=_order_line_keys(locked),
            currency=locked.currency,
            destination=str(locked.ship_to_country),
            incoterm=rule,
            fee_bps=locked.platform_fee_bps,
            freight=freight_money,
            insurance=insurance_money,
        )
        now = timezone.now()
        confirmed = _transition(
            order=locked,
            target=OrderStatus.CONFIRMED,
            actor=actor,
            extra_fields={
                **totals.as_minor_units(),
                "landed_cost": snapshot,
                "confirmed_at": now,
                # The buyer has the whole payment window once the seller has said yes.
                "expires_at": now + timedelta(days=settings.ORDER_PAYMENT_WINDOW_DAYS),
            },
        )
        trade_documents_enqueue(order=confirmed, kinds=KINDS_ON_CONFIRM)
        return confirmed


def _stock_release(order: Order) -> None:
    quantities: dict[int, int] = defaultdict(int)
    for listing_id, quantity in order.lines.values_list("listing_id", "quantity"):
        if listing_id is not None:
            quantities[listing_id] += quantity
    for listing in lock_many(Listing, list(quantities)):
        listing.stock += quantities[listing.pk]
        listing.save(update_fields=["stock", "updated_at"])


def _cancel(*, order: Order, actor: User | None, reason: str, now: datetime) -> Order:
    was_paid = order.status == OrderStatus.PAID
    cancelled = _transition(
        order=order,
        target=OrderStatus.CANCELLED,
        actor=actor,
        note=reason,
        extra_fields={"cancelled_at": now, "cancel_reason": reason},
    )
    _stock_release(cancelled)
    if was_paid:
        outbox_record(
            topic=TOPIC_ORDER_CANCELLED,
            key=cancelled.number,
            payload={
                "order_id": cancelled.pk,
                "number": cancelled.number,
                "currency": cancelled.currency,
                "total_minor": cancelled.total_minor,
                "reason": reason,
            },
        )
    return cancelled


def order_cancel(*, order: Order, actor: User, company: Company, reason: str) -> Order:
    """Cancel on behalf of ``company``: the buyer before payment, the seller before shipping.

    The reserved stock goes back to the listings; a paid order's cancellation records the
    outbox event ``order.cancelled`` from which payments refunds the buyer.
    """
    if company.pk == order.buyer_id:
        party = "buyer"
    elif company.pk == order.seller_id:
        party = "seller"
    else:
        raise PermissionDenied(
            f"Only the buyer or the seller of order {order.number} may cancel it."
        )
    _require_party(order=order, actor=actor, party=party)
    with transaction.atomic(durable=True):
        locked = _lock_allowing(order, OrderStatus.CANCELLED)
        if party == "buyer" and locked.status not in BUYER_CANCELLABLE_STATUSES:
            raise Conflict(
                "The order is paid: only the seller can cancel it now (the buyer is refunded).",
                code="buyer_cannot_cancel_paid",
            )
        errors = _Errors()
        text = _clean_text(
            errors, "reason", reason, max_length=_REASON_MAX, required=True, label="reason"
        )
        errors.raise_if_any()
        return _cancel(order=locked, actor=actor, reason=text, now=timezone.now())


def order_mark_paid(
    *, order: Order, actor: User | None = None, payment_reference: str = ""
) -> Order:
    """confirmed → paid: the payments capability calls this once the money is held.

    Joins the caller's transaction (payments records the capture and marks the order paid
    in one), so the order is never paid without its ledger entry, nor the other way round."""
    with transaction.atomic():
        note = f"Payment {payment_reference}" if payment_reference else ""
        return _transition(
            order=order,
            target=OrderStatus.PAID,
            actor=actor,
            note=note,
            extra_fields={"paid_at": timezone.now()},
        )


def order_mark_refunded(*, order: Order, actor: User | None = None, note: str = "") -> Order:
    """cancelled → refunded (or disputed → refunded): payments calls this once the buyer's
    money has gone back. Joins the caller's transaction."""
    with transaction.atomic():
        return _transition(order=order, target=OrderStatus.REFUNDED, actor=actor, note=note)


def order_dispute_resolve(
    *, order: Order, actor: User | None, outcome: str, note: str = ""
) -> Order:
    """Close the dispute of a disputed order (payments calls this when an admin resolves it).

    ``outcome`` is a ``DisputeStatus``: released and split complete the order (recording
    ``order.completed``, from which the seller's part is paid); refunded ends it refunded.
    Joins the caller's transaction."""
    if outcome not in (DisputeStatus.RELEASED, DisputeStatus.REFUNDED, DisputeStatus.SPLIT):
        raise DomainError(f"Unknown dispute outcome {outcome!r}.", code="dispute_outcome")
    with transaction.atomic():
        target = (
            OrderStatus.REFUNDED if outcome == DisputeStatus.REFUNDED else OrderStatus.COMPLETED
        )
        locked = _lock_allowing(order, target, only_from=frozenset({OrderStatus.DISPUTED}))
        now = timezone.now()
        dispute = Dispute.objects.select_for_update().get(order=locked)
        dispute.status = outcome
        dispute.resolution_note = note
        dispute.resolved_at = now
        dispute.resolved_by = actor
        dispute.save(
            update_fields=["status", "resolution_note", "resolved_at", "resolved_by", "updated_at"]
        )
        label = DisputeStatus(outcome).label
        text = f"Dispute resolved: {label}" + (f". {note}" if note else "")
        if target == OrderStatus.COMPLETED:
            return _complete(order=locked, actor=actor, note=text, now=now)
        return _transition(order=locked, target=OrderStatus.REFUNDED, actor=actor, note=text)


def order_ship(
    *,
    order: Order,
    actor: User,
    carrier: str,
    tracking_number: str,
    ship_date: date | None = None,
) -> Order:
    """paid → shipped, with the carrier, the tracking number and the ship date (today)."""
    _require_party(order=order, actor=actor, party="seller")
    with transaction.atomic(durable=True):
        locked = _lock_allowing(order, OrderStatus.SHIPPED)
        errors = _Errors()
        carrier_text = _clean_text(
            errors, "carrier", carrier, max_length=_CARRIER_MAX, required=True, label="carrier"
        )
        tracking = _clean_text(
            errors,
            "tracking_number",
            tracking_number,
            max_length=_TRACKING_MAX,
            required=True,
            label="tracking number",
        )
        today = timezone.localdate()
        day = ship_date or today
        if not isinstance(day, date):
            errors.add("ship_date", "Enter the ship date as a date.")
        elif day > today:
            errors.add("ship_date", "The ship date cannot be in the future.")
        errors.raise_if_any()
        shipped = _transition(
            order=locked,
            target=OrderStatus.SHIPPED,
            actor=actor,
            note=f"{carrier_text} {tracking}",
            extra_fields={"shipped_at": timezone.now()},
        )
        Shipment.objects.create(
            order=shipped, carrier=carrier_text, tracking_number=tracking, ship_date=day
        )
        trade_documents_enqueue(order=shipped, kinds=KINDS_ON_SHIP)
        return shipped


def order_confirm_delivery(*, order: Order, actor: User) -> Order:
    """shipped → delivered (buyer); the inspection window starts now."""
    _require_party(order=order, actor=actor, party="buyer")
    with transaction.atomic(durable=True):
        now = timezone.now()
        return _transition(
            order=order,
            target=OrderStatus.DELIVERED,
            actor=actor,
            extra_fields={
                "delivered_at": now,
                "inspection_ends_at": now + timedelta(days=settings.INSPECTION_WINDOW_DAYS),
            },
        )


def _complete(*, order: Order, actor: User | None, note: str, now: datetime) -> Order:
    completed = _transition(
        order=order,
        target=OrderStatus.COMPLETED,
        actor=actor,
        note=note,
        extra_fields={"completed_at": now},
    )
    outbox_record(
        topic=TOPIC_ORDER_COMPLETED,
        key=completed.number,
        payload={
            "order_id": completed.pk,
            "number": completed.number,
            "currency": completed.currency,
            "total_minor": completed.total_minor,
            "platform_fee_minor": completed.platform_fee_minor,
        },
    )
    return completed


def order_accept(*, order: Order, actor: User) -> Order:
    """delivered → completed (buyer accepts the goods); records ``order.completed``."""
    _require_party(order=order, actor=actor, party="buyer")
    with transaction.atomic(durable=True):
        locked = _lock_allowing(
            order, OrderStatus.COMPLETED, only_from=frozenset({OrderStatus.DELIVERED})
        )
        return _complete(
            order=locked, actor=actor, note="Accepted by the buyer", now=timezone.now()
        )


def order_dispute_open(*, order: Order, actor: User, reason: str) -> Order:
    """delivered → disputed (buyer), with a reason, within the inspection window."""
    _require_party(order=order, actor=actor, party="buyer")
    with transaction.atomic(durable=True):
        locked = _lock_allowing(order, OrderStatus.DISPUTED)
        now = timezone.now()
        if locked.inspection_ends_at is not None and now > locked.inspection_ends_at:
            raise Conflict(
                "The inspection window has ended; a dispute can no longer be opened.",
                code="inspection_window_closed",
            )
        errors = _Errors()
        text = _clean_text(
            errors, "reason", reason, max_length=_REASON_MAX, required=True, label="reason"
        )
        errors.raise_if_any()
        disputed = _transition(order=locked, target=OrderStatus.DISPUTED, actor=actor, note=text)
        Dispute.objects.create(order=disputed, opened_by=actor, reason=text)
        return disputed


# --- beat -------------------------------------------------------------------------------


def orders_expire_unpaid(*, now: datetime | None = None) -> int:
    """Cancel placed or confirmed orders whose payment window has ended; release their stock.

    Each order in a transaction of its own, re-checked under its lock, so a payment that
    lands meanwhile wins and a failure does not hold the others back. Returns how many expired.
    """
    moment = now or timezone.now()
    due = list(
        Order.objects.filter(status__in=UNPAID_STATUSES, expires_at__lte=moment)
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)
    )
    expired = 0
    for pk in due:
        with transaction.atomic(durable=True):
            order = lock(Order, pk)
            if order.status not in UNPAID_STATUSES or order.expires_at is None:
                continue
            if order.expires_at > moment:
                continue
            _cancel(order=order, actor=None, reason=EXPIRED_NOTE, now=moment)
            expired += 1
    return expired


def orders_complete_after_inspection(*, now: datetime | None = None) -> int:
    """Complete delivered orders whose inspection window ended with no dispute."""
    moment = now or timezone.now()
    due = list(
        Order.objects.filter(status=OrderStatus.DELIVERED, inspection_ends_at__lte=moment)
        .order_by("inspection_ends_at", "pk")
        .values_list("pk", flat=True)
    )
    completed = 0
    for pk in due:
        with transaction.atomic(durable=True):
            order = lock(Order, pk)
            if order.status != OrderStatus.DELIVERED or order.inspection_ends_at is None:
                continue
            if order.inspection_ends_at > moment:
                continue
            _complete(order=order, actor=None, note=INSPECTION_ENDED_NOTE, now=moment)
            completed += 1
    return completed


# --- notifications ----------------------------------------------------------------------


def _notify_on_commit(event: OrderEvent) -> None:
    from orders.tasks import order_event_notify_task

    notify = partial(order_event_notify_task.delay, event_id=event.pk)
    notify.__qualname__ = "order_event_notify_task.delay"  # type: ignore[attr-defined]  # logged
    # robust: the broker down must not turn a committed status change into an error (logged).
    transaction.on_commit(notify, robust=True)


def _order_url(order: Order) -> str:
    site = settings.SITE_URL.rstrip("/")
    try:
        return site + reverse("orders:detail", kwargs={"pk": order.pk})
    except NoReverseMatch:
        return site + "/"


def _member_emails(company_id: int) -> list[str]:
    return list(
        Membership.objects.filter(company_id=company_id, user__is_active=True)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


def order_event_notify(*, event_id: int) -> bool:
    """Email the members of both parties about one status change, once per event.

    Returns False when there is nothing to do (unknown event, or already sent).
    """
    with transaction.atomic(durable=True):
        event = (
            OrderEvent.objects.select_for_update(of=("self",))
            .select_related("order", "order__buyer", "order__seller", "actor")
            .filter(pk=event_id)
            .first()
        )
        if event is None or event.notified_at is not None:
            return False
        order = event.order
        context_base = {
            "order": order,
            "event": event,
            "status_label": OrderStatus(event.to_status).label,
            "total": Money.from_minor_units(order.total_minor, order.currency),
            "order_url": _order_url(order),
            "platform_name": settings.PLATFORM_NAME,
        }
        for party, company, other in (
            ("buyer", order.buyer, order.seller),
            ("seller", order.seller, order.buyer),
        ):
            recipients = _member_emails(company.pk)
            if not recipients:
                continue
            context = {**context_base, "party": party, "company": company, "other": other}
            subject = " ".join(
                render_to_string("emails/orders/order_event_subject.txt", context).split()
            )
            body = render_to_string("emails/orders/order_event.txt", context)
            send_mail(subject, body, None, recipients)
        event.notified_at = timezone.now()
        event.save(update_fields=["notified_at"])
    return True
