"""Reads of the trade vocabulary. HS codes and FX rates are public reference data."""

import re
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from marketplace.core.exceptions import DomainError
from marketplace.trade.countries import EU_MEMBER_STATES
from marketplace.trade.models import (
    EU_CUSTOMS_UNION,
    CustomsRegime,
    DutyRate,
    FxRate,
    HSCode,
    ImportTax,
)
from marketplace.trade.money import Money, quantize

_RATE_STEP = Decimal("0.00000001")
# Rates are published against the US dollar; other pairs are crossed through it.
FX_PIVOT_CURRENCY = "USD"
_CODE_TOKEN = re.compile(r"^[0-9][0-9.]*$")


class FxRateUnavailable(DomainError):
    """No stored rate links the two currencies, directly or inverted."""

    def __init__(self, base: str, quote: str):
        super().__init__(f"No exchange rate from {base} to {quote} is known.", code="no_fx_rate")
        self.base = base
        self.quote = quote


def hs_code_search(*, q: str = "", level: int | None = 6) -> QuerySet[HSCode]:
    """HS codes matching ``q``, ordered by code.

    A token of digits ("0901" or "0901.11") matches codes starting with it; every other word
    must appear in the description (case-insensitive; served by the trigram GIN index).
    ``level`` 2, 4 or 6 (default: subheadings only); ``None`` for every level.
    """
    queryset = HSCode.objects.all()
    if level is not None:
        queryset = queryset.filter(level=level)
    for token in q.split():
        if _CODE_TOKEN.match(token):
            queryset = queryset.filter(code__startswith=token.replace(".", ""))
        else:
            queryset = queryset.filter(description__icontains=token)
    return queryset.order_by("code")


def hs_code_get(*, code: str) -> HSCode | None:
    return HSCode.objects.filter(code=code).first()


def _inverse(stored: FxRate) -> FxRate:
    derived = FxRate(
        base=stored.quote,
        quote=stored.base,
        rate=(Decimal(1) / stored.rate).quantize(_RATE_STEP),
        source=f"Inverse of {stored.base}/{stored.quote}: {stored.source}".rstrip(": "),
        as_of=stored.as_of,
    )
    derived.inverse_of = stored
    return derived


def _stored_or_inverse(*, base: str, quote: str) -> FxRate | None:
    direct = FxRate.objects.filter(base=base, quote=quote).order_by("-as_of").first()
    inverse = FxRate.objects.filter(base=quote, quote=base).order_by("-as_of").first()
    if inverse is not None and (direct is None or inverse.as_of > direct.as_of):
        return _inverse(inverse)
    return direct


def _cross(first: FxRate, second: FxRate) -> FxRate:
    derived = FxRate(
        base=first.base,
        quote=second.quote,
        rate=(first.apply(Decimal(1)) * second.apply(Decimal(1))).quantize(_RATE_STEP),
        source=f"Cross rate via {first.quote}: {first.source} / {second.source}",
        as_of=min(first.as_of, second.as_of),
    )
    derived.legs = (first, second)
    return derived


def fx_rate_latest(*, base: str, quote: str) -> FxRate | None:
    """The newest rate for base→quote.

    Rate 1 for the same currency; the inverse of the stored quote→base rate when that is
    newer or the only one; else a cross rate through USD (base→USD→quote), dated by its
    older leg. Derived rates are unsaved instances. ``None`` when nothing links the two.
    """
    if base == quote:
        return FxRate(
            base=base,
            quote=quote,
            rate=Decimal(1),
            source="Same currency",
            as_of=timezone.localdate(),
        )
    rate = _stored_or_inverse(base=base, quote=quote)
    if rate is not None or FX_PIVOT_CURRENCY in (base, quote):
        return rate
    first = _stored_or_inverse(base=base, quote=FX_PIVOT_CURRENCY)
    second = _stored_or_inverse(base=FX_PIVOT_CURRENCY, quote=quote)
    if first is None or second is None:
        return None
    return _cross(first, second)


def convert(money: Money, to_currency: str) -> tuple[Money, FxRate]:
    """``money`` in ``to_currency`` at the latest rate, rounded by ``quantize``; and that rate.

    Raises ``FxRateUnavailable`` (a DomainError, 400 in the API) when no rate is stored.
    """
    target = Money.zero(to_currency).currency  # refuses an unsupported code
    rate = fx_rate_latest(base=money.currency, quote=target)
    if rate is None:
        raise FxRateUnavailable(money.currency, target)
    return Money(quantize(rate.apply(money.amount), target), target), rate


# Landed-cost rates. A destination country is looked up first under its own code, then
# under its customs union ("EU" for the member states), so that a national row overrides
# the union's.


def customs_territories(country: str) -> list[str]:
    """Where the rules for ``country`` are kept, most specific first: ``["DE", "EU"]``."""
    if country in EU_MEMBER_STATES:
        return [country, EU_CUSTOMS_UNION]
    return [country]


def duty_rate_for(*, destination: str, hs_code: str, as_of: date) -> DutyRate | None:
    """The duty rate for goods of ``hs_code`` entering ``destination`` on ``as_of``.

    Among the rows in force that day (``valid_from`` not after ``as_of``), the country's own
    rows win over its union's; then the longest HS prefix (6 over 4 over 2 digits); then the
    latest ``valid_from``. ``None`` when no row matches.
    """
    territories = customs_territories(destination)
    prefixes = {hs_code[:length] for length in (2, 4, 6) if len(hs_code) >= length}
    candidates = DutyRate.objects.filter(
        destination__in=territories, hs_prefix__in=prefixes, valid_from__lte=as_of
    )
    return min(
        candidates,
        key=lambda row: (
            territories.index(row.destination),
            -len(row.hs_prefix),
            -row.valid_from.toordinal(),
        ),
        default=None,
    )


def _latest_for_territories[T: (ImportTax, CustomsRegime)](
    model: type[T], *, destination: str, as_of: date
) -> T | None:
    territories = customs_territories(destination)
    candidates = model.objects.filter(destination__in=territories, valid_from__lte=as_of)
    return min(
        candidates,
        key=lambda row: (territories.index(row.destination), -row.valid_from.toordinal()),
        default=None,
    )


def import_tax_for(*, destination: str, as_of: date) -> ImportTax | None:
    """The import tax (VAT, GST) of ``destination`` in force on ``as_of``, else ``None``."""
    return _latest_for_territories(ImportTax, destination=destination, as_of=as_of)


def customs_regime_for(*, destination: str, as_of: date) -> CustomsRegime | None:
    """The customs value basis and de minimis of ``destination`` on ``as_of``, else ``None``."""
    return _latest_for_territories(CustomsRegime, destination=destination, as_of=as_of)
