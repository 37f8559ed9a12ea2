"""Reconciliation in the admin: runs and their mismatches, read-only but for "resolved".

Mismatches are facts found by ``payments.reconciliation.reconcile``; an admin looks into each
and marks it resolved (the action), nothing else is edited here.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from payments.models import ReconciliationMismatch, ReconciliationRun
from payments.reconciliation import reconciliation_mark_resolved


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(admin.ModelAdmin):
    list_display = ["id", "started_at", "finished_at", "checked", "mismatches_link", "has_error"]
    list_display_links = ["id", "started_at"]
    date_hierarchy = "started_at"
    fields = readonly_fields = (
        "started_at",
        "finished_at",
        "checked",
        "mismatches_link",
        "error",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="mismatches", ordering="mismatches")
    def mismatches_link(self, obj: ReconciliationRun) -> str:
        url = reverse("admin:payments_reconciliationmismatch_changelist")
        return format_html('<a href="{}?run__id__exact={}">{}</a>', url, obj.pk, obj.mismatches)

    @admin.display(description="error", boolean=True)
    def has_error(self, obj: ReconciliationRun) -> bool:
        return bool(obj.error)


@admin.register(ReconciliationMismatch)
class ReconciliationMismatchAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "order", "reference", "expected", "actual", "resolved", "run"]
    list_filter = ["kind", "resolved", "run"]
    search_fields = ["reference", "order__number"]
    list_select_related = ["order", "run"]
    actions = ["mark_resolved"]
    fields = readonly_fields = (
        "run",
        "kind",
        "order",
        "reference",
        "expected",
        "actual",
        "detail",
        "resolved",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    # Change permission stays: it lets staff run the action; every field is read-only.

    @admin.action(description="Mark the selected mismatches resolved", permissions=["change"])
    def mark_resolved(
        self, request: HttpRequest, queryset: QuerySet[ReconciliationMismatch]
    ) -> None:
        changed = reconciliation_mark_resolved(mismatch_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request, f"{changed} mismatch(es) marked resolved.", level=messages.SUCCESS
        )
