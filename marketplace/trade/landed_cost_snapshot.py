"""The landed-cost snapshot: the estimate an order (or a quote) freezes, as a typed value.

An order's consignment is split into parts, one per HS code and origin, each a ``LandedCost``
(see ``marketplace.trade.landed_cost``); the snapshot adds them up, says who pays duty and
tax under the Incoterm, and, once the order's totals are known, carries the platform fee and
the buyer's landed total (``with_platform_fee``).

``as_dict()`` is the JSON kept in ``Order.landed_cost`` and shown by the API, key for key as
it has always been stored:

- estimated: ``currency, incoterm, destination, as_of, payer, goods, freight, insurance, duty,
  import_tax, total_for_buyer, borne_by_seller, flags, parts`` then ``platform_fee`` and
  ``landed_total``. ``freight``, ``duty`` and ``import_tax`` are ``null`` when unknown (never
  0); ``flags`` then says why (``freight_not_included``, ``no_duty_rate``...);
- not estimated (reference data such as an FX rate was missing when the order was placed):
  ``currency, incoterm, destination, as_of, payer, flags`` (``["estimate_unavailable"]``),
  ``note`` (why), ``parts`` (empty) and ``platform_fee``.

``from_dict()`` reads either back, tolerating rows that lack keys (a missing amount is
unknown, a missing payer is the Incoterm's, missing parts are none). Nothing is recomputed:
a frozen estimate never moves when rates change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from marketplace.trade.incoterms import INCOTERMS, Incoterm, Party
from marketplace.trade.landed_cost import LandedCost, money_from_dict
from marketplace.trade.money import Money

FLAG_ESTIMATE_UNAVAILABLE = "estimate_unavailable"
FLAG_TOTAL_INCOMPLETE = "total_incomplete"
FLAG_SAMPLE_RATES = "sample_rates"

# The parts of the estimate that may be unknown (None) while the others are known.
MAYBE_UNKNOWN = ("freight", "duty", "import_tax")


def _money_json(value: Money | None) -> dict[str, str] | None:
    return None if value is None else value.as_dict()


@dataclass(frozen=True, slots=True)
class LandedCostSnapshot:
    currency: str
    incoterm: str
    destination: str
    as_of: date | None
    payer: Party  # who pays duty and import tax under the Incoterm
    goods: Money | None = None  # None: no estimate could be made (see ``note``)
    freight: Money | None = None
    insurance: Money | None = None
    duty: Money | None = None
    import_tax: Money | None = None
    total_for_buyer: Money | None = None  # the known costs the buyer bears, fee excluded
    borne_by_seller: Money | None = None  # duty and tax the seller absorbs (DDP)
    platform_fee: Money | None = None
    landed_total: Money | None = None  # total_for_buyer + platform_fee
    flags: tuple[str, ...] = ()
    note: str = ""
    parts: tuple[LandedCost, ...] = ()

    # --- building ---------------------------------------------------------------------

    @classmethod
    def of_parts(
        cls,
        *,
        currency: str,
        incoterm: Incoterm,
        destination: str,
        as_of: date,
        goods: Money,
        parts: Sequence[LandedCost],
    ) -> LandedCostSnapshot:
        """The sum of the parts' estimates. An amount unknown in any part (freight not given,
        no duty rate) is unknown in the sum, never 0; the totals add up the known costs and
        the part's flags (``total_incomplete``) say so."""
        zero = Money.zero(currency)

        def total_of(pick: Callable[[LandedCost], Money | None]) -> Money:
            return sum((a for a in (pick(p) for p in parts) if a is not None), zero)

        def known_total(pick: Callable[[LandedCost], Money | None]) -> Money | None:
            return total_of(pick) if all(pick(p) is not None for p in parts) else None

        return cls(
            currency=currency,
            incoterm=incoterm.code,
            destination=destination,
            as_of=as_of,
            payer=incoterm.duty_paid_by,
            goods=goods,
            freight=known_total(lambda p: p.freight.amount),
            insurance=total_of(lambda p: p.insurance.amount),
            duty=known_total(lambda p: p.duty.amount),
            import_tax=known_total(lambda p: p.import_tax.amount),
            total_for_buyer=total_of(lambda p: p.total_for_buyer),
            borne_by_seller=total_of(lambda p: p.borne_by_seller),
            flags=tuple(sorted({flag for p in parts for flag in p.flags})),
            parts=tuple(parts),
        )

    @classmethod
    def unavailable(
        cls, *, currency: str, incoterm: Incoterm, destination: str, as_of: date, note: str
    ) -> LandedCostSnapshot:
        """No estimate could be made (reference data missing): the order is placed anyway."""
        return cls(
            currency=currency,
            incoterm=incoterm.code,
            destination=destination,
            as_of=as_of,
            payer=incoterm.duty_paid_by,
            flags=(FLAG_ESTIMATE_UNAVAILABLE,),
            note=note,
        )

    def with_platform_fee(self, fee: Money) -> LandedCostSnapshot:
        """The snapshot with the platform's fee and, where estimated, the buyer's landed total
        (what the buyer really pays: the estimate plus the fee)."""
        landed = None if self.total_for_buyer is None else self.total_for_buyer + fee
        return replace(self, platform_fee=fee, landed_total=landed)

    # --- reading ----------------------------------------------------------------------

    @property
    def estimated(self) -> bool:
        """Whether an estimate was made at all (False: ``note`` says why not)."""
        return self.goods is not None and FLAG_ESTIMATE_UNAVAILABLE not in self.flags

    @property
    def total_incomplete(self) -> bool:
        """A duty or tax is unknown: the totals add up only the known costs."""
        return FLAG_TOTAL_INCOMPLETE in self.flags

    @property
    def is_sample(self) -> bool:
        return FLAG_SAMPLE_RATES in self.flags

    @property
    def buyer_total(self) -> Money | None:
        """The landed total with the fee, or (before the fee is known) the estimate's."""
        return self.landed_total if self.landed_total is not None else self.total_for_buyer

    def known(self, part: str) -> bool:
        """Whether ``part`` ("freight", "duty" or "import_tax") was estimated and is known."""
        if part not in MAYBE_UNKNOWN:
            raise ValueError(f"Unknown landed-cost part: {part!r}")
        return self.estimated and getattr(self, part) is not None

    # --- JSON -------------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """The stored and API shape (see the module docstring)."""
        data: dict[str, Any] = {
            "currency": self.currency,
            "incoterm": self.incoterm,
            "destination": self.destination,
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "payer": self.payer,
        }
        if self.goods is not None:
            data.update(
                {
                    "goods": self.goods.as_dict(),
                    "freight": _money_json(self.freight),
                    "insurance": _money_json(self.insurance),
                    "duty": _money_json(self.duty),
                    "import_tax": _money_json(self.import_tax),
                    "total_for_buyer": _money_json(self.total_for_buyer),
                    "borne_by_seller": _money_json(self.borne_by_seller),
                }
            )
        data["flags"] = list(self.flags)
        if self.goods is None or self.note:
            data["note"] = self.note
        data["parts"] = [part.as_dict() for part in self.parts]
        if self.platform_fee is not None:
            data["platform_fee"] = self.platform_fee.as_dict()
        if self.landed_total is not None:
            data["landed_total"] = self.landed_total.as_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LandedCostSnapshot:
        """A stored snapshot read back; ``ValueError`` for an empty one (nothing was frozen:
        see ``snapshot_from_stored``)."""
        if not data:
            raise ValueError("An empty landed-cost snapshot: no estimate was frozen.")
        incoterm = str(data.get("incoterm") or "")
        rule = INCOTERMS.get(incoterm)
        default_payer: Party = "buyer" if rule is None else rule.duty_paid_by
        payer = data.get("payer")
        as_of = data.get("as_of")
        return cls(
            currency=str(data.get("currency") or ""),
            incoterm=incoterm,
            destination=str(data.get("destination") or ""),
            as_of=date.fromisoformat(as_of) if as_of else None,
            payer=payer if payer in ("buyer", "seller") else default_payer,
            goods=money_from_dict(data.get("goods")),
            freight=money_from_dict(data.get("freight")),
            insurance=money_from_dict(data.get("insurance")),
            duty=money_from_dict(data.get("duty")),
            import_tax=money_from_dict(data.get("import_tax")),
            total_for_buyer=money_from_dict(data.get("total_for_buyer")),
            borne_by_seller=money_from_dict(data.get("borne_by_seller")),
            platform_fee=money_from_dict(data.get("platform_fee")),
            landed_total=money_from_dict(data.get("landed_total")),
            flags=tuple(data.get("flags") or ()),
            note=str(data.get("note") or ""),
            parts=tuple(LandedCost.from_dict(part) for part in data.get("parts") or ()),
        )


def snapshot_from_stored(data: Mapping[str, Any] | None) -> LandedCostSnapshot | None:
    """The snapshot kept in a JSON field, or None when none was frozen (``{}``)."""
    return LandedCostSnapshot.from_dict(data) if data else None
