"""Who may see which quote, and what a party may do with it now (shared by the pages, the API
and the emails).

A quote is seen by its buyer and its seller, every version of it; any other company gets
``NotFound`` (404). On an RFQ the buyer sees the current version of each seller's quote, in
any status; a seller sees only its own.
"""

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from marketplace.accounts.models import Company
from marketplace.core.exceptions import NotFound
from marketplace.core.ids import id_parse
from orders.quotes.models import Quote, QuoteEvent, QuoteLine, QuoteStatus
from orders.rfqs.models import RFQ, RFQStatus
from orders.rfqs.selectors import seller_may_quote

ACTION_REVISE = "revise"
ACTION_WITHDRAW = "withdraw"
ACTION_DECLINE = "decline"
ACTION_ACCEPT = "accept"


def _with_details(quotes: QuerySet[Quote]) -> QuerySet[Quote]:
    return quotes.select_related("seller", "buyer", "rfq", "order").prefetch_related(
        Prefetch("lines", queryset=QuoteLine.objects.order_by("pk")),
        Prefetch("events", queryset=QuoteEvent.objects.select_related("actor")),
    )


def _current(quotes: QuerySet[Quote]) -> QuerySet[Quote]:
    """The newest version of each quote: the one no later version points back at."""
    return quotes.filter(next_version__isnull=True)


def quote_list_for_company(*, company: Company, role: str | None = None) -> QuerySet[Quote]:
    """The current version of each quote the company gave or received, newest first."""
    mine = Q(seller=company) | Q(buyer=company)
    if role == "seller":
        mine = Q(seller=company)
    elif role == "buyer":
        mine = Q(buyer=company)
    return _with_details(_current(Quote.objects.filter(mine))).order_by("-created_at", "-pk")


def quote_list_for_rfq(*, company: Company, rfq: RFQ) -> QuerySet[Quote]:
    """The current version of each seller's quote on ``rfq``: all of them for its buyer, the
    company's own for a seller (the caller found ``rfq`` through ``rfq_get_for_company``)."""
    quotes = _current(Quote.objects.filter(rfq=rfq))
    if rfq.buyer_id != company.pk:
        quotes = quotes.filter(seller=company)
    return _with_details(quotes).order_by("created_at", "pk")


def quote_list_for_conversation(*, company: Company, conversation_id: int) -> QuerySet[Quote]:
    return _with_details(
        _current(
            Quote.objects.filter(conversation_id=conversation_id).filter(
                Q(seller=company) | Q(buyer=company)
            )
        )
    ).order_by("created_at", "pk")


def quote_get_for_company(*, company: Company, quote_id: object) -> Quote:
    """One version of a quote the company is a party to; ``NotFound`` otherwise."""
    pk = id_parse(quote_id)
    if pk is None:
        raise NotFound
    quote = (
        _with_details(Quote.objects.filter(Q(seller=company) | Q(buyer=company), pk=pk))
        .select_related("conversation")
        .first()
    )
    if quote is None:
        raise NotFound
    return quote


def quote_versions(*, quote: Quote) -> list[Quote]:
    """Every version of the quote, newest first, with lines and events."""
    return list(_with_details(Quote.objects.filter(number=quote.number)).order_by("-version"))


def quote_is_live(quote: Quote) -> bool:
    return quote.status == QuoteStatus.SUBMITTED and quote.valid_until >= timezone.localdate()


def quote_actions_for(*, quote: Quote, company: Company) -> list[str]:
    """What ``company`` may do with this version now."""
    if not quote_is_live(quote):
        return []
    rfq_open = quote.rfq is None or (
        quote.rfq.status == RFQStatus.OPEN and quote.rfq.closes_at > timezone.now()
    )
    if company.pk == quote.seller_id:
        actions = [ACTION_WITHDRAW]
        if rfq_open and seller_may_quote(company):
            actions.insert(0, ACTION_REVISE)
        return actions
    if company.pk == quote.buyer_id:
        cancelled = quote.rfq is not None and quote.rfq.status == RFQStatus.CANCELLED
        return [] if cancelled else [ACTION_ACCEPT, ACTION_DECLINE]
    return []


def quote_cheapest_landed(quotes: list[Quote]) -> set[int]:
    """The ids of the live quotes with the lowest known landed total, per currency
    (quotes in different currencies are not compared)."""
    best: dict[str, tuple[int, set[int]]] = {}
    for quote in quotes:
        if quote.status != QuoteStatus.SUBMITTED:
            continue
        snapshot = quote.landed_cost_snapshot
        if snapshot is None or snapshot.total_incomplete or snapshot.landed_total is None:
            continue
        landed = snapshot.landed_total.to_minor_units()
        current = best.get(quote.currency)
        if current is None or landed < current[0]:
            best[quote.currency] = (landed, {quote.pk})
        elif landed == current[0]:
            current[1].add(quote.pk)
    return {pk for _, ids in best.values() for pk in ids}
