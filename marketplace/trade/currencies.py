"""The currencies the marketplace trades in, with their ISO 4217 minor-unit exponents."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Currency:
    code: str
    name: str
    exponent: int  # digits after the decimal point in the minor unit (JPY 0, USD 2, KWD 3)


CURRENCIES: dict[str, Currency] = {
    c.code: c
    for c in (
        Currency("USD", "US dollar", 2),
        Currency("EUR", "Euro", 2),
        Currency("CNY", "Chinese yuan renminbi", 2),
        Currency("GBP", "Pound sterling", 2),
        Currency("JPY", "Japanese yen", 0),
        Currency("VND", "Vietnamese dong", 0),
        Currency("KES", "Kenyan shilling", 2),
        Currency("INR", "Indian rupee", 2),
        Currency("BRL", "Brazilian real", 2),
        Currency("AED", "UAE dirham", 2),
        Currency("KWD", "Kuwaiti dinar", 3),
        Currency("CHF", "Swiss franc", 2),
        Currency("CAD", "Canadian dollar", 2),
        Currency("AUD", "Australian dollar", 2),
        Currency("MXN", "Mexican peso", 2),
        Currency("ZAR", "South African rand", 2),
        Currency("NGN", "Nigerian naira", 2),
        Currency("TRY", "Turkish lira", 2),
        Currency("KRW", "South Korean won", 0),
        Currency("THB", "Thai baht", 2),
        Currency("IDR", "Indonesian rupiah", 2),
        Currency("BHD", "Bahraini dinar", 3),
    )
}

CURRENCY_CHOICES = [(c.code, f"{c.code} — {c.name}") for c in CURRENCIES.values()]


def get_currency(code: str) -> Currency:
    """The currency for an ISO 4217 code; ``KeyError`` names an unsupported one."""
    try:
        return CURRENCIES[code]
    except KeyError:
        raise KeyError(f"Unsupported currency: {code!r}") from None
