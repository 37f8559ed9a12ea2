"""The acting company of an API request, chosen with the ``X-Company`` header.

Every API view that acts for a company uses these::

    from marketplace.accounts.api.company import HasActiveCompany, X_COMPANY_PARAMETER, \
        get_active_company

    @extend_schema(parameters=[X_COMPANY_PARAMETER], ...)
    class OrderListView(APIView):
        permission_classes = [HasActiveCompany]

        def get(self, request):
            company = get_active_company(request)  # never None behind HasActiveCompany
"""

from django.http import HttpRequest
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request

from marketplace.accounts.middleware import ACTIVE_COMPANY_SESSION_KEY
from marketplace.accounts.models import Company, User
from marketplace.accounts.selectors import active_company_for, company_for_member

X_COMPANY_HEADER = "X-Company"
X_COMPANY_PARAMETER = OpenApiParameter(
    name=X_COMPANY_HEADER,
    type=OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Id of one of your companies to act for. Without it: the company chosen "
    "in the browser session, else your first company. A company that is not yours (or a "
    "blank value): 403.",
)
FOREIGN_COMPANY_MESSAGE = "The X-Company header does not name one of your companies."
NO_COMPANY_MESSAGE = "Your account does not belong to a company."
_CACHE_ATTRIBUTE = "_marketplace_active_company"


def get_active_company(request: Request | HttpRequest) -> Company | None:
    """The company this request acts for, or ``None`` if the user has no company.

    Raises ``PermissionDenied`` (403) when ``X-Company`` names a company that is not the
    user's, or is not a number. Cached on the request.
    """
    django_request = getattr(request, "_request", request)
    if hasattr(django_request, _CACHE_ATTRIBUTE):
        return getattr(django_request, _CACHE_ATTRIBUTE)
    user = request.user
    if user is None or not user.is_authenticated:
        return None
    header = request.headers.get(X_COMPANY_HEADER)
    if header is not None:
        # Present but blank names no company either (the schema says: an integer).
        company = company_for_member(user=user, company_id=header.strip())
        if company is None:
            raise PermissionDenied(FOREIGN_COMPANY_MESSAGE)
    else:
        session = getattr(django_request, "session", None)
        preferred = session.get(ACTIVE_COMPANY_SESSION_KEY) if session is not None else None
        company = active_company_for(user=user, preferred_id=preferred)
    setattr(django_request, _CACHE_ATTRIBUTE, company)
    return company


def require_active_company(request: Request) -> Company:
    """The acting company; ``PermissionDenied`` (403) if the user has none."""
    company = get_active_company(request)
    if company is None:
        raise PermissionDenied(NO_COMPANY_MESSAGE)
    return company


class HasActiveCompany(IsAuthenticated):
    """Signed in, and acting for one of their companies (``X-Company`` or the default)."""

    message = NO_COMPANY_MESSAGE

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and get_active_company(request) is not None


class ActiveCompanyMixin:
    """For API views: ``self.active_company``, behind ``HasActiveCompany``."""

    permission_classes = [HasActiveCompany]

    @property
    def active_company(self) -> Company:
        return require_active_company(self.request)  # type: ignore[attr-defined]


def acting_user(request: Request | HttpRequest) -> User:
    """The signed-in user behind a request that the view's permissions already authenticated."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("Authentication is required.")
    return user
