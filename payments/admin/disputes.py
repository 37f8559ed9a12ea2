"""Disputes in the admin: the buyers' disputes (``orders.Dispute`` through the proxy
``DisputeCase``), read-only, and a page to resolve an open one by releasing the money to the
seller, refunding the buyer, or splitting it (``payments.disputes.dispute_resolve``).
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from marketplace.core.exceptions import Conflict, DomainError, InvalidTransition
from marketplace.trade.money import Money
from orders.conversations.selectors import conversation_for_dispute_get, message_list
from orders.enums import DisputeStatus
from payments.disputes import NOTE_MAX_LENGTH, dispute_resolve, dispute_split_amounts
from payments.ledger.selectors import order_escrow_held_minor
from payments.models import DisputeCase


def _money(amount_minor: int, currency: str) -> str:
    return str(Money.from_minor_units(amount_minor, currency))


class DisputeResolveForm(forms.Form):
    """The admin's decision; the refund amount is a decimal in the order's currency."""

    outcome = forms.ChoiceField(
        label="Resolution",
        choices=[
            (DisputeStatus.RELEASED, "Release the money to the seller"),
            (DisputeStatus.REFUNDED, "Refund the buyer in full"),
            (DisputeStatus.SPLIT, "Split: refund the buyer part of it, the seller gets the rest"),
        ],
        widget=forms.RadioSelect,
    )
    refund_amount = forms.DecimalField(
        label="Refund to the buyer",
        required=False,
        help_text="Only for a split: the amount that goes back to the buyer.",
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why: recorded on the order and in the ledger.",
    )

    def __init__(self, *args: Any, currency: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["refund_amount"].label = f"Refund to the buyer ({currency})"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        outcome = cleaned.get("outcome")
        amount: Decimal | None = cleaned.get("refund_amount")
        cleaned["buyer_refund_minor"] = None
        if outcome != DisputeStatus.SPLIT:
            if amount is not None:
                self.add_error("refund_amount", "Leave the amount empty unless you split.")
            return cleaned
        if amount is None:
            if "refund_amount" not in self.errors:
                self.add_error("refund_amount", "Enter how much goes back to the buyer.")
            return cleaned
        money = Money(amount, self.currency)
        try:
            cleaned["buyer_refund_minor"] = money.to_minor_units(strict=True)
        except ValueError:
            self.add_error(
                "refund_amount",
                f"{self.currency} has {money.exponent} decimals: enter at most that many.",
            )
        return cleaned


@admin.register(DisputeCase)
class DisputeCaseAdmin(admin.ModelAdmin):
    list_display = [
        "order_number",
        "status",
        "buyer",
        "seller",
        "order_total",
        "created_at",
        "resolve_link",
    ]
    list_filter = ["status"]
    search_fields = ["order__number", "order__buyer__legal_name", "order__seller__legal_name"]
    list_select_related = ["order", "order__buyer", "order__seller"]
    ordering = ["-created_at"]
    fields = readonly_fields = (
        "order",
        "status",
        "reason",
        "opened_by",
        "created_at",
        "resolution_note",
        "resolved_at",
        "resolved_by",
        "resolve_link",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[DisputeCase]:
        return super().get_queryset(request).select_related("order")

    @admin.display(description="order", ordering="order__number")
    def order_number(self, obj: DisputeCase) -> str:
        return obj.order.number

    @admin.display(description="buyer")
    def buyer(self, obj: DisputeCase) -> str:
        return str(obj.order.buyer)

    @admin.display(description="seller")
    def seller(self, obj: DisputeCase) -> str:
        return str(obj.order.seller)

    @admin.display(description="order total")
    def order_total(self, obj: DisputeCase) -> str:
        return _money(obj.order.total_minor, obj.order.currency)

    @admin.display(description="resolve")
    def resolve_link(self, obj: DisputeCase) -> str:
        if obj.status != DisputeStatus.OPEN:
            return "—"
        url = reverse("admin:payments_disputecase_resolve", args=[obj.pk])
        return format_html('<a class="button" href="{}">Resolve</a>', url)

    def get_urls(self) -> list:
        return [
            path(
                "<int:object_id>/resolve/",
                self.admin_site.admin_view(self.resolve_view),
                name="payments_disputecase_resolve",
            ),
            *super().get_urls(),
        ]

    def resolve_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        case = self.get_queryset(request).filter(pk=object_id).first()
        if case is None:
            raise Http404("No such dispute.")
        if not self.has_change_permission(request, case):
            raise PermissionDenied
        order = case.order
        held = order_escrow_held_minor(order=order)
        status = 200
        refusal = ""
        form = DisputeResolveForm(request.POST or None, currency=order.currency)
        if case.status != DisputeStatus.OPEN:
            status = 409
            refusal = f"This dispute is already resolved ({case.get_status_display().lower()})."
        elif request.method == "POST" and form.is_valid():
            try:
                resolution = dispute_resolve(
                    order=order,
                    actor=request.user,  # type: ignore[arg-type]  # admin_view: signed in
                    outcome=form.cleaned_data["outcome"],
                    buyer_refund_minor=form.cleaned_data["buyer_refund_minor"],
                    note=form.cleaned_data["note"],
                )
            except (InvalidTransition, Conflict) as exc:
                status = 409
                refusal = str(exc)
            except DomainError as exc:
                status = 400
                field = {"buyer_refund_minor": "refund_amount"}.get(exc.field or "", exc.field)
                form.add_error(field if field in form.fields else None, exc.message)
            else:
                split = resolution.split
                self.message_user(
                    request,
                    f"Dispute on {order.number} resolved: "
                    f"buyer {_money(split.buyer_refund_minor, order.currency)}, "
                    f"seller {_money(split.seller_share_minor, order.currency)}, "
                    f"platform fee {_money(split.platform_fee_minor, order.currency)}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:payments_disputecase_change", args=[case.pk])
                )
        elif request.method == "POST":
            status = 400
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Resolve the dispute on {order.number}",
            "case": case,
            "order": order,
            "form": form,
            "refusal": refusal,
            "held": _money(held, order.currency),
            "release_preview": self._preview(order, held),
            **self._conversation(case.pk),
        }
        return TemplateResponse(
            request, "admin/payments/disputecase/resolve.html", context, status=status
        )

    @staticmethod
    def _conversation(dispute_id: int) -> dict[str, Any]:
        """The parties' conversation of the dispute, read beside the resolution actions."""
        conversation = conversation_for_dispute_get(dispute_id=dispute_id)
        return {
            "dispute_conversation": conversation,
            "dispute_messages": list(message_list(conversation=conversation))
            if conversation is not None
            else [],
        }

    @staticmethod
    def _preview(order: Any, held: int) -> dict[str, str] | None:
        """What a release would pay (seller share and platform fee), shown beside the form."""
        try:
            split = dispute_split_amounts(
                order=order, held_minor=held, outcome=DisputeStatus.RELEASED
            )
        except DomainError:
            return None
        return {
            "seller": _money(split.seller_share_minor, order.currency),
            "fee": _money(split.platform_fee_minor, order.currency),
        }
