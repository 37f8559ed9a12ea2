"""Landed cost: what goods will cost the buyer once they stand at the buyer's own border.

Contract (called by the listing page and API estimate, and by checkout, which freezes it)
------------------------------------------------------------------------------------------
``landed_cost_estimate(*, goods, hs_code, origin, destination, incoterm, freight, insurance,
as_of=None) -> LandedCost``

- ``goods``: ``Money``, the goods' value in the ORDER currency (the listing's currency):
  the rounded line total(s), i.e. tier unit price × quantity. Every amount of the result is
  in this currency.
- ``hs_code``: the listing's HS code, 6 to 10 digits (dots and spaces are ignored).
- ``origin``, ``destination``: ISO 3166-1 alpha-2 country codes (any case). The destination
  is the buyer's (ship-to) country.
- ``incoterm``: an Incoterms 2020 code (``marketplace.trade.incoterms``).
- ``freight``: the main carriage in the order currency, or ``None`` when it is not known yet
  (a listing estimate; under C and D rules the seller sets it when confirming the order).
  ``None`` leaves it out of every total and raises the flag ``freight_not_included``.
- ``insurance``: the cargo insurance premium, or ``None``. Under CIF and CIP the seller must
  insure; a ``None`` there is estimated as ``settings.INSURANCE_PREMIUM_BPS`` on an insured
  value of 110 % of the CIF value (flag ``insurance_estimated``). Under any other rule
  ``None`` means no insurance (zero).
- ``as_of``: the day whose rates apply; today by default.

Refusals, all ``DomainError`` (HTTP 400) with ``field`` and ``code``: an unknown Incoterm
(``unknown_incoterm``), a code that is not a country (``unknown_country``), a malformed HS
code (``invalid_hs_code``), a negative amount (``negative_amount``), freight or insurance in
another currency than the goods (``currency_mismatch``), and ``FxRateUnavailable``
(``no_fx_rate``) when a de minimis value in another currency cannot be converted.

How it is worked out
--------------------
- Freight and insurance are paid (to the carrier, the insurer) by the party the Incoterm names
  for the main carriage; they are always the buyer's cost: paid to the buyer's own forwarder
  under E and F rules, or charged on the seller's invoice (``on_invoice``) under C and D rules.
- Customs value: goods + freight + insurance for CIF-basis destinations (the EU and most
  others), the goods alone (transaction value) for FOB-basis ones (the US).
- Duty = rate × customs value; import tax = rate × (customs value + duty when the tax has the
  duty in its base). No duty (or tax) when the goods' value does not exceed the
  destination's de minimis; none at all when origin and destination are one customs
  territory (the same country, or two EU member states). MFN rates only: tariff preferences
  for the origin are not applied.
- Under DDP the seller pays and bears duty and tax: they are shown with ``payer`` and
  ``borne_by`` "seller" and are left out of ``total_for_buyer``.
- Each component is rounded once, by ``quantize``, in the order currency.
- Rates come from ``DutyRate``, ``ImportTax`` and ``CustomsRegime`` (admin-editable); each
  used row travels in the result with its source and whether it is a sample, and the flag
  ``sample_rates`` says the estimate rests on unchecked sample data.
- No rate known for the destination (and no de minimis relief that makes it zero anyway)
  means the duty or tax is unknown, never 0: its ``amount`` is ``None`` with the flag
  ``no_duty_rate`` / ``no_import_tax`` (a tax with the duty in its base is unknown too when
  the duty is), and the flag ``total_incomplete`` says ``total_for_buyer`` (and
  ``borne_by_seller`` under DDP) add up only the known costs: not a landed cost to show as
  such. Pages say "unknown" for such a total.

``LandedCost.as_dict()`` is the JSON shape for the API and for freezing on the order: money as
``{"amount": "12.50", "currency": "USD"}``, rates as strings, payers as "buyer" / "seller".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone
from django_countries import countries

from marketplace.core.exceptions import DomainError
from marketplace.trade.countries import EU_MEMBER_STATES
from marketplace.trade.incoterms import INCOTERMS, Incoterm, Party
from marketplace.trade.models import CustomsRegime, CustomsValueBasis, DutyRate, ImportTax
from marketplace.trade.money import Money, quantize
from marketplace.trade.selectors import (
    convert,
    customs_regime_for,
    duty_rate_for,
    import_tax_for,
)

_HS_CODE = re.compile(r"^[0-9]{6,10}$")
_HUNDRED = Decimal(100)
_BPS = Decimal(10_000)
# The insured value under CIF and CIP: the CIF value plus 10 % (Incoterms 2020, A5).
INSURED_VALUE_FACTOR = Decimal("1.1")


# Reading frozen estimates back (``from_dict``): the inverse of ``as_dict``, for the JSON kept
# on orders and quotes. Tolerant of what older rows may lack; never recomputes anything.


def money_from_dict(value: Any) -> Money | None:
    """``{"amount": "12.50", "currency": "USD"}`` as Money; None for None or a missing value."""
    if not value:
        return None
    return Money(str(value["amount"]), str(value["currency"]))


def _day(value: Any) -> date:
    return date.fromisoformat(str(value))


def _party(value: Any, default: Party = "buyer") -> Party:
    return "seller" if value == "seller" else ("buyer" if value == "buyer" else default)


# The rows an estimate used, copied so that a frozen estimate does not move when they change.


@dataclass(frozen=True, slots=True)
class DutyRateUsed:
    territory: str
    hs_prefix: str
    percent: Decimal
    source: str
    valid_from: date
    is_sample: bool

    @classmethod
    def of(cls, row: DutyRate) -> DutyRateUsed:
        return cls(
            territory=row.destination,
            hs_prefix=row.hs_prefix,
            percent=row.rate,
            source=row.source,
            valid_from=row.valid_from,
            is_sample=row.is_sample,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DutyRateUsed:
        return cls(
            territory=data.get("territory", ""),
            hs_prefix=data.get("hs_prefix", ""),
            percent=Decimal(str(data["percent"])),
            source=data.get("source", ""),
            valid_from=_day(data["valid_from"]),
            is_sample=bool(data.get("is_sample", False)),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "territory": self.territory,
            "hs_prefix": self.hs_prefix,
            "percent": str(self.percent),
            "source": self.source,
            "valid_from": self.valid_from.isoformat(),
            "is_sample": self.is_sample,
        }


@dataclass(frozen=True, slots=True)
class ImportTaxUsed:
    territory: str
    name: str
    percent: Decimal
    duty_in_base: bool
    source: str
    valid_from: date
    is_sample: bool

    @classmethod
    def of(cls, row: ImportTax) -> ImportTaxUsed:
        return cls(
            territory=row.destination,
            name=row.name,
            percent=row.rate,
            duty_in_base=row.duty_in_base,
            source=row.source,
            valid_from=row.valid_from,
            is_sample=row.is_sample,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImportTaxUsed:
        return cls(
            territory=data.get("territory", ""),
            name=data.get("name", ""),
            percent=Decimal(str(data["percent"])),
            duty_in_base=bool(data.get("duty_in_base", False)),
            source=data.get("source", ""),
            valid_from=_day(data["valid_from"]),
            is_sample=bool(data.get("is_sample", False)),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "territory": self.territory,
            "name": self.name,
            "percent": str(self.percent),
            "duty_in_base": self.duty_in_base,
            "source": self.source,
            "valid_from": self.valid_from.isoformat(),
            "is_sample": self.is_sample,
        }


@dataclass(frozen=True, slots=True)
class CustomsRegimeUsed:
    territory: str
    customs_value_basis: str
    duty_de_minimis: Money  # in the regime's own currency; zero: no relief
    tax_de_minimis: Money
    source: str
    valid_from: date
    is_sample: bool

    @classmethod
    def of(cls, row: CustomsRegime) -> CustomsRegimeUsed:
        return cls(
            territory=row.destination,
            customs_value_basis=row.customs_value_basis,
            duty_de_minimis=Money(row.duty_de_minimis, row.de_minimis_currency),
            tax_de_minimis=Money(row.tax_de_minimis, row.de_minimis_currency),
            source=row.source,
            valid_from=row.valid_from,
            is_sample=row.is_sample,
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CustomsRegimeUsed:
        duty_de_minimis = money_from_dict(data["duty_de_minimis"])
        tax_de_minimis = money_from_dict(data["tax_de_minimis"])
        if duty_de_minimis is None or tax_de_minimis is None:
            raise ValueError("A customs regime keeps both de minimis values.")
        return cls(
            territory=data.get("territory", ""),
            customs_value_basis=data.get("customs_value_basis", ""),
            duty_de_minimis=duty_de_minimis,
            tax_de_minimis=tax_de_minimis,
            source=data.get("source", ""),
            valid_from=_day(data["valid_from"]),
            is_sample=bool(data.get("is_sample", False)),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "territory": self.territory,
            "customs_value_basis": self.customs_value_basis,
            "duty_de_minimis": self.duty_de_minimis.as_dict(),
            "tax_de_minimis": self.tax_de_minimis.as_dict(),
            "source": self.source,
            "valid_from": self.valid_from.isoformat(),
            "is_sample": self.is_sample,
        }


@dataclass(frozen=True, slots=True)
class FxRateUsed:
    base: str
    quote: str
    rate: Decimal
    source: str
    as_of: date

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FxRateUsed:
        return cls(
            base=data["base"],
            quote=data["quote"],
            rate=Decimal(str(data["rate"])),
            source=data.get("source", ""),
            as_of=_day(data["as_of"]),
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "base": self.base,
            "quote": self.quote,
            "rate": str(self.rate),
            "source": self.source,
            "as_of": self.as_of.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class CustomsRates:
    """What the destination's rules say for one HS code on one day, thresholds converted."""

    duty: DutyRateUsed | None = None
    import_tax: ImportTaxUsed | None = None
    regime: CustomsRegimeUsed | None = None
    # The regime's de minimis values in the order currency; None where there is no relief.
    duty_de_minimis: Money | None = None
    tax_de_minimis: Money | None = None
    fx_rates: tuple[FxRateUsed, ...] = ()


@dataclass(frozen=True, slots=True)
class Charge:
    """One component of the landed cost and who pays it.

    ``payer`` pays the third party (carrier, insurer, customs) under the Incoterm; ``borne_by``
    carries the cost in the end; ``on_invoice`` says the seller charges it on the order.
    ``amount`` is ``None`` when it is not known yet.
    """

    amount: Money | None
    payer: Party
    borne_by: Party
    on_invoice: bool
    base: Money | None = None  # what a rate was applied to (the insured value for insurance)
    rate: DutyRateUsed | ImportTaxUsed | None = None
    note: str = ""

    @property
    def in_buyer_total(self) -> bool:
        return self.amount is not None and self.borne_by == "buyer"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Charge:
        """A frozen charge; ``in_buyer_total`` is derived, not read. A rate with a ``name`` is
        an import tax, otherwise a duty rate."""
        data = data or {}
        rate_data = data.get("rate")
        rate: DutyRateUsed | ImportTaxUsed | None = None
        if rate_data:
            rate = (
                ImportTaxUsed.from_dict(rate_data)
                if "name" in rate_data
                else DutyRateUsed.from_dict(rate_data)
            )
        payer = _party(data.get("payer"))
        return cls(
            amount=money_from_dict(data.get("amount")),
            payer=payer,
            borne_by=_party(data.get("borne_by"), default=payer),
            on_invoice=bool(data.get("on_invoice", False)),
            base=money_from_dict(data.get("base")),
            rate=rate,
            note=data.get("note", ""),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "amount": None if self.amount is None else self.amount.as_dict(),
            "payer": self.payer,
            "borne_by": self.borne_by,
            "on_invoice": self.on_invoice,
            "in_buyer_total": self.in_buyer_total,
            "base": None if self.base is None else self.base.as_dict(),
            "rate": None if self.rate is None else self.rate.as_dict(),
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class LandedCost:
    currency: str
    incoterm: str
    origin: str
    destination: str
    hs_code: str
    as_of: date
    goods: Charge
    freight: Charge
    insurance: Charge
    customs_value_basis: str | None  # None when there is no import (one customs territory)
    customs_value: Money | None
    duty: Charge
    import_tax: Charge
    total_for_buyer: Money
    borne_by_seller: Money  # duty and tax the seller absorbs (DDP)
    insurance_premium_bps: int
    regime: CustomsRegimeUsed | None = None
    fx_rates: tuple[FxRateUsed, ...] = ()
    flags: tuple[str, ...] = field(default=())

    @property
    def is_sample(self) -> bool:
        return "sample_rates" in self.flags

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LandedCost:
        """One frozen estimate (a part of an order's snapshot) read back from its JSON."""
        currency = data["currency"]
        regime = data.get("regime")
        return cls(
            currency=currency,
            incoterm=data.get("incoterm", ""),
            origin=data.get("origin", ""),
            destination=data.get("destination", ""),
            hs_code=data.get("hs_code", ""),
            as_of=_day(data["as_of"]),
            goods=Charge.from_dict(data.get("goods")),
            freight=Charge.from_dict(data.get("freight")),
            insurance=Charge.from_dict(data.get("insurance")),
            customs_value_basis=data.get("customs_value_basis"),
            customs_value=money_from_dict(data.get("customs_value")),
            duty=Charge.from_dict(data.get("duty")),
            import_tax=Charge.from_dict(data.get("import_tax")),
            total_for_buyer=money_from_dict(data.get("total_for_buyer")) or Money.zero(currency),
            borne_by_seller=money_from_dict(data.get("borne_by_seller")) or Money.zero(currency),
            insurance_premium_bps=int(data.get("insurance_premium_bps", 0)),
            regime=None if not regime else CustomsRegimeUsed.from_dict(regime),
            fx_rates=tuple(FxRateUsed.from_dict(rate) for rate in data.get("fx_rates") or ()),
            flags=tuple(data.get("flags") or ()),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "incoterm": self.incoterm,
            "origin": self.origin,
            "destination": self.destination,
            "hs_code": self.hs_code,
            "as_of": self.as_of.isoformat(),
            "goods": self.goods.as_dict(),
            "freight": self.freight.as_dict(),
            "insurance": self.insurance.as_dict(),
            "customs_value_basis": self.customs_value_basis,
            "customs_value": None if self.customs_value is None else self.customs_value.as_dict(),
            "duty": self.duty.as_dict(),
            "import_tax": self.import_tax.as_dict(),
            "total_for_buyer": self.total_for_buyer.as_dict(),
            "borne_by_seller": self.borne_by_seller.as_dict(),
            "insurance_premium_bps": self.insurance_premium_bps,
            "regime": None if self.regime is None else self.regime.as_dict(),
            "fx_rates": [rate.as_dict() for rate in self.fx_rates],
            "flags": list(self.flags),
        }


# Input checks


def _incoterm(code: str) -> Incoterm:
    rule = INCOTERMS.get(str(code).strip().upper())
    if rule is None:
        raise DomainError(f"Unknown Incoterm: {code!r}.", field="incoterm", code="unknown_incoterm")
    return rule


def _country(code: str, *, field: str) -> str:
    value = str(code or "").strip().upper()
    if value not in countries:
        raise DomainError(
            f"{code!r} is not a country code (ISO 3166-1 alpha-2).",
            field=field,
            code="unknown_country",
        )
    return value


def _hs_code(code: str) -> str:
    digits = re.sub(r"[.\s]", "", str(code or ""))
    if not _HS_CODE.match(digits):
        raise DomainError(
            f"{code!r} is not an HS code of 6 to 10 digits.",
            field="hs_code",
            code="invalid_hs_code",
        )
    return digits


def _amount(money: Money, *, currency: str, field: str) -> Money:
    if money.currency != currency:
        raise DomainError(
            f"The {field} is in {money.currency} but the goods are in {currency}: "
            "give every amount in the order currency.",
            field=field,
            code="currency_mismatch",
        )
    if money.amount < 0:
        raise DomainError(f"The {field} cannot be negative.", field=field, code="negative_amount")
    return money.rounded()


def same_customs_territory(origin: str, destination: str) -> bool:
    """No import happens: one country, or two member states of the EU customs union."""
    return origin == destination or (origin in EU_MEMBER_STATES and destination in EU_MEMBER_STATES)


# Loading the rates


def _threshold(amount: Money, currency: str, fx_rates: list[FxRateUsed]) -> Money | None:
    if amount.is_zero():
        return None
    if amount.currency == currency:
        return amount
    converted, rate = convert(amount, currency)
    used = FxRateUsed(
        base=rate.base, quote=rate.quote, rate=rate.rate, source=rate.source, as_of=rate.as_of
    )
    if used not in fx_rates:
        fx_rates.append(used)
    return converted


def customs_rates_for(
    *, destination: str, hs_code: str, as_of: date, currency: str
) -> CustomsRates:
    """The duty rate, import tax and customs regime of ``destination`` for ``hs_code`` on
    ``as_of``, with the de minimis values converted into ``currency`` at the latest FX rate."""
    duty = duty_rate_for(destination=destination, hs_code=hs_code, as_of=as_of)
    tax = import_tax_for(destination=destination, as_of=as_of)
    regime_row = customs_regime_for(destination=destination, as_of=as_of)
    regime = None if regime_row is None else CustomsRegimeUsed.of(regime_row)
    fx_rates: list[FxRateUsed] = []
    duty_de_minimis = tax_de_minimis = None
    if regime is not None:
        duty_de_minimis = _threshold(regime.duty_de_minimis, currency, fx_rates)
        tax_de_minimis = _threshold(regime.tax_de_minimis, currency, fx_rates)
    return CustomsRates(
        duty=None if duty is None else DutyRateUsed.of(duty),
        import_tax=None if tax is None else ImportTaxUsed.of(tax),
        regime=regime,
        duty_de_minimis=duty_de_minimis,
        tax_de_minimis=tax_de_minimis,
        fx_rates=tuple(fx_rates),
    )


# The calculation


def _percent_of(base: Money, percent: Decimal) -> Money:
    return Money(quantize(base.amount * percent / _HUNDRED, base.currency), base.currency)


def _insurance_estimate(known_value: Money, premium_bps: int) -> tuple[Money, Money]:
    """The premium and insured value when the insured value is 110 % of the CIF value.

    With k = 1.1 × the premium rate, CIF = known + premium and premium = k × CIF, so
    premium = k × known / (1 − k): the insurance is part of the value it insures.
    """
    k = INSURED_VALUE_FACTOR * Decimal(premium_bps) / _BPS
    premium = Money(
        quantize(known_value.amount * k / (1 - k), known_value.currency), known_value.currency
    )
    insured = (known_value + premium) * INSURED_VALUE_FACTOR
    return premium, insured.rounded()


def _below_de_minimis(goods: Money, threshold: Money | None) -> bool:
    return threshold is not None and goods <= threshold


def landed_cost_calculate(
    *,
    goods: Money,
    hs_code: str,
    origin: str,
    destination: str,
    incoterm: Incoterm,
    freight: Money | None,
    insurance: Money | None,
    rates: CustomsRates,
    as_of: date,
    insurance_premium_bps: int,
    import_happens: bool = True,
) -> LandedCost:
    """The landed cost from rates already loaded: pure arithmetic, no database.

    Amounts must already be checked (same currency, not negative); see
    ``landed_cost_estimate`` for the contract.
    """
    currency = goods.currency
    zero = Money.zero(currency)
    goods = goods.rounded()
    flags: set[str] = set()
    carriage_payer = incoterm.main_carriage_paid_by
    carriage_on_invoice = carriage_payer == "seller"

    goods_charge = Charge(amount=goods, payer="buyer", borne_by="buyer", on_invoice=True)

    if freight is None:
        flags.add("freight_not_included")
        freight_charge = Charge(
            amount=None,
            payer=carriage_payer,
            borne_by="buyer",
            on_invoice=carriage_on_invoice,
            note="Not known yet: left out of the totals.",
        )
    else:
        freight_charge = Charge(
            amount=freight.rounded(),
            payer=carriage_payer,
            borne_by="buyer",
            on_invoice=carriage_on_invoice,
        )
    known_freight = freight_charge.amount or zero

    if insurance is not None:
        insurance_charge = Charge(
            amount=insurance.rounded(),
            payer=carriage_payer,
            borne_by="buyer",
            on_invoice=carriage_on_invoice,
        )
    elif incoterm.seller_insures:
        flags.add("insurance_estimated")
        premium, insured_value = _insurance_estimate(goods + known_freight, insurance_premium_bps)
        insurance_charge = Charge(
            amount=premium,
            payer="seller",
            borne_by="buyer",
            on_invoice=True,
            base=insured_value,
            note=(
                f"Estimated: {Decimal(insurance_premium_bps) / 100} % premium on an insured "
                f"value of 110 % of the CIF value ({incoterm.code} requires the seller to insure)."
            ),
        )
    else:
        insurance_charge = Charge(
            amount=zero,
            payer=carriage_payer,
            borne_by="buyer",
            on_invoice=carriage_on_invoice,
            note=f"None given; {incoterm.code} does not require insurance.",
        )
    known_insurance = insurance_charge.amount or zero

    duties_payer: Party = incoterm.duty_paid_by
    duties_on_invoice = False  # paid to customs; under DDP the seller absorbs them
    basis: str | None
    customs_value: Money | None
    if not import_happens:
        flags.add("same_customs_territory")
        basis = None
        customs_value = None
        no_import = "No import: origin and destination are one customs territory."
        duty_charge = Charge(
            amount=zero, payer=duties_payer, borne_by=duties_payer, on_invoice=False, note=no_import
        )
        tax_charge = Charge(
            amount=zero, payer=duties_payer, borne_by=duties_payer, on_invoice=False, note=no_import
        )
    else:
        if rates.regime is None:
            flags.add("no_customs_regime")
            basis = CustomsValueBasis.CIF.value
        else:
            basis = rates.regime.customs_value_basis
        if basis == CustomsValueBasis.FOB:
            customs_value = goods
        else:
            customs_value = goods + known_freight + known_insurance

        duty_notes = []
        if basis == CustomsValueBasis.CIF and freight is None:
            duty_notes.append("The customs value leaves out the freight, not known yet.")
        duty_amount: Money | None
        if _below_de_minimis(goods, rates.duty_de_minimis):
            flags.add("duty_de_minimis")
            duty_amount = zero
            duty_notes.append(
                f"No duty: the goods' value does not exceed the de minimis of "
                f"{rates.duty_de_minimis}."
            )
        elif rates.duty is None:
            flags.add("no_duty_rate")
            duty_amount = None
            duty_notes.append("Unknown: no duty rate is known for this destination and HS code.")
        else:
            duty_amount = _percent_of(customs_value, rates.duty.percent)
        if duties_payer == "seller":
            duty_notes.append(f"Paid and borne by the seller under {incoterm.code}.")
        duty_charge = Charge(
            amount=duty_amount,
            payer=duties_payer,
            borne_by=duties_payer,
            on_invoice=duties_on_invoice,
            base=customs_value,
            rate=rates.duty,
            note=" ".join(duty_notes),
        )

        tax_notes = []
        tax_amount: Money | None
        tax_base: Money | None = customs_value
        if _below_de_minimis(goods, rates.tax_de_minimis):
            flags.add("tax_de_minimis")
            tax_amount = zero
            tax_notes.append(
                f"No import tax: the goods' value does not exceed the de minimis of "
                f"{rates.tax_de_minimis}."
            )
        elif rates.import_tax is None:
            flags.add("no_import_tax")
            tax_amount = None
            tax_notes.append("Unknown: no import tax is known for this destination.")
        elif rates.import_tax.duty_in_base and duty_amount is None:
            tax_base = None
            tax_amount = None
            tax_notes.append("Unknown: it is charged on the duty, which is not known.")
        else:
            tax_base = (
                customs_value + duty_amount
                if rates.import_tax.duty_in_base and duty_amount is not None
                else customs_value
            )
            tax_amount = _percent_of(tax_base, rates.import_tax.percent)
        if duties_payer == "seller":
            tax_notes.append(f"Paid and borne by the seller under {incoterm.code}.")
        tax_charge = Charge(
            amount=tax_amount,
            payer=duties_payer,
            borne_by=duties_payer,
            on_invoice=duties_on_invoice,
            base=tax_base,
            rate=rates.import_tax,
            note=" ".join(tax_notes),
        )

    used = [rates.duty, rates.import_tax, rates.regime] if import_happens else []
    if any(row is not None and row.is_sample for row in used):
        flags.add("sample_rates")

    if duty_charge.amount is None or tax_charge.amount is None:
        flags.add("total_incomplete")
    charges = (goods_charge, freight_charge, insurance_charge, duty_charge, tax_charge)
    total_for_buyer = sum(
        (c.amount for c in charges if c.amount is not None and c.in_buyer_total), zero
    )
    borne_by_seller = sum(
        (c.amount for c in charges if c.amount is not None and c.borne_by == "seller"), zero
    )
    return LandedCost(
        currency=currency,
        incoterm=incoterm.code,
        origin=origin,
        destination=destination,
        hs_code=hs_code,
        as_of=as_of,
        goods=goods_charge,
        freight=freight_charge,
        insurance=insurance_charge,
        customs_value_basis=basis,
        customs_value=customs_value,
        duty=duty_charge,
        import_tax=tax_charge,
        total_for_buyer=total_for_buyer,
        borne_by_seller=borne_by_seller,
        insurance_premium_bps=insurance_premium_bps,
        regime=rates.regime if import_happens else None,
        fx_rates=rates.fx_rates if import_happens else (),
        flags=tuple(sorted(flags)),
    )


def landed_cost_estimate(
    *,
    goods: Money,
    hs_code: str,
    origin: str,
    destination: str,
    incoterm: str,
    freight: Money | None,
    insurance: Money | None,
    as_of: date | None = None,
) -> LandedCost:
    """The landed cost of ``goods`` shipped to ``destination``: see the module docstring."""
    rule = _incoterm(incoterm)
    origin_code = _country(origin, field="origin")
    destination_code = _country(destination, field="destination")
    hs = _hs_code(hs_code)
    goods_checked = _amount(goods, currency=goods.currency, field="goods")
    freight_checked = (
        None if freight is None else _amount(freight, currency=goods.currency, field="freight")
    )
    insurance_checked = (
        None
        if insurance is None
        else _amount(insurance, currency=goods.currency, field="insurance")
    )
    day = as_of or timezone.localdate()
    import_happens = not same_customs_territory(origin_code, destination_code)
    rates = (
        customs_rates_for(
            destination=destination_code, hs_code=hs, as_of=day, currency=goods.currency
        )
        if import_happens
        else CustomsRates()
    )
    return landed_cost_calculate(
        goods=goods_checked,
        hs_code=hs,
        origin=origin_code,
        destination=destination_code,
        incoterm=rule,
        freight=freight_checked,
        insurance=insurance_checked,
        rates=rates,
        as_of=day,
        insurance_premium_bps=settings.INSURANCE_PREMIUM_BPS,
        import_happens=import_happens,
    )
