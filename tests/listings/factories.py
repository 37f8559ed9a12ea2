"""Factories and inputs for the catalogue.

``ListingFactory()`` is a draft of a verified seller with two price tiers (MOQ 100 at 1.2000,
1,000 at 1.0500 USD); ``ListingFactory(published=True)`` / ``pending=True`` / ``rejected=True``
put it in that status; ``ListingFactory(tiers=[(50, "2.00"), (500, "1.80")], moq=50)`` sets the
tiers. HS codes come from the built-in fallback slice, loaded on demand by ``hs_code_ensure``.
``listing_create_data(seller=..., **overrides)`` is the keyword set ``listing_create`` takes.
``image_upload()`` is a real image made in memory with Pillow.
"""

import importlib
import io
from decimal import Decimal
from typing import Any

import factory
from django.apps import apps as django_apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from listings.enums import ListingStatus, UnitOfSale
from listings.models import Category, Listing, ListingImage, ModerationEvent, PriceTier
from listings.services import TierInput
from marketplace.accounts.models import Company
from marketplace.trade.models import HSCode
from marketplace.trade.money import quantize_unit_price
from marketplace.trade.selectors import fx_rate_latest
from marketplace.trade.services import hs_codes_seed_fallback
from tests.factories import CompanyFactory

DEFAULT_HS_CODE = "731815"  # iron or steel screws and bolts


def hs_code_ensure(code: str = DEFAULT_HS_CODE) -> HSCode:
    """The HS row for ``code``, loading the built-in fallback slice if it is not there yet."""
    hs = HSCode.objects.filter(code=code).first()
    if hs is None:
        hs_codes_seed_fallback()
        hs = HSCode.objects.get(code=code)
    return hs


def categories_ensure() -> None:
    """The seeded tree of migration 0002, back again if a transactional test flushed it."""
    if Category.objects.exists():
        return
    seeded = importlib.import_module("listings.migrations.0002_seed_categories")
    seeded.seed(django_apps, None)


def category_leaf(slug: str = "machinery-tools-fasteners") -> Category:
    """A seeded second-level category (migration 0002); made again if a flush removed it."""
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        parent, _ = Category.objects.get_or_create(
            slug="machinery-tools", defaults={"name": "Machinery & Tools", "position": 5}
        )
        category = Category.objects.create(
            slug=slug, name=slug.removeprefix("machinery-tools-").title(), parent=parent
        )
    return category


def listing_create_data(*, seller: Company, **overrides: Any) -> dict[str, Any]:
    """Valid keyword arguments for ``listing_create`` (without ``actor``), with overrides."""
    hs_code_ensure(DEFAULT_HS_CODE)  # loads the whole fallback slice the first time
    data: dict[str, Any] = {
        "seller": seller,
        "title": "Stainless steel hex bolts M8 x 40, A2-70",
        "description": "DIN 933 hex bolts, **fully threaded**.\n\n- A2-70 stainless\n- Bulk packed",
        "category": category_leaf(),
        "hs_code": DEFAULT_HS_CODE,
        "origin_country": "CN",
        "ship_from": "Ningbo, China",
        "unit": UnitOfSale.PIECE,
        "moq": 1000,
        "stock": 250_000,
        "lead_time_days": 21,
        "incoterms": ["FOB", "EXW", "CIF"],
        "unit_net_weight_kg": Decimal("0.028"),
        "units_per_carton": 500,
        "carton_gross_weight_kg": Decimal("14.500"),
        "carton_length_cm": Decimal("40.0"),
        "carton_width_cm": Decimal("30.0"),
        "carton_height_cm": Decimal("20.5"),
        "currency": "USD",
        "price_tiers": [
            TierInput(min_quantity=1000, unit_price=Decimal("0.0350")),
            TierInput(min_quantity=10_000, unit_price=Decimal("0.0310")),
            TierInput(min_quantity=50_000, unit_price=Decimal("0.0285")),
        ],
    }
    data.update(overrides)
    return data


def image_bytes(
    *, fmt: str = "PNG", size: tuple[int, int] = (800, 600), color: str = "teal"
) -> bytes:
    mode = "RGBA" if fmt == "PNG" else "RGB"
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, fmt)
    return buffer.getvalue()


def image_upload(
    *,
    fmt: str = "PNG",
    size: tuple[int, int] = (800, 600),
    name: str | None = None,
    content_type: str | None = None,
    color: str = "teal",
) -> SimpleUploadedFile:
    """A real image file as a browser would upload it."""
    extension = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}.get(fmt, fmt.lower())
    return SimpleUploadedFile(
        name or f"photo.{extension}",
        image_bytes(fmt=fmt, size=size, color=color),
        content_type=content_type or f"image/{'jpeg' if fmt == 'JPEG' else fmt.lower()}",
    )


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing
        skip_postgeneration_save = True

    seller = factory.SubFactory(CompanyFactory, seller=True, verified=True)
    title = factory.Sequence(lambda n: f"Galvanised carriage bolt M{6 + n % 10} lot {n}")
    description = "Hot-dip galvanised carriage bolts with square neck, DIN 603."
    category = factory.LazyFunction(category_leaf)
    hs_code = factory.LazyFunction(hs_code_ensure)
    origin_country = "CN"
    ship_from = "Ningbo, China"
    unit = UnitOfSale.PIECE
    moq = 100
    stock = 10_000
    lead_time_days = 14
    incoterms = factory.LazyFunction(lambda: ["EXW", "FOB"])
    unit_net_weight_kg = Decimal("0.045")
    units_per_carton = 200
    carton_gross_weight_kg = Decimal("9.500")
    carton_length_cm = Decimal("35.0")
    carton_width_cm = Decimal("25.0")
    carton_height_cm = Decimal("15.0")
    currency = "USD"
    status = ListingStatus.DRAFT
    # The database insists: a published listing has a date, a rejected one a reason.
    published_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.status == ListingStatus.PUBLISHED else None
    )
    rejection_reason = factory.LazyAttribute(
        lambda o: "The photos show another product." if o.status == ListingStatus.REJECTED else ""
    )

    class Params:
        pending = factory.Trait(status=ListingStatus.PENDING_REVIEW)
        published = factory.Trait(status=ListingStatus.PUBLISHED)
        rejected = factory.Trait(status=ListingStatus.REJECTED)
        archived = factory.Trait(status=ListingStatus.ARCHIVED)

    @factory.post_generation
    def tiers(obj: Listing, create: bool, extracted: list[tuple[int, str]] | None, **kwargs: Any):
        """``tiers=[(qty, "price"), ...]``; default MOQ at 1.2000 and 10 × MOQ at 1.0500."""
        rows = extracted or [(obj.moq, "1.2000"), (obj.moq * 10, "1.0500")]
        if not create:
            return
        PriceTier.objects.bulk_create(
            PriceTier(listing=obj, min_quantity=q, unit_price=Decimal(p)) for q, p in rows
        )
        obj.price_max = Decimal(rows[0][1])
        obj.price_min = Decimal(rows[-1][1])
        rate = fx_rate_latest(base=obj.currency, quote="USD")
        obj.price_min_usd = quantize_unit_price(rate.apply(obj.price_min)) if rate else None
        obj.save(update_fields=["price_max", "price_min", "price_min_usd"])


class ModerationEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModerationEvent

    listing = factory.SubFactory(ListingFactory, published=True)
    actor = None
    from_status = ListingStatus.PENDING_REVIEW
    to_status = ListingStatus.PUBLISHED
    note = ""


def image_add_ready(*, listing: Any, actor: Any, file: Any, alt_text: str = "") -> ListingImage:
    """A photo added as a seller does, then processed as the worker does (ready)."""
    from listings.services import listing_image_add, listing_image_process

    image = listing_image_add(listing=listing, actor=actor, file=file, alt_text=alt_text)
    processed = listing_image_process(image_id=image.pk)
    assert processed is not None and processed.status == "ready", processed
    return processed
