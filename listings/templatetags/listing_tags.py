"""Formatting for listing pages: unit prices to 4 decimals where needed, statuses as badges."""

from decimal import Decimal

from django import template

from listings.enums import ListingStatus, UnitOfSale
from marketplace.trade.currencies import CURRENCIES
from marketplace.trade.incoterms import INCOTERMS
from marketplace.trade.money import Money, quantize, quantize_unit_price

register = template.Library()

STATUS_BADGES = {
    ListingStatus.DRAFT: "badge-muted",
    ListingStatus.PENDING_REVIEW: "badge-warning",
    ListingStatus.PUBLISHED: "badge-success",
    ListingStatus.REJECTED: "badge-danger",
    ListingStatus.ARCHIVED: "badge-muted",
}


def format_unit_price(amount: Decimal | None, currency: str) -> str:
    """``USD 12.50``, ``USD 0.0350``, ``JPY 1,200``: the currency's decimals, or 4 if needed."""
    if amount is None:
        return ""
    exponent = CURRENCIES[currency].exponent
    price = quantize_unit_price(amount)
    whole_minor_units = price == price.quantize(Decimal(1).scaleb(-exponent))
    decimals = exponent if whole_minor_units else 4
    return f"{currency} {price:,.{decimals}f}"


def format_indicative_price(amount: Decimal, currency: str) -> str:
    """A converted unit price: to the currency's minor unit from 1 up, to 4 decimals below."""
    if abs(amount) >= 1:
        return str(Money(quantize(amount, currency), currency))
    return format_unit_price(amount, currency)


@register.filter
def unit_price(amount: Decimal | None, currency: str) -> str:
    return format_unit_price(amount, currency)


@register.filter
def trim_decimal(value: Decimal | None) -> str:
    """``11.200`` → ``11.2``, ``40.0`` → ``40``: measures without padding zeros."""
    if value is None:
        return ""
    text = f"{Decimal(value).normalize():f}"
    return text


@register.filter
def quantity(amount: int | None, unit: str) -> str:
    """``1,000 pieces``, ``1 piece``, ``5 dozen``, ``3 boxes``, ``250 kg``-style units named in full."""
    if amount is None:
        return ""
    label = str(UnitOfSale(unit).label).lower() if unit in UnitOfSale.values else unit
    if amount != 1 and unit != UnitOfSale.DOZEN:
        label = f"{label}es" if label.endswith(("x", "s", "ch", "sh")) else f"{label}s"
    return f"{amount:,} {label}"


@register.filter
def status_badge(status: str) -> str:
    return STATUS_BADGES.get(status, "badge-muted")  # type: ignore[call-overload]


@register.filter
def incoterm_name(code: str) -> str:
    rule = INCOTERMS.get(code)
    return rule.name if rule else code


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (``None`` or "" removes one)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value not in (None, ""):
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"
