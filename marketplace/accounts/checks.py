"""System checks for the accounts' security settings."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=False)
def otp_exemptions_only_in_debug(app_configs, **kwargs) -> list[Error]:
    """Staff accounts may skip the second factor only in the local demo (DEBUG on)."""
    exempt = list(getattr(settings, "OTP_EXEMPT_EMAILS", []) or [])
    if exempt and not settings.DEBUG:
        return [
            Error(
                "OTP_EXEMPT_EMAILS lets staff sign in without a second factor; it is for the "
                "local demo only and must be empty when DEBUG is off.",
                hint="Remove OTP_EXEMPT_EMAILS from these settings; enrol a TOTP device with "
                "`manage.py staff_otp_enrol EMAIL` instead.",
                id="accounts.E001",
            )
        ]
    return []
