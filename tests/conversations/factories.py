"""Helpers for conversation tests: two trading companies with members, a supplier's listing,
an RFQ, a delivered order, and files as browsers upload them."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from marketplace.accounts.models import Company, User
from orders.conversations import services
from orders.conversations.models import Conversation
from orders.rfqs.models import RFQ
from tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.listings.factories import ListingFactory, category_leaf, image_bytes
from tests.orders.factories import OrderFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@dataclass
class Parties:
    buyer: Company
    buyer_user: User
    seller: Company
    seller_user: User
    listing: Any


def parties(**listing_fields: Any) -> Parties:
    """Rheinland Import (DE, buys) and Ningbo Fasteners (CN, verified seller) with a
    published listing of hex bolts."""
    buyer = CompanyFactory(buyer=True, legal_name="Rheinland Import GmbH", country="DE")
    buyer_user = MembershipFactory(
        company=buyer, user=UserFactory(email="einkauf@rheinland-import.test")
    ).user
    seller = CompanyFactory(
        seller=True, verified=True, legal_name="Ningbo Fasteners Co., Ltd.", country="CN"
    )
    seller_user = MembershipFactory(
        company=seller, user=UserFactory(email="sales@ningbo-fasteners.test")
    ).user
    listing = ListingFactory(
        seller=seller, published=True, title=listing_fields.pop("title", "Hex bolts M8")
    )
    return Parties(buyer, buyer_user, seller, seller_user, listing)


def outsider() -> tuple[Company, User]:
    company = CompanyFactory(buyer=True, seller=True, verified=True, legal_name="Outsider Ltd")
    return company, MembershipFactory(company=company).user


def rfq_for(buyer: Company, **fields: Any) -> RFQ:
    values = {
        "buyer": buyer,
        "title": "20,000 stainless hex bolts M10",
        "description": "A4-70, DIN 933, packed in cartons of 500.",
        "category": category_leaf(),
        "quantity": 20_000,
        "destination_country": "DE",
        "named_place": "Hamburg",
        "incoterms": ["FOB", "CIF"],
        "closes_at": timezone.now() + timedelta(days=14),
    }
    values.update(fields)
    return RFQ.objects.create(**values)


def delivered_order(p: Parties) -> Any:
    return OrderFactory(delivered=True, buyer=p.buyer, seller=p.seller, placed_by=p.buyer_user)


def start(
    p: Parties, message: str = "Can you do 2,000 in blue, FOB Ningbo, by March?"
) -> Conversation:
    return services.conversation_start(
        company=p.buyer, actor=p.buyer_user, listing_id=p.listing.pk, message=message
    ).conversation


def png(name: str = "photo.png", **kwargs: Any) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(**kwargs), content_type="image/png")


def pdf(name: str = "spec.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def fake_exe(name: str = "invoice.exe") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"MZ\x90\x00" + b"\x00" * 64, content_type="application/pdf")


def too_large(name: str = "scan.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, PDF_BYTES + b"0" * (10 * 1024 * 1024), content_type="application/pdf"
    )


def state() -> dict[str, Any]:
    """What a refused write must leave as it was."""
    from orders.conversations.models import ConversationReport, Message, MessageAttachment

    return {
        "conversations": list(
            Conversation.objects.order_by("pk").values_list(
                "pk", "message_count", "buyer_unread", "seller_unread", "last_message_at"
            )
        ),
        "messages": Message.objects.count(),
        "attachments": MessageAttachment.objects.count(),
        "reports": ConversationReport.objects.count(),
        "hidden": Message.objects.filter(hidden_at__isnull=False).count(),
    }
