"""Security events: who signed in, failed, was locked out, got or lost a token, was refused.

``security_event_record`` is the one way to write one; it also emits a structured log
record on the ``marketplace.security`` logger (JSON lines, see ``LOGGING``). Staff with
``accounts.view_securityevent`` read them in the admin; nobody edits them.

The receivers below listen to Django's authentication signals (and django-axes' lockout
signal when axes is installed). These are the authentication framework's own hooks, not
domain logic: the login views stay Django's.
"""

import ipaddress
import logging
from typing import Any

from django.apps import apps
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from marketplace.accounts.models import Company, SecurityEvent, SecurityEventKind, User
from marketplace.core.client_address import client_address

logger = logging.getLogger("marketplace.security")

_USER_AGENT_MAX = 300
_EMAIL_MAX = 254


def _client_address(request: HttpRequest) -> str | None:
    """The client address every limit keys on (trusted proxies honoured), if it is a valid
    IP address: the event records the address that throttles and lockouts count."""
    value = client_address(request).strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _django_request(request: Any) -> HttpRequest | None:
    # DRF's Request wraps Django's; both carry META and headers.
    return getattr(request, "_request", request) if request is not None else None


def _request_user(request: Any) -> User | None:
    # For DRF's Request this is the user its authenticators found (e.g. by token).
    user = getattr(request, "user", None) if request is not None else None
    return user if isinstance(user, User) else None


def _request_company(request: Any) -> Company | None:
    """The acting company: the one an API view already resolved (X-Company), else the
    browser session's (``active_company``, lazy); only a signed-in user has one."""
    if _request_user(request) is None:
        return None
    django_request = _django_request(request)
    company = getattr(django_request, "_marketplace_active_company", None)
    if company is None and not hasattr(request, "_request"):
        company = getattr(django_request, "active_company", None)
    return company if isinstance(company, Company) else None


def security_event_record(
    *,
    kind: str,
    request: Any = None,
    user: User | None = None,
    email: str = "",
    company: Company | None = None,
    object_ref: str = "",
    details: dict[str, Any] | None = None,
    ip: str | None = None,
) -> SecurityEvent:
    """Store one security event and log it on ``marketplace.security``.

    ``request`` (Django's or DRF's) gives the address, user agent, and — unless passed —
    the user and the acting company; without a request, ``ip`` is the address a service was
    given. Runs in the caller's transaction, if any, so an event
    about a write is kept only if the write is.
    """
    if kind not in SecurityEventKind.values:
        raise ValueError(f"Unknown security event kind: {kind!r}")
    django_request = _django_request(request)
    if user is None:
        user = _request_user(request)
    if company is None:
        company = _request_company(request)
    if django_request is not None:
        ip = _client_address(django_request)
    user_agent = (
        (django_request.headers.get("User-Agent") or "")[:_USER_AGENT_MAX]
        if django_request is not None
        else ""
    )
    email = (email or (user.email if user is not None else ""))[:_EMAIL_MAX]
    event = SecurityEvent.objects.create(
        kind=kind,
        user=user,
        email=email,
        company=company,
        ip=ip,
        user_agent=user_agent,
        object_ref=object_ref[:200],
        details=details or {},
    )
    logger.info(
        "security event %s",
        kind,
        extra={
            "event": kind,
            "event_id": event.pk,
            "user_id": user.pk if user is not None else None,
            "email": email,
            "company_id": company.pk if company is not None else None,
            "ip": ip,
            "user_agent": user_agent,
            "object_ref": event.object_ref,
            "details": event.details,
        },
    )
    return event


# --- receivers of the authentication framework's signals ------------------------------------


def _on_user_logged_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    device = getattr(user, "otp_device", None)
    security_event_record(
        kind=SecurityEventKind.LOGIN_SUCCEEDED,
        request=request,
        user=user,
        details={"second_factor": device is not None},
    )


def _on_user_logged_out(
    sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    if isinstance(user, User):
        security_event_record(kind=SecurityEventKind.LOGGED_OUT, request=request, user=user)


def _on_user_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Django hides the password in ``credentials``; record only who was tried.
    attempted = credentials.get("email") or credentials.get("username") or ""
    security_event_record(
        kind=SecurityEventKind.LOGIN_FAILED,
        request=request,
        email=str(attempted),
        user=None,
        company=None,
    )


def _on_user_locked_out(
    sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any
) -> None:
    security_event_record(
        kind=SecurityEventKind.LOCKED_OUT,
        request=request,
        email=str(username or ""),
        user=None,
        company=None,
        details={"ip_address": kwargs.get("ip_address")},
    )


def security_receivers_connect() -> None:
    """Connect the receivers (from ``AccountsConfig.ready``)."""
    uid = "marketplace.accounts.security"
    user_logged_in.connect(_on_user_logged_in, dispatch_uid=f"{uid}.logged_in")
    user_logged_out.connect(_on_user_logged_out, dispatch_uid=f"{uid}.logged_out")
    user_login_failed.connect(_on_user_login_failed, dispatch_uid=f"{uid}.login_failed")
    if apps.is_installed("axes"):
        from axes.signals import user_locked_out

        user_locked_out.connect(_on_user_locked_out, dispatch_uid=f"{uid}.locked_out")
