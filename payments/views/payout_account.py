"""The seller's payout account: how their company is paid (Stripe Connect Express or bank
transfer), the Stripe onboarding round trip, the sandbox's offline onboarding page, and the
staff's CSV of pending bank payouts."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_countries import countries

from marketplace.accounts.enums import MANAGING_ROLES
from marketplace.accounts.models import Company, Membership, User
from marketplace.accounts.staff import staff_may
from marketplace.core.client_address import client_address
from marketplace.core.exceptions import Conflict, NotFound
from marketplace.core.ids import opaque_id_parse
from marketplace.trade.money import Money
from payments.enums import BankPayoutStatus, PayoutMethod, SettlementStatus
from payments.forms import BankTransferForm
from payments.gateway import GatewayError, gateway_get, sandbox_enabled
from payments.models import BankPayout, ConnectedAccount, Settlement
from payments.payouts import (
    StripeConnectUnavailable,
    bank_payouts_export_csv,
    payout_account_connect_stripe,
    payout_account_for_company,
    payout_account_history,
    payout_account_sync,
    payout_account_use_bank_transfer,
    settlements_awaiting_account_count,
    stripe_connect_available,
)
from payments.sandbox import SandboxGateway


def seller_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in and acting for a company that sells; else a 403 page that says so."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        company = getattr(request, "active_company", None) or None
        if company is None or not company.sells:
            return render(
                request, "payments/payout_not_a_seller.html", {"company": company}, status=403
            )
        return view(request, company, *args, **kwargs)

    return wrapper


def _user(request: HttpRequest) -> User:
    """The signed-in user (the views here require one)."""
    assert isinstance(request.user, User)
    return request.user


def _requirement_label(code: str) -> str:
    """Stripe's requirement codes (``tos_acceptance.date``) in words."""
    return code.replace("_", " ").replace(".", ": ").capitalize()


def _masked(number: str) -> str:
    return f"{number[:4]} •••• {number[-4:]}" if len(number) > 10 else number


def _pending_bank_payouts(
    company: Company, status: str = BankPayoutStatus.PENDING
) -> list[dict[str, Any]]:
    rows = (
        BankPayout.objects.filter(seller=company, status=status)
        .values("currency")
        .annotate(total=Sum("amount_minor"), count=Count("pk"))
        .order_by("currency")
    )
    return [
        {
            "amount": str(Money.from_minor_units(row["total"], row["currency"])),
            "count": row["count"],
        }
        for row in rows
    ]


def _bank_form_initial(company: Company, account: ConnectedAccount | None) -> dict[str, str]:
    if account is not None and account.bank_iban:
        return {
            "account_holder": account.bank_account_holder,
            "bank_name": account.bank_name,
            "iban": account.bank_iban,
            "swift": account.bank_swift,
            "country": account.bank_country,
        }
    return {"account_holder": company.legal_name, "country": str(company.country)}


def _render_page(
    request: HttpRequest,
    company: Company,
    *,
    bank_form: BankTransferForm | None = None,
    error: str = "",
    stripe_password_error: str = "",
    status: int = 200,
) -> HttpResponse:
    account = payout_account_for_company(company=company)
    can_manage = Membership.objects.filter(
        company=company, user=_user(request), role__in=MANAGING_ROLES
    ).exists()
    is_bank = account is not None and account.method == PayoutMethod.BANK_TRANSFER
    return render(
        request,
        "payments/payout_account.html",
        {
            "company": company,
            "account": account,
            "is_bank": is_bank,
            "is_stripe": account is not None and account.method == PayoutMethod.STRIPE,
            "masked_iban": _masked(account.bank_iban) if account else "",
            "bank_country_name": countries.name(account.bank_country) if account else "",
            "requirements": [
                _requirement_label(code) for code in (account.requirements_due if account else [])
            ],
            "can_manage": can_manage,
            "stripe_available": stripe_connect_available(company=company),
            "sandbox": sandbox_enabled(),
            "awaiting_count": settlements_awaiting_account_count(company=company),
            "pending_bank_payouts": _pending_bank_payouts(company),
            "held_bank_payouts": _pending_bank_payouts(company, BankPayoutStatus.ON_HOLD),
            "held_settlements": Settlement.objects.filter(
                seller=company, status=SettlementStatus.HELD
            ).count(),
            "bank_form": bank_form
            or BankTransferForm(initial=_bank_form_initial(company, account)),
            "show_bank_form": bank_form is not None
            or not is_bank
            or request.GET.get("edit") == "bank",
            "error": error,
            "stripe_password_error": stripe_password_error,
            "history": payout_account_history(company=company),
        },
        status=status,
    )


def _problem_status(exc: Exception) -> int:
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, GatewayError):
        return 502
    return 400


def _problem_text(exc: Exception) -> str:
    if isinstance(exc, GatewayError):
        return f"Stripe could not be reached just now; nothing was changed. Try again. ({exc})"
    return getattr(exc, "message", None) or str(exc)


@seller_required
@require_GET
def payout_account(request: HttpRequest, company: Company) -> HttpResponse:
    return _render_page(request, company)


def _stripe_urls(request: HttpRequest) -> dict[str, str]:
    return {
        "refresh_url": request.build_absolute_uri(reverse("payments:payout-account-refresh")),
        "return_url": request.build_absolute_uri(reverse("payments:payout-account-return")),
    }


@seller_required
@require_POST
def payout_account_stripe(request: HttpRequest, company: Company) -> HttpResponse:
    """ "Connect with Stripe": create the Express account if need be, go to onboarding."""
    try:
        link = payout_account_connect_stripe(
            company=company,
            actor=_user(request),
            current_password=request.POST.get("current_password", ""),
            client_ip=client_address(request) or None,
            **_stripe_urls(request),
        )
    except ValidationError as exc:
        return _render_page(
            request,
            company,
            stripe_password_error=" ".join(exc.message_dict.get("current_password", [])),
            status=400,
        )
    except (PermissionDenied, Conflict, StripeConnectUnavailable, GatewayError) as exc:
        return _render_page(request, company, error=_problem_text(exc), status=_problem_status(exc))
    return redirect(link)


@seller_required
@require_GET
def payout_account_refresh(request: HttpRequest, company: Company) -> HttpResponse:
    """Stripe sends the seller here when an onboarding link expired: make a new one."""
    try:
        link = payout_account_connect_stripe(
            company=company,
            actor=_user(request),
            **_stripe_urls(request),
        )
    except ValidationError:
        # Leaving the bank account for Stripe needs the password: only from the page's form.
        messages.error(request, "Connect with Stripe from this page, with your password.")
        return redirect("payments:payout-account")
    except (PermissionDenied, Conflict, StripeConnectUnavailable, GatewayError) as exc:
        messages.error(request, _problem_text(exc))
        return redirect("payments:payout-account")
    return redirect(link)


@seller_required
@require_GET
def payout_account_return(request: HttpRequest, company: Company) -> HttpResponse:
    """Back from onboarding: read the account from the gateway now (``account.updated`` may
    not have arrived yet) and show where it stands."""
    try:
        account = payout_account_sync(company=company)
    except GatewayError:
        messages.warning(
            request, "Stripe could not be reached just now; the status below updates shortly."
        )
        return redirect("payments:payout-account")
    if account is not None and account.can_receive_transfers:
        messages.success(request, "Your Stripe account is ready: payouts are enabled.")
    elif account is not None and account.stripe_account_id:
        messages.info(
            request,
            "Stripe has not enabled payouts yet. Finish the steps Stripe asks for; settlements "
            "wait for your account meanwhile.",
        )
    return redirect("payments:payout-account")


@seller_required
@require_POST
def payout_account_bank(request: HttpRequest, company: Company) -> HttpResponse:
    """ "Use bank transfer": the company is paid to these bank details from now on."""
    form = BankTransferForm(request.POST)
    if not form.is_valid():
        return _render_page(request, company, bank_form=form, status=400)
    try:
        payout_account_use_bank_transfer(
            company=company,
            actor=_user(request),
            client_ip=client_address(request) or None,
            **form.cleaned_data,
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, message)
        return _render_page(request, company, bank_form=form, status=400)
    except (PermissionDenied, Conflict) as exc:
        return _render_page(
            request, company, bank_form=form, error=_problem_text(exc), status=_problem_status(exc)
        )
    messages.success(
        request, "Saved: your company is paid by bank transfer to this account from now on."
    )
    return redirect("payments:payout-account")


# --- sandbox --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def sandbox_onboarding(request: HttpRequest, account_id: str) -> HttpResponse:
    """The sandbox's stand-in for Stripe's hosted onboarding. 404 when the sandbox is off, and
    for an account of a company the user is not a member of."""
    if not sandbox_enabled():
        raise Http404("The payments sandbox is off.")
    if opaque_id_parse(account_id) is None:
        raise Http404("No such sandbox account among your companies'.")
    account = (
        ConnectedAccount.objects.select_related("company")
        .filter(stripe_account_id=account_id, company__memberships__user=_user(request))
        .first()
    )
    if account is None:
        raise Http404("No such sandbox account among your companies'.")
    return_url = request.GET.get("return_url") or request.POST.get("return_url") or ""
    if not url_has_allowed_host_and_scheme(
        return_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return_url = reverse("payments:payout-account")
    if request.method == "POST":
        gateway = gateway_get()
        if not isinstance(gateway, SandboxGateway):  # pragma: no cover - guarded above
            raise Http404("The payments sandbox is off.")
        try:
            gateway.account_onboarding_complete(account_id)
        except NotFound as exc:
            raise Http404(str(exc)) from exc
        return redirect(return_url)
    return render(
        request,
        "payments/sandbox_onboarding.html",
        {"account": account, "company": account.company, "return_url": return_url},
    )


# --- staff ----------------------------------------------------------------------------------


@require_GET
def bank_payouts_csv(request: HttpRequest) -> HttpResponse:
    """All pending bank payouts as CSV (the admin's export action does the same for a
    selection); staff with ``payments.export_bank_payouts`` only."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not staff_may(request.user, "payments.export_bank_payouts"):
        raise PermissionDenied("Exporting bank payouts needs the export_bank_payouts permission.")
    response = HttpResponse(bank_payouts_export_csv(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="bank-payouts-{stamp}.csv"'
    return response
