"""Response headers that every page carries beyond Django's own security headers."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

PERMISSIONS_POLICY_HEADER = "Permissions-Policy"


def permissions_policy_header_value(policy: dict[str, list[str]]) -> str:
    """``{"camera": [], "payment": ["self", '"https://js.stripe.com"']}`` as the header's
    structured-field dictionary: ``camera=(), payment=(self "https://js.stripe.com")``."""
    return ", ".join(f"{feature}=({' '.join(allowlist)})" for feature, allowlist in policy.items())


class PermissionsPolicyMiddleware:
    """Sets ``Permissions-Policy`` from ``settings.PERMISSIONS_POLICY`` on every response
    (unless a view set its own): browser features the site does not use stay off, for its
    pages and for every frame inside them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self.value = permissions_policy_header_value(settings.PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.value and PERMISSIONS_POLICY_HEADER not in response:
            response[PERMISSIONS_POLICY_HEADER] = self.value
        return response
