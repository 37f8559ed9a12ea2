from django.contrib import admin

from marketplace.trade.models import FxRate, HSCode


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
