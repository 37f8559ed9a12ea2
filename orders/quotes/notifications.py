"""Email the other party about a quote's status change, once per event, after commit.

A version sent (first or revised) and a withdrawal go to the buyer's members; a decline, an
acceptance and an expiry to the seller's. The revised (old) version's event is not mailed:
the new version's event says it."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from marketplace.trade.money import Money
from orders.quotes.models import QuoteEvent, QuoteStatus
from orders.services.notifications import _member_emails

_TO_BUYER = frozenset({QuoteStatus.SUBMITTED, QuoteStatus.WITHDRAWN})


def _quote_url(quote_id: int) -> str:
    site = settings.SITE_URL.rstrip("/")
    try:
        return site + reverse("quotes:detail", kwargs={"pk": quote_id})
    except NoReverseMatch:
        return site + "/"


def quote_event_notify(*, event_id: int) -> bool:
    """Returns False when there is nothing to do (unknown event, or already sent)."""
    with transaction.atomic(durable=True):
        event = (
            QuoteEvent.objects.select_for_update(of=("self",))
            .select_related("quote", "quote__buyer", "quote__seller", "quote__rfq")
            .filter(pk=event_id)
            .first()
        )
        if event is None or event.notified_at is not None:
            return False
        quote = event.quote
        to_buyer = event.to_status in _TO_BUYER
        company, other = (quote.buyer, quote.seller) if to_buyer else (quote.seller, quote.buyer)
        recipients = _member_emails(company.pk)
        landed = quote.landed_cost.get("landed_total") or quote.landed_cost.get("total_for_buyer")
        context = {
            "quote": quote,
            "event": event,
            "company": company,
            "other": other,
            "status_label": QuoteStatus(event.to_status).label,
            "goods": Money.from_minor_units(quote.goods_minor, quote.currency),
            "landed": Money(landed["amount"], landed["currency"]) if landed else None,
            "quote_url": _quote_url(quote.pk),
            "platform_name": settings.PLATFORM_NAME,
        }
        if recipients:
            subject = " ".join(
                render_to_string("emails/quotes/quote_event_subject.txt", context).split()
            )
            body = render_to_string("emails/quotes/quote_event.txt", context)
            send_mail(subject, body, None, recipients)
        event.notified_at = timezone.now()
        event.save(update_fields=["notified_at"])
    return True
