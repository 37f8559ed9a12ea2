"""Placing an order from an accepted quote: the quoted lines, prices and terms, the same
totals, landed cost, caps and notification as a catalogue order (``placement``).

Called by ``orders.quotes.services.quote_accept`` inside its durable transaction, after it has
locked the buyer company, the RFQ and the quote. Lines quoted from a listing's stock reserve
it under ``lock_many`` listing locks (primary-key order, as placement), so two acceptances
that want the last units cannot oversell; made-to-order lines reserve nothing
(``stock_reserved=False``: a cancellation gives nothing back).
"""

from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from listings.enums import ListingStatus
from listings.models import Listing
from marketplace.accounts.models import User
from marketplace.core.exceptions import Conflict
from marketplace.core.transitions import lock_many
from marketplace.trade.incoterms import INCOTERMS
from marketplace.trade.money import Money
from orders.enums import OrderStatus
from orders.models import Order, OrderEvent, OrderLine
from orders.numbering import order_number_next
from orders.services import notifications
from orders.services.common import (
    _BUYER_REFERENCE_MAX,
    ShipTo,
    _clean_ship_to,
    _clean_text,
    _Errors,
    _unpaid_orders_cap_check,
)
from orders.services.placement import _totals_and_landed_cost

if TYPE_CHECKING:
    from orders.quotes.models import Quote


def _reserve_stock(quote: "Quote") -> dict[int, Listing]:
    """Lock the listings of from-stock lines and check their stock; 409 when short."""
    wanted: dict[int, int] = defaultdict(int)
    for line in quote.lines.all():
        if line.from_stock:
            if line.listing_id is None:
                raise Conflict(f"“{line.description}” is no longer listed: its stock is gone.")
            wanted[line.listing_id] += line.quantity
    listings = {listing.pk: listing for listing in lock_many(Listing, list(wanted))}
    for listing_id, quantity in wanted.items():
        listing = listings.get(listing_id)
        if listing is None or listing.status != ListingStatus.PUBLISHED:
            raise Conflict("A listing this quote ships from stock is no longer available.")
        if quantity > listing.stock:
            raise Conflict(
                f"Only {listing.stock} of “{listing.title}” are in stock now; the quote needs "
                f"{quantity}. Ask the seller to revise the quote.",
                code="stock_short",
            )
    return listings


def order_place_from_quote(
    *, quote: "Quote", actor: User, ship_to: ShipTo, buyer_reference: str = ""
) -> Order:
    """One order with the quote's seller, lines, unit prices, currency, Incoterm, named place,
    freight and insurance; totals and landed cost worked out as placement does and frozen.

    Runs inside the caller's transaction with the buyer, RFQ and quote locked. Raises the
    ship-to and reference field errors, the unpaid-orders cap (400) and short stock (409)
    before it writes anything."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("order_place_from_quote must run inside the acceptance transaction")
    errors = _Errors()
    address = _clean_ship_to(errors, ship_to)
    reference = _clean_text(
        errors,
        "buyer_reference",
        buyer_reference,
        max_length=_BUYER_REFERENCE_MAX,
        required=False,
        label="buyer's reference",
    )
    _unpaid_orders_cap_check(errors, buyer=quote.buyer, new_orders=1)
    errors.raise_if_any()
    listings = _reserve_stock(quote)
    lines = list(quote.lines.all())
    currency = quote.currency
    rule = INCOTERMS[quote.incoterm]
    freight = (
        Money.from_minor_units(quote.freight_minor, currency)
        if quote.freight_minor is not None
        else None
    )
    insurance = (
        Money.from_minor_units(quote.insurance_minor, currency)
        if quote.insurance_minor is not None
        else None
    )
    totals, snapshot = _totals_and_landed_cost(
        lines=[
            (
                line.hs_code,
                str(line.origin_country),
                Money.from_minor_units(line.line_total_minor, currency),
            )
            for line in lines
        ],
        currency=currency,
        destination=address["ship_to_country"],
        incoterm=rule,
        fee_bps=quote.platform_fee_bps,
        freight=freight,
        insurance=insurance,
    )
    now = timezone.now()
    order = Order.objects.create(
        number=order_number_next(now=now),
        buyer=quote.buyer,
        seller=quote.seller,
        placed_by=actor,
        status=OrderStatus.PLACED,
        currency=currency,
        incoterm=rule.code,
        named_place=quote.named_place,
        buyer_reference=reference,
        duty_and_tax_payer=rule.duty_paid_by,
        platform_fee_bps=quote.platform_fee_bps,
        landed_cost=snapshot.as_dict(),
        expires_at=now + timedelta(days=settings.ORDER_PAYMENT_WINDOW_DAYS),
        **address,
        **totals.as_minor_units(),
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            listing_id=line.listing_id,
            title=line.description,
            hs_code=line.hs_code,
            origin_country=line.origin_country,
            unit=line.unit,
            quantity=line.quantity,
            unit_price=line.unit_price,
            line_total_minor=line.line_total_minor,
            unit_net_weight_kg=line.unit_net_weight_kg,
            units_per_carton=line.units_per_carton,
            carton_gross_weight_kg=line.carton_gross_weight_kg,
            carton_length_cm=line.carton_length_cm,
            carton_width_cm=line.carton_width_cm,
            carton_height_cm=line.carton_height_cm,
            stock_reserved=line.from_stock,
        )
        for line in lines
    )
    reserved: dict[int, int] = defaultdict(int)
    for line in lines:
        if line.from_stock and line.listing_id is not None:
            reserved[line.listing_id] += line.quantity
    for listing_id, quantity in reserved.items():
        # Locked by this transaction and checked under the lock in _reserve_stock.
        listing = listings[listing_id]
        listing.stock -= quantity
        listing.save(update_fields=["stock", "updated_at"])
    event = OrderEvent.objects.create(
        order=order,
        actor=actor,
        from_status="",
        to_status=OrderStatus.PLACED,
        note=f"From quote {quote.number} v{quote.version}",
    )
    notifications._notify_on_commit(event)
    return order
