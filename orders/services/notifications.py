"""Email both parties about each status change of an order, once per event, after commit."""

from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from marketplace.accounts.models import Membership
from marketplace.trade.money import Money
from orders.enums import OrderStatus
from orders.models import Order, OrderEvent
from orders.selectors import ORDER_ACTION_LABELS, order_actions_for


def _notify_on_commit(event: OrderEvent) -> None:
    from orders.tasks import order_event_notify_task

    notify = partial(order_event_notify_task.delay, event_id=event.pk)
    notify.__qualname__ = "order_event_notify_task.delay"  # type: ignore[attr-defined]  # logged
    # robust: the broker down must not turn a committed status change into an error (logged).
    transaction.on_commit(notify, robust=True)


def _order_url(order: Order) -> str:
    site = settings.SITE_URL.rstrip("/")
    try:
        return site + reverse("orders:detail", kwargs={"pk": order.pk})
    except NoReverseMatch:
        return site + "/"


def _member_emails(company_id: int) -> list[str]:
    return list(
        Membership.objects.filter(company_id=company_id, user__is_active=True)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


def order_event_notify(*, event_id: int) -> bool:
    """Email the members of both parties about one status change, once per event.

    Returns False when there is nothing to do (unknown event, or already sent).
    """
    with transaction.atomic(durable=True):
        event = (
            OrderEvent.objects.select_for_update(of=("self",))
            .select_related("order", "order__buyer", "order__seller", "actor")
            .filter(pk=event_id)
            .first()
        )
        if event is None or event.notified_at is not None:
            return False
        order = event.order
        context_base = {
            "order": order,
            "event": event,
            "status_label": OrderStatus(event.to_status).label,
            "total": Money.from_minor_units(order.total_minor, order.currency),
            "order_url": _order_url(order),
            "platform_name": settings.PLATFORM_NAME,
        }
        for party, company, other in (
            ("buyer", order.buyer, order.seller),
            ("seller", order.seller, order.buyer),
        ):
            recipients = _member_emails(company.pk)
            if not recipients:
                continue
            # What this party may do now (the order may have moved on since the event).
            actions = [
                ORDER_ACTION_LABELS[action]
                for action in order_actions_for(order=order, company=company)
            ]
            context = {
                **context_base,
                "party": party,
                "company": company,
                "other": other,
                "actions": actions,
            }
            subject = " ".join(
                render_to_string("emails/orders/order_event_subject.txt", context).split()
            )
            body = render_to_string("emails/orders/order_event.txt", context)
            send_mail(subject, body, None, recipients)
        event.notified_at = timezone.now()
        event.save(update_fields=["notified_at"])
    return True
