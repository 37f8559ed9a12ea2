"""Browser views: parse the request, call a service or selector, render or redirect."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketplace.accounts import selectors, services
from marketplace.accounts.enums import MANAGING_ROLES, VerificationStatus
from marketplace.accounts.forms import (
    CompanyProfileForm,
    PasswordResetSetForm,
    QueuedPasswordResetForm,
    SignUpForm,
    VerificationSubmitForm,
)
from marketplace.accounts.middleware import ACTIVE_COMPANY_SESSION_KEY
from marketplace.accounts.models import Company, Membership, SecurityEventKind
from marketplace.accounts.security import security_event_record
from marketplace.core.exceptions import DomainError, InvalidTransition
from marketplace.core.rate_limits import RateLimit, rate_limited_response, rate_limits_retry_after
from marketplace.core.storage import private_file_response


def _active_membership(request: HttpRequest) -> Membership:
    """The signed-in user's membership of the company they act for; 404 if they have none."""
    company = request.active_company  # type: ignore[attr-defined]
    membership = (
        selectors.membership_for(user=request.user, company=company)  # type: ignore[arg-type]
        if company
        else None
    )
    if membership is None:
        raise Http404("You do not belong to a company yet.")
    return membership


def _redirect_to_next(request: HttpRequest) -> HttpResponse:
    """Back to the posted ``next`` page if it is on this site, else home."""
    next_url = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect("home")


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        retry_after = rate_limits_retry_after(
            request, RateLimit(group="accounts.signup", rate=settings.SIGNUP_RATE, key="ip")
        )
        if retry_after is not None:
            return rate_limited_response(
                request, retry_after=retry_after, action="create an account"
            )
    form = SignUpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership = services.company_register(
                email=data["email"],
                password=data["password"],
                full_name=data["full_name"],
                **form.company_data(),  # type: ignore[arg-type]
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[ACTIVE_COMPANY_SESSION_KEY] = membership.company_id
            messages.success(
                request,
                f"Welcome, {membership.user.get_short_name()}! "
                f"{membership.company.display_name} is registered.",
            )
            messages.info(
                request,
                f"We sent a confirmation link to {membership.user.email}: open it before you "
                "order or list products.",
            )
            return redirect("home")
    return render(request, "accounts/signup.html", {"form": form})


@require_http_methods(["GET", "POST"])
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link mailed at sign-up: a page with a button (so that a mail scanner fetching the
    link confirms nothing), whose POST confirms the address."""
    if request.method == "GET":
        return render(request, "accounts/email_confirm.html", {"error": None})
    try:
        user = services.user_email_confirm(token=token)
    except DomainError as exc:
        return render(request, "accounts/email_confirm.html", {"error": exc.message}, status=400)
    messages.success(request, f"Thank you: {user.email} is confirmed.")
    return redirect("home")


@login_required
@require_POST
def email_confirmation_resend(request: HttpRequest) -> HttpResponse:
    retry_after = rate_limits_retry_after(
        request,
        RateLimit(
            group="accounts.email_confirmation_resend",
            rate=settings.EMAIL_CONFIRMATION_RESEND_RATE,
            key="user",
        ),
    )
    if retry_after is not None:
        return rate_limited_response(
            request, retry_after=retry_after, action="send a confirmation link"
        )
    if services.user_email_confirmation_resend(user=request.user):  # type: ignore[arg-type]
        messages.success(
            request,
            f"We sent a new confirmation link to {request.user.email}.",  # type: ignore[union-attr]
        )
    else:
        messages.info(request, "Your email address is already confirmed.")
    return _redirect_to_next(request)


def _password_reset_email_key(group: str, request: HttpRequest) -> str:
    return request.POST.get("email", "").strip().lower()


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, limited per client address and per email asked for."""

    form_class = QueuedPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        retry_after = rate_limits_retry_after(
            request,
            RateLimit(group="accounts.password_reset", rate=settings.PASSWORD_RESET_RATE, key="ip"),
            RateLimit(
                group="accounts.password_reset.email",
                rate=settings.PASSWORD_RESET_RATE,
                key=_password_reset_email_key,
            ),
        )
        if retry_after is not None:
            return rate_limited_response(
                request, retry_after=retry_after, action="reset a password"
            )
        return super().post(request, *args, **kwargs)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's new-password step. The new password is saved by ``user_password_set``, which
    also revokes every API token of the account; it also lifts the sign-in lockouts of the
    account (the attempts were guesses at the old one)."""

    form_class = PasswordResetSetForm
    success_url = reverse_lazy("accounts:password_reset_complete")

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.request = self.request  # type: ignore[attr-defined]
        return form

    def form_valid(self, form):
        response = super().form_valid(form)
        services.user_sign_in_lockouts_clear(user=form.user)
        return response


@login_required
@require_http_methods(["GET", "POST"])
def company_profile(request: HttpRequest) -> HttpResponse:
    membership = _active_membership(request)
    company = membership.company
    can_edit = membership.role in MANAGING_ROLES
    if request.method == "POST" and not can_edit:
        raise PermissionDenied("Only the company's owners and admins may change its profile.")
    form = CompanyProfileForm.for_company(
        company, data=request.POST if request.method == "POST" else None
    )
    if not can_edit:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            company = services.company_update(
                company=company,
                actor=request.user,  # type: ignore[arg-type]
                **form.company_data(),  # type: ignore[arg-type]
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, f"{company.display_name}'s profile is saved.")
            if company.verification_status == VerificationStatus.PENDING and (
                membership.company.verification_status == VerificationStatus.VERIFIED
            ):
                messages.warning(
                    request,
                    "You changed details that were verified: the company is back in review and "
                    "shows as verified again once our team has checked them.",
                )
            return redirect("accounts:company_profile")
    return render(
        request,
        "accounts/company_profile.html",
        {"form": form, "company": company, "can_edit": can_edit},
    )


@login_required
@require_POST
def company_switch(request: HttpRequest) -> HttpResponse:
    company = selectors.company_for_member(
        user=request.user,  # type: ignore[arg-type]
        company_id=request.POST.get("company_id"),
    )
    if company is None:
        raise Http404("No such company among yours.")
    request.session[ACTIVE_COMPANY_SESSION_KEY] = company.pk
    messages.success(request, f"You are now acting for {company.display_name}.")
    return _redirect_to_next(request)


@login_required
@require_http_methods(["GET", "POST"])
def company_verification(request: HttpRequest) -> HttpResponse:
    membership = _active_membership(request)
    company: Company = membership.company
    can_submit = membership.role in MANAGING_ROLES and company.verification_status in (
        VerificationStatus.UNVERIFIED,
        VerificationStatus.REJECTED,
    )
    form = (
        VerificationSubmitForm(request.POST, request.FILES)
        if request.method == "POST"
        else VerificationSubmitForm()
    )
    if request.method == "POST":
        if membership.role not in MANAGING_ROLES:
            raise PermissionDenied("Only the company's owners and admins may submit it.")
        if form.is_valid():
            try:
                company = services.company_verification_submit(
                    company=company,
                    actor=request.user,  # type: ignore[arg-type]
                    documents=form.documents(),
                )
            except DomainError as exc:
                form.add_domain_error(exc)
            except InvalidTransition:
                form.add_error(
                    None,
                    f"The company is {company.get_verification_status_display().lower()}; "
                    "it cannot be submitted now.",
                )
            else:
                messages.success(
                    request, "Thank you. Your company is now waiting for review by our team."
                )
                return redirect("accounts:company_verification")
    context = {
        "company": company,
        "form": form,
        "can_submit": can_submit,
        "documents": selectors.company_document_list_for_company(company=company),
        "events": selectors.company_verification_event_list_for_company(company=company),
    }
    return render(request, "accounts/company_verification.html", context)


@login_required
@require_GET
def company_document(request: HttpRequest, pk: int) -> FileResponse:
    document = selectors.company_document_for_user(
        user=request.user,  # type: ignore[arg-type]
        document_id=pk,
    )
    if document is None:
        raise Http404("No such document.")
    return private_file_response(
        document.file, filename=document.original_name, content_type=document.content_type
    )


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 403 handler: record the refusal, then answer with Django's 403 page."""
    security_event_record(
        kind=SecurityEventKind.PERMISSION_DENIED,
        request=request,
        object_ref=request.path[:200],
        details={"method": request.method, "path": request.path, "reason": str(exception)[:300]},
    )
    return defaults.permission_denied(request, exception)
