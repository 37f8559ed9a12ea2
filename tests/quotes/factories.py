"""Factories of negotiation rows for the quote tests, written directly with the models (the
RFQ and conversation services belong to other branches).

``rfq_open(buyer=...)`` is an open public RFQ for 10,000 bolts to Hamburg (DE), allowing FOB
and CIF, closing in 14 days. ``conversation_about(listing=..., buyer=...)`` a conversation
about a listing. ``line(...)`` a made-to-order ``QuoteLineInput`` (10,000 × 0.0345 USD, HS
731815 from CN, with its packing data); ``submit(...)`` calls ``quote_submit`` with valid
FOB terms unless told otherwise.
"""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from marketplace.accounts.models import Company, User
from orders.conversations.models import Conversation, ConversationTopic
from orders.quotes import services
from orders.quotes.models import Quote
from orders.quotes.services import QuoteLineInput
from orders.rfqs.models import RFQ, RFQInvitation, RFQVisibility
from tests.listings.factories import DEFAULT_HS_CODE, category_leaf, hs_code_ensure


def rfq_open(*, buyer: Company, **overrides: Any) -> RFQ:
    hs_code_ensure(DEFAULT_HS_CODE)
    values: dict[str, Any] = {
        "buyer": buyer,
        "title": "10,000 stainless hex bolts M8 x 40",
        "description": "A2-70, DIN 933, bulk in cartons.",
        "category": category_leaf(),
        "hs_code": DEFAULT_HS_CODE,
        "quantity": 10_000,
        "unit": "piece",
        "currency": "USD",
        "destination_country": "DE",
        "named_place": "Hamburg",
        "incoterms": ["FOB", "CIF"],
        "closes_at": timezone.now() + timedelta(days=14),
        "visibility": RFQVisibility.PUBLIC,
    }
    values.update(overrides)
    invited = values.pop("invited", [])
    rfq = RFQ.objects.create(**values)
    for seller in invited:
        RFQInvitation.objects.create(rfq=rfq, seller=seller)
    return rfq


def conversation_about(*, listing: Any, buyer: Company, **overrides: Any) -> Conversation:
    values: dict[str, Any] = {
        "buyer": buyer,
        "seller": listing.seller,
        "topic": ConversationTopic.LISTING,
        "subject": listing.title,
        "listing": listing,
    }
    values.update(overrides)
    return Conversation.objects.create(**values)


def line(**overrides: Any) -> QuoteLineInput:
    values: dict[str, Any] = {
        "description": "Hex bolt M8 x 40, A2-70, DIN 933",
        "hs_code": DEFAULT_HS_CODE,
        "origin_country": "CN",
        "quantity": 10_000,
        "unit_price": Decimal("0.0345"),
        "unit_net_weight_kg": Decimal("0.028"),
        "units_per_carton": 500,
        "carton_gross_weight_kg": Decimal("14.500"),
        "carton_length_cm": Decimal("40.0"),
        "carton_width_cm": Decimal("30.0"),
        "carton_height_cm": Decimal("20.5"),
    }
    values.update(overrides)
    return QuoteLineInput(**values)


def terms(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "currency": "USD",
        "incoterm": "FOB",
        "named_place": "Ningbo",
        "freight": None,
        "insurance": None,
        "lead_time_days": 30,
        "valid_until": timezone.localdate() + timedelta(days=30),
        "notes": "Price for bulk packing; blue zinc on request.",
    }
    values.update(overrides)
    return values


def submit(
    *,
    seller: Company,
    actor: User,
    rfq: RFQ | None = None,
    conversation: Conversation | None = None,
    lines: list[QuoteLineInput] | None = None,
    **overrides: Any,
) -> Quote:
    return services.quote_submit(
        actor=actor,
        seller=seller,
        rfq=rfq,
        conversation=conversation,
        lines=lines if lines is not None else [line()],
        **terms(**overrides),
    )
