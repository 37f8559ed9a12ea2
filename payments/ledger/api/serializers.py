"""Ledger JSON for staff. Money is ``{"amount": "12.50", "currency": "USD"}``."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from payments.ledger.selectors import AccountBalance


class LedgerMoneySerializer(serializers.Serializer):
    amount = serializers.CharField(
        help_text='Signed decimal string in the currency\'s decimals: "12.50", "-3.000".'
    )
    currency = serializers.CharField(help_text="ISO 4217 code.")


class LedgerBalanceSerializer(serializers.Serializer):
    account = serializers.CharField(source="account.code", help_text="Account code of the chart.")
    company = serializers.IntegerField(
        source="account.company_id",
        allow_null=True,
        help_text="The seller company of a per-seller account; null for platform accounts.",
    )
    currency = serializers.CharField(help_text="ISO 4217 code.")
    balance = serializers.SerializerMethodField()
    balance_minor = serializers.IntegerField(
        help_text="The balance in signed integer minor units (JPY yen, USD cents, KWD fils)."
    )

    @extend_schema_field(LedgerMoneySerializer)
    def get_balance(self, obj: AccountBalance) -> dict[str, str]:
        return obj.balance.as_dict()


class LedgerCheckSerializer(serializers.Serializer):
    balanced = serializers.BooleanField(
        help_text="Every transaction's entries sum to zero in each currency."
    )
    transactions = serializers.IntegerField(help_text="How many transactions were checked.")
