"""Money: a Decimal amount in one ISO 4217 currency, and the one rounding rule for it.

Amounts are never floats. Arithmetic keeps full precision; rounding to the currency's
exponent (JPY 0, USD 2, KWD 3) happens only in ``quantize``, half away from zero
(ROUND_HALF_UP), so a line total, a ledger entry and a PDF all round the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from marketplace.trade.currencies import CURRENCIES, Currency

UNIT_PRICE_DECIMALS = 4
_UNIT_PRICE_STEP = Decimal(1).scaleb(-UNIT_PRICE_DECIMALS)


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were added, subtracted or ordered."""

    def __init__(self, left: str, right: str):
        super().__init__(f"Cannot combine {left} with {right}: convert one of them first.")
        self.left = left
        self.right = right


class UnsupportedCurrency(ValueError):
    """The code is not one of the currencies the marketplace trades in."""

    def __init__(self, code: object):
        super().__init__(f"Unsupported currency: {code!r}")
        self.code = code


def _currency(currency: str | Currency) -> Currency:
    if isinstance(currency, Currency):
        return currency
    if isinstance(currency, str) and currency in CURRENCIES:
        return CURRENCIES[currency]
    raise UnsupportedCurrency(currency)


def _to_decimal(value: object, *, what: str) -> Decimal:
    # bool is an int subclass; True dollars is a bug, not an amount.
    if isinstance(value, float | bool):
        raise TypeError(f"{what} must be a Decimal, int or str, not {type(value).__name__}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"{what} is not a number: {value!r}") from None
    else:
        raise TypeError(f"{what} must be a Decimal, int or str, not {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"{what} must be finite, not {value!r}")
    return result


def quantize(amount: Decimal, currency: str | Currency) -> Decimal:
    """Round ``amount`` to the currency's minor unit, ROUND_HALF_UP (the one rounding rule)."""
    exponent = _currency(currency).exponent
    value = _to_decimal(amount, what="amount")
    return value.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_UP)


def quantize_unit_price(amount: Decimal) -> Decimal:
    """Round a unit price to 4 decimals (B2B prices can be fractions of a cent)."""
    value = _to_decimal(amount, what="unit price")
    return value.quantize(_UNIT_PRICE_STEP, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True, init=False)
class Money:
    """An immutable amount of one currency. Mixed currencies are refused, never guessed."""

    amount: Decimal
    currency: str

    def __init__(self, amount: Decimal | int | str, currency: str):
        object.__setattr__(self, "amount", _to_decimal(amount, what="amount"))
        object.__setattr__(self, "currency", _currency(currency).code)

    # construction

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor_units(cls, minor: int, currency: str) -> Money:
        """``Money.from_minor_units(1250, "USD")`` is USD 12.50; JPY and KWD use their exponents."""
        if isinstance(minor, bool) or not isinstance(minor, int):
            raise TypeError(f"minor units must be an int, not {type(minor).__name__}")
        exponent = _currency(currency).exponent
        return cls(Decimal(minor).scaleb(-exponent), currency)

    # reading

    @property
    def exponent(self) -> int:
        return CURRENCIES[self.currency].exponent

    def is_zero(self) -> bool:
        return self.amount.is_zero()

    def rounded(self) -> Money:
        return Money(quantize(self.amount, self.currency), self.currency)

    def to_minor_units(self, *, strict: bool = False) -> int:
        """The amount in integer minor units, rounded by ``quantize`` first.

        With ``strict=True`` an amount that is not already a whole number of minor units
        (USD 2.675) raises ``ValueError`` instead of being rounded.
        """
        rounded = quantize(self.amount, self.currency)
        if strict and rounded != self.amount:
            raise ValueError(
                f"{self.currency} {self.amount} is not a whole number of minor units "
                f"({self.exponent} decimals)"
            )
        minor = rounded.scaleb(self.exponent)
        integral = minor.to_integral_value()
        if minor != integral:  # cannot happen after quantize; guards the arithmetic
            raise ValueError(f"{self.currency} {self.amount} is not representable in minor units")
        return int(integral)

    def as_dict(self) -> dict[str, str]:
        """The API shape: ``{"amount": "12.50", "currency": "USD"}`` (the exponent's decimals)."""
        return {
            "amount": f"{quantize(self.amount, self.currency):.{self.exponent}f}",
            "currency": self.currency,
        }

    def __str__(self) -> str:
        return f"{self.currency} {quantize(self.amount, self.currency):,.{self.exponent}f}"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"Money('{self.amount}', '{self.currency}')"

    # arithmetic

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(self.currency, other.currency)

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, float | bool):
            raise TypeError(f"Money cannot be multiplied by {type(factor).__name__}")
        if not isinstance(factor, Decimal | int):
            return NotImplemented
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    # comparison: equal only in the same currency; ordering across currencies is refused

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.currency == other.currency and self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount <= other.amount

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount > other.amount

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other)
        return self.amount >= other.amount
