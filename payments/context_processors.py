"""What every page needs to know about payments: whether the offline sandbox is on (the
banner in ``base.html`` says so on every page) and Stripe's publishable key otherwise."""

from django.conf import settings
from django.http import HttpRequest

from payments.gateway import sandbox_enabled


def payments(request: HttpRequest) -> dict[str, bool | str]:
    sandbox = sandbox_enabled()
    return {
        "payments_sandbox": sandbox,
        "stripe_publishable_key": "" if sandbox else settings.STRIPE_PUBLISHABLE_KEY,
    }
