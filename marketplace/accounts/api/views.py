from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.accounts import selectors
from marketplace.accounts.api.company import (
    X_COMPANY_PARAMETER,
    acting_user,
    get_active_company,
)
from marketplace.accounts.api.serializers import (
    ApiTokenSerializer,
    MeSerializer,
    MyCompanySerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)
from marketplace.accounts.forms import OTP_INVALID_MESSAGE, OTP_REQUIRED_MESSAGE
from marketplace.accounts.models import SecurityEventKind
from marketplace.accounts.security import security_event_record
from marketplace.accounts.services import api_token_issue, api_token_revoke
from marketplace.accounts.staff import staff_otp_match, staff_otp_required
from marketplace.core.api.pagination import PageNumberPagination
from marketplace.core.api.throttling import ClientScopedRateThrottle

BAD_CREDENTIALS_MESSAGE = "No active account matches this email and password."


class AuthTokenView(APIView):
    """Exchange an email and password (and, for staff, a TOTP code) for a new API token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ClientScopedRateThrottle]
    throttle_scope = "auth_token"

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        auth=[],
        request=TokenRequestSerializer,
        responses={
            200: TokenResponseSerializer,
            400: OpenApiResponse(
                description="Missing or malformed fields, by field; for platform staff, a "
                "missing or wrong `otp` code."
            ),
            401: OpenApiResponse(description="No active account matches this email and password."),
            403: OpenApiResponse(
                description="Locked out after too many failed sign-ins for this email from "
                "this address (django-axes); see Retry-After.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # The Django request, so that django-axes counts the failure and locks out.
        user = authenticate(
            request=request._request,
            username=data["email"],
            password=data["password"],
        )
        if user is None:
            return Response(
                {"detail": BAD_CREDENTIALS_MESSAGE},
                status=status.HTTP_401_UNAUTHORIZED,
                headers={"WWW-Authenticate": 'Token realm="api"'},
            )
        if staff_otp_required(user):
            code = (data.get("otp") or "").strip()
            if not code:
                raise ValidationError({"otp": [OTP_REQUIRED_MESSAGE]})
            if staff_otp_match(user, code) is None:
                security_event_record(kind=SecurityEventKind.OTP_FAILED, request=request, user=user)
                raise ValidationError({"otp": [OTP_INVALID_MESSAGE]})
        token, secret = api_token_issue(user=user, name=data.get("name", ""), request=request)
        return Response(
            {"token": secret, "id": token.pk, "name": token.name, "expires": token.expiry}
        )


class ApiTokenListView(APIView):
    """The caller's API tokens that still work: id, name, created, expires."""

    permission_classes = [IsAuthenticated]
    pagination_class = PageNumberPagination  # documents the page envelope

    @extend_schema(
        operation_id="auth_tokens_list",
        tags=["auth"],
        summary="Your API tokens",
        description="Newest first; never the secret. Paginated.",
        responses={200: ApiTokenSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        tokens = selectors.api_token_list_for_user(user=acting_user(request))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(tokens, request, view=self)
        return paginator.get_paginated_response(ApiTokenSerializer(page, many=True).data)


class ApiTokenDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="auth_tokens_destroy",
        tags=["auth"],
        summary="Revoke one of your API tokens",
        description="It stops working at once (401). Another user's token: 404.",
        responses={204: None},
    )
    def delete(self, request: Request, pk: int) -> Response:
        user = acting_user(request)
        token = selectors.api_token_for_user(user=user, token_id=pk)
        if token is None:
            raise NotFound("No such token.")
        api_token_revoke(token=token, actor=user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """The signed-in user, their companies, and the company this request acts for."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_retrieve",
        tags=["auth"],
        parameters=[X_COMPANY_PARAMETER],
        responses={200: MeSerializer},
    )
    def get(self, request: Request) -> Response:
        active = get_active_company(request)
        memberships = list(selectors.membership_list_for_user(user=request.user))  # type: ignore[arg-type]
        companies = [MyCompanySerializer.from_membership(m) for m in memberships]
        active_data = next((c for c in companies if active and c["id"] == active.pk), None)
        user = request.user
        return Response(
            {
                "id": user.pk,
                "email": user.email,  # type: ignore[union-attr]
                "full_name": user.full_name,  # type: ignore[union-attr]
                "companies": companies,
                "active_company": active_data,
            }
        )
