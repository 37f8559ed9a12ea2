"""The RFQ API: thin views over orders.rfqs.services and orders.rfqs.selectors."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.accounts.api.company import (
    X_COMPANY_PARAMETER,
    HasActiveCompany,
    require_active_company,
)
from marketplace.accounts.models import Company
from marketplace.core.api.pagination import PageNumberPagination
from marketplace.core.exceptions import DomainError
from orders.rfqs import selectors, services
from orders.rfqs.api.serializers import (
    RFQAttachmentSerializer,
    RFQAttachmentUploadSerializer,
    RFQCancelSerializer,
    RFQCreateSerializer,
    RFQListQuerySerializer,
    RFQSerializer,
)
from orders.rfqs.models import RFQ

TAGS = ["rfqs"]
ERRORS_400 = OpenApiResponse(description='Field errors: `{"field": ["message", ...]}`.')
ERRORS_403 = OpenApiResponse(
    description="Your company may not do this (not the buyer, does not buy, email unconfirmed)."
)
ERRORS_404 = OpenApiResponse(description="No such RFQ among those your company may see.")
ERRORS_409 = OpenApiResponse(description="The RFQ's status does not allow this.")


def _field_errors(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(
        exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
    )


def _details(rfqs: QuerySet[RFQ]) -> QuerySet[RFQ]:
    return rfqs.prefetch_related("attachments", "invitations")


def _rfq_response(company: Company, rfq_id: int, *, code: int = status.HTTP_200_OK) -> Response:
    rfq = selectors.rfq_get_for_company(company=company, rfq_id=rfq_id)
    if rfq.buyer_id == company.pk:
        rfqs = selectors.rfq_list_for_buyer(company=company).filter(pk=rfq.pk)
    else:
        rfqs = RFQ.objects.filter(pk=rfq.pk).select_related("buyer")
    data = RFQSerializer(_details(rfqs).get(), context={"company": company}).data
    return Response(data, status=code)


class RFQListCreateView(APIView):
    permission_classes = [HasActiveCompany]
    pagination_class = PageNumberPagination  # documents the page envelope
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        summary="RFQs: your own, or the board",
        description="A company that buys gets its own RFQs in every status (`status` narrows "
        "them), with `quote_count`. A company that only sells, or `role=seller`, gets the open "
        "RFQs it may quote on: public ones of its categories and those it is invited to "
        "(`category` includes the children, `destination_country`). Newest first.",
        parameters=[X_COMPANY_PARAMETER, RFQListQuerySerializer],
        responses={200: RFQSerializer(many=True), 400: ERRORS_400, 403: ERRORS_403},
    )
    def get(self, request: Request) -> Response:
        company = require_active_company(request)
        query = RFQListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        role = data.get("role") or ("buyer" if company.buys else "seller")
        if role == "buyer":
            rfqs = selectors.rfq_list_for_buyer(company=company, status=data.get("status"))
        else:
            rfqs = selectors.rfq_board_for_seller(
                company=company,
                category_id=data.get("category"),
                destination_country=(data.get("destination_country") or "").upper() or None,
            )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(_details(rfqs), request, view=self)
        body = RFQSerializer(page, many=True, context={"company": company}).data
        return paginator.get_paginated_response(body)

    @extend_schema(
        tags=TAGS,
        summary="Post an RFQ",
        description="JSON only; add files afterwards with POST /api/v1/rfqs/{id}/attachments/. "
        "Every rule is checked before anything is written; invited sellers are emailed.",
        parameters=[X_COMPANY_PARAMETER],
        request=RFQCreateSerializer,
        responses={201: RFQSerializer, 400: ERRORS_400, 403: ERRORS_403},
    )
    def post(self, request: Request) -> Response:
        company = require_active_company(request)
        serializer = RFQCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(serializer.validated_data)
        try:
            rfq = services.rfq_create(actor=request.user, buyer=company, attachments=[], **data)  # type: ignore[arg-type]
        except DjangoValidationError as exc:
            raise _field_errors(exc) from None
        return _rfq_response(company, rfq.pk, code=status.HTTP_201_CREATED)


class RFQDetailView(APIView):
    permission_classes = [HasActiveCompany]

    @extend_schema(
        tags=TAGS,
        summary="An RFQ",
        description="Your own RFQ, or one your company may quote on (or has quoted on); any "
        "other — an invited-only RFQ of others included — is a 404.",
        parameters=[X_COMPANY_PARAMETER],
        responses={200: RFQSerializer, 404: ERRORS_404},
    )
    def get(self, request: Request, pk: int) -> Response:
        return _rfq_response(require_active_company(request), pk)


class RFQCloseView(APIView):
    permission_classes = [HasActiveCompany]
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        summary="Close an RFQ (buyer)",
        description="open → closed: no more quotes; those received stay to be accepted.",
        parameters=[X_COMPANY_PARAMETER],
        request=None,
        responses={200: RFQSerializer, 403: ERRORS_403, 404: ERRORS_404, 409: ERRORS_409},
    )
    def post(self, request: Request, pk: int) -> Response:
        company = require_active_company(request)
        rfq = selectors.rfq_get_for_company(company=company, rfq_id=pk)
        services.rfq_close(rfq=rfq, actor=request.user, company=company)  # type: ignore[arg-type]
        return _rfq_response(company, rfq.pk)


class RFQCancelView(APIView):
    permission_classes = [HasActiveCompany]
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        summary="Cancel an RFQ (buyer)",
        description="open → cancelled, with an optional reason.",
        parameters=[X_COMPANY_PARAMETER],
        request=RFQCancelSerializer,
        responses={
            200: RFQSerializer,
            400: ERRORS_400,
            403: ERRORS_403,
            404: ERRORS_404,
            409: ERRORS_409,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        company = require_active_company(request)
        rfq = selectors.rfq_get_for_company(company=company, rfq_id=pk)
        body = RFQCancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.rfq_cancel(
                rfq=rfq,
                actor=request.user,  # type: ignore[arg-type]
                company=company,
                reason=body.validated_data["reason"],
            )
        except DjangoValidationError as exc:
            raise _field_errors(exc) from None
        return _rfq_response(company, rfq.pk)


class RFQAttachmentCreateView(APIView):
    permission_classes = [HasActiveCompany]
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=TAGS,
        summary="Attach a file to an RFQ (buyer)",
        description="Multipart, one `file`, while the RFQ is open; at most five per RFQ. The "
        "content decides the type: PDF, PNG, JPEG or WebP, up to 10 MB.",
        parameters=[X_COMPANY_PARAMETER],
        request={"multipart/form-data": RFQAttachmentUploadSerializer},
        responses={
            201: RFQAttachmentSerializer,
            400: ERRORS_400,
            403: ERRORS_403,
            404: ERRORS_404,
            409: ERRORS_409,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        company = require_active_company(request)
        rfq = selectors.rfq_get_for_company(company=company, rfq_id=pk)
        body = RFQAttachmentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            attachment = services.rfq_attachment_add(
                rfq=rfq,
                actor=request.user,  # type: ignore[arg-type]
                company=company,
                file=body.validated_data["file"],
            )
        except DjangoValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"file": exc.messages}
            raise ValidationError(
                {("file" if key == "attachments" else key): value for key, value in errors.items()}
            ) from None
        except DomainError as exc:
            raise ValidationError({"file": [exc.message]}) from None
        return Response(RFQAttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)
