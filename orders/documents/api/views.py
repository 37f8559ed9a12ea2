"""The trade documents API: the parties' list and download, and public verification."""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.accounts.api.company import X_COMPANY_PARAMETER, get_active_company
from marketplace.accounts.models import User
from marketplace.core.api.throttling import ClientScopedRateThrottle
from orders.documents import selectors
from orders.documents.api.serializers import (
    DocumentFileCheckResultSerializer,
    DocumentFileCheckSerializer,
    DocumentNotReadySerializer,
    DocumentVerificationSerializer,
    TradeDocumentSerializer,
)
from orders.documents.enums import DocumentStatus
from orders.documents.views import document_file_response

TAGS = ["documents"]
NOT_FOUND = OpenApiResponse(
    description="No such order or document among your company's (also when signed out).",
)


def _user(request: Request) -> User | None:
    user = request.user
    return user if isinstance(user, User) and user.is_authenticated else None


class OrderDocumentListView(APIView):
    """Signed-out callers and other companies get the same 404 as for an order that does
    not exist, so the list must not demand authentication first."""

    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        operation_id="order_documents_list",
        summary="The order's trade documents (current and superseded versions)",
        parameters=[X_COMPANY_PARAMETER],
        responses={200: TradeDocumentSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request: Request, order_id: int) -> Response:
        user = _user(request)
        documents = selectors.document_list_for_order(
            company=get_active_company(request) if user else None,
            order_id=order_id,
            user=user,
        )
        return Response(
            TradeDocumentSerializer(documents, many=True, context={"request": request}).data
        )


class DocumentDownloadView(APIView):
    # A signed-out client is told to authenticate (401) whether or not the document exists.
    permission_classes = [IsAuthenticated]

    def perform_content_negotiation(self, request, force=False):
        # The PDF bypasses the renderers; errors fall back to JSON whatever Accept says.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=TAGS,
        operation_id="documents_download",
        summary="Download a document's PDF (the order's buyer, seller, or staff)",
        parameters=[X_COMPANY_PARAMETER],
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The PDF, as an attachment named `<number>.pdf`.",
            ),
            401: OpenApiResponse(description="Not signed in (no or a bad token)."),
            404: NOT_FOUND,
            409: OpenApiResponse(
                DocumentNotReadySerializer,
                description="The document is still pending, or its generation failed.",
            ),
        },
    )
    def get(self, request: Request, document_id: int) -> Response | FileResponse:
        user = _user(request)
        document = selectors.document_get_for_download(
            user=user,
            company=get_active_company(request) if user else None,
            document_id=document_id,
        )
        if document.status != DocumentStatus.READY:
            return Response(
                {
                    "detail": f"The document is {document.status}, not ready for download.",
                    "code": "document_not_ready",
                    "status": document.status,
                },
                status=status.HTTP_409_CONFLICT,
            )
        return document_file_response(document)


class DocumentVerifyByCodeView(APIView):
    """Public: what an issued document is, by the code printed on it."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ClientScopedRateThrottle]
    throttle_scope = "document_verify"

    @extend_schema(
        tags=TAGS,
        operation_id="documents_verify_code",
        summary="Verify a document by its verification code (public)",
        auth=[],
        responses={
            200: DocumentVerificationSerializer,
            404: OpenApiResponse(description="No document has this code."),
        },
    )
    def get(self, request: Request, code: str) -> Response:
        document = selectors.document_get_by_code(code=code)
        return Response(DocumentVerificationSerializer.for_document(document))


class DocumentVerifyFileView(APIView):
    """Public: is this PDF exactly the one the platform issued? Compared by SHA-256."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    parser_classes = [MultiPartParser]
    throttle_classes = [ClientScopedRateThrottle]
    throttle_scope = "document_verify"

    @extend_schema(
        tags=TAGS,
        operation_id="documents_verify_file",
        summary="Check whether a PDF is a genuine copy of an issued document (public)",
        auth=[],
        request={"multipart/form-data": DocumentFileCheckSerializer},
        responses={
            200: DocumentFileCheckResultSerializer,
            400: OpenApiResponse(description='Field errors: `{"file": ["message"]}`.'),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = DocumentFileCheckSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = selectors.document_verify_file(file=serializer.validated_data["file"])
        if document is None:
            return Response({"genuine": False})
        return Response({"genuine": True, **DocumentVerificationSerializer.for_document(document)})
