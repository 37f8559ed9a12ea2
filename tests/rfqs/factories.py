"""Factories and inputs for RFQs.

``rfq_input(**overrides)`` is a valid keyword set for ``rfq_create`` (without ``actor`` and
``buyer``): 5,000 pieces of hex bolts in the seeded fasteners category, HS 731815, target
0.0350 USD, FOB or CIF Hamburg, closing in 14 days. ``RFQFactory()`` writes an open public
RFQ directly (with its ``open`` event). ``category_tree_for_rfqs()`` gives a small tree:
``tools`` (top) with ``fasteners`` and ``abrasives`` under it, and ``food`` (another top).
``seller_in(category)`` is a verified seller with a member and a published listing there.
``pdf_upload()``/``png_upload()`` are real small files; ``text_as_pdf()`` is not a PDF.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from listings.enums import UnitOfSale
from listings.models import Category
from marketplace.accounts.models import Company, User
from orders.rfqs.models import RFQ, RFQEvent, RFQStatus, RFQVisibility
from tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.listings.factories import ListingFactory, category_leaf, hs_code_ensure

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def pdf_upload(name: str = "drawing.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def png_upload(name: str = "sample.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def text_as_pdf(name: str = "spec.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"just some text, not a PDF", content_type="application/pdf")


@dataclass
class Tree:
    tools: Category
    fasteners: Category
    abrasives: Category
    food: Category


def category_tree_for_rfqs() -> Tree:
    fasteners = category_leaf()  # seeded: Machinery & Tools › Fasteners
    tools = fasteners.parent
    assert tools is not None
    abrasives, _ = Category.objects.get_or_create(
        slug="rfq-test-abrasives", defaults={"name": "RFQ test abrasives", "parent": tools}
    )
    food, _ = Category.objects.get_or_create(
        slug="rfq-test-food", defaults={"name": "RFQ test food", "position": 99}
    )
    return Tree(tools=tools, fasteners=fasteners, abrasives=abrasives, food=food)


def buyer_with_member(**fields: Any) -> tuple[Company, User]:
    fields.setdefault("legal_name", "Rheinland Import GmbH")
    company = CompanyFactory(buyer=True, **fields)
    user = MembershipFactory(company=company, user=UserFactory()).user
    return company, user


def seller_in(category: Category | None, *, verified: bool = True, **fields: Any) -> Company:
    """A seller with one member and (if ``category``) a published listing in ``category``."""
    company = CompanyFactory(seller=True, verified=verified, **fields)
    MembershipFactory(company=company, user=UserFactory())
    if category is not None:
        ListingFactory(seller=company, category=category, published=True)
    return company


def rfq_input(**overrides: Any) -> dict[str, Any]:
    hs_code_ensure("731815")
    data: dict[str, Any] = {
        "title": "Stainless steel hex bolts M8 x 40, A2-70",
        "description": "DIN 933, fully threaded, A2-70. Bulk in cartons of 500.",
        "category": category_leaf(),
        "hs_code": "731815",
        "quantity": 5000,
        "unit": UnitOfSale.PIECE,
        "target_unit_price": Decimal("0.0350"),
        "currency": "USD",
        "destination_country": "DE",
        "named_place": "Hamburg",
        "incoterms": ["FOB", "CIF"],
        "needed_by": timezone.localdate() + timedelta(days=60),
        "closes_at": timezone.now() + timedelta(days=14),
        "visibility": RFQVisibility.PUBLIC,
        "invited_sellers": [],
        "attachments": [],
    }
    data.update(overrides)
    return data


class RFQFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RFQ
        skip_postgeneration_save = True

    buyer = factory.SubFactory(CompanyFactory, buyer=True, legal_name="Rheinland Import GmbH")
    title = factory.Sequence(lambda n: f"Hex bolts M8 lot {n}")
    description = "DIN 933, A2-70, bulk packed."
    category = factory.LazyFunction(category_leaf)
    hs_code = "731815"
    quantity = 5000
    unit = UnitOfSale.PIECE
    target_unit_price = Decimal("0.0350")
    currency = "USD"
    destination_country = "DE"
    named_place = "Hamburg"
    incoterms = factory.LazyFunction(lambda: ["FOB", "CIF"])
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))
    visibility = RFQVisibility.PUBLIC
    status = RFQStatus.OPEN

    @factory.post_generation
    def events(obj: RFQ, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted is not False:
            RFQEvent.objects.create(rfq=obj, from_status="", to_status=RFQStatus.OPEN)
