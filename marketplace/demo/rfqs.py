"""A few demo requests for quotation, posted through ``rfq_create`` by the demo buyers in the
categories of the demo sellers' published listings, so the RFQ board has something to show.

The title is the natural key per buyer: running the seed again adds nothing. Optional: an RFQ
that cannot be posted (no listing yet, a buyer missing) is skipped.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from listings.enums import ListingStatus
from listings.models import Listing
from marketplace.accounts.models import Company
from marketplace.demo.orders import (
    COLOGNE_BUYER_SLUG,
    HANGZHOU_SELLER_SLUG,
    NAIROBI_BUYER_SLUG,
    OSAKA_SELLER_SLUG,
    _owner,
)
from orders.rfqs.models import RFQ
from orders.rfqs.services import rfq_create


@dataclass(frozen=True)
class DemoRFQ:
    buyer_slug: str
    seller_slug: str  # the RFQ goes in the category of this seller's first published listing
    title: str
    description: str
    quantity: int
    named_place: str
    incoterms: tuple[str, ...]
    days_open: int


DEMO_RFQS: tuple[DemoRFQ, ...] = (
    DemoRFQ(
        COLOGNE_BUYER_SLUG,
        HANGZHOU_SELLER_SLUG,
        "Private-label version of your best seller, 5,000 units",
        "Our logo on the product and the carton. Samples first; CE paperwork needed.",
        5000,
        "Hamburg",
        ("FOB", "CIF"),
        21,
    ),
    DemoRFQ(
        NAIROBI_BUYER_SLUG,
        OSAKA_SELLER_SLUG,
        "Hand tools for a hardware chain, mixed container",
        "Quote per item; we consolidate in Mombasa. Packing for humid climates.",
        1200,
        "Mombasa",
        ("CFR", "CIF", "DAP"),
        30,
    ),
)


def demo_rfqs_seed() -> int:
    """Post the demo RFQs that do not exist yet; returns how many were posted."""
    posted = 0
    companies = {
        c.slug: c
        for c in Company.objects.filter(
            slug__in={s.buyer_slug for s in DEMO_RFQS} | {s.seller_slug for s in DEMO_RFQS}
        )
    }
    for spec in DEMO_RFQS:
        buyer, seller = companies.get(spec.buyer_slug), companies.get(spec.seller_slug)
        if buyer is None or seller is None:
            continue
        if RFQ.objects.filter(buyer=buyer, title=spec.title).exists():
            continue
        listing = (
            Listing.objects.filter(seller=seller, status=ListingStatus.PUBLISHED)
            .order_by("pk")
            .first()
        )
        user = _owner(buyer)
        if listing is None or user is None:
            continue
        try:
            rfq_create(
                actor=user,
                buyer=buyer,
                title=spec.title,
                description=spec.description,
                category=listing.category_id,
                hs_code=listing.hs_code_id,
                quantity=spec.quantity,
                unit=listing.unit,
                destination_country=str(buyer.country),
                named_place=spec.named_place,
                incoterms=list(spec.incoterms),
                closes_at=timezone.now() + timedelta(days=spec.days_open),
            )
        except (ValidationError, PermissionDenied):
            continue
        posted += 1
    return posted
