from rest_framework import serializers

from marketplace.trade.incoterms import INSURANCE_CHOICES, MODE_CHOICES, PARTY_CHOICES
from marketplace.trade.models import HSCode, HSLevel


class HSCodeSearchParamsSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        default="",
        help_text="Digits match codes by prefix (0901, 0901.11); words must all appear in "
        "the description.",
    )
    level = serializers.ChoiceField(
        choices=HSLevel.choices,
        required=False,
        default=HSLevel.SUBHEADING,
        help_text="2 chapters, 4 headings, 6 subheadings (default).",
    )


class HSCodeSerializer(serializers.ModelSerializer):
    # The code itself, read from the column: no query per row. (Field.parent is DRF's
    # back-reference, which the serializer metaclass replaces; mypy cannot see that.)
    parent = serializers.CharField(  # type: ignore[assignment]
        source="parent_id", allow_null=True, read_only=True, help_text="The parent code."
    )

    class Meta:
        model = HSCode
        fields = ["code", "description", "level", "section", "parent"]
        read_only_fields = fields


class IncotermSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    mode = serializers.ChoiceField(choices=MODE_CHOICES)
    risk_passes = serializers.CharField()
    main_carriage_paid_by = serializers.ChoiceField(choices=PARTY_CHOICES)
    insurance = serializers.ChoiceField(choices=INSURANCE_CHOICES)
    export_clearance_by = serializers.ChoiceField(choices=PARTY_CHOICES)
    import_clearance_by = serializers.ChoiceField(choices=PARTY_CHOICES)
    duty_paid_by = serializers.ChoiceField(choices=PARTY_CHOICES)
    named_place_means = serializers.CharField()


class CurrencySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    exponent = serializers.IntegerField(help_text="Decimals of the minor unit (JPY 0, USD 2).")
