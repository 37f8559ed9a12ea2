"""Forms of payments pages: the seller's bank details, the admin's bank reference."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django_countries import countries

from payments.payouts import bank_details_clean

BANK_DETAIL_FIELDS = ("account_holder", "bank_name", "iban", "swift", "country")


class BankTransferForm(forms.Form):
    """Bank details for payouts by bank transfer; checked by ``bank_details_clean`` (IBAN
    check digits, SWIFT/BIC shape), whose normalised values become the cleaned data. The
    user's password confirms the change (checked by the service)."""

    account_holder = forms.CharField(
        label="Account holder",
        max_length=200,
        help_text="The name the bank account is held in, usually your company's legal name.",
        error_messages={"required": "Give the name the bank account is held in."},
    )
    bank_name = forms.CharField(
        label="Bank name",
        max_length=200,
        error_messages={"required": "Give the name of the bank."},
    )
    iban = forms.CharField(
        label="IBAN or account number",
        max_length=64,
        help_text="Spaces are fine. Where the country has no IBAN, the account number.",
        error_messages={"required": "Give the IBAN or the account number."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    swift = forms.CharField(
        label="SWIFT/BIC",
        max_length=16,
        help_text="8 or 11 characters, e.g. DEUTDEFF or DEUTDEFF500.",
        error_messages={"required": "Give the bank's SWIFT/BIC code."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    country = forms.ChoiceField(
        label="Bank country",
        choices=[("", "Choose a country"), *countries],
        error_messages={
            "required": "Choose the country the bank account is in.",
            "invalid_choice": "Choose a country from the list.",
        },
    )

    current_password = forms.CharField(
        label="Your password",
        strip=False,
        help_text="Changing where your company is paid needs your password again.",
        error_messages={"required": "Enter your password to confirm the change."},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            details = bank_details_clean(
                **{name: str(data.get(name) or "") for name in BANK_DETAIL_FIELDS},
            )
        except ValidationError as exc:
            # Every problem at once; a field that already failed keeps its own message.
            for field, messages in exc.message_dict.items():
                if field not in self.errors:
                    for message in messages:
                        self.add_error(field if field in self.fields else None, message)
            return data
        data.update(
            account_holder=details.account_holder,
            bank_name=details.bank_name,
            iban=details.iban,
            swift=details.swift,
            country=details.country,
        )
        return data


class BankReferenceForm(forms.Form):
    """The admin's confirmation that bank payouts were paid."""

    bank_reference = forms.CharField(
        label="Bank reference",
        max_length=100,
        help_text="The reference the bank gave the transfer (it is kept with the payout and "
        "the ledger posting).",
        error_messages={"required": "Give the bank's reference for this transfer."},
        widget=forms.TextInput(attrs={"size": 40}),
    )
