"""Trade documents in the admin: read-only rows (a document is issued by the service, never
edited by hand), filters by kind, status and current version, failed ones with their
message, and a Regenerate action that issues a new version from the order as it is now."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from orders.documents import services
from orders.documents.enums import DocumentStatus
from orders.documents.models import DocumentSequence, TradeDocument


@admin.register(TradeDocument)
class TradeDocumentAdmin(admin.ModelAdmin):
    list_display = (
        "number_or_status",
        "order",
        "kind",
        "version",
        "status",
        "is_current",
        "issued_at",
        "message_short",
    )
    list_filter = ("kind", "status", "is_current", ("issued_at", admin.DateFieldListFilter))
    search_fields = ("number", "order__number", "verification_code", "sha256")
    list_select_related = ("order",)
    ordering = ("-created_at", "-id")
    actions = ("regenerate",)
    fields = (
        "order",
        "kind",
        "number",
        "version",
        "status",
        "message",
        "download",
        "sha256",
        "verification_code",
        "issued_at",
        "is_current",
        "source_fingerprint",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="number", ordering="number")
    def number_or_status(self, obj: TradeDocument) -> str:
        return obj.number or f"({obj.get_status_display().lower()})"

    @admin.display(description="message")
    def message_short(self, obj: TradeDocument) -> str:
        return obj.message[:120]

    @admin.display(description="PDF")
    def download(self, obj: TradeDocument) -> str:
        if obj.status != DocumentStatus.READY or not obj.file:
            return "—"
        # The access-checked download (the file has no public URL).
        return format_html(
            '<a href="{}">{}</a>', reverse("documents:download", args=[obj.pk]), obj.number
        )

    @admin.action(description="Regenerate (new version from the order as it is now)")
    def regenerate(self, request: HttpRequest, queryset: QuerySet[TradeDocument]) -> None:
        done: list[str] = []
        seen: set[tuple[int, str]] = set()
        for document in queryset.select_related("order").order_by("order_id", "kind", "-version"):
            if (document.order_id, document.kind) in seen:
                continue  # one new version per order and kind, however many were selected
            seen.add((document.order_id, document.kind))
            result = services.trade_document_regenerate(document=document)
            if result.status == DocumentStatus.READY:
                done.append(f"{result.number} (v{result.version})")
            else:
                self.message_user(
                    request,
                    f"{document.order.number} {document.get_kind_display()}: {result.message}",
                    messages.ERROR,
                )
        if done:
            self.message_user(request, "Regenerated: " + ", ".join(done), messages.SUCCESS)


@admin.register(DocumentSequence)
class DocumentSequenceAdmin(admin.ModelAdmin):
    list_display = ("seller", "kind", "year", "last_number")
    list_filter = ("kind", "year")
    search_fields = ("seller__legal_name", "seller__slug")
    readonly_fields = ("seller", "kind", "year", "last_number")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
