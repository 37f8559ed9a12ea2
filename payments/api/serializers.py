from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orders.api.serializers import MoneySerializer, money_dict
from payments.enums import PaymentStatus
from payments.models import Payment


class PaymentSerializer(serializers.Serializer):
    """A PaymentIntent to confirm with Stripe.js (``client_secret``), or in the sandbox."""

    payment_intent = serializers.CharField(source="payment_intent_id", read_only=True)
    client_secret = serializers.CharField(read_only=True)
    amount = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=PaymentStatus.choices, read_only=True)
    sandbox = serializers.BooleanField(
        read_only=True,
        help_text="True when the offline sandbox took the payment: no real money moves.",
    )
    publishable_key = serializers.SerializerMethodField(
        help_text="Stripe's publishable key for the Payment Element (empty in the sandbox)."
    )
    last_error = serializers.CharField(read_only=True)

    @extend_schema_field(MoneySerializer)
    def get_amount(self, payment: Payment) -> dict[str, str]:
        return money_dict(payment.amount_minor, payment.currency)

    def get_publishable_key(self, payment: Payment) -> str:
        return "" if payment.sandbox else settings.STRIPE_PUBLISHABLE_KEY
