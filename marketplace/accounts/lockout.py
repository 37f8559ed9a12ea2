"""How django-axes names a sign-in and answers a locked-out one (settings ``AXES_*``).

Failed sign-ins are counted per (email, client address) pair, whichever door they come through
(the sign-in page, the admin's, the API token endpoint). Once ``AXES_FAILURE_LIMIT`` is reached
that pair is refused for ``AXES_COOLOFF_TIME`` after its last failure: 403 with ``Retry-After``,
a page for the browser and ``{"detail": ...}`` for the API.
"""

import math

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from marketplace.core.client_address import client_address

LOCKED_OUT_MESSAGE = (
    "Too many failed sign-in attempts for this account from your address. "
    "Try again in {wait}, or reset your password: a new password lifts the lock."
)


LOCKOUT_USERNAME_MAX = 255


def lockout_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The email tried, as stored (lower case), so that its spelling does not reset the count.

    Cut to what ``AccessAttempt.username`` holds (255; no email is longer) and without NUL
    characters, which PostgreSQL refuses: a hostile sign-in is counted, never a server error.
    """
    username = (credentials or {}).get("username")
    if username is None:
        username = request.POST.get("username")
    if not isinstance(username, str):
        return None
    return username.replace("\x00", "").strip().lower()[:LOCKOUT_USERNAME_MAX]


def lockout_retry_after(request: HttpRequest, username: str | None) -> int:
    """Seconds until the pair's lockout ends: the cool-off counted from its last failure."""
    cool_off = get_cool_off(request)
    assert cool_off is not None, "AXES_COOLOFF_TIME must be set"
    last = (
        AccessAttempt.objects.filter(username=username, ip_address=client_address(request))
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    ends = (last or timezone.now()) + cool_off
    return max(1, math.ceil((ends - timezone.now()).total_seconds()))


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    username = get_client_username(request, credentials)
    retry_after = lockout_retry_after(request, username)
    minutes = math.ceil(retry_after / 60)
    message = LOCKED_OUT_MESSAGE.format(wait=f"{minutes} minute{'s' if minutes != 1 else ''}")
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=403)
    else:
        response = render(
            request,
            "accounts/locked_out.html",
            {"message": message},
            status=403,
        )
    response["Retry-After"] = str(retry_after)
    return response
