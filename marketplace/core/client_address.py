"""The address of the client that sent a request, as the one rule every limit keys on.

``X-Forwarded-For`` is written by whoever sends the request, so it is believed only as far as
the deployment's own proxies wrote it: with ``TRUSTED_PROXY_COUNT`` = N (0 by default) the
client is the N-th address from the right of the header (each trusted proxy appends the
address it received the request from); with 0 the header is ignored and the client is the
peer of the connection (``REMOTE_ADDR``). DRF's throttles, django-axes (brute-force lockout)
and django-ratelimit (sign-up, password reset) all call :func:`client_address`.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid_address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The client's IP address, trusting ``X-Forwarded-For`` only from trusted proxies."""
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote
    # Fewer hops than trusted proxies: the leftmost is as far as the proxies' word goes.
    candidate = hops[-min(proxies, len(hops))]
    # A proxy that forwards garbage does not get to name the client.
    return _valid_address(candidate) or remote
