"""Browser forms for listings: they parse and pre-check input; the services own the rules."""

from collections.abc import Iterable
from decimal import Decimal
from itertools import pairwise

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.forms.utils import ErrorDict
from django.utils.safestring import mark_safe
from django_countries import countries

from listings.enums import ImageStatus, UnitOfSale
from listings.images import IMAGES_PER_LISTING_MAX, image_sniff
from listings.models import Category, Listing, ListingImage
from listings.search import ORDERING_CHOICES
from marketplace.trade.currencies import CURRENCY_CHOICES
from marketplace.trade.incoterms import INCOTERM_CHOICES

ACCEPTED_IMAGES = ".jpg,.jpeg,.png,.webp,image/jpeg,image/png,image/webp"

# The fields a seller fills in, in the order the services take them.
LISTING_FIELDS = (
    "title",
    "description",
    "category",
    "hs_code",
    "origin_country",
    "ship_from",
    "unit",
    "moq",
    "stock",
    "lead_time_days",
    "incoterms",
    "unit_net_weight_kg",
    "units_per_carton",
    "carton_gross_weight_kg",
    "carton_length_cm",
    "carton_width_cm",
    "carton_height_cm",
    "currency",
)
PACKING_FIELDS = (
    "unit_net_weight_kg",
    "units_per_carton",
    "carton_gross_weight_kg",
    "carton_length_cm",
    "carton_width_cm",
    "carton_height_cm",
)


def _country_choices() -> list[tuple[str, str]]:
    return [("", "Choose a country"), *((c.code, c.name) for c in countries)]


def category_choices(tree: Iterable[Category]) -> list:
    """A grouped choice list: one group per top-level category, "Top › Child" inside it."""
    choices: list = [("", "Choose a category")]
    for top in tree:
        children = list(top.children.all())
        if children:
            choices.append(
                (top.name, [(str(child.pk), f"{top.name} › {child.name}") for child in children])
            )
        else:
            choices.append((str(top.pk), top.name))
    return choices


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several image files at once; the content is checked by the service (and pre-checked here)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleImageInput(attrs={"accept": ACCEPTED_IMAGES}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [single(item, initial) for item in files if item]
        if len(cleaned) > IMAGES_PER_LISTING_MAX:
            raise ValidationError(
                f"Upload at most {IMAGES_PER_LISTING_MAX} images at a time.", code="too_many"
            )
        return cleaned


class ListingForm(forms.Form):
    title = forms.CharField(
        label="Title",
        max_length=200,
        help_text="What it is, in the words a buyer searches for, e.g. "
        "“Stainless steel hex bolts M8 × 40, A2-70”.",
    )
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Plain text or Markdown (headings, lists, bold, links). HTML is not allowed.",
    )
    category = forms.TypedChoiceField(label="Category", coerce=int, choices=())
    hs_code = forms.CharField(
        label="HS code",
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        # Constant markup, marked safe here: the field template escapes every help text.
        help_text=mark_safe(
            "The 6-digit HS 2022 subheading, e.g. 731815. Look codes up with "
            '<a href="/api/v1/hs-codes/?q=bolts" target="_blank" rel="noopener">'
            "the HS code search</a> (/api/v1/hs-codes/?q=<i>word</i>)."
        ),
    )
    origin_country = forms.ChoiceField(
        label="Country of origin",
        choices=_country_choices,
        help_text="Where the goods were made (the origin on the certificate of origin).",
    )
    ship_from = forms.CharField(
        label="Ships from",
        max_length=120,
        help_text="The place the goods leave from, e.g. “Ningbo, China”.",
    )
    unit = forms.ChoiceField(label="Unit of sale", choices=UnitOfSale.choices)
    moq = forms.IntegerField(
        label="Minimum order quantity",
        min_value=1,
        help_text="In units of sale. The first price tier starts here.",
    )
    stock = forms.IntegerField(label="Stock", min_value=0, initial=0)
    lead_time_days = forms.IntegerField(
        label="Lead time (days)",
        min_value=0,
        max_value=32767,
        help_text="Days from a confirmed order until the goods are ready to ship.",
    )
    incoterms = forms.MultipleChoiceField(
        label="Incoterms® 2020 offered",
        choices=INCOTERM_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="The delivery terms you quote; buyers choose one when they order.",
    )
    unit_net_weight_kg = forms.DecimalField(
        label="Net weight per unit (kg)", max_digits=12, decimal_places=3, min_value=Decimal(0)
    )
    units_per_carton = forms.IntegerField(label="Units per carton", min_value=1)
    carton_gross_weight_kg = forms.DecimalField(
        label="Carton gross weight (kg)", max_digits=10, decimal_places=3, min_value=Decimal(0)
    )
    carton_length_cm = forms.DecimalField(
        label="Carton length (cm)", max_digits=7, decimal_places=1, min_value=Decimal(0)
    )
    carton_width_cm = forms.DecimalField(
        label="Carton width (cm)", max_digits=7, decimal_places=1, min_value=Decimal(0)
    )
    carton_height_cm = forms.DecimalField(
        label="Carton height (cm)", max_digits=7, decimal_places=1, min_value=Decimal(0)
    )
    currency = forms.ChoiceField(
        label="Currency",
        choices=CURRENCY_CHOICES,
        help_text="The currency of the price tiers.",
    )
    images = MultipleImageField(
        label="Add images",
        required=False,
        help_text="JPEG, PNG or WebP, up to 5 MB and 8,000 pixels a side; several at once.",
    )
    remove_images = forms.ModelMultipleChoiceField(
        label="Current images",
        queryset=ListingImage.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick an image to remove it when you save.",
    )

    def __init__(
        self,
        *args,
        categories: Iterable[Category],
        listing: Listing | None = None,
        images: Iterable[ListingImage] = (),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.listing = listing
        self.fields["category"].choices = category_choices(categories)  # type: ignore[attr-defined]
        image_ids = [image.pk for image in images]
        self.current_images = list(images)
        if image_ids:
            self.fields["remove_images"].queryset = ListingImage.objects.filter(  # type: ignore[attr-defined]
                pk__in=image_ids
            )
        else:
            del self.fields["remove_images"]

    @classmethod
    def initial_for(cls, listing: Listing) -> dict[str, object]:
        initial: dict[str, object] = {name: getattr(listing, name) for name in LISTING_FIELDS}
        initial["category"] = listing.category_id
        initial["hs_code"] = listing.hs_code_id
        initial["origin_country"] = str(listing.origin_country)
        return initial

    def clean_hs_code(self) -> str:
        # People paste "7318.15" or "7318 15"; the service wants the six digits.
        return "".join(ch for ch in self.cleaned_data["hs_code"] if ch.isdigit())

    def clean_images(self) -> list[UploadedFile]:
        # Checked before anything is written, so that a bad file never leaves a half-saved
        # listing behind; the service checks every file again when it stores it.
        files = self.cleaned_data.get("images") or []
        problems = []
        for upload in files:
            try:
                image_sniff(file=upload)
            except ValidationError as exc:
                problems += [f"{upload.name}: {message}" for message in exc.messages]
        if problems:
            raise ValidationError(problems, code="invalid_image")
        return files

    def clean(self):
        super().clean()
        removed = self.cleaned_data.get("remove_images") or []
        added = self.cleaned_data.get("images") or []
        # A refused (failed) image does not count: the seller replaces it.
        kept = len(
            [
                image
                for image in self.current_images
                if image.status != ImageStatus.FAILED and image not in removed
            ]
        )
        if added and kept + len(added) > IMAGES_PER_LISTING_MAX:
            self.add_error(
                "images",
                f"A listing can have at most {IMAGES_PER_LISTING_MAX} images; "
                f"it would have {kept + len(added)}.",
            )
        return self.cleaned_data

    def listing_data(self) -> dict[str, object]:
        """The cleaned fields as the services' keyword arguments (category as an id)."""
        return {name: self.cleaned_data[name] for name in LISTING_FIELDS}

    def add_service_errors(self, exc: ValidationError, tiers: "forms.BaseFormSet") -> None:
        """Put a service's ValidationError next to the fields it names (tiers: above the table)."""
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        for field, messages in errors.items():
            if field in ("price_tiers", "tiers"):
                tiers._non_form_errors = tiers.error_class(  # type: ignore[attr-defined]
                    [*tiers.non_form_errors(), *messages], error_class="nonform"
                )
            elif field in ("image", "file") and "images" in self.fields:
                self.add_error("images", messages)
            elif field in self.fields:
                self.add_error(field, messages)
            else:
                self.add_error(None, messages)


class PriceTierForm(forms.Form):
    min_quantity = forms.IntegerField(label="From quantity", min_value=1)
    unit_price = forms.DecimalField(
        label="Unit price",
        max_digits=14,
        min_value=Decimal(0),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class BasePriceTierFormSet(forms.BaseFormSet):
    def _filled_forms(self) -> list[forms.Form]:
        return [
            form
            for form in self.forms
            if not self._should_delete_form(form)  # type: ignore[attr-defined]
            and form.cleaned_data.get("min_quantity") is not None
            and form.cleaned_data.get("unit_price") is not None
        ]

    def clean(self) -> None:
        if any(self.errors):
            return
        tiers = self.tiers()
        if not tiers:
            raise ValidationError("Add at least one price tier.", code="too_few_forms")
        # A pre-check so that the order is reported with the other mistakes; the service
        # checks the full rules (first break at the MOQ, decimals) again.
        problems = []
        quantities = [quantity for quantity, _ in tiers]
        prices = [price for _, price in tiers]
        if any(later <= earlier for earlier, later in pairwise(quantities)):
            problems.append("List the tiers from the smallest quantity up; each must be larger.")
        if any(later > earlier for earlier, later in pairwise(prices)):
            problems.append("A larger quantity cannot have a higher unit price.")
        if problems:
            raise ValidationError(problems, code="tier_order")

    def tiers(self) -> list[tuple[int, Decimal]]:
        """The filled rows, in the order the seller typed them (the service checks the order)."""
        return [
            (form.cleaned_data["min_quantity"], form.cleaned_data["unit_price"])
            for form in self._filled_forms()
        ]


PriceTierFormSet = forms.formset_factory(
    PriceTierForm,
    formset=BasePriceTierFormSet,
    extra=2,
    can_delete=True,
    max_num=20,
    validate_max=True,
)


class SearchForm(forms.Form):
    """The catalogue filters, for rendering: ``listings.search.parse_search_params`` parses them,
    and its errors are shown here next to their fields."""

    q = forms.CharField(
        label="Search the catalogue",
        required=False,
        widget=forms.SearchInput(
            attrs={"placeholder": "e.g. hex bolts, green coffee, -zinc", "autocomplete": "off"}
        ),
        help_text="Words match in any order and small typos are forgiven. "
        'Use "quotes" for an exact phrase, -word to leave a word out, and "or" between alternatives.',
    )
    origin = forms.ChoiceField(label="Country of origin", required=False, choices=())
    incoterm = forms.ChoiceField(label="Incoterm", required=False, choices=())
    min_price = forms.DecimalField(
        label="From",
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "min": "0", "inputmode": "decimal"}),
    )
    max_price = forms.DecimalField(
        label="Up to",
        required=False,
        widget=forms.NumberInput(attrs={"step": "any", "min": "0", "inputmode": "decimal"}),
    )
    max_moq = forms.IntegerField(
        label="MOQ at most",
        required=False,
        widget=forms.NumberInput(attrs={"min": "1", "inputmode": "numeric"}),
        help_text="The largest minimum order you can take.",
    )
    verified = forms.BooleanField(label="Verified sellers only", required=False)
    ordering = forms.ChoiceField(label="Sort by", required=False, choices=ORDERING_CHOICES)

    def __init__(
        self,
        data,
        *,
        origins: Iterable[tuple[str, str]] = (),
        incoterms: Iterable[tuple[str, str]] = (),
        errors: dict[str, list[str]] | None = None,
    ):
        super().__init__(data)
        self.fields["origin"].choices = [("", "Any country"), *origins]  # type: ignore[attr-defined]
        self.fields["incoterm"].choices = [("", "Any Incoterm"), *incoterms]  # type: ignore[attr-defined]
        self._search_errors = errors or {}

    def full_clean(self) -> None:
        # The search parser has judged the input already; show its verdict, nothing more.
        self._errors = ErrorDict()
        self.cleaned_data = {}
        for field, messages in self._search_errors.items():
            if field in self.fields:
                name, errors = field, self.error_class(field_id=self[field].auto_id)
            else:
                name, errors = NON_FIELD_ERRORS, self.error_class(error_class="nonfield")
            self._errors.setdefault(name, errors).extend(messages)
