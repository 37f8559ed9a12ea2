"""Browser forms: they parse and pre-check input; the services own the rules."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.forms import AdminPasswordChangeForm as AdminOwnPasswordChangeForm
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AuthenticationForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.contrib.auth.password_validation import (
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.db import transaction
from django_countries import countries

from marketplace.accounts.document_files import document_file_inspect
from marketplace.accounts.enums import DocumentKind
from marketplace.accounts.eori import eori_number_clean
from marketplace.accounts.models import Company, SecurityEventKind
from marketplace.accounts.security import security_event_record
from marketplace.accounts.services import (
    IDENTITY_FIELDS,
    DocumentUpload,
    user_email_clean,
    user_password_set,
)
from marketplace.accounts.staff import (
    staff_otp_has_device,
    staff_otp_match,
    staff_otp_required,
)
from marketplace.core.exceptions import DomainError
from marketplace.trade.currencies import CURRENCY_CHOICES

COMPANY_FIELDS = (*IDENTITY_FIELDS, "sells", "buys", "default_currency")
ACCEPTED_UPLOADS = ".pdf,.png,.jpg,.jpeg,.webp,application/pdf,image/png,image/jpeg,image/webp"


def _country_choices() -> list[tuple[str, str]]:
    return [("", "Choose a country"), *((c.code, c.name) for c in countries)]


class DomainErrorFormMixin:
    def add_domain_error(self, exc: DomainError) -> None:
        """Show a service's refusal next to the field it is about (else above the form)."""
        field = exc.field if exc.field in self.fields else None  # type: ignore[attr-defined]
        self.add_error(field, exc.message)  # type: ignore[attr-defined]


class CompanyDetailsForm(DomainErrorFormMixin, forms.Form):
    legal_name = forms.CharField(label="Legal name", max_length=200)
    trading_name = forms.CharField(
        label="Trading name",
        max_length=200,
        required=False,
        help_text="The name buyers and sellers see, if it differs from the legal name.",
    )
    country = forms.ChoiceField(
        label="Country of registration",
        choices=_country_choices,
        error_messages={"invalid_choice": "“%(value)s” is not a country we know."},
    )
    address_line1 = forms.CharField(label="Address", max_length=200)
    address_line2 = forms.CharField(label="Address (line 2)", max_length=200, required=False)
    city = forms.CharField(label="City", max_length=100)
    region = forms.CharField(label="State / province", max_length=100, required=False)
    postal_code = forms.CharField(label="Postal code", max_length=20, required=False)
    registration_number = forms.CharField(
        label="Company registration number", max_length=64, required=False
    )
    vat_number = forms.CharField(label="VAT / tax id", max_length=64, required=False)
    eori_number = forms.CharField(
        label="EORI number",
        max_length=20,
        required=False,
        help_text="EU and UK companies only: country code and up to 15 letters or digits, "
        "e.g. DE123456789012345. Leave blank elsewhere.",
    )
    sells = forms.BooleanField(label="I sell (export)", required=False)
    buys = forms.BooleanField(label="I buy (import)", required=False)
    default_currency = forms.ChoiceField(
        label="Default currency", choices=CURRENCY_CHOICES, initial="USD"
    )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if "sells" in data and "buys" in data and not (data["sells"] or data["buys"]):
            self.add_error("sells", "Choose whether the company sells, buys, or both.")
        if data.get("country") and "eori_number" in data:
            try:
                data["eori_number"] = eori_number_clean(
                    country=data["country"], eori_number=data["eori_number"]
                )
            except DomainError as exc:
                self.add_error("eori_number", exc.message)
        return data

    def company_data(self) -> dict[str, object]:
        return {name: self.cleaned_data[name] for name in COMPANY_FIELDS}


class SignUpForm(CompanyDetailsForm):
    email = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    full_name = forms.CharField(
        label="Full name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=" ".join(password_validators_help_texts()),
    )
    password_confirm = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    field_order = ["email", "full_name", "password", "password_confirm", *COMPANY_FIELDS]

    def clean_email(self) -> str:
        try:
            return user_email_clean(email=self.cleaned_data["email"])
        except DomainError as exc:
            raise ValidationError(exc.message, code=exc.code) from None

    def clean(self):
        super().clean()
        data = self.cleaned_data
        password, confirm = data.get("password"), data.get("password_confirm")
        if password and confirm and password != confirm:
            self.add_error("password_confirm", "The two passwords do not match.")
        elif password:
            user = get_user_model()(
                email=data.get("email", ""), full_name=data.get("full_name", "")
            )
            try:
                validate_password(password, user=user)
            except ValidationError as exc:
                self.add_error("password", exc)
        return data


class CompanyProfileForm(CompanyDetailsForm):
    @classmethod
    def for_company(cls, company: Company, data=None) -> "CompanyProfileForm":
        initial = {name: getattr(company, name) for name in COMPANY_FIELDS}
        initial["country"] = str(company.country)
        return cls(data=data, initial=initial)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPTED_UPLOADS}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class VerificationSubmitForm(DomainErrorFormMixin, forms.Form):
    registration_certificate = forms.FileField(
        label="Registration certificate",
        required=False,
        widget=forms.FileInput(attrs={"accept": ACCEPTED_UPLOADS}),
        help_text="PDF, PNG, JPEG or WebP, up to 10 MB.",
    )
    tax_certificate = forms.FileField(
        label="Tax certificate",
        required=False,
        widget=forms.FileInput(attrs={"accept": ACCEPTED_UPLOADS}),
        help_text="PDF, PNG, JPEG or WebP, up to 10 MB.",
    )
    other_documents = MultipleFileField(
        label="Other documents",
        required=False,
        help_text="Any further evidence, several files at once if you like.",
    )

    _KINDS = {
        "registration_certificate": DocumentKind.REGISTRATION_CERTIFICATE,
        "tax_certificate": DocumentKind.TAX_CERTIFICATE,
        "other_documents": DocumentKind.OTHER,
    }

    def clean(self):
        super().clean()
        data = self.cleaned_data
        for name in self._KINDS:
            files = data.get(name) or []
            for upload in files if isinstance(files, list) else [files]:
                try:
                    document_file_inspect(file=upload, field=name)
                except DomainError as exc:
                    self.add_error(name, exc.message)
                    break
        return data

    def add_domain_error(self, exc: DomainError) -> None:
        if exc.field == "documents":
            exc = DomainError(exc.message, field="registration_certificate", code=exc.code)
        super().add_domain_error(exc)

    def documents(self) -> list[DocumentUpload]:
        uploads = []
        for name, kind in self._KINDS.items():
            files = self.cleaned_data.get(name) or []
            for upload in files if isinstance(files, list) else [files]:
                uploads.append(DocumentUpload(kind=kind, file=upload, field=name))
        return uploads


STAFF_SIGN_IN_MESSAGE = (
    "Platform staff sign in through the administration login, with the code from their "
    "authenticator app."
)
OTP_REQUIRED_MESSAGE = "Enter the 6-digit code from your authenticator app."
OTP_INVALID_MESSAGE = "This code is not valid. Enter the current code from your authenticator app."
OTP_NOT_ENROLLED_MESSAGE = (
    "This staff account has no authenticator app enrolled yet. An administrator enrols one "
    "with `manage.py staff_otp_enrol <email>` (see the README, Security)."
)


class EmailAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, asking for the email address the user signed up with.

    Staff accounts that need a second factor are sent to the admin login, which asks for it:
    no session of a staff user starts without one.
    """

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "Email"
        self.fields["username"].widget = forms.EmailInput(
            attrs={"autocomplete": "email", "autofocus": True}
        )

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if staff_otp_required(user):
            raise ValidationError(STAFF_SIGN_IN_MESSAGE, code="staff_second_factor")


class StaffOTPAuthenticationForm(AdminAuthenticationForm):
    """The admin sign-in: email, password and, for staff, a TOTP code (django-otp).

    Sets ``user.otp_device`` to the device that accepted the code; django-otp then marks the
    session verified when the admin logs the user in.
    """

    otp_token = forms.CharField(
        label="Authentication code",
        required=False,
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
        help_text="The 6-digit code from your authenticator app.",
    )

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = "Email"

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        user.otp_device = None
        if not staff_otp_required(user):
            return
        if not staff_otp_has_device(user):
            raise ValidationError(OTP_NOT_ENROLLED_MESSAGE, code="otp_not_enrolled")
        code = self.cleaned_data.get("otp_token") or ""
        if not code.strip():
            raise ValidationError(OTP_REQUIRED_MESSAGE, code="otp_required")
        device = staff_otp_match(user, code)
        if device is None:
            security_event_record(
                kind=SecurityEventKind.OTP_FAILED, request=self.request, user=user
            )
            raise ValidationError(OTP_INVALID_MESSAGE, code="otp_invalid")
        user.otp_device = device


class _PasswordThroughServiceMixin:
    """Saves the new password with ``user_password_set``: every API token of the user is
    revoked and a security event recorded. A view may set ``request`` for the event."""

    request = None
    password_field = "new_password1"  # noqa: S105 - a form field name
    via = "change"

    def save(self, commit: bool = True):
        data = self.cleaned_data  # type: ignore[attr-defined]
        usable = data.get("set_usable_password", True)
        return user_password_set(
            user=self.user,  # type: ignore[attr-defined]
            password=data[self.password_field] if usable else None,
            request=self.request,
            via=self.via,
        )


class PasswordResetSetForm(_PasswordThroughServiceMixin, SetPasswordForm):
    via = "reset"


class AdminOwnPasswordForm(_PasswordThroughServiceMixin, AdminOwnPasswordChangeForm):
    """A staff user changing their own password in the admin."""


class AdminUserPasswordForm(_PasswordThroughServiceMixin, AdminPasswordChangeForm):
    """An admin setting (or disabling) another user's password."""

    password_field = "password1"  # noqa: S105 - a form field name
    via = "admin"


class QueuedPasswordResetForm(PasswordResetForm):
    """Sends the reset email from a Celery worker once the request has committed."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        from marketplace.accounts.tasks import password_reset_email_send_task

        transaction.on_commit(
            lambda: password_reset_email_send_task.delay(
                user_id=context["user"].pk,
                domain=context["domain"],
                protocol=context["protocol"],
            )
        )
