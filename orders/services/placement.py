"""Placing an order: lines checked and priced under row locks, stock reserved, landed cost frozen."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from listings.enums import ListingStatus
from listings.models import Listing
from marketplace.accounts.models import Company, User
from marketplace.accounts.selectors import user_email_confirmed_require
from marketplace.core.exceptions import DomainError
from marketplace.core.transitions import lock_many
from marketplace.trade.incoterms import Incoterm
from marketplace.trade.landed_cost import (
    CustomsRates,
    LandedCost,
    customs_rates_for,
    landed_cost_calculate,
    same_customs_territory,
)
from marketplace.trade.landed_cost_snapshot import LandedCostSnapshot
from marketplace.trade.money import Money
from orders.enums import OrderStatus
from orders.models import Order, OrderEvent, OrderLine
from orders.numbering import order_number_next
from orders.pricing import OrderTotals, line_total, order_totals, tier_unit_price
from orders.services import notifications
from orders.services.common import (
    _BUYER_REFERENCE_MAX,
    _QUANTITY_MAX,
    LineInput,
    ShipTo,
    _as_quantity,
    _clean_ship_to,
    _clean_terms,
    _clean_text,
    _Errors,
    _lock_buyer,
    _require_buyer_member,
    _unpaid_orders_cap_check,
)


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
) -> tuple[Money, Money, LandedCostSnapshot]:
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
        unavailable = LandedCostSnapshot.unavailable(
            currency=currency,
            incoterm=incoterm,
            destination=destination,
            as_of=as_of,
            note=exc.message,
        )
        return zero, zero, unavailable

    snapshot = LandedCostSnapshot.of_parts(
        currency=currency,
        incoterm=incoterm,
        destination=destination,
        as_of=as_of,
        goods=goods,
        parts=estimates,
    )
    # A duty or tax with no known rate is unknown in the snapshot (None, not 0); the order's
    # stored amounts keep the known part, and readers ask the snapshot whether it is whole.
    duty = sum((e.duty.amount for e in estimates if e.duty.amount is not None), zero)
    import_tax = sum(
        (e.import_tax.amount for e in estimates if e.import_tax.amount is not None), zero
    )
    return duty, import_tax, snapshot


def order_landed_cost_preview(
    *, lines: list[tuple[str, str, Money]], currency: str, destination: str, incoterm: Incoterm
) -> dict[str, Any]:
    """The landed-cost snapshot that placing this seller's order would freeze (no freight yet),
    by the very computation ``order_place`` uses, so that checkout shows what the order keeps.
    Writes nothing. The JSON shape (``LandedCostSnapshot.as_dict()``)."""
    _, snapshot = _totals_and_landed_cost(
        lines=lines,
        currency=currency,
        destination=destination,
        incoterm=incoterm,
        fee_bps=settings.PLATFORM_FEE_BPS,
        freight=None,
        insurance=None,
    )
    return snapshot.as_dict()


def _totals_and_landed_cost(
    *,
    lines: list[tuple[str, str, Money]],
    currency: str,
    destination: str,
    incoterm: Incoterm,
    fee_bps: int,
    freight: Money | None,
    insurance: Money | None,
) -> tuple[OrderTotals, LandedCostSnapshot]:
    """The order's totals and its landed-cost snapshot (the platform fee included), as
    placement, the seller's confirmation and a quote freeze them (store ``.as_dict()``)."""
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
    return totals, snapshot.with_platform_fee(totals.platform_fee)


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
        landed_cost=snapshot.as_dict(),
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
    notifications._notify_on_commit(event)
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
