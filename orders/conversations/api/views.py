"""The conversations API: thin views over orders.conversations.services and selectors."""

from django.http import FileResponse, Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.accounts.api.company import (
    X_COMPANY_PARAMETER,
    HasActiveCompany,
    get_active_company,
    require_active_company,
)
from marketplace.accounts.models import Company
from marketplace.core.api.pagination import PageNumberPagination
from marketplace.core.exceptions import NotFound
from marketplace.core.storage import private_file_response
from orders.conversations import selectors, services
from orders.conversations.api.serializers import (
    ConversationCreateSerializer,
    ConversationListQuerySerializer,
    ConversationSerializer,
    MessageCreateMultipartSerializer,
    MessageCreateSerializer,
    MessageListQuerySerializer,
    MessageSerializer,
    ReportCreateSerializer,
    ReportSerializer,
)
from orders.conversations.models import Conversation

TAGS = ["conversations"]
ERRORS_400 = OpenApiResponse(description='Field errors: `{"field": ["message", ...]}`.')
ERRORS_403 = OpenApiResponse(
    description="Your email is not confirmed (`email_unconfirmed`), or your company may not "
    "write about this (not a buyer; not a verified seller)."
)
ERRORS_404 = OpenApiResponse(description="No such conversation (or object) among your company's.")


def _conversation(request: Request, pk: object) -> tuple[Company, Conversation]:
    company = require_active_company(request)
    return company, selectors.conversation_get_for_company(company=company, conversation_id=pk)


class ConversationListCreateView(APIView):
    permission_classes = [HasActiveCompany]
    pagination_class = PageNumberPagination  # documents the page envelope
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        summary="Your company's conversations",
        description="Newest message first, each with your company's unread count.",
        parameters=[X_COMPANY_PARAMETER, ConversationListQuerySerializer],
        responses={200: ConversationSerializer(many=True), 400: ERRORS_400},
    )
    def get(self, request: Request) -> Response:
        company = require_active_company(request)
        query = ConversationListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        conversations = selectors.conversation_list_for_company(
            company=company, topic=query.validated_data.get("topic")
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(conversations, request, view=self)
        return paginator.get_paginated_response(ConversationSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Start a conversation",
        description="About a supplier's published listing (as a buyer), an RFQ you may see "
        "(as a verified seller) or one of your orders, with the first message. There is one "
        "conversation per buyer and listing, per RFQ and seller, and per order: starting "
        "again adds the message to the existing one and answers **200** instead of 201.",
        parameters=[X_COMPANY_PARAMETER],
        request=ConversationCreateSerializer,
        responses={
            201: ConversationSerializer,
            200: OpenApiResponse(
                ConversationSerializer, description="It existed: the message was added."
            ),
            400: ERRORS_400,
            403: ERRORS_403,
            404: ERRORS_404,
        },
    )
    def post(self, request: Request) -> Response:
        company = require_active_company(request)
        serializer = ConversationCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        started = services.conversation_start(
            company=company,
            actor=request.user,  # type: ignore[arg-type]
            message=data["message"],
            listing_id=data.get("listing"),
            rfq_id=data.get("rfq"),
            order_id=data.get("order"),
        )
        conversation = selectors.conversation_get_for_company(
            company=company, conversation_id=started.conversation.pk
        )
        return Response(
            ConversationSerializer(conversation).data,
            status=status.HTTP_201_CREATED if started.created else status.HTTP_200_OK,
        )


class ConversationDetailView(APIView):
    permission_classes = [HasActiveCompany]

    @extend_schema(
        tags=TAGS,
        summary="A conversation",
        parameters=[X_COMPANY_PARAMETER],
        responses={200: ConversationSerializer, 404: ERRORS_404},
    )
    def get(self, request: Request, pk: int) -> Response:
        _, conversation = _conversation(request, pk)
        return Response(ConversationSerializer(conversation).data)


class MessageListCreateView(APIView):
    permission_classes = [HasActiveCompany]
    pagination_class = PageNumberPagination  # documents the page envelope
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        tags=TAGS,
        summary="Messages of a conversation",
        description="Oldest first (the newest last), paginated. Poll with `after` = the last "
        "id you have. Reading does not mark the conversation read: POST `read/` for that.",
        parameters=[X_COMPANY_PARAMETER, MessageListQuerySerializer],
        responses={200: MessageSerializer(many=True), 400: ERRORS_400, 404: ERRORS_404},
    )
    def get(self, request: Request, pk: int) -> Response:
        _, conversation = _conversation(request, pk)
        query = MessageListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        messages = selectors.message_list(
            conversation=conversation, after=query.validated_data.get("after")
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(messages, request, view=self)
        data = MessageSerializer(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        tags=TAGS,
        summary="Write a message",
        description="JSON with `body`, or multipart with `body` and up to 5 `attachments` "
        "(PDF, PNG, JPEG, WebP; 10 MB each, checked by content). Raises the other company's "
        "unread count.",
        parameters=[X_COMPANY_PARAMETER],
        request={
            "application/json": MessageCreateSerializer,
            "multipart/form-data": MessageCreateMultipartSerializer,
        },
        responses={201: MessageSerializer, 400: ERRORS_400, 403: ERRORS_403, 404: ERRORS_404},
    )
    def post(self, request: Request, pk: int) -> Response:
        company, conversation = _conversation(request, pk)
        raw = request.data.get("body", "") if hasattr(request.data, "get") else None
        serializer = MessageCreateSerializer(data={"body": raw})
        serializer.is_valid(raise_exception=True)
        files = request.FILES.getlist("attachments") if request.FILES else []
        message = services.conversation_message_post(
            conversation=conversation,
            company=company,
            actor=request.user,  # type: ignore[arg-type]
            body=serializer.validated_data["body"],
            attachments=files,
        )
        posted = selectors.message_list(conversation=conversation).get(pk=message.pk)
        return Response(
            MessageSerializer(posted, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class ConversationReadView(APIView):
    permission_classes = [HasActiveCompany]
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        summary="Mark a conversation read",
        description="Your company's unread count of it becomes 0.",
        parameters=[X_COMPANY_PARAMETER],
        request=None,
        responses={200: ConversationSerializer, 404: ERRORS_404},
    )
    def post(self, request: Request, pk: int) -> Response:
        company, conversation = _conversation(request, pk)
        services.conversation_read(conversation=conversation, company=company)
        _, fresh = _conversation(request, pk)
        return Response(ConversationSerializer(fresh).data)


class ConversationReportView(APIView):
    permission_classes = [HasActiveCompany]
    parser_classes = [JSONParser]

    @extend_schema(
        tags=TAGS,
        summary="Report a conversation to staff",
        parameters=[X_COMPANY_PARAMETER],
        request=ReportCreateSerializer,
        responses={201: ReportSerializer, 400: ERRORS_400, 403: ERRORS_403, 404: ERRORS_404},
    )
    def post(self, request: Request, pk: int) -> Response:
        company, conversation = _conversation(request, pk)
        serializer = ReportCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = services.conversation_report(
            conversation=conversation,
            company=company,
            actor=request.user,  # type: ignore[arg-type]
            reason=serializer.validated_data["reason"],
        )
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)


class AttachmentDownloadView(APIView):
    permission_classes = [HasActiveCompany]

    @extend_schema(
        tags=TAGS,
        summary="Download an attachment",
        parameters=[X_COMPANY_PARAMETER],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(description="The file."),
            404: ERRORS_404,
        },
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        try:
            attachment = selectors.attachment_get_for(
                attachment_id=pk,
                user=request.user,  # type: ignore[arg-type]
                company=get_active_company(request),
            )
        except NotFound:
            raise Http404 from None
        return private_file_response(
            attachment.file,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )
