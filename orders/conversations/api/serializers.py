"""Conversation JSON. Input serializers check the shape; the services decide the rest."""

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.core.ids import IdSerializerField
from orders.api.serializers import CompanyRefSerializer
from orders.conversations.models import ConversationTopic, MessageKind
from orders.conversations.services import (
    ATTACHMENTS_MAX,
    MESSAGE_MAX_LENGTH,
    REASON_MAX_LENGTH,
)

HIDDEN_PREFIX = "Hidden by the platform: "


def company_ref(company: Any) -> dict[str, Any]:
    """``CompanyRefSerializer``'s shape, built directly: a page of 100 messages or
    conversations would otherwise make hundreds of nested serializers."""
    return {"id": company.pk, "name": company.display_name, "country": str(company.country)}


class CompaniesSerializer(serializers.Serializer):
    buyer = CompanyRefSerializer(read_only=True)
    seller = CompanyRefSerializer(read_only=True)


class ConversationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    subject = serializers.CharField(read_only=True)
    topic = serializers.ChoiceField(choices=ConversationTopic.choices, read_only=True)
    companies = serializers.SerializerMethodField()
    listing = serializers.IntegerField(source="listing_id", read_only=True, allow_null=True)
    rfq = serializers.IntegerField(source="rfq_id", read_only=True, allow_null=True)
    quote = serializers.IntegerField(source="quote_id", read_only=True, allow_null=True)
    order = serializers.IntegerField(source="order_id", read_only=True, allow_null=True)
    dispute = serializers.IntegerField(source="dispute_id", read_only=True, allow_null=True)
    message_count = serializers.IntegerField(read_only=True)
    last_message_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created = serializers.DateTimeField(source="created_at", read_only=True)
    unread = serializers.IntegerField(
        read_only=True, help_text="Messages your company has not read yet."
    )

    @extend_schema_field(CompaniesSerializer)
    def get_companies(self, obj: Any) -> dict[str, Any]:
        return {"buyer": company_ref(obj.buyer), "seller": company_ref(obj.seller)}


class ConversationCreateSerializer(serializers.Serializer):
    """Exactly one of ``listing``, ``rfq`` or ``order``."""

    listing = IdSerializerField(required=False, help_text="A published listing of a supplier.")
    rfq = IdSerializerField(required=False, help_text="An RFQ your (selling) company may see.")
    order = IdSerializerField(required=False, help_text="An order of your company.")
    message = serializers.CharField(
        max_length=MESSAGE_MAX_LENGTH, help_text="The first message (required)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [name for name in ("listing", "rfq", "order") if attrs.get(name) is not None]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"non_field_errors": ["Name exactly one of listing, rfq or order."]}
            )
        return attrs


class ConversationListQuerySerializer(serializers.Serializer):
    topic = serializers.ChoiceField(
        choices=ConversationTopic.choices, required=False, help_text="Only this topic."
    )


def attachment_url(pk: int, request: Any) -> str:
    path = reverse("api-conversation-attachment", kwargs={"pk": pk})
    return request.build_absolute_uri(path) if request is not None else path


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="original_name", read_only=True)
    content_type = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True, help_text="Bytes.")
    url = serializers.SerializerMethodField(help_text="Download (parties and staff only).")

    def get_url(self, obj: Any) -> str:
        return attachment_url(obj.pk, self.context.get("request"))


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=MessageKind.choices, read_only=True)
    body = serializers.SerializerMethodField(
        help_text="A message hidden by staff reads “Hidden by the platform: <reason>”."
    )
    author_company = serializers.SerializerMethodField(
        help_text="The writing company; null for the platform's event lines."
    )
    created = serializers.DateTimeField(source="created_at", read_only=True)
    attachments = serializers.SerializerMethodField()
    hidden = serializers.SerializerMethodField()

    def get_body(self, obj: Any) -> str:
        if obj.hidden_at is not None:
            return HIDDEN_PREFIX + obj.hidden_reason
        return obj.body

    @extend_schema_field(CompanyRefSerializer(allow_null=True))
    def get_author_company(self, obj: Any) -> dict[str, Any] | None:
        if obj.author_company is None:
            return None
        return company_ref(obj.author_company)

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, obj: Any) -> Any:
        if obj.hidden_at is not None:
            return []
        request = self.context.get("request")
        return [
            {
                "id": attachment.pk,
                "name": attachment.original_name,
                "content_type": attachment.content_type,
                "size": attachment.size,
                "url": attachment_url(attachment.pk, request),
            }
            for attachment in obj.attachments.all()
        ]

    def get_hidden(self, obj: Any) -> bool:
        return obj.hidden_at is not None


class MessageListQuerySerializer(serializers.Serializer):
    after = IdSerializerField(
        required=False, help_text="Only messages with a greater id (polling for new ones)."
    )


class MessageCreateSerializer(serializers.Serializer):
    body = serializers.CharField(
        max_length=MESSAGE_MAX_LENGTH,
        allow_blank=True,
        required=False,
        default="",
        help_text="Required unless files are attached.",
    )


class MessageCreateMultipartSerializer(MessageCreateSerializer):
    attachments = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        max_length=ATTACHMENTS_MAX,
        help_text=f"Up to {ATTACHMENTS_MAX} PDF, PNG, JPEG or WebP files of at most 10 MB.",
    )


class ReportCreateSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH)


class ReportSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    reason = serializers.CharField(read_only=True)
    created = serializers.DateTimeField(source="created_at", read_only=True)
