"""Forms of the quote pages: the terms, the lines (a formset; "Add a line" in
static/js/quotes.js), a reason, and the acceptance (ship-to and reference). They check shapes;
the quote services check the rules and their field errors are put back on these fields."""

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django_countries import countries

from listings.enums import UnitOfSale
from listings.models import Listing
from marketplace.trade.currencies import CURRENCY_CHOICES
from marketplace.trade.incoterms import INCOTERM_CHOICES
from orders.quotes.services import QuoteLineInput

_BLANK: list[tuple[str, str]] = [("", "—")]


def _decimal(label: str, digits: int, places: int, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=digits,
        decimal_places=places,
        min_value=Decimal(1).scaleb(-places),
        **kwargs,
    )


class QuoteTermsForm(forms.Form):
    currency = forms.ChoiceField(label="Currency", choices=CURRENCY_CHOICES, initial="USD")
    incoterm = forms.ChoiceField(label="Incoterm 2020", choices=INCOTERM_CHOICES)
    named_place = forms.CharField(
        label="Named place", max_length=120, help_text="The port or place the Incoterm names."
    )
    freight = forms.DecimalField(
        label="Freight",
        required=False,
        min_value=Decimal(0),
        max_digits=14,
        help_text="Main carriage: only under C and D rules (CPT, CIP, CFR, CIF, DAP, DPU, DDP).",
    )
    insurance = forms.DecimalField(
        label="Insurance",
        required=False,
        min_value=Decimal(0),
        max_digits=14,
        help_text="Only under CIF and CIP.",
    )
    lead_time_days = forms.IntegerField(
        label="Lead time (days)", min_value=0, max_value=730, initial=30
    )
    valid_until = forms.DateField(
        label="Valid until", widget=forms.DateInput(attrs={"type": "date"})
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Payment terms, packing, samples… visible to the buyer.",
    )

    def __init__(self, *args: Any, allowed_incoterms: list[str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if allowed_incoterms:
            field = self.fields["incoterm"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [(c, label) for c, label in INCOTERM_CHOICES if c in allowed_incoterms]
            field.help_text = "The Incoterms the request allows."


class QuoteLineForm(forms.Form):
    listing = forms.ModelChoiceField(
        label="From listing",
        queryset=Listing.objects.none(),
        required=False,
        help_text="Optional: fills the description, HS code, origin and packing.",
    )
    from_stock = forms.BooleanField(
        label="Ship from the listing's stock", required=False, help_text="Else made to order."
    )
    description = forms.CharField(label="Description", max_length=200, required=False)
    hs_code = forms.CharField(label="HS code", max_length=6, required=False)
    origin_country = forms.ChoiceField(
        label="Origin", choices=_BLANK + list(countries), required=False
    )
    unit = forms.ChoiceField(
        label="Unit", choices=_BLANK + list(UnitOfSale.choices), required=False
    )
    quantity = forms.IntegerField(label="Quantity", min_value=1, max_value=2_147_483_647)
    unit_price = forms.DecimalField(
        label="Unit price",
        min_value=Decimal("0.0001"),
        max_digits=14,
        decimal_places=4,
        help_text="Up to 4 decimals.",
    )
    unit_net_weight_kg = _decimal("Net weight per unit (kg)", 12, 3)
    units_per_carton = forms.IntegerField(
        label="Units per carton", min_value=1, max_value=100_000, required=False
    )
    carton_gross_weight_kg = _decimal("Carton gross weight (kg)", 10, 3)
    carton_length_cm = _decimal("Carton length (cm)", 7, 1)
    carton_width_cm = _decimal("Carton width (cm)", 7, 1)
    carton_height_cm = _decimal("Carton height (cm)", 7, 1)

    def __init__(self, *args: Any, listings: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["listing"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = listings if listings is not None else Listing.objects.none()

    def as_input(self) -> QuoteLineInput:
        data = self.cleaned_data
        listing = data.get("listing")
        return QuoteLineInput(
            description=data.get("description") or "",
            hs_code=data.get("hs_code") or "",
            origin_country=data.get("origin_country") or "",
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            listing_id=listing.pk if listing is not None else None,
            from_stock=bool(data.get("from_stock")),
            unit=data.get("unit") or "",
            unit_net_weight_kg=data.get("unit_net_weight_kg"),
            units_per_carton=data.get("units_per_carton"),
            carton_gross_weight_kg=data.get("carton_gross_weight_kg"),
            carton_length_cm=data.get("carton_length_cm"),
            carton_width_cm=data.get("carton_width_cm"),
            carton_height_cm=data.get("carton_height_cm"),
        )


class _BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, listings: Any = None, **kwargs: Any):
        self.listings = listings
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "listings": self.listings}

    def clean(self) -> None:
        if any(self.errors):
            return
        if not any(form.has_changed() and form.cleaned_data for form in self.forms):
            raise ValidationError("Add at least one line to the quote.")


QuoteLineFormSet = forms.formset_factory(
    QuoteLineForm, formset=_BaseLineFormSet, extra=0, min_num=1, max_num=100, absolute_max=100
)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AcceptForm(forms.Form):
    name = forms.CharField(label="Recipient", max_length=200)
    line1 = forms.CharField(label="Street address", max_length=200)
    line2 = forms.CharField(label="Address line 2", max_length=200, required=False)
    city = forms.CharField(label="City", max_length=100)
    region = forms.CharField(label="Region", max_length=100, required=False)
    postal_code = forms.CharField(label="Postal code", max_length=20, required=False)
    country = forms.ChoiceField(label="Country", choices=list(countries))
    buyer_reference = forms.CharField(
        label="Your reference (PO number)", max_length=64, required=False
    )
