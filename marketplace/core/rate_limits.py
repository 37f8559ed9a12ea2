"""Rate limits on browser forms (django-ratelimit), answered with 429 and ``Retry-After``.

Each limit counts POSTs per key (the client address of
:func:`marketplace.core.client_address.client_address`, or a form value such as an email) in a
fixed window; the rates are settings (``SIGNUP_RATE``, ``PASSWORD_RESET_RATE``).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage


@dataclass(frozen=True)
class RateLimit:
    group: str
    rate: str
    # "ip" (the client address) or a function of the request giving the value counted.
    key: str | Callable[[str, HttpRequest], str]


def rate_limits_retry_after(request: HttpRequest, *limits: RateLimit) -> int | None:
    """Count this POST against every limit; the seconds to wait if any is exceeded, else None."""
    waits = []
    for limit in limits:
        usage = get_usage(
            request,
            group=limit.group,
            key=limit.key,
            rate=limit.rate,
            method="POST",
            increment=True,
        )
        if usage is not None and usage["should_limit"]:
            waits.append(max(1, usage["time_left"]))
    return max(waits) if waits else None


def rate_limited_response(request: HttpRequest, *, retry_after: int, action: str) -> HttpResponse:
    """The page that says the action is refused for now (429, ``Retry-After``)."""
    minutes = max(1, -(-retry_after // 60))
    response = render(
        request,
        "rate_limited.html",
        {"action": action, "wait": f"{minutes} minute{'s' if minutes != 1 else ''}"},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response
