"""Template tags for the quote boxes included by the RFQ and conversation pages."""

from typing import Any

from django import template

from marketplace.accounts.models import Company
from orders.quotes import selectors
from orders.quotes.models import QuoteStatus
from orders.rfqs.models import RFQ, RFQStatus
from orders.rfqs.selectors import seller_may_quote

register = template.Library()


@register.simple_tag
def quotes_for_rfq(rfq: RFQ, company: Company | None) -> dict[str, Any]:
    if company is None:
        return {}
    quotes = list(selectors.quote_list_for_rfq(company=company, rfq=rfq))
    is_buyer = rfq.buyer_id == company.pk
    return {
        "is_buyer": is_buyer,
        "count": len(quotes),
        "live": sum(1 for q in quotes if q.status == QuoteStatus.SUBMITTED),
        "mine": None if is_buyer else next(iter(reversed(quotes)), None),
        "mine_live": any(q.status == QuoteStatus.SUBMITTED for q in quotes) and not is_buyer,
        "may_quote": not is_buyer and rfq.status == RFQStatus.OPEN and seller_may_quote(company),
    }


@register.simple_tag
def quotes_for_conversation(conversation: Any, company: Company | None) -> dict[str, Any]:
    if company is None:
        return {}
    return {
        "quotes": list(
            selectors.quote_list_for_conversation(company=company, conversation_id=conversation.pk)
        ),
        "may_quote": conversation.seller_id == company.pk and seller_may_quote(company),
    }
