"""Validators that forms, serializers and models of other domains use on trade data."""

from django.core.exceptions import ValidationError

from marketplace.trade.models import HSCode, HSLevel


def validate_hs_subheading(code: str) -> None:
    """Accept only an HS 2022 subheading: exactly 6 digits, present at level 6."""
    value = code if isinstance(code, str) else ""
    if not (len(value) == 6 and value.isascii() and value.isdigit()):
        raise ValidationError(
            "Enter an HS subheading of exactly 6 digits, e.g. 090111.",
            code="hs_code_format",
            params={"value": code},
        )
    if not HSCode.objects.filter(code=value, level=HSLevel.SUBHEADING).exists():
        raise ValidationError(
            "%(value)s is not an HS 2022 subheading.",
            code="hs_code_unknown",
            params={"value": value},
        )
