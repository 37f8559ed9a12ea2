"""Django admin of conversations (imported by orders/admin.py).

Conversations are read-only: staff read the messages (hidden ones too), hide a message with
a reason (``orders.change_message``: support and moderators) and resolve the parties'
reports with a note (``orders.change_conversationreport``). Everything a user wrote is
escaped (``format_html``, template autoescaping)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import linebreaksbr
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from marketplace.accounts.staff import staff_may
from marketplace.core.exceptions import Conflict
from orders.conversations import services
from orders.conversations.models import (
    Conversation,
    ConversationReport,
    Message,
)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=services.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The parties see “Hidden by the platform: <reason>” instead of the message.",
        error_messages={"required": "Enter the reason: the parties are shown it."},
    )


class ResolveForm(forms.Form):
    note = forms.CharField(
        label="Resolution note",
        max_length=services.REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter what was done."},
    )


def _attachments_html(message: Message) -> str:
    files = list(message.attachments.all())
    if not files:
        return "—"
    return format_html_join(
        ", ",
        '<a href="{}">{}</a>',
        ((reverse("conversations:attachment", args=[f.pk]), f.original_name) for f in files),
    )


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    can_delete = False
    fields = readonly_fields = ("created_at", "kind", "author_company", "text", "files", "hide")
    ordering = ("pk",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        return (
            super()
            .get_queryset(request)
            .select_related("author_company", "hidden_by")
            .prefetch_related("attachments")
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="message")
    def text(self, obj: Message) -> str:
        # The template filter escapes the text, then marks only its own <br> tags safe.
        body = format_html("<div>{}</div>", linebreaksbr(obj.body, autoescape=True))
        if obj.hidden_at is None:
            return body
        return format_html(
            '{}<p class="help"><strong>Hidden</strong> by {} on {}: {}</p>',
            body,
            obj.hidden_by or "staff",
            obj.hidden_at.strftime("%d %b %Y %H:%M"),
            obj.hidden_reason,
        )

    @admin.display(description="files")
    def files(self, obj: Message) -> str:
        return _attachments_html(obj)

    @admin.display(description="hide")
    def hide(self, obj: Message) -> str:
        if obj.hidden_at is not None or obj.pk is None:
            return "—"
        url = reverse("admin:orders_conversation_hide", args=[obj.conversation_id, obj.pk])
        return format_html('<a class="button" href="{}">Hide…</a>', url)


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = [
        "subject",
        "topic",
        "buyer",
        "seller",
        "message_count",
        "last_message_at",
        "open_reports",
    ]
    list_filter = ["topic"]
    search_fields = [
        "subject",
        "buyer__legal_name",
        "buyer__trading_name",
        "seller__legal_name",
        "seller__trading_name",
    ]
    list_select_related = ["buyer", "seller"]
    ordering = ["-last_message_at", "-pk"]
    fields = readonly_fields = (
        "subject",
        "topic",
        "buyer",
        "seller",
        "listing",
        "rfq",
        "quote",
        "order",
        "dispute",
        "started_by",
        "created_at",
        "last_message_at",
        "message_count",
    )
    inlines = [MessageInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="open reports")
    def open_reports(self, obj: Conversation) -> int:
        return obj.reports.filter(resolved_at__isnull=True).count()

    def get_urls(self) -> list:
        return [
            path(
                "<int:conversation_id>/messages/<int:message_id>/hide/",
                self.admin_site.admin_view(self.hide_view),
                name="orders_conversation_hide",
            ),
            *super().get_urls(),
        ]

    def hide_view(
        self, request: HttpRequest, conversation_id: int, message_id: int
    ) -> HttpResponse:
        message = (
            Message.objects.select_related("conversation", "author_company")
            .filter(pk=message_id, conversation_id=conversation_id)
            .first()
        )
        if message is None:
            raise Http404("No such message.")
        if not staff_may(request.user, services.HIDE_PERMISSION):
            raise PermissionDenied
        form = ReasonForm(request.POST or None)
        status = 200
        refusal = ""
        if request.method == "POST":
            status = 400
            if form.is_valid():
                try:
                    services.message_hide(
                        message=message,
                        actor=request.user,  # type: ignore[arg-type]
                        reason=form.cleaned_data["reason"],
                    )
                except ValidationError as exc:
                    form.add_error("reason", exc.messages[0])
                except Conflict as exc:
                    status = 409
                    refusal = exc.message
                else:
                    self.message_user(request, "The message is hidden.", messages.SUCCESS)
                    return HttpResponseRedirect(
                        reverse("admin:orders_conversation_change", args=[conversation_id])
                    )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Hide a message",
            "conversation": message.conversation,
            "message": message,
            "form": form,
            "refusal": refusal,
        }
        return TemplateResponse(request, "conversations/admin/hide.html", context, status=status)


class OpenFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("open", "Open"), ("resolved", "Resolved")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(ConversationReport)
class ConversationReportAdmin(admin.ModelAdmin):
    list_display = ["conversation", "company", "created_at", "short_reason", "state", "resolve"]
    list_filter = [OpenFilter]
    list_select_related = ["conversation", "company"]
    search_fields = ["conversation__subject", "company__legal_name", "reason"]
    ordering = ["resolved_at", "-created_at"]
    fields = readonly_fields = (
        "conversation_link",
        "company",
        "reported_by",
        "created_at",
        "reason",
        "resolved_at",
        "resolved_by",
        "resolution_note",
        "resolve",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="reason")
    def short_reason(self, obj: ConversationReport) -> str:
        return obj.reason if len(obj.reason) <= 80 else obj.reason[:79] + "…"

    @admin.display(description="status")
    def state(self, obj: ConversationReport) -> str:
        return "resolved" if obj.resolved_at else "open"

    @admin.display(description="conversation")
    def conversation_link(self, obj: ConversationReport) -> str:
        url = reverse("admin:orders_conversation_change", args=[obj.conversation_id])
        return format_html('<a href="{}">{}</a>', url, obj.conversation.subject)

    @admin.display(description="resolve")
    def resolve(self, obj: ConversationReport) -> str:
        if obj.resolved_at is not None:
            return "—"
        url = reverse("admin:orders_conversationreport_resolve", args=[obj.pk])
        return format_html('<a class="button" href="{}">Resolve…</a>', url)

    def get_urls(self) -> list:
        return [
            path(
                "<int:report_id>/resolve/",
                self.admin_site.admin_view(self.resolve_view),
                name="orders_conversationreport_resolve",
            ),
            *super().get_urls(),
        ]

    def resolve_view(self, request: HttpRequest, report_id: int) -> HttpResponse:
        report = (
            ConversationReport.objects.select_related("conversation", "company")
            .filter(pk=report_id)
            .first()
        )
        if report is None:
            raise Http404("No such report.")
        if not staff_may(request.user, services.REPORT_RESOLVE_PERMISSION):
            raise PermissionDenied
        form = ResolveForm(request.POST or None)
        status = 200
        refusal = ""
        if request.method == "POST":
            status = 400
            if form.is_valid():
                try:
                    services.conversation_report_resolve(
                        report=report,
                        actor=request.user,  # type: ignore[arg-type]
                        note=form.cleaned_data["note"],
                    )
                except ValidationError as exc:
                    form.add_error("note", exc.messages[0])
                except Conflict as exc:
                    status = 409
                    refusal = exc.message
                else:
                    self.message_user(request, "The report is resolved.", messages.SUCCESS)
                    return HttpResponseRedirect(
                        reverse("admin:orders_conversationreport_changelist") + "?state=open"
                    )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Resolve a report",
            "report": report,
            "form": form,
            "refusal": refusal,
        }
        return TemplateResponse(request, "conversations/admin/resolve.html", context, status=status)
