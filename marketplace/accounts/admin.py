from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from marketplace.accounts import services
from marketplace.accounts.forms import AdminUserPasswordForm
from marketplace.accounts.models import (
    Company,
    CompanyDocument,
    CompanyVerificationEvent,
    Membership,
    SecurityEvent,
    User,
)
from marketplace.accounts.staff import staff_may
from marketplace.core.exceptions import DomainError, InvalidTransition


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email", "full_name")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email address already exists.")
        return email


class UserChangeAdminForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class MembershipOfUserInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    fields = ("company", "role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("company",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    # Setting a password here revokes the user's API tokens (user_password_set).
    change_password_form = AdminUserPasswordForm
    ordering = ("email",)
    list_display = ("email", "full_name", "is_active", "is_staff", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "full_name")
    readonly_fields = ("last_login", "date_joined")
    inlines = (MembershipOfUserInline,)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name",)}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )

    def get_inlines(self, request, obj):
        # Memberships are added once the user exists.
        return self.inlines if obj is not None else ()


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("user",)


class CompanyDocumentInline(admin.TabularInline):
    model = CompanyDocument
    extra = 0
    can_delete = False
    fields = ("kind", "download", "content_type", "size", "uploaded_by", "created_at")
    readonly_fields = fields

    @admin.display(description="File")
    def download(self, document: CompanyDocument) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("accounts:company_document", args=[document.pk]),
            document.original_name,
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class CompanyVerificationEventInline(admin.TabularInline):
    model = CompanyVerificationEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "actor", "from_status", "to_status", "note", "notified_at")
    readonly_fields = fields
    ordering = ("-created_at", "-id")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class CompanyRejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 5, "cols": 70}),
        help_text="The company's owners and admins receive this reason by email.",
        error_messages={"required": "Give a reason for the rejection; the company will see it."},
    )


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = (
        "legal_name",
        "trading_name",
        "country",
        "sells",
        "buys",
        "verification_status",
        "created_at",
    )
    list_filter = ("verification_status", "country", "sells", "buys")
    search_fields = (
        "legal_name",
        "trading_name",
        "registration_number",
        "vat_number",
        "memberships__user__email",
    )
    readonly_fields = (
        "slug",
        "verification_status",
        "rejection_reason",
        "verified_at",
        "created_at",
        "updated_at",
    )
    inlines = (MembershipInline, CompanyDocumentInline, CompanyVerificationEventInline)
    actions = ("verify_selected", "reject_selected")
    date_hierarchy = "created_at"

    def _apply(
        self,
        request: HttpRequest,
        queryset: QuerySet[Company],
        service: Callable[[Company], Company],
        done: str,
    ) -> None:
        succeeded = 0
        for company in queryset.order_by("pk"):
            try:
                service(company)
            except InvalidTransition as exc:
                self.message_user(
                    request,
                    f"{company}: not {done}, because it is {exc.current}; only companies "
                    "pending review can be verified or rejected.",
                    messages.ERROR,
                )
            except (DomainError, PermissionDenied) as exc:
                self.message_user(request, f"{company}: not {done}. {exc}", messages.ERROR)
            else:
                succeeded += 1
        if succeeded:
            noun = "company" if succeeded == 1 else "companies"
            self.message_user(request, f"{succeeded} {noun} {done}.", messages.SUCCESS)

    def has_verify_permission(self, request: HttpRequest) -> bool:
        return staff_may(request.user, "accounts.verify_company")

    @admin.action(description="Verify selected companies", permissions=["verify"])
    def verify_selected(self, request: HttpRequest, queryset: QuerySet[Company]) -> None:
        self._apply(
            request,
            queryset,
            lambda company: services.company_verify(company=company, actor=request.user),  # type: ignore[arg-type]
            "verified",
        )

    @admin.action(description="Reject selected companies", permissions=["verify"])
    def reject_selected(
        self, request: HttpRequest, queryset: QuerySet[Company]
    ) -> HttpResponse | None:
        form = CompanyRejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            self._apply(
                request,
                queryset,
                lambda company: services.company_reject(
                    company=company,
                    actor=request.user,  # type: ignore[arg-type]
                    reason=reason,
                ),
                "rejected",
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject companies",
            "opts": self.model._meta,
            "companies": queryset.order_by("pk"),
            "form": form,
            "action_name": "reject_selected",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "accounts/admin/company_reject.html", context)


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Read-only: staff with ``accounts.view_securityevent`` read; nobody writes."""

    list_display = ("created_at", "kind", "email", "ip", "company", "object_ref")
    list_filter = ("kind", ("created_at", admin.DateFieldListFilter))
    search_fields = ("email", "ip")
    search_help_text = "Search by email or IP address."
    date_hierarchy = "created_at"
    list_select_related = ("company",)
    fields = (
        "created_at",
        "kind",
        "user",
        "email",
        "company",
        "ip",
        "user_agent",
        "object_ref",
        "details",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SecurityEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SecurityEvent | None = None) -> bool:
        return False
