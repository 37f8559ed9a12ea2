"""Django admin of rfqs (imported by orders/admin.py): read-only, with one action that
cancels abusive RFQs through the service (a reason is required and kept in the event)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from marketplace.core.exceptions import InvalidTransition
from orders.rfqs import services
from orders.rfqs.models import RFQ, RFQAttachment, RFQEvent, RFQInvitation


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class RFQEventInline(_ReadOnlyInline):
    model = RFQEvent
    fields = ("created_at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields


class RFQAttachmentInline(_ReadOnlyInline):
    model = RFQAttachment
    fields = ("original_name", "content_type", "size", "uploaded_by", "created_at")
    readonly_fields = fields


class RFQInvitationInline(_ReadOnlyInline):
    model = RFQInvitation
    fields = ("seller", "notified_at")
    readonly_fields = fields


class CancelReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=services.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in each RFQ's history, e.g. “Spam: not a real purchase request”.",
    )


@admin.register(RFQ)
class RFQAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "buyer", "category", "status", "visibility", "closes_at"]
    list_filter = ["status", "visibility", "category"]
    search_fields = ["title", "buyer__legal_name", "buyer__trading_name", "hs_code"]
    list_select_related = ["buyer", "category", "category__parent"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    inlines = [RFQInvitationInline, RFQAttachmentInline, RFQEventInline]
    actions = ["cancel_abusive"]

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> list[str]:
        return [f.name for f in RFQ._meta.concrete_fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(
        description="Cancel the selected RFQs as abusive (with a reason)", permissions=["change"]
    )
    def cancel_abusive(self, request: HttpRequest, queryset: QuerySet[RFQ]) -> HttpResponse | None:
        form = CancelReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done = 0
            for rfq in queryset.order_by("pk"):
                try:
                    services.rfq_cancel_by_staff(
                        rfq=rfq,
                        actor=request.user,  # type: ignore[arg-type]
                        reason=form.cleaned_data["reason"],
                    )
                    done += 1
                except (InvalidTransition, ValidationError, PermissionDenied) as exc:
                    self.message_user(
                        request, f"RFQ {rfq.pk} was not cancelled: {exc}", messages.WARNING
                    )
            self.message_user(request, f"{done} RFQ(s) cancelled.", messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "rfqs/admin_cancel.html",
            {
                **self.admin_site.each_context(request),
                "title": "Cancel RFQs as abusive",
                "rfqs": list(queryset),
                "form": form,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
            },
        )
