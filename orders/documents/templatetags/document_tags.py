"""``{% order_documents order %}``: the order's trade documents block on the order page.

The block polls itself (htmx, every 2 s) while a document is being prepared or one that
the order's progress calls for has not appeared yet, and stops once all are there.
"""

from datetime import timedelta
from typing import Any

from django import template
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from marketplace.accounts.models import Company, User
from marketplace.core.exceptions import NotFound
from orders.documents import selectors
from orders.documents.enums import KINDS_ON_CONFIRM, KINDS_ON_SHIP, DocumentKind, DocumentStatus
from orders.documents.models import TradeDocument
from orders.models import Order

register = template.Library()

# How long after confirmation or shipment the block keeps waiting for a document that has no
# row yet (the worker creates it); after that an absent document is simply absent.
AWAITING_WINDOW = timedelta(minutes=10)


def _awaited_kinds(order: Order) -> list[str]:
    """The kinds that the order's confirmation and shipment call for, recently enough to wait."""
    now = timezone.now()
    kinds: list[str] = []
    for moment, produced in (
        (order.confirmed_at, KINDS_ON_CONFIRM),
        (order.shipped_at, KINDS_ON_SHIP),
    ):
        if moment is not None and now - moment < AWAITING_WINDOW:
            kinds.extend(produced)
    return kinds


def order_documents_context(*, request: HttpRequest, order: Order) -> dict[str, Any]:
    """What ``documents/_order_documents.html`` shows for the requesting party or staff."""
    user = request.user if isinstance(request.user, User) else None
    company = getattr(request, "active_company", None)
    try:
        documents = list(
            selectors.document_list_for_order(
                company=company if isinstance(company, Company) else None,
                order_id=order.pk,
                user=user,
            )
        )
    except NotFound:
        documents = []
    # The latest state of each kind (a newer version being prepared shows beside the current).
    shown = [d for d in documents if d.is_current or d.status != DocumentStatus.READY]
    earlier = [d for d in documents if d.status == DocumentStatus.READY and not d.is_current]
    present = {d.kind for d in documents}
    awaiting = [DocumentKind(kind).label for kind in _awaited_kinds(order) if kind not in present]
    poll = bool(awaiting) or any(d.status == DocumentStatus.PENDING for d in documents)
    return {
        "order": order,
        "documents": shown,
        "earlier_documents": earlier,
        "awaiting": awaiting,
        "poll": poll,
        "poll_url": reverse("documents:order_documents", args=[order.pk]),
    }


@register.inclusion_tag("documents/_order_documents.html", takes_context=True)
def order_documents(context: template.Context, order: Order) -> dict[str, Any]:
    return order_documents_context(request=context["request"], order=order)


@register.filter
def document_standing(document: TradeDocument) -> str:
    return "current" if document.is_current else "superseded"
