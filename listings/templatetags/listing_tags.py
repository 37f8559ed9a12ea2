"""Formatting for listing pages: unit prices to 4 decimals where needed, statuses as badges."""

from decimal import Decimal

from django import template
from django.utils.translation import get_language
from django_countries import countries
from django_countries.fields import Country

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


def _unit_labels(plural: bool) -> dict[str, str]:
    labels = {}
    for unit, label in UnitOfSale.choices:
        label = str(label).lower()
        if plural and unit != UnitOfSale.DOZEN:
            label = f"{label}es" if label.endswith(("x", "s", "ch", "sh")) else f"{label}s"
        labels[unit] = label
    return labels


# Looked up rather than worked out per call (an enum lookup and its choices list each time).
_UNIT_SINGULAR = _unit_labels(plural=False)
_UNIT_PLURAL = _unit_labels(plural=True)


@register.filter
def quantity(amount: int | None, unit: str) -> str:
    """``1,000 pieces``, ``1 piece``, ``5 dozen``, ``3 boxes``, ``250 kg``-style units named in full."""
    if amount is None:
        return ""
    if unit in _UNIT_SINGULAR:
        label = _UNIT_SINGULAR[unit] if amount == 1 else _UNIT_PLURAL[unit]
    else:
        label = (
            unit
            if amount == 1
            else f"{unit}es"
            if unit.endswith(("x", "s", "ch", "sh"))
            else f"{unit}s"
        )
    return f"{amount:,} {label}"


@register.filter
def unit_name(unit: str) -> str:
    """The unit of sale in lower case, as ``listing.get_unit_display|lower`` gives it."""
    return _UNIT_SINGULAR.get(unit) or str(unit).lower()


# (code, language) -> name: django-countries translates a name again on every access (~50 µs).
_COUNTRY_NAMES: dict[tuple[str, str | None], str] = {}


@register.filter
def country_name(country: Country | str | None) -> str:
    """What ``country.name`` gives for a django-countries ``Country`` (or a code): the name in
    the active language, "" for no or an unknown code; remembered per code and language."""
    if isinstance(country, Country) and getattr(country, "custom_countries", None) is not None:
        return country.name  # a field's own list of countries: not the shared names
    code = str(getattr(country, "code", country) or "")
    key = (code, get_language())
    name = _COUNTRY_NAMES.get(key)
    if name is None:
        name = _COUNTRY_NAMES[key] = str(countries.name(code)) if code else ""
    return name


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
