"""The reusable acting-company piece every API view uses (get_active_company, HasActiveCompany)."""

import pytest
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from marketplace.accounts.api.company import (
    X_COMPANY_PARAMETER,
    ActiveCompanyMixin,
    HasActiveCompany,
    get_active_company,
)
from tests.factories import CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


class CompanyEchoView(ActiveCompanyMixin, APIView):
    def get(self, request):
        return Response({"company": self.active_company.pk})


def call(user, **headers):
    request = APIRequestFactory().get("/echo/", **headers)
    if user is not None:
        force_authenticate(request, user=user)
    return CompanyEchoView.as_view()(request)


def test_view_behind_has_active_company_gets_the_company_from_x_company():
    membership = MembershipFactory()
    other = MembershipFactory(user=membership.user).company

    response = call(membership.user, HTTP_X_COMPANY=str(other.pk))

    assert (response.status_code, response.data) == (200, {"company": other.pk})


def test_view_behind_has_active_company_refuses_a_foreign_company_with_403():
    membership = MembershipFactory()

    response = call(membership.user, HTTP_X_COMPANY=str(CompanyFactory().pk))

    assert response.status_code == 403
    assert str(response.data["detail"]) == (
        "The X-Company header does not name one of your companies."
    )


def test_view_behind_has_active_company_refuses_a_user_without_company_with_403():
    response = call(UserFactory())

    assert response.status_code == 403
    assert str(response.data["detail"]) == "Your account does not belong to a company."


def test_view_behind_has_active_company_refuses_anonymous_users_with_401():
    response = call(None)

    assert response.status_code == 401


def test_get_active_company_is_cached_on_the_request(django_assert_num_queries):
    membership = MembershipFactory()
    request = APIRequestFactory().get("/echo/", HTTP_X_COMPANY=str(membership.company.pk))
    request.user = membership.user

    with django_assert_num_queries(1):
        assert get_active_company(request) == membership.company
        assert get_active_company(request) == membership.company


def test_has_active_company_and_x_company_parameter_describe_the_header():
    assert issubclass(ActiveCompanyMixin.permission_classes[0], HasActiveCompany)
    assert (X_COMPANY_PARAMETER.name, X_COMPANY_PARAMETER.location) == ("X-Company", "header")
