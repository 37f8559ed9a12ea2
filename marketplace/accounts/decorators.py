"""View decorators about the signed-in user, shared by every domain's browser views."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from marketplace.accounts import selectors


def email_confirmed_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only for a user who has confirmed their email; else a 403 page with a resend button.

    Put it under the decorator that signs the user in (``login_required`` or one that wraps it).
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.user_email_confirmed(user=request.user):  # type: ignore[arg-type]
            return render(
                request,
                "accounts/email_unconfirmed.html",
                {"message": selectors.EMAIL_UNCONFIRMED_MESSAGE, "next": request.get_full_path()},
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapper
