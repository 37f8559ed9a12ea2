"""Order pricing: pure functions over Decimal and Money, no database.

- The unit price of a line is the price of the highest tier whose ``min_quantity`` is at or
  below the quantity (quantity breaks; the first break is the MOQ).
- A line total is ``unit price × quantity`` rounded once to the currency's exponent by
  ``marketplace.trade.money.quantize`` (ROUND_HALF_UP: JPY 0 decimals, USD 2, KWD 3).
- The platform fee is ``goods × bps / 10000``, rounded by the same ``quantize``.
- The amount charged to the buyer (``total``) is goods + freight + insurance + platform fee.
  Duty and import tax are estimates paid at the border (by the buyer, or by the seller under
  DDP); they are shown beside the total and in the landed-cost snapshot, never charged.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from marketplace.trade.money import Money, quantize

BPS_PER_UNIT = 10_000


class Tier(Protocol):
    @property
    def min_quantity(self) -> int: ...

    @property
    def unit_price(self) -> Decimal: ...


def tier_unit_price(*, tiers: Iterable[Tier], quantity: int) -> Decimal | None:
    """The unit price of the highest tier at or below ``quantity``; None below the first."""
    best: Tier | None = None
    for tier in tiers:
        if tier.min_quantity <= quantity and (
            best is None or tier.min_quantity > best.min_quantity
        ):
            best = tier
    return None if best is None else best.unit_price


def line_total(*, unit_price: Decimal, quantity: int, currency: str) -> Money:
    """``unit_price × quantity`` rounded to the currency (0.0350 × 1000 = USD 35.00)."""
    return Money(quantize(unit_price * quantity, currency), currency)


def platform_fee(*, goods: Money, bps: int) -> Money:
    """``goods × bps / 10000`` rounded half-up to the currency (300 bps of 1000.00 = 30.00)."""
    return Money(quantize(goods.amount * bps / BPS_PER_UNIT, goods.currency), goods.currency)


@dataclass(frozen=True)
class OrderTotals:
    """An order's amounts, each already rounded to the currency's minor unit."""

    goods: Money
    freight: Money
    insurance: Money
    platform_fee: Money
    duty: Money
    import_tax: Money

    @property
    def total(self) -> Money:
        """What the buyer is charged: goods, carriage, insurance and the platform fee."""
        return self.goods + self.freight + self.insurance + self.platform_fee

    def as_minor_units(self) -> dict[str, int]:
        """The ``Order`` fields in integer minor units."""
        return {
            "goods_minor": self.goods.to_minor_units(),
            "freight_minor": self.freight.to_minor_units(),
            "insurance_minor": self.insurance.to_minor_units(),
            "platform_fee_minor": self.platform_fee.to_minor_units(),
            "duty_minor": self.duty.to_minor_units(),
            "import_tax_minor": self.import_tax.to_minor_units(),
            "total_minor": self.total.to_minor_units(),
        }


def order_totals(
    *,
    line_totals: Iterable[Money],
    currency: str,
    fee_bps: int,
    freight: Money | None = None,
    insurance: Money | None = None,
    duty: Money | None = None,
    import_tax: Money | None = None,
) -> OrderTotals:
    """Sum the (already rounded) line totals and add the fee; absent amounts are zero."""
    zero = Money.zero(currency)
    goods = sum(line_totals, zero)
    return OrderTotals(
        goods=goods.rounded(),
        freight=(freight or zero).rounded(),
        insurance=(insurance or zero).rounded(),
        platform_fee=platform_fee(goods=goods, bps=fee_bps),
        duty=(duty or zero).rounded(),
        import_tax=(import_tax or zero).rounded(),
    )
