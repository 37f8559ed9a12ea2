from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from orders.documents.enums import DocumentKind, DocumentStatus
from orders.documents.forms import VERIFY_MAX_BYTES
from orders.documents.models import TradeDocument

KIND_CHOICES = DocumentKind.choices
STATUS_CHOICES = DocumentStatus.choices
STANDING_CHOICES = [("current", "Current"), ("superseded", "Superseded")]


def document_standing(document: TradeDocument) -> str:
    """Whether a document is the order's current version of its kind or a superseded one."""
    return "current" if document.is_current else "superseded"


class TradeDocumentSerializer(serializers.ModelSerializer):
    message = serializers.SerializerMethodField(
        help_text="Why generation failed (failed documents only; null otherwise)."
    )
    download_url = serializers.SerializerMethodField(
        help_text="Where the PDF downloads from (ready documents only; null otherwise)."
    )

    class Meta:
        model = TradeDocument
        fields = [
            "id",
            "kind",
            "number",
            "version",
            "status",
            "sha256",
            "verification_code",
            "issued_at",
            "is_current",
            "message",
            "download_url",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_message(self, document: TradeDocument) -> str | None:
        return document.message if document.status == DocumentStatus.FAILED else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, document: TradeDocument) -> str | None:
        if document.status != DocumentStatus.READY:
            return None
        path = reverse("documents-api:download", args=[document.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class IssuerSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The seller's legal name.")
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 code of the seller's country.")


def issuer_data(document: TradeDocument) -> dict[str, str]:
    seller = document.order.seller
    return {"name": seller.legal_name, "country": str(seller.country)}


class DocumentVerificationSerializer(serializers.Serializer):
    """What the public may learn about an issued document: what it is, who issued it, when,
    its hash, and whether it is still the current version. Nothing else about the order."""

    kind = serializers.ChoiceField(choices=KIND_CHOICES)
    number = serializers.CharField()
    version = serializers.IntegerField()
    issued_at = serializers.DateTimeField()
    issuer = IssuerSerializer()
    sha256 = serializers.CharField()
    status = serializers.ChoiceField(choices=STANDING_CHOICES)

    @classmethod
    def for_document(cls, document: TradeDocument) -> dict:
        return cls(
            {
                "kind": document.kind,
                "number": document.number,
                "version": document.version,
                "issued_at": document.issued_at,
                "issuer": issuer_data(document),
                "sha256": document.sha256,
                "status": document_standing(document),
            }
        ).data


class DocumentFileCheckSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=False,
        help_text="The PDF to check, exactly as received (at most 20 MB).",
    )

    def validate_file(self, file: UploadedFile) -> UploadedFile:
        if (file.size or 0) > VERIFY_MAX_BYTES:
            raise serializers.ValidationError("The file is larger than 20 MB.")
        return file


class DocumentFileCheckResultSerializer(serializers.Serializer):
    """``{"genuine": false}`` alone when the file is not a copy of an issued document."""

    genuine = serializers.BooleanField()
    kind = serializers.ChoiceField(choices=KIND_CHOICES, required=False)
    number = serializers.CharField(required=False)
    version = serializers.IntegerField(required=False)
    issued_at = serializers.DateTimeField(required=False)
    issuer = IssuerSerializer(required=False)
    sha256 = serializers.CharField(required=False)
    status = serializers.ChoiceField(choices=STANDING_CHOICES, required=False)


class DocumentNotReadySerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    status = serializers.ChoiceField(choices=STATUS_CHOICES)
