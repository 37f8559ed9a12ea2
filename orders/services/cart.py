"""The buying company's cart and its checkout into one order per seller."""

from collections import defaultdict
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from listings.enums import ListingStatus
from listings.models import Listing
from marketplace.accounts.models import Company, User
from marketplace.accounts.selectors import user_email_confirmed_require
from orders.models import Cart, CartLine, Order
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
from orders.services.placement import (
    _draft_check,
    _lock_listings,
    _order_create,
    _OrderDraft,
    _price_lines,
    _PricedLine,
)


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
