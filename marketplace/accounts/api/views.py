from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.accounts import selectors
from marketplace.accounts.api.company import X_COMPANY_PARAMETER, get_active_company
from marketplace.accounts.api.serializers import (
    ErrorDetailSerializer,
    MeSerializer,
    MyCompanySerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)
from marketplace.accounts.services import user_token_get
from marketplace.core.api.throttling import ClientScopedRateThrottle

BAD_CREDENTIALS_MESSAGE = "No active account matches this email and password."


class AuthTokenView(APIView):
    """Exchange an email and password for an API token."""

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
            400: OpenApiResponse(description="Missing or malformed fields, by field."),
            401: ErrorDetailSerializer,
            403: OpenApiResponse(
                ErrorDetailSerializer,
                description="Locked out after too many failed sign-ins for this email from "
                "this address (django-axes); see Retry-After.",
            ),
            429: ErrorDetailSerializer,
        },
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The Django request, so that django-axes counts the failure and locks out.
        user = authenticate(
            request=request._request,
            username=serializer.validated_data["email"],
            password=serializer.validated_data["password"],
        )
        if user is None:
            return Response(
                {"detail": BAD_CREDENTIALS_MESSAGE},
                status=status.HTTP_401_UNAUTHORIZED,
                headers={"WWW-Authenticate": 'Token realm="api"'},
            )
        return Response({"token": user_token_get(user=user)})


class MeView(APIView):
    """The signed-in user, their companies, and the company this request acts for."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="me_retrieve",
        tags=["auth"],
        parameters=[X_COMPANY_PARAMETER],
        responses={200: MeSerializer, 401: ErrorDetailSerializer, 403: ErrorDetailSerializer},
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
