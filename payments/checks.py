"""System checks: the offline sandbox never runs beside a real Stripe key, nor with the
production settings."""

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def payments_configuration(app_configs: object, **kwargs: object) -> list:
    problems: list = []
    if settings.STRIPE_SECRET_KEY and getattr(settings, "PAYMENTS_SANDBOX", False):
        problems.append(
            Error(
                "PAYMENTS_SANDBOX is on while STRIPE_SECRET_KEY is set.",
                hint="The offline sandbox can never run with a Stripe key: unset one of them.",
                id="payments.E001",
            )
        )
    if getattr(settings, "PAYMENTS_SANDBOX", False) and getattr(settings, "PRODUCTION", False):
        problems.append(
            Error(
                "PAYMENTS_SANDBOX is on with production settings.",
                hint="The offline sandbox fakes payments: it never runs in production. Set "
                "PAYMENTS_SANDBOX=false (and STRIPE_SECRET_KEY).",
                id="payments.E002",
            )
        )
    if settings.STRIPE_SECRET_KEY and not settings.STRIPE_WEBHOOK_SECRET:
        problems.append(
            Warning(
                "STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is not: webhooks are refused.",
                id="payments.W001",
            )
        )
    return problems
