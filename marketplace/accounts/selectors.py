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
from marketplace.core.exceptions import Forbidden
from marketplace.core.ids import id_parse


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("company").order_by("company_id")


def company_for_member(*, user: User, company_id: object) -> Company | None:
    """The company with this id if ``user`` is one of its members, else ``None``."""
    pk = id_parse(company_id)
    if pk is None:
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


# Staff who may read every company's verification documents (the "verification" group).
VIEW_VERIFICATION_DOCUMENT = "accounts.view_verification_document"


def company_document_for_user(*, user: User, document_id: int) -> CompanyDocument | None:
    """A verification document, if the user is a member of its company or platform staff
    with the permission ``accounts.view_verification_document``."""
    if not (user.is_authenticated and user.is_active):
        return None
    documents = CompanyDocument.objects.select_related("company")
    if not staff_may(user, VIEW_VERIFICATION_DOCUMENT):
        documents = documents.filter(company__memberships__user=user)
    return documents.filter(pk=document_id).distinct().first()


# --- email confirmation -----------------------------------------------------------------

EMAIL_UNCONFIRMED_MESSAGE = (
    "Confirm your email address first: open the link we emailed you when you signed up. "
    "Until then you cannot order, list products or send messages."
)


def user_email_confirmed(*, user: User) -> bool:
    """Whether the user has confirmed their email: the one check before ordering, listing or
    messaging (services refuse, views and the API ask the same question)."""
    return user.is_authenticated and user.email_confirmed_at is not None


def user_email_confirmed_require(*, user: User) -> None:
    """Refuse (403, ``code`` ``email_unconfirmed``) unless the user has confirmed their email."""
    if not user_email_confirmed(user=user):
        raise Forbidden(EMAIL_UNCONFIRMED_MESSAGE, code="email_unconfirmed")


def api_token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    """The user's API tokens that still work (not expired), newest first."""
    return ApiToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created", "-id")


def api_token_for_user(*, user: User, token_id: object) -> ApiToken | None:
    """One of the user's own tokens by id; another user's (or none) is ``None``."""
    pk = id_parse(token_id)
    if pk is None:
        return None
    return ApiToken.objects.filter(user=user, pk=pk).first()
