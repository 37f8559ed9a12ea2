from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from marketplace.accounts.selectors import active_company_for

ACTIVE_COMPANY_SESSION_KEY = "active_company_id"


class ActiveCompanyMiddleware:
    """Sets ``request.active_company``: the company a browser user currently acts for.

    The API picks its company from the ``X-Company`` header instead (see accounts.api).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.active_company = SimpleLazyObject(  # type: ignore[attr-defined]
            lambda: active_company_for(
                user=request.user,  # type: ignore[arg-type]
                preferred_id=request.session.get(ACTIVE_COMPANY_SESSION_KEY),
            )
        )
        return self.get_response(request)
