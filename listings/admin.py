"""Moderation in Django admin: the queue, filters and search, approve / reject (with a reason,
also in bulk), tiers, photos and the moderation history inline. Every change goes through the
services; the admin only parses input and reports per listing."""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html

from listings import services
from listings.enums import ListingStatus
from listings.models import (
    Category,
    Listing,
    ListingImage,
    ModerationEvent,
    PendingListing,
    PriceTier,
)
from marketplace.accounts.enums import VerificationStatus
from marketplace.accounts.staff import staff_may
from marketplace.core.exceptions import Conflict, DomainError, InvalidTransition


class ListingRejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 5, "cols": 70}),
        help_text="The seller's owners and admins receive this reason by email.",
        error_messages={"required": "Give a reason for the rejection; the seller will see it."},
    )


class TopCategoryFilter(admin.SimpleListFilter):
    title = "category"
    parameter_name = "top_category"

    def lookups(self, request, model_admin):
        return [
            (str(c.pk), c.name)
            for c in Category.objects.filter(parent__isnull=True).order_by("position", "name")
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(
                Q(category__parent_id=self.value()) | Q(category_id=self.value())
            )
        return queryset


class SellerVerifiedFilter(admin.SimpleListFilter):
    title = "seller verified"
    parameter_name = "seller_verified"

    def lookups(self, request, model_admin):
        return [("yes", "Verified"), ("no", "Not verified")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(seller__verification_status=VerificationStatus.VERIFIED)
        if self.value() == "no":
            return queryset.exclude(seller__verification_status=VerificationStatus.VERIFIED)
        return queryset


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class PriceTierInline(ReadOnlyInline):
    model = PriceTier
    fields = ("min_quantity", "unit_price")
    readonly_fields = fields


class ListingImageInline(ReadOnlyInline):
    model = ListingImage
    fields = (
        "preview",
        "status",
        "failure_reason",
        "alt_text",
        "width",
        "height",
        "content_type",
        "size_bytes",
        "position",
    )
    readonly_fields = fields

    class Media:
        css = {"all": ["css/admin.css"]}  # the preview's size: the CSP allows no inline style

    @admin.display(description="Preview")
    def preview(self, image: ListingImage) -> str:
        file = image.card or image.original
        if not file:
            return "—"
        return format_html(
            '<a href="{}"><img src="{}" alt="{}" class="admin-image-preview"></a>',
            (image.detail or image.original).url,
            file.url,
            image.alt_text,
        )


class ModerationEventInline(ReadOnlyInline):
    model = ModerationEvent
    fields = ("created_at", "actor", "from_status", "to_status", "note", "notified_at")
    readonly_fields = fields
    ordering = ("created_at", "id")
    verbose_name = "moderation event"
    verbose_name_plural = "moderation history"


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "seller",
        "seller_verified",
        "status",
        "category",
        "origin_country",
        "created_at",
    )
    list_filter = ("status", TopCategoryFilter, "origin_country", SellerVerifiedFilter)
    search_fields = ("title", "seller__legal_name", "seller__trading_name", "hs_code__code")
    list_select_related = ("seller", "category", "category__parent")
    date_hierarchy = "created_at"
    actions = ("approve_selected", "reject_selected")
    inlines = (PriceTierInline, ListingImageInline, ModerationEventInline)
    readonly_fields = (
        "seller",
        "title",
        "description",
        "category",
        "hs_code",
        "origin_country",
        "ship_from",
        "unit",
        "moq",
        "stock",
        "lead_time_days",
        "incoterms",
        "unit_net_weight_kg",
        "units_per_carton",
        "carton_gross_weight_kg",
        "carton_length_cm",
        "carton_width_cm",
        "carton_height_cm",
        "currency",
        "price_max",
        "price_min",
        "price_min_usd",
        "status",
        "rejection_reason",
        "published_at",
        "created_at",
        "updated_at",
    )
    exclude = ("search_vector",)

    # Listings change only through the services (sellers edit, moderators decide).
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Listing | None = None) -> bool:
        return False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return staff_may(
            request.user, "listings.moderate_listing"
        ) and super().has_module_permission(request)

    @admin.display(description="Seller verified", boolean=True)
    def seller_verified(self, listing: Listing) -> bool:
        return listing.seller.is_verified

    def _apply(
        self,
        request: HttpRequest,
        queryset: QuerySet[Listing],
        service: Callable[[Listing], Listing],
        done: str,
    ) -> None:
        succeeded = 0
        for listing in queryset.select_related("seller").order_by("pk"):
            try:
                service(listing)
            except InvalidTransition as exc:
                self.message_user(
                    request,
                    f"“{listing}”: not {done}, because it is {exc.current.replace('_', ' ')}; "
                    "only listings pending review can be approved or rejected.",
                    messages.ERROR,
                )
            except Conflict as exc:
                self.message_user(
                    request, f"“{listing}”: not {done}. {exc.message}", messages.ERROR
                )
            except (DomainError, PermissionDenied, ValidationError) as exc:
                self.message_user(request, f"“{listing}”: not {done}. {exc}", messages.ERROR)
            else:
                succeeded += 1
        if succeeded:
            noun = "listing" if succeeded == 1 else "listings"
            self.message_user(request, f"{succeeded} {noun} {done}.", messages.SUCCESS)

    @admin.action(description="Approve selected listings", permissions=["change"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Listing]) -> None:
        self._apply(
            request,
            queryset,
            lambda listing: services.listing_approve(listing=listing, actor=request.user),  # type: ignore[arg-type]
            "approved",
        )

    @admin.action(description="Reject selected listings…", permissions=["change"])
    def reject_selected(
        self, request: HttpRequest, queryset: QuerySet[Listing]
    ) -> HttpResponse | None:
        form = ListingRejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            self._apply(
                request,
                queryset,
                lambda listing: services.listing_reject(
                    listing=listing,
                    actor=request.user,  # type: ignore[arg-type]
                    reason=reason,
                ),
                "rejected",
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject listings",
            "opts": self.model._meta,
            "listings": queryset.select_related("seller").order_by("pk"),
            "form": form,
            "action_name": "reject_selected",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "listings/admin/listing_reject.html", context)


@admin.register(PendingListing)
class PendingListingAdmin(ListingAdmin):
    """The moderation queue: only listings pending review, oldest first."""

    ordering = ("updated_at", "id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Listing]:
        return super().get_queryset(request).filter(status=ListingStatus.PENDING_REVIEW)

    def get_list_filter(self, request: HttpRequest):
        return [f for f in super().get_list_filter(request) if f != "status"]
