"""Reads about users and companies, filtered to what the asking user may see."""

from django.db.models import QuerySet
from django.utils import timezone

from marketplace.accounts.models import (
    ApiToken,
    Company,
    CompanyDocument,
    CompanyVerificationEvent,
    Membership,
    User,
)
from marketplace.accounts.staff import staff_may


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("company").order_by("company_id")


def company_for_member(*, user: User, company_id: object) -> Company | None:
    """The company with this id if ``user`` is one of its members, else ``None``."""
    try:
        pk = int(str(company_id))
    except (TypeError, ValueError):
        return None
    return Company.objects.filter(pk=pk, memberships__user=user).first()


def active_company_for(*, user: User, preferred_id: object = None) -> Company | None:
    """The company the user acts for: the preferred one if theirs, else their first."""
    if not user.is_authenticated:
        return None
    if preferred_id is not None:
        company = company_for_member(user=user, company_id=preferred_id)
        if company is not None:
            return company
    membership = membership_list_for_user(user=user).first()
    return membership.company if membership else None


def membership_for(*, user: User, company: Company) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, company=company).first()


def company_document_list_for_company(*, company: Company) -> QuerySet[CompanyDocument]:
    return CompanyDocument.objects.filter(company=company).order_by("-created_at", "-id")


def company_verification_event_list_for_company(
    *, company: Company
) -> QuerySet[CompanyVerificationEvent]:
    return (
        CompanyVerificationEvent.objects.filter(company=company)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def company_document_for_user(*, user: User, document_id: int) -> CompanyDocument | None:
    """A verification document, if the user is a member of its company or platform staff
    with ``accounts.view_verification_document``."""
    if not user.is_authenticated:
        return None
    documents = CompanyDocument.objects.select_related("company")
    if not staff_may(user, "accounts.view_verification_document"):
        documents = documents.filter(company__memberships__user=user)
    return documents.filter(pk=document_id).first()


def api_token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    """The user's API tokens that still work (not expired), newest first."""
    return ApiToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created", "-id")


def api_token_for_user(*, user: User, token_id: object) -> ApiToken | None:
    """One of the user's own tokens by id; another user's (or none) is ``None``."""
    try:
        pk = int(str(token_id))
    except (TypeError, ValueError):
        return None
    if not 0 < pk < 2**63:
        return None
    return ApiToken.objects.filter(user=user, pk=pk).first()
