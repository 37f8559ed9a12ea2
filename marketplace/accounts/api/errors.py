"""The API's exception handler: the shared error format (``marketplace.core.api.errors``),
and every 403 answer recorded as a security event (``permission_denied``).

It lives here rather than in ``core`` because security events belong to ``accounts``, which
``core`` may not import.
"""

from typing import Any

from rest_framework import status
from rest_framework.response import Response

from marketplace.accounts.models import SecurityEventKind
from marketplace.accounts.security import security_event_record
from marketplace.core.api.errors import exception_handler as core_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = core_exception_handler(exc, context)
    request = context.get("request")
    if response is not None and response.status_code == status.HTTP_403_FORBIDDEN and request:
        security_event_record(
            kind=SecurityEventKind.PERMISSION_DENIED,
            request=request,
            object_ref=request.path[:200],
            details={
                "method": request.method,
                "path": request.path,
                "reason": str(getattr(exc, "detail", exc))[:300],
                "api": True,
            },
        )
    return response
