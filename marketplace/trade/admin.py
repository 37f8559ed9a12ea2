from django.contrib import admin, messages
from django.utils.html import format_html

from marketplace.trade.models import CustomsRegime, DutyRate, FxRate, HSCode, ImportTax


@admin.register(HSCode)
class HSCodeAdmin(admin.ModelAdmin):
    """The HS table is imported (import_hs_codes), so the admin only reads it."""

    list_display = ["code", "level", "section", "description"]
    list_filter = ["level", "section"]
    search_fields = ["code", "description"]
    ordering = ["code"]
    list_per_page = 100
    readonly_fields = [
        "code",
        "description",
        "level",
        "parent",
        "section",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FxRate)
class FxRateAdmin(admin.ModelAdmin):
    list_display = ["base", "quote", "rate", "as_of", "source", "updated_at"]
    list_filter = ["base", "quote", "as_of", "source"]
    search_fields = ["base", "quote", "source"]
    date_hierarchy = "as_of"
    ordering = ["base", "quote", "-as_of"]
    readonly_fields = ["created_at", "updated_at"]


# Landed-cost rates. Sample rows (seeded, not yet checked against the tariff) carry a marker
# in the list and a warning on the change form until an operator clears "sample".

SAMPLE_WARNING = "Sample rate — check before use"


class SampleMarkedAdmin(admin.ModelAdmin):
    readonly_fields = ["created_at", "updated_at"]

    class Media:
        css = {"all": ["css/admin.css"]}  # the warning's colour: the CSP allows no inline style

    actions = ["mark_checked"]

    @admin.display(description="Checked?", ordering="is_sample")
    def sample_marker(self, obj) -> str:
        if obj.is_sample:
            return format_html('<strong class="admin-sample-warning">⚠ {}</strong>', SAMPLE_WARNING)
        return "Checked"

    @admin.action(description="Mark the selected rows as checked (no longer samples)")
    def mark_checked(self, request, queryset) -> None:
        count = queryset.filter(is_sample=True).update(is_sample=False)
        self.message_user(request, f"{count} row(s) marked as checked.", messages.SUCCESS)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if request.method == "GET" and obj is not None and obj.is_sample:
            self.message_user(
                request,
                f"{SAMPLE_WARNING}: this is a seeded sample value ({obj.source}). Check it "
                "against the tariff in force, then untick “sample”.",
                messages.WARNING,
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(DutyRate)
class DutyRateAdmin(SampleMarkedAdmin):
    list_display = [
        "destination",
        "hs_prefix",
        "rate",
        "valid_from",
        "sample_marker",
        "source",
    ]
    list_filter = [("destination", admin.AllValuesFieldListFilter), "is_sample", "valid_from"]
    search_fields = ["destination", "hs_prefix", "source"]
    ordering = ["destination", "hs_prefix", "-valid_from"]
    date_hierarchy = "valid_from"
    list_per_page = 100


@admin.register(ImportTax)
class ImportTaxAdmin(SampleMarkedAdmin):
    list_display = [
        "destination",
        "name",
        "rate",
        "duty_in_base",
        "valid_from",
        "sample_marker",
        "source",
    ]
    list_filter = [("destination", admin.AllValuesFieldListFilter), "is_sample", "duty_in_base"]
    search_fields = ["destination", "name", "source"]
    ordering = ["destination", "-valid_from"]


@admin.register(CustomsRegime)
class CustomsRegimeAdmin(SampleMarkedAdmin):
    list_display = [
        "destination",
        "customs_value_basis",
        "duty_de_minimis",
        "tax_de_minimis",
        "de_minimis_currency",
        "valid_from",
        "sample_marker",
        "source",
    ]
    list_filter = [
        ("destination", admin.AllValuesFieldListFilter),
        "customs_value_basis",
        "is_sample",
    ]
    search_fields = ["destination", "source"]
    ordering = ["destination", "-valid_from"]
