"""Forms of the conversation pages: they parse; the services decide."""

from typing import Any

from django import forms

from orders.conversations.services import ATTACHMENTS_MAX, MESSAGE_MAX_LENGTH, REASON_MAX_LENGTH

ACCEPT = ".pdf,.png,.jpg,.jpeg,.webp,application/pdf,image/png,image/jpeg,image/webp"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero to ATTACHMENTS_MAX files; their content is checked by the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT, "multiple": True}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message",
        required=False,
        max_length=MESSAGE_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    attachments = MultipleFileField(
        label="Attach files",
        help_text=f"Up to {ATTACHMENTS_MAX} PDF, PNG, JPEG or WebP files, 10 MB each.",
    )


class ContactForm(MessageForm):
    """The first message to a supplier about a product; the listing is chosen on a
    storefront (``listings`` given) and fixed on a listing's page."""

    def __init__(self, *args: Any, listings: list | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].label = "Your message"
        self.fields["body"].required = True
        self.fields["body"].error_messages["required"] = "Write your message to the supplier."
        self.fields[
            "body"
        ].help_text = (
            "Quantities, specifications, Incoterm and destination, when you need the goods."
        )
        if listings is not None:
            self.fields["listing"] = forms.TypedChoiceField(
                label="Product",
                coerce=int,
                choices=[(listing.pk, listing.title) for listing in listings],
                error_messages={"required": "Choose the product you are asking about."},
            )
            self.order_fields(["listing", "body", "attachments"])


class ReportForm(forms.Form):
    reason = forms.CharField(
        label="What is wrong",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what staff should look at."},
        help_text="Fraud, abuse, a request to pay outside the platform…",
    )


class DisputeForm(forms.Form):
    """The order page's dispute form: the reason and evidence files."""

    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter the reason."},
    )
    evidence = MultipleFileField(
        label="Evidence",
        help_text=f"Photos or documents: up to {ATTACHMENTS_MAX} PDF, PNG, JPEG or WebP files, "
        "10 MB each.",
    )
