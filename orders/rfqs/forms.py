"""Forms of the RFQ pages. They parse what the browser sends; the rules are the service's
(``rfq_create``), whose field errors land on the fields of the same name."""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_countries import countries

from listings.enums import UnitOfSale
from listings.models import Category
from marketplace.accounts.document_files import ACCEPTED_EXTENSIONS
from marketplace.accounts.models import Company
from marketplace.trade.currencies import CURRENCY_CHOICES
from marketplace.trade.incoterms import INCOTERMS
from orders.rfqs.models import RFQVisibility
from orders.rfqs.services import (
    ATTACHMENTS_MAX,
    CLOSES_MAX_DAYS,
    DESCRIPTION_MAX,
    NAMED_PLACE_MAX,
    REASON_MAX,
    TITLE_MAX,
    closes_at_from_date,
    rfq_closes_at_errors,
    rfq_hs_code_errors,
)

INCOTERM_CHOICES_NAMED = [(rule.code, f"{rule.code} — {rule.name}") for rule in INCOTERMS.values()]


def rfq_category_choices(tree: Iterable[Category]) -> list:
    """One group per top-level category: the whole top category first ("any"), then its
    children, so a buyer can ask broadly or precisely."""
    choices: list = [("", "Choose a category")]
    for top in tree:
        children = list(top.children.all())
        if children:
            options = [(str(top.pk), f"{top.name} (any)")]
            options += [(str(child.pk), f"{top.name} › {child.name}") for child in children]
            choices.append((top.name, options))
        else:
            choices.append((str(top.pk), top.name))
    return choices


def country_choices(empty: str = "Choose a country") -> list[tuple[str, str]]:
    return [("", empty), *((c.code, c.name) for c in countries)]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleDocumentField(forms.FileField):
    """Several files at once; their content is checked by the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,.webp"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [single(item, initial) for item in files if item]


class RFQForm(forms.Form):
    title = forms.CharField(
        label="What do you want to buy?",
        max_length=TITLE_MAX,
        help_text="A short title sellers recognise, e.g. “Stainless steel hex bolts M8 × 40, A2-70”.",
    )
    description = forms.CharField(
        label="Details",
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text="Specification, material, size, colour, packing, certificates you need. "
        "Plain text.",
    )
    category = forms.ChoiceField(label="Category", choices=())
    hs_code = forms.CharField(
        label="HS code (optional)",
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text="The 6-digit HS 2022 subheading if you know it, e.g. 731815. "
        "Look codes up with the HS code search at /api/v1/hs-codes/?q=bolts.",
    )
    quantity = forms.IntegerField(label="Quantity", min_value=1, max_value=2_147_483_647)
    unit = forms.ChoiceField(label="Unit", choices=UnitOfSale.choices)
    target_unit_price = forms.DecimalField(
        label="Target unit price (optional)",
        required=False,
        min_value=Decimal("0.0001"),
        max_digits=14,
        decimal_places=4,
        help_text="Up to 4 decimals, e.g. 0.0350. Sellers see it as a guide.",
    )
    currency = forms.ChoiceField(
        label="Currency",
        required=False,
        choices=[("", "—"), *CURRENCY_CHOICES],
        help_text="Needed with a target price.",
    )
    destination_country = forms.ChoiceField(label="Destination country", choices=country_choices())
    named_place = forms.CharField(
        label="Named place",
        max_length=NAMED_PLACE_MAX,
        help_text="The port or place of delivery for the Incoterm, e.g. “Hamburg” or "
        "“Köln, Hansaring 61”.",
    )
    incoterms = forms.MultipleChoiceField(
        label="Incoterms® 2020 you accept",
        choices=INCOTERM_CHOICES_NAMED,
        widget=forms.CheckboxSelectMultiple,
        help_text="Sellers quote on one of these. Tick every rule you can work with.",
    )
    needed_by = forms.DateField(
        label="Needed by (optional)",
        required=False,
        widget=DateInput(),
        help_text="When the goods must be delivered; not before the closing date.",
    )
    closes_on = forms.DateField(
        label="Quotes accepted until",
        widget=DateInput(),
        help_text=f"The RFQ closes at the end of this day (UTC), at most {CLOSES_MAX_DAYS} "
        "days from today.",
    )
    visibility = forms.ChoiceField(
        label="Who may quote",
        choices=RFQVisibility.choices,
        initial=RFQVisibility.PUBLIC,
        widget=forms.RadioSelect,
    )
    invited_sellers = forms.ModelMultipleChoiceField(
        label="Invited sellers",
        queryset=Company.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Verified sellers only. With “Invited sellers only” you need at least one; "
        "with a public RFQ they are told of it too.",
    )
    attachments = MultipleDocumentField(
        label="Attachments (optional)",
        required=False,
        help_text=f"Drawings, specifications, photos: PDF, PNG, JPEG or WebP "
        f"({ACCEPTED_EXTENSIONS}), up to 10 MB each, at most {ATTACHMENTS_MAX}.",
    )

    def __init__(self, *args, categories: Iterable[Category], sellers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = rfq_category_choices(categories)  # type: ignore[attr-defined]
        self.fields["invited_sellers"].queryset = sellers  # type: ignore[attr-defined]
        self.fields["invited_sellers"].label_from_instance = (  # type: ignore[attr-defined]
            lambda company: f"{company.display_name} ({company.country.name})"
        )
        today = timezone.localdate()
        self.fields["closes_on"].widget.attrs.update(
            {
                "min": today.isoformat(),
                "max": date.fromordinal(today.toordinal() + CLOSES_MAX_DAYS).isoformat(),
            }
        )
        self.fields["needed_by"].widget.attrs["min"] = today.isoformat()

    def clean_closes_on(self) -> date:
        day = self.cleaned_data["closes_on"]
        problems = rfq_closes_at_errors(closes_at_from_date(day))
        if problems:
            raise ValidationError(problems)
        return day

    def clean_hs_code(self) -> str:
        code = self.cleaned_data["hs_code"].strip()
        problems = rfq_hs_code_errors(code)
        if problems:
            raise ValidationError(problems)
        return code

    def add_service_errors(self, exc: ValidationError) -> None:
        """The service's ``{field: [...]}`` on the fields (``closes_at`` is ``closes_on`` here)."""
        for key, messages in exc.message_dict.items():
            name = "closes_on" if key == "closes_at" else key
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the RFQ's history; sellers who quoted see that it was cancelled.",
    )


class BoardFilterForm(forms.Form):
    category = forms.TypedChoiceField(label="Category", coerce=int, required=False, choices=())
    destination_country = forms.ChoiceField(
        label="Destination country", required=False, choices=country_choices("Any country")
    )

    def __init__(self, *args, categories: Iterable[Category], **kwargs):
        super().__init__(*args, **kwargs)
        choices = rfq_category_choices(categories)
        choices[0] = ("", "All my categories")
        self.fields["category"].choices = choices  # type: ignore[attr-defined]
