"""Forms for the order pages and the landed-cost estimate (browser and API). What a company
may do to an order now is ``orders.selectors.order_actions_for``."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django_countries import countries

from listings.models import Listing
from marketplace.accounts.models import Company
from marketplace.core.exceptions import DomainError
from marketplace.core.ids import IdFormField
from marketplace.trade.incoterms import INCOTERMS
from marketplace.trade.landed_cost import LandedCost, landed_cost_estimate
from marketplace.trade.money import Money
from orders.models import CartLine, Order
from orders.pricing import line_total, tier_unit_price
from orders.services import ShipTo

_INT_MAX = 2_147_483_647
_AMOUNT_MAX_DIGITS = 14

# --- landed-cost estimate --------------------------------------------------------------


class CountryField(forms.ChoiceField):
    """An ISO 3166-1 alpha-2 code, any case."""

    default_error_messages = {
        "invalid_choice": "“%(value)s” is not a country code (ISO 3166-1 alpha-2).",
        "required": "Choose a country.",
    }

    def __init__(self, **kwargs: Any):
        super().__init__(choices=[("", "Choose a country"), *countries], **kwargs)

    def to_python(self, value: Any) -> str:
        return super().to_python(value).strip().upper()


def _offered_incoterm_choices(codes: Sequence[str]) -> list[tuple[str, str]]:
    return [(code, INCOTERMS[code].label) for code in INCOTERMS if code in codes]


@dataclass(frozen=True)
class ListingEstimate:
    quantity: int
    unit_price: Money
    landed_cost: LandedCost


class LandedCostEstimateForm(forms.Form):
    """The estimate for one listing: a quantity (≥ MOQ), a destination, an Incoterm the
    listing offers, and the freight if the buyer knows it. Used by the listing page and by
    ``GET /api/v1/listings/{id}/landed-cost/``."""

    quantity = forms.IntegerField(
        min_value=1,
        max_value=_INT_MAX,
        error_messages={"required": "Enter a quantity.", "invalid": "Enter a whole number."},
    )
    destination = CountryField(label="Ship to")
    incoterm = forms.ChoiceField(label="Incoterm")
    freight = forms.DecimalField(
        required=False,
        min_value=Decimal(0),
        max_digits=_AMOUNT_MAX_DIGITS,
        label="Freight, if known",
    )

    def __init__(self, *args: Any, listing: Listing, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.listing = listing
        incoterm = self.fields["incoterm"]
        assert isinstance(incoterm, forms.ChoiceField)
        incoterm.choices = _offered_incoterm_choices(listing.incoterms)
        incoterm.error_messages["invalid_choice"] = (
            f"“%(value)s” is not offered for this listing; offered: {', '.join(listing.incoterms)}."
        )
        incoterm.error_messages["required"] = "Choose an Incoterm."
        self.fields["quantity"].widget.attrs.update({"min": listing.moq, "step": 1})
        self.fields[
            "freight"
        ].help_text = f"In {listing.currency}. Left out of the totals when empty."
        self._estimate: ListingEstimate | None = None

    def clean_quantity(self) -> int:
        quantity: int = self.cleaned_data["quantity"]
        if quantity < self.listing.moq:
            raise ValidationError(
                f"The minimum order quantity is {self.listing.moq:,}.", code="below_moq"
            )
        return quantity

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        listing = self.listing
        quantity = data["quantity"]
        unit_price = tier_unit_price(tiers=listing.price_tiers.all(), quantity=quantity)
        if unit_price is None:
            self.add_error("quantity", f"There is no price for {quantity:,}.")
            return data
        freight = data.get("freight")
        try:
            estimate = landed_cost_estimate(
                goods=line_total(
                    unit_price=unit_price, quantity=quantity, currency=listing.currency
                ),
                hs_code=str(listing.hs_code_id),
                origin=str(listing.origin_country),
                destination=data["destination"],
                incoterm=data["incoterm"],
                freight=None if freight is None else Money(freight, listing.currency),
                insurance=None,
            )
        except DomainError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
            return data
        self._estimate = ListingEstimate(
            quantity=quantity,
            unit_price=Money(unit_price, listing.currency),
            landed_cost=estimate,
        )
        return data

    @property
    def estimate(self) -> ListingEstimate | None:
        return self._estimate


# --- cart ------------------------------------------------------------------------------


class CartQuantityForm(forms.Form):
    quantity = forms.IntegerField(
        min_value=1,
        max_value=_INT_MAX,
        error_messages={"required": "Enter a quantity.", "invalid": "Enter a whole number."},
    )


class AddToCartForm(CartQuantityForm):
    listing = IdFormField(widget=forms.HiddenInput)


@dataclass
class CartRow:
    line: CartLine
    unit_price: Money | None
    total: Money | None
    problems: list[str]
    next_tier: tuple[int, Money] | None = None


@dataclass
class SellerGroup:
    """The cart lines of one seller: one order at checkout."""

    seller: Company
    rows: list[CartRow] = field(default_factory=list)

    @property
    def currency(self) -> str:
        return self.rows[0].line.listing.currency

    @property
    def subtotal(self) -> Money | None:
        totals = [row.total for row in self.rows]
        if any(t is None for t in totals) or len({t.currency for t in totals if t}) != 1:
            return None
        return sum((t for t in totals if t is not None), Money.zero(self.currency))

    @property
    def incoterms(self) -> list[str]:
        """The Incoterms every listing of the group offers, in the order of the rules."""
        offered = [set(row.line.listing.incoterms) for row in self.rows]
        common = set.intersection(*offered) if offered else set()
        return [code for code in INCOTERMS if code in common]

    @property
    def lines_for_estimate(self) -> list[tuple[str, str, Money]]:
        return [
            (str(row.line.listing.hs_code_id), str(row.line.listing.origin_country), row.total)
            for row in self.rows
            if row.total is not None
        ]


def cart_groups(lines: Sequence[CartLine]) -> list[SellerGroup]:
    """Cart lines grouped by seller, each priced at its tier, with what stands in its way."""
    groups: dict[int, SellerGroup] = {}
    for line in lines:
        listing = line.listing
        problems: list[str] = []
        if listing.status != "published":
            problems.append("No longer available: remove it.")
        if line.quantity < listing.moq:
            problems.append(f"Below the minimum order quantity of {listing.moq:,}.")
        if line.quantity > listing.stock:
            problems.append(f"Only {listing.stock:,} in stock.")
        price = tier_unit_price(tiers=listing.price_tiers.all(), quantity=line.quantity)
        total = (
            None
            if price is None
            else line_total(unit_price=price, quantity=line.quantity, currency=listing.currency)
        )
        higher = sorted(
            (t for t in listing.price_tiers.all() if t.min_quantity > line.quantity),
            key=lambda t: t.min_quantity,
        )
        group = groups.setdefault(listing.seller_id, SellerGroup(seller=listing.seller))
        group.rows.append(
            CartRow(
                line=line,
                unit_price=None if price is None else Money(price, listing.currency),
                total=total,
                problems=problems,
                next_tier=(higher[0].min_quantity, Money(higher[0].unit_price, listing.currency))
                if higher
                else None,
            )
        )
    return list(groups.values())


# --- checkout --------------------------------------------------------------------------


def _text(label: str, *, max_length: int, required: bool = True, **kwargs: Any) -> forms.CharField:
    return forms.CharField(label=label, max_length=max_length, required=required, **kwargs)


class CheckoutForm(forms.Form):
    """The ship-to address, the PO number, and per seller an Incoterm and its named place."""

    name = _text("Recipient", max_length=200)
    line1 = _text("Street address", max_length=200)
    line2 = _text("Address line 2", max_length=200, required=False)
    city = _text("City", max_length=100)
    region = _text("State / province", max_length=100, required=False)
    postal_code = _text("Postal code", max_length=20, required=False)
    country = CountryField(label="Country")
    buyer_reference = _text(
        "Your PO number",
        max_length=64,
        required=False,
        help_text="Printed on every order and its documents.",
    )

    ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country")

    def __init__(self, *args: Any, groups: Sequence[SellerGroup], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.groups = list(groups)
        for group in self.groups:
            pk = group.seller.pk
            offered = group.incoterms
            self.fields[f"incoterm_{pk}"] = forms.ChoiceField(
                label="Incoterm",
                choices=[("", "Choose an Incoterm"), *_offered_incoterm_choices(offered)],
                error_messages={
                    "required": "Choose an Incoterm.",
                    "invalid_choice": f"“%(value)s” is not offered; offered: {', '.join(offered)}.",
                },
                help_text=""
                if offered
                else "These listings share no Incoterm: order them separately.",
            )
            self.fields[f"named_place_{pk}"] = _text(
                "Named place",
                max_length=120,
                help_text="The port or place the Incoterm names, e.g. “Ningbo” for FOB.",
                error_messages={"required": "Enter the named place for the Incoterm."},
            )

    @staticmethod
    def initial_for(buyer: Company, groups: Sequence[SellerGroup]) -> dict[str, Any]:
        """The buying company's address, and each seller's first Incoterm (FOB if offered)."""
        initial: dict[str, Any] = {
            "name": buyer.legal_name,
            "line1": buyer.address_line1,
            "line2": buyer.address_line2,
            "city": buyer.city,
            "region": buyer.region,
            "postal_code": buyer.postal_code,
            "country": str(buyer.country),
        }
        for group in groups:
            offered = group.incoterms
            if offered:
                initial[f"incoterm_{group.seller.pk}"] = "FOB" if "FOB" in offered else offered[0]
        return initial

    def address_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.ADDRESS_FIELDS]

    def seller_fields(self, group: SellerGroup) -> tuple[forms.BoundField, forms.BoundField]:
        pk = group.seller.pk
        return self[f"incoterm_{pk}"], self[f"named_place_{pk}"]

    def ship_to(self) -> ShipTo:
        data = self.cleaned_data
        return ShipTo(**{name: data[name] for name in self.ADDRESS_FIELDS})

    def terms(self) -> dict[int, tuple[str, str]]:
        data = self.cleaned_data
        return {
            g.seller.pk: (data[f"incoterm_{g.seller.pk}"], data[f"named_place_{g.seller.pk}"])
            for g in self.groups
        }

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put the service's errors next to their fields: ``ship_to.city`` on city, a
        seller's Incoterm or named place (prefixed with the seller's name) on its fields."""
        errors: Mapping[str, list[str]] = (
            exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        )
        for key, messages in errors.items():
            for message in messages:
                self.add_error(self._field_for(key, message), message)

    def _field_for(self, key: str, message: str) -> str | None:
        if key.startswith("ship_to."):
            name = key.removeprefix("ship_to.")
            return name if name in self.fields else None
        if key == "buyer_reference":
            return key
        if key in ("incoterm", "named_place", "terms"):
            for group in self.groups:
                if message.startswith(f"{group.seller.display_name}: "):
                    return (
                        f"{'named_place' if key == 'named_place' else 'incoterm'}_{group.seller.pk}"
                    )
        return None


# --- order actions ---------------------------------------------------------------------


def _quoted_terms(order: Order) -> tuple[int | None, int | None] | None:
    """The quoted freight and insurance (minor units) of an order made from a quote."""
    from orders.quotes.models import Quote

    row = (
        Quote.objects.filter(order_id=order.pk)
        .values_list("freight_minor", "insurance_minor")
        .first()
    )
    return (row[0], row[1]) if row is not None else None


class ConfirmForm(forms.Form):
    freight = forms.DecimalField(
        required=False, min_value=Decimal(0), max_digits=_AMOUNT_MAX_DIGITS, label="Freight"
    )
    insurance = forms.DecimalField(
        required=False, min_value=Decimal(0), max_digits=_AMOUNT_MAX_DIGITS, label="Insurance"
    )

    def __init__(self, *args: Any, order: Order, **kwargs: Any):
        super().__init__(*args, **kwargs)
        rule = INCOTERMS[order.incoterm]
        self.needs_freight = rule.seller_pays_main_carriage
        self.needs_insurance = rule.seller_insures
        freight = self.fields["freight"]
        insurance = self.fields["insurance"]
        freight.label = f"Freight ({order.currency})"
        insurance.label = f"Insurance ({order.currency})"
        freight.required = self.needs_freight
        # Only constant text here: the named place is the buyer's free text (shown, escaped,
        # in the order's terms beside this form).
        freight.help_text = f"Under {rule.code} you pay the main carriage to the named place."
        insurance.required = self.needs_insurance
        insurance.help_text = f"Under {rule.code} you insure the goods (110 % of the CIF value)."
        freight.error_messages["required"] = f"Under {rule.code} enter the freight."
        insurance.error_messages["required"] = f"Under {rule.code} enter the insurance premium."
        quoted = _quoted_terms(order)
        if quoted is not None:  # an order from a quote: its amounts, kept if left as they are
            for name, minor in (("freight", quoted[0]), ("insurance", quoted[1])):
                if minor is not None:
                    self.fields[name].initial = Money.from_minor_units(minor, order.currency).amount
                    self.fields[name].help_text += " Prefilled from the accepted quote."
        if not self.needs_freight:
            del self.fields["freight"]
        if not self.needs_insurance:
            del self.fields["insurance"]


class ShipForm(forms.Form):
    carrier = _text("Carrier", max_length=100)
    tracking_number = _text("Tracking number", max_length=100)
    ship_date = forms.DateField(
        label="Ship date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Today if left empty.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the reason."},
    )
