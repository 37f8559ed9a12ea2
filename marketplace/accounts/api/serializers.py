from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from marketplace.accounts.enums import MembershipRole, VerificationStatus
from marketplace.accounts.models import Company, Membership
from marketplace.trade.currencies import CURRENCY_CHOICES


@extend_schema_serializer(component_name="Token")  # the request body: TokenRequest
class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="What the token is for (e.g. `ERP sync`), to tell your tokens apart.",
    )
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=16,
        help_text="Platform staff only: the 6-digit code from their authenticator app.",
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(
        read_only=True, help_text="Send as `Authorization: Token <token>`. Shown only once."
    )
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    expires = serializers.DateTimeField(read_only=True)


class ApiTokenSerializer(serializers.Serializer):
    """One of the caller's API tokens; never the secret nor its digest."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    created = serializers.DateTimeField(read_only=True)
    expires = serializers.DateTimeField(read_only=True, source="expiry")


class MyCompanySerializer(serializers.Serializer):
    """One of the user's companies, with the user's role in it."""

    id = serializers.IntegerField(read_only=True)
    legal_name = serializers.CharField(read_only=True)
    trading_name = serializers.CharField(read_only=True)
    slug = serializers.SlugField(read_only=True)
    country = serializers.CharField(read_only=True, help_text="ISO 3166-1 alpha-2 code.")
    role = serializers.ChoiceField(choices=MembershipRole.choices, read_only=True)
    sells = serializers.BooleanField(read_only=True)
    buys = serializers.BooleanField(read_only=True)
    verification_status = serializers.ChoiceField(
        choices=VerificationStatus.choices, read_only=True
    )
    default_currency = serializers.ChoiceField(choices=CURRENCY_CHOICES, read_only=True)

    @staticmethod
    def from_membership(membership: Membership) -> dict:
        company: Company = membership.company
        return {
            "id": company.pk,
            "legal_name": company.legal_name,
            "trading_name": company.trading_name,
            "slug": company.slug,
            "country": str(company.country),
            "role": membership.role,
            "sells": company.sells,
            "buys": company.buys,
            "verification_status": company.verification_status,
            "default_currency": company.default_currency,
        }


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    full_name = serializers.CharField(read_only=True)
    companies = MyCompanySerializer(many=True, read_only=True)
    active_company = MyCompanySerializer(read_only=True, allow_null=True)
