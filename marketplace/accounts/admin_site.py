"""The admin site: staff sign in with a second factor, and what they do is recorded.

- Sign-in asks for email, password and a TOTP code (django-otp); a staff user without an
  enrolled device is told how to get one. Pages need a session verified by that code
  (``OTP_EXEMPT_EMAILS``, local demo only, lifts this for the named accounts).
- Every admin change that succeeds (a POST answered with a redirect: add, change, delete,
  bulk action) is a security event ``admin_action``.
- Passwords set here go through ``user_password_set`` (API tokens revoked, event recorded).
"""

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.auth.views import PasswordChangeView
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from marketplace.accounts.forms import AdminOwnPasswordForm, StaffOTPAuthenticationForm
from marketplace.accounts.models import SecurityEventKind
from marketplace.accounts.security import security_event_record
from marketplace.accounts.staff import staff_otp_exempt


class _OwnPasswordChangeView(PasswordChangeView):
    form_class = AdminOwnPasswordForm

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.request = self.request  # type: ignore[attr-defined]
        return form


def _is_verified(request: HttpRequest) -> bool:
    # Set by django_otp's OTPMiddleware: the session was verified by a device.
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified is not None and is_verified())


class MarketplaceAdminSite(AdminSite):
    site_header = "Open Trade Marketplace administration"
    site_title = "Marketplace admin"
    login_form = StaffOTPAuthenticationForm
    login_template = "admin/otp_login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and (
            _is_verified(request) or staff_otp_exempt(request.user)
        )

    def admin_view(self, view, cacheable: bool = False):
        inner = super().admin_view(view, cacheable)

        def recorded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = inner(request, *args, **kwargs)
            if (
                request.method == "POST"
                and 300 <= response.status_code < 400
                and self.has_permission(request)
            ):
                _admin_action_record(request, kwargs)
            return response

        return recorded

    def password_change(self, request: HttpRequest, extra_context: dict | None = None):
        request.current_app = self.name
        return _OwnPasswordChangeView.as_view(
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
            **(
                {"template_name": self.password_change_template}
                if self.password_change_template
                else {}
            ),
        )(request)


def _admin_action_record(request: HttpRequest, kwargs: dict[str, Any]) -> None:
    match = request.resolver_match
    view_name = match.url_name if match is not None else ""
    object_id = str(kwargs.get("object_id", ""))
    selected = request.POST.getlist("_selected_action")[:100]
    security_event_record(
        kind=SecurityEventKind.ADMIN_ACTION,
        request=request,
        object_ref=f"{view_name}:{object_id}" if object_id else (view_name or ""),
        details={
            "path": request.path,
            "view": view_name,
            "action": request.POST.get("action", ""),
            "selected": selected,
        },
    )
