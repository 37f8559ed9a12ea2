"""Writes of the catalogue: create and edit listings, moderate them, attach photos.

Every rule is checked before anything is written: a refused request raises
``ValidationError({field: [message, ...]})`` with the model's field names and leaves the
database and the file storage as they were. Status changes go through
``marketplace.core.transitions.transition`` and leave a ``ModerationEvent`` each.
"""

import uuid
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from itertools import pairwise
from pathlib import PurePosixPath
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Max
from django.db.models.fields.files import FieldFile, FileField
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_countries import countries

from listings.enums import (
    EDITABLE_STATUSES,
    IMAGE_TRANSITIONS,
    LISTING_TRANSITIONS,
    REVIEWED_FIELDS,
    ImageStatus,
    ListingStatus,
    UnitOfSale,
)
from listings.images import IMAGES_PER_LISTING_MAX, ImageRefused, image_render, image_sniff
from listings.models import Category, Listing, ListingImage, ModerationEvent, PriceTier
from marketplace.accounts.enums import MANAGING_ROLES
from marketplace.accounts.models import Company, Membership, User
from marketplace.accounts.selectors import user_email_confirmed_require
from marketplace.accounts.staff import staff_may
from marketplace.core.exceptions import Conflict, InvalidTransition
from marketplace.core.transitions import lock, transition
from marketplace.trade.currencies import CURRENCIES
from marketplace.trade.incoterms import INCOTERMS
from marketplace.trade.money import UNIT_PRICE_DECIMALS, quantize_unit_price
from marketplace.trade.selectors import fx_rate_latest
from marketplace.trade.validators import validate_hs_subheading

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 20_000
SHIP_FROM_MAX_LENGTH = 120
PRICE_TIERS_MAX = 10
_INT_MAX = 2_147_483_647  # PositiveIntegerField
_SMALLINT_MAX = 32_767  # PositiveSmallIntegerField
_UNIT_PRICE_LIMIT = Decimal(10) ** 10  # DecimalField(max_digits=14, decimal_places=4)
_USD = "USD"

# (decimal places, max_digits) of each measured field, as in the model.
_MEASURES: dict[str, tuple[int, int, str]] = {
    "unit_net_weight_kg": (3, 12, "kg"),
    "carton_gross_weight_kg": (3, 10, "kg"),
    "carton_length_cm": (1, 7, "cm"),
    "carton_width_cm": (1, 7, "cm"),
    "carton_height_cm": (1, 7, "cm"),
}
LISTING_FIELDS: tuple[str, ...] = (
    "title",
    "description",
    "category",
    "hs_code",
    "origin_country",
    "ship_from",
    "unit",
    "moq",
    "stock",
    "lead_time_days",
    "incoterms",
    "unit_net_weight_kg",
    "units_per_carton",
    "carton_gross_weight_kg",
    "carton_length_cm",
    "carton_width_cm",
    "carton_height_cm",
    "currency",
    "price_tiers",
)
# A published listing goes back to review when any of these change. The currency counts as a
# price change: the same numbers in another currency are other prices.
_REVIEWED_FIELDS = REVIEWED_FIELDS | {"currency"}
_REVIEWED_FIELD_LABELS: dict[str, str] = {
    "title": "title",
    "hs_code": "HS code",
    "origin_country": "origin",
    "currency": "currency",
    "price_tiers": "price tiers",
}


@dataclass(frozen=True)
class TierInput:
    """One quantity break as a seller enters it: from ``min_quantity`` units, ``unit_price``."""

    min_quantity: int
    unit_price: Decimal


# --- permissions ----------------------------------------------------------------------


def _require_member(*, actor: User, company: Company) -> None:
    if not (actor.is_active and Membership.objects.filter(user=actor, company=company).exists()):
        raise PermissionDenied("Only members of the selling company may change its listings.")


def _require_seller(*, company: Company) -> None:
    if not company.sells:
        raise PermissionDenied("Only a company that sells can list products.")


def _require_platform_staff(*, actor: User) -> None:
    if not staff_may(actor, "listings.moderate_listing"):
        raise PermissionDenied("Only platform staff who moderate listings may do this.")


# --- validation -----------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.by_field.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        digits = text.removeprefix("-")
        # ASCII only: "²".isdigit() is true but int("²") fails; "٣" would pass as 3.
        return int(text) if digits.isascii() and digits.isdigit() else None
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return None


def _as_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool | float):  # floats are refused: money and weights are exact
        return None
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            return None
    else:
        return None
    return result if result.is_finite() else None


def _decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _clean_int(
    errors: _Errors, field: str, value: object, *, minimum: int, maximum: int, label: str
) -> int | None:
    number = _as_int(value)
    if number is None:
        errors.add(field, f"Enter the {label} as a whole number.")
        return None
    if number < minimum:
        errors.add(field, f"The {label} must be at least {minimum}.")
        return None
    if number > maximum:
        errors.add(field, f"The {label} must be at most {maximum:,}.")
        return None
    return number


def _clean_measure(errors: _Errors, field: str, value: object) -> Decimal | None:
    places, digits, unit = _MEASURES[field]
    label = field.removesuffix("_kg").removesuffix("_cm").replace("_", " ")
    number = _as_decimal(value)
    if number is None:
        errors.add(field, f"Enter the {label} in {unit} as a number.")
        return None
    if number <= 0:
        errors.add(field, f"The {label} must be more than 0 {unit}.")
        return None
    if _decimal_places(number) > places:
        errors.add(field, f"Give the {label} with at most {places} decimal(s).")
        return None
    if number >= Decimal(10) ** (digits - places):
        errors.add(field, f"The {label} is too large.")
        return None
    return number.quantize(Decimal(1).scaleb(-places))


def _tier_parts(tier: object) -> tuple[object, object]:
    if isinstance(tier, TierInput):
        return tier.min_quantity, tier.unit_price
    if isinstance(tier, Mapping):
        return tier.get("min_quantity"), tier.get("unit_price")
    return None, None


def _clean_price_tiers(errors: _Errors, tiers: object, *, moq: int | None) -> list[TierInput]:
    field = "price_tiers"
    if not isinstance(tiers, list | tuple) or not tiers:
        errors.add(field, "Add at least one price tier; the first starts at the MOQ.")
        return []
    if len(tiers) > PRICE_TIERS_MAX:
        errors.add(field, f"Use at most {PRICE_TIERS_MAX} price tiers.")
        return []
    cleaned: list[TierInput] = []
    ok = True
    for number, tier in enumerate(tiers, start=1):
        raw_quantity, raw_price = _tier_parts(tier)
        quantity = _as_int(raw_quantity)
        price = _as_decimal(raw_price)
        if quantity is None or quantity < 1 or quantity > _INT_MAX:
            errors.add(field, f"Tier {number}: the quantity must be a whole number of at least 1.")
            ok = False
        if price is None:
            errors.add(field, f"Tier {number}: enter the unit price as a number.")
            ok = False
        elif price <= 0:
            errors.add(field, f"Tier {number}: the unit price must be more than 0.")
            ok = False
        elif _decimal_places(price) > UNIT_PRICE_DECIMALS:
            errors.add(
                field,
                f"Tier {number}: the unit price {price} has more than "
                f"{UNIT_PRICE_DECIMALS} decimals.",
            )
            ok = False
        elif price >= _UNIT_PRICE_LIMIT:
            errors.add(field, f"Tier {number}: the unit price is too large.")
            ok = False
        if ok and quantity is not None and price is not None:
            cleaned.append(TierInput(min_quantity=quantity, unit_price=quantize_unit_price(price)))
    if not ok:
        return []
    if moq is not None and cleaned[0].min_quantity != moq:
        errors.add(
            field,
            f"Tier 1 starts at {cleaned[0].min_quantity:,}, but the MOQ is {moq:,}: "
            "the first break must equal the MOQ.",
        )
        ok = False
    for number, (previous, current) in enumerate(pairwise(cleaned), start=2):
        if current.min_quantity <= previous.min_quantity:
            errors.add(
                field,
                f"Tier {number} starts at {current.min_quantity:,}, which is not more than "
                f"tier {number - 1} ({previous.min_quantity:,}): quantities must rise.",
            )
            ok = False
        if current.unit_price > previous.unit_price:
            errors.add(
                field,
                f"Tier {number}'s unit price {current.unit_price.normalize():f} is higher than "
                f"tier {number - 1}'s {previous.unit_price.normalize():f}: the unit price "
                "must not rise with the quantity.",
            )
            ok = False
    return cleaned if ok else []


def _clean_incoterms(errors: _Errors, value: object) -> list[str] | None:
    if isinstance(value, str) or not isinstance(value, Iterable):
        errors.add("incoterms", "Choose at least one Incoterm.")
        return None
    codes = [str(code).strip().upper() for code in value]
    if not codes:
        errors.add("incoterms", "Choose at least one Incoterm.")
        return None
    unknown = [code for code in codes if code not in INCOTERMS]
    if unknown:
        errors.add(
            "incoterms",
            f"{', '.join(unknown)} {'is not an Incoterm' if len(unknown) == 1 else 'are not Incoterms'}"
            f" 2020; choose from {', '.join(INCOTERMS)}.",
        )
        return None
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        errors.add("incoterms", f"{', '.join(duplicates)} is listed more than once.")
        return None
    # Stored in the ICC's order, whatever order they were ticked in.
    return [code for code in INCOTERMS if code in codes]


def _clean_text(
    errors: _Errors, field: str, value: object, *, label: str, max_length: int, required: bool
) -> str | None:
    if not isinstance(value, str):
        errors.add(field, f"Enter the {label}.")
        return None
    text = value.strip()
    if required and not text:
        errors.add(field, f"Enter the {label}.")
        return None
    if len(text) > max_length:
        errors.add(
            field,
            f"Keep the {label} to {max_length:,} characters or fewer (it has {len(text):,}).",
        )
        return None
    return text


def _clean_listing_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """All listing fields checked together; every problem is reported at once."""
    errors = _Errors()
    cleaned: dict[str, Any] = {}
    cleaned["title"] = _clean_text(
        errors, "title", values["title"], label="title", max_length=TITLE_MAX_LENGTH, required=True
    )
    cleaned["description"] = _clean_text(
        errors,
        "description",
        values["description"] if values["description"] is not None else "",
        label="description",
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
    )
    cleaned["ship_from"] = _clean_text(
        errors,
        "ship_from",
        values["ship_from"],
        label="place the goods ship from",
        max_length=SHIP_FROM_MAX_LENGTH,
        required=True,
    )
    category = values["category"]
    if not isinstance(category, Category) or category.pk is None:
        errors.add("category", "Choose a category.")
    cleaned["category"] = category

    hs_code = values["hs_code"]
    hs_code = hs_code.strip() if isinstance(hs_code, str) else hs_code
    try:
        validate_hs_subheading(hs_code)
    except ValidationError as error:
        for message in error.messages:
            errors.add("hs_code", message)
    cleaned["hs_code"] = hs_code

    country = values["origin_country"]
    country = str(country).strip().upper() if country is not None else ""
    if not country or country not in dict(countries):
        errors.add("origin_country", "Choose the country of origin from the list.")
    cleaned["origin_country"] = country

    unit = values["unit"]
    if unit not in UnitOfSale.values:
        errors.add("unit", "Choose a unit of sale from the list.")
    cleaned["unit"] = unit

    currency = values["currency"]
    currency = currency.strip().upper() if isinstance(currency, str) else ""
    if currency not in CURRENCIES:
        errors.add(
            "currency", f"{values['currency']!s} is not a currency the marketplace trades in."
        )
    cleaned["currency"] = currency

    cleaned["moq"] = _clean_int(
        errors, "moq", values["moq"], minimum=1, maximum=_INT_MAX, label="minimum order quantity"
    )
    cleaned["stock"] = _clean_int(
        errors, "stock", values["stock"], minimum=0, maximum=_INT_MAX, label="stock"
    )
    cleaned["lead_time_days"] = _clean_int(
        errors,
        "lead_time_days",
        values["lead_time_days"],
        minimum=0,
        maximum=_SMALLINT_MAX,
        label="lead time in days",
    )
    cleaned["units_per_carton"] = _clean_int(
        errors,
        "units_per_carton",
        values["units_per_carton"],
        minimum=1,
        maximum=_INT_MAX,
        label="number of units per carton",
    )
    for field in _MEASURES:
        cleaned[field] = _clean_measure(errors, field, values[field])
    cleaned["incoterms"] = _clean_incoterms(errors, values["incoterms"])
    cleaned["price_tiers"] = _clean_price_tiers(errors, values["price_tiers"], moq=cleaned["moq"])
    errors.raise_if_any()
    return cleaned


# Fields whose values must agree with each other: checked when any of them is set.
_STOCK_FIELDS = frozenset({"stock", "moq"})
_CARTON_WEIGHT_FIELDS = frozenset(
    {"carton_gross_weight_kg", "units_per_carton", "unit_net_weight_kg"}
)


def _check_listing_relations(cleaned: Mapping[str, Any], *, changed: Collection[str]) -> None:
    """Refuse values that cannot all be true together, reported on the field to correct.

    Checked only when one of the fields is being set, so that a listing whose stock fell
    below its MOQ through orders can still have its title edited.
    """
    errors = _Errors()
    stock, moq = cleaned["stock"], cleaned["moq"]
    if _STOCK_FIELDS & set(changed) and 0 < stock < moq:
        errors.add(
            "stock",
            f"The stock ({stock:,}) is below the minimum order quantity ({moq:,}): no buyer "
            "could order it. Enter at least the MOQ, or 0 while it is out of stock.",
        )
    units, unit_net, gross = (
        cleaned["units_per_carton"],
        cleaned["unit_net_weight_kg"],
        cleaned["carton_gross_weight_kg"],
    )
    if _CARTON_WEIGHT_FIELDS & set(changed) and gross < units * unit_net:
        errors.add(
            "carton_gross_weight_kg",
            f"A carton of {units:,} units at {unit_net} kg each holds {units * unit_net} kg net: "
            f"its gross weight ({gross} kg) cannot be less.",
        )
    errors.raise_if_any()


# --- prices ---------------------------------------------------------------------------


def _price_summary(tiers: list[TierInput], currency: str) -> dict[str, Decimal | None]:
    """The denormalised prices: at the MOQ (highest), at the last break (lowest), and in USD."""
    price_max = tiers[0].unit_price
    price_min = tiers[-1].unit_price
    rate = fx_rate_latest(base=currency, quote=_USD)
    price_min_usd = quantize_unit_price(rate.apply(price_min)) if rate is not None else None
    if price_min_usd is not None and price_min_usd >= _UNIT_PRICE_LIMIT:
        price_min_usd = None
    return {"price_max": price_max, "price_min": price_min, "price_min_usd": price_min_usd}


def _tiers_write(*, listing: Listing, tiers: list[TierInput]) -> None:
    PriceTier.objects.filter(listing=listing).delete()
    PriceTier.objects.bulk_create(
        PriceTier(listing=listing, min_quantity=t.min_quantity, unit_price=t.unit_price)
        for t in tiers
    )


def _tiers_current(listing: Listing) -> list[TierInput]:
    return [
        TierInput(min_quantity=q, unit_price=p)
        for q, p in PriceTier.objects.filter(listing=listing)
        .order_by("min_quantity")
        .values_list("min_quantity", "unit_price")
    ]


# --- events ---------------------------------------------------------------------------


def _event_recorder(
    *, actor: User | None, note: str, recorded: list[ModerationEvent]
) -> Callable[[Listing, str, str], ModerationEvent]:
    def record(listing: Listing, from_status: str, to_status: str) -> ModerationEvent:
        event = ModerationEvent.objects.create(
            listing=listing, actor=actor, from_status=from_status, to_status=to_status, note=note
        )
        recorded.append(event)
        return event

    return record


def _transition(
    *,
    listing: Listing,
    target: str,
    actor: User | None,
    note: str = "",
    extra_fields: Mapping[str, object] | None = None,
) -> tuple[Listing, ModerationEvent]:
    recorded: list[ModerationEvent] = []
    locked = transition(
        instance=listing,
        target=target,
        allowed=LISTING_TRANSITIONS,
        record_event=_event_recorder(actor=actor, note=note, recorded=recorded),
        extra_fields=extra_fields,
    )
    return locked, recorded[0]


# --- create and edit ------------------------------------------------------------------


def listing_create(
    *,
    seller: Company,
    actor: User,
    title: str,
    description: str,
    category: Category,
    hs_code: str,
    origin_country: str,
    ship_from: str,
    unit: str,
    moq: int,
    stock: int,
    lead_time_days: int,
    incoterms: list[str],
    unit_net_weight_kg: Decimal,
    units_per_carton: int,
    carton_gross_weight_kg: Decimal,
    carton_length_cm: Decimal,
    carton_width_cm: Decimal,
    carton_height_cm: Decimal,
    currency: str,
    price_tiers: list[TierInput],
) -> Listing:
    """A new draft listing of ``seller`` with its price tiers."""
    _require_seller(company=seller)
    _require_member(actor=actor, company=seller)
    user_email_confirmed_require(user=actor)
    values = _clean_listing_values(
        {
            "title": title,
            "description": description,
            "category": category,
            "hs_code": hs_code,
            "origin_country": origin_country,
            "ship_from": ship_from,
            "unit": unit,
            "moq": moq,
            "stock": stock,
            "lead_time_days": lead_time_days,
            "incoterms": incoterms,
            "unit_net_weight_kg": unit_net_weight_kg,
            "units_per_carton": units_per_carton,
            "carton_gross_weight_kg": carton_gross_weight_kg,
            "carton_length_cm": carton_length_cm,
            "carton_width_cm": carton_width_cm,
            "carton_height_cm": carton_height_cm,
            "currency": currency,
            "price_tiers": price_tiers,
        }
    )
    _check_listing_relations(values, changed=LISTING_FIELDS)
    tiers: list[TierInput] = values.pop("price_tiers")
    hs = values.pop("hs_code")
    with transaction.atomic(durable=True):
        listing = Listing.objects.create(
            seller=seller,
            hs_code_id=hs,
            status=ListingStatus.DRAFT,
            **values,
            **_price_summary(tiers, values["currency"]),
        )
        _tiers_write(listing=listing, tiers=tiers)
    return listing


def _current_values(listing: Listing) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(listing, name) for name in LISTING_FIELDS[:-1]}
    values["hs_code"] = listing.hs_code_id
    values["origin_country"] = str(listing.origin_country)
    values["category"] = listing.category
    values["price_tiers"] = _tiers_current(listing)
    return values


def listing_update(*, listing: Listing, actor: User, **changes: Any) -> Listing:
    """Change any of the create fields; ``price_tiers`` replaces the whole set.

    A published listing whose title, HS code, origin or prices change goes back to
    pending_review with an event naming what changed; other edits (stock, weights, ...) keep
    it published. An archived listing cannot be edited.
    """
    unknown = sorted(set(changes) - set(LISTING_FIELDS))
    if unknown:
        raise TypeError(f"listing_update() got unexpected fields: {', '.join(unknown)}")
    _require_member(actor=actor, company=listing.seller)
    with transaction.atomic(durable=True):
        locked = lock(Listing, listing.pk)
        if locked.status not in EDITABLE_STATUSES:
            raise Conflict(
                f"A listing that is {locked.get_status_display().lower()} cannot be edited.",
                code="listing_not_editable",
            )
        current = _current_values(locked)
        cleaned = _clean_listing_values({**current, **changes})
        changed = [
            name
            for name in LISTING_FIELDS
            if name in changes
            and (
                cleaned[name].pk != current[name].pk
                if name == "category"
                else cleaned[name] != current[name]
            )
        ]
        if not changed:
            return locked
        _check_listing_relations(cleaned, changed=changed)
        update_fields: list[str] = []
        for name in changed:
            if name == "price_tiers":
                continue
            if name == "hs_code":
                locked.hs_code_id = cleaned[name]
            else:
                setattr(locked, name, cleaned[name])
            update_fields.append(name)
        if "price_tiers" in changed or "currency" in changed:
            for name, value in _price_summary(cleaned["price_tiers"], cleaned["currency"]).items():
                setattr(locked, name, value)
                update_fields.append(name)
        locked.save(update_fields=[*update_fields, "updated_at"])
        if "price_tiers" in changed:
            _tiers_write(listing=locked, tiers=cleaned["price_tiers"])
        reviewed = [name for name in _REVIEWED_FIELD_LABELS if name in changed]
        if locked.status == ListingStatus.PUBLISHED and set(reviewed) & _REVIEWED_FIELDS:
            note = "Changed: " + ", ".join(_REVIEWED_FIELD_LABELS[name] for name in reviewed)
            locked, _ = _transition(
                listing=locked, target=ListingStatus.PENDING_REVIEW, actor=actor, note=note
            )
    return locked


# --- lifecycle ------------------------------------------------------------------------


def listing_submit(*, listing: Listing, actor: User) -> Listing:
    """Send a draft (or a corrected rejected listing) to the moderators."""
    _require_member(actor=actor, company=listing.seller)
    _require_seller(company=listing.seller)
    user_email_confirmed_require(user=actor)
    with transaction.atomic(durable=True):
        current = lock(Listing, listing.pk).status
        if current not in (ListingStatus.DRAFT, ListingStatus.REJECTED):
            raise InvalidTransition(
                model="listing", current=current, target=ListingStatus.PENDING_REVIEW
            )
        locked, _ = _transition(
            listing=listing, target=ListingStatus.PENDING_REVIEW, actor=actor, note="Submitted"
        )
    return locked


def listing_approve(*, listing: Listing, actor: User, notify_seller: bool = True) -> Listing:
    """Publish a listing under review; only a verified seller's listing can be published.

    ``notify_seller=False`` (the demo seed) records the event as already notified: no email.
    """
    _require_platform_staff(actor=actor)
    with transaction.atomic(durable=True):
        current = lock(Listing, listing.pk)
        seller = Company.objects.get(pk=current.seller_id)
        if current.status == ListingStatus.PENDING_REVIEW and not seller.is_verified:
            raise Conflict(
                f"{seller.display_name} is not verified yet; its listings cannot be published.",
                code="seller_not_verified",
            )
        locked, event = _transition(
            listing=listing,
            target=ListingStatus.PUBLISHED,
            actor=actor,
            extra_fields={"published_at": timezone.now(), "rejection_reason": ""},
        )
        _moderation_notify_on_commit(event=event, notify_seller=notify_seller)
    return locked


def listing_reject(
    *, listing: Listing, actor: User, reason: str, notify_seller: bool = True
) -> Listing:
    """Refuse a listing under review with a reason the seller will read (by email, unless
    ``notify_seller=False``)."""
    _require_platform_staff(actor=actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": ["Give a reason for the rejection; the seller will see it."]}
        )
    with transaction.atomic(durable=True):
        locked, event = _transition(
            listing=listing,
            target=ListingStatus.REJECTED,
            actor=actor,
            note=reason,
            extra_fields={"rejection_reason": reason},
        )
        _moderation_notify_on_commit(event=event, notify_seller=notify_seller)
    return locked


def listing_archive(*, listing: Listing, actor: User) -> Listing:
    """Take a listing off the catalogue for good (the seller, or a listing moderator)."""
    if not staff_may(actor, "listings.moderate_listing"):
        _require_member(actor=actor, company=listing.seller)
    with transaction.atomic(durable=True):
        locked, _ = _transition(listing=listing, target=ListingStatus.ARCHIVED, actor=actor)
    return locked


def _files_delete_on_commit(files: list[FieldFile]) -> None:
    def delete() -> None:
        for file in files:
            if file.name:
                file.storage.delete(file.name)

    transaction.on_commit(delete)


def _image_files(images: Iterable[ListingImage]) -> list[FieldFile]:
    return [
        f for image in images for f in (image.upload, image.original, image.card, image.detail) if f
    ]


def listing_delete(*, listing: Listing, actor: User) -> None:
    """Delete a draft with its tiers and photos; anything submitted is archived instead."""
    _require_member(actor=actor, company=listing.seller)
    with transaction.atomic(durable=True):
        locked = lock(Listing, listing.pk)
        if locked.status != ListingStatus.DRAFT:
            raise InvalidTransition(model="listing", current=locked.status, target="deleted")
        files = _image_files(ListingImage.objects.filter(listing=locked))
        locked.delete()
        _files_delete_on_commit(files)


# --- images ---------------------------------------------------------------------------


def listing_image_add(
    *, listing: Listing, actor: User, file: UploadedFile, alt_text: str = ""
) -> ListingImage:
    """Attach a photo: checked cheaply here (size, magic bytes), stored privately under a
    random name as pending; the worker decodes it and makes the public copies
    (``listing_image_process``, enqueued once this has committed)."""
    _require_member(actor=actor, company=listing.seller)
    alt_text = (alt_text or "").strip()
    if len(alt_text) > 200:
        raise ValidationError(
            {
                "alt_text": [
                    f"Keep the image description to 200 characters (it has {len(alt_text)})."
                ]
            }
        )
    sniffed = image_sniff(file=file)
    stem = uuid.uuid4().hex
    image: ListingImage | None = None
    try:
        with transaction.atomic(durable=True):
            locked = lock(Listing, listing.pk)
            if locked.status not in EDITABLE_STATUSES:
                raise Conflict(
                    f"A listing that is {locked.get_status_display().lower()} cannot be edited.",
                    code="listing_not_editable",
                )
            existing = (
                ListingImage.objects.filter(listing=locked)
                .exclude(status=ImageStatus.FAILED)
                .aggregate(count=Count("id"))
            )
            last = ListingImage.objects.filter(listing=locked).aggregate(last=Max("position"))
            if existing["count"] >= IMAGES_PER_LISTING_MAX:
                raise ValidationError(
                    {"image": [f"A listing can have at most {IMAGES_PER_LISTING_MAX} images."]}
                )
            image = ListingImage(
                listing=locked,
                status=ImageStatus.PENDING,
                content_type=sniffed.format.content_type,
                size_bytes=sniffed.size_bytes,
                alt_text=alt_text,
                position=(last["last"] + 1) if last["last"] is not None else 0,
            )
            file.seek(0)
            image.upload.save(f"{stem}{sniffed.format.extension}", file, save=False)
            image.save()
            transaction.on_commit(partial(_image_process_enqueue, image_id=image.pk))
    except BaseException:
        if image is not None:  # the row is rolled back; its files must go too
            for stored in _image_files([image]):
                if stored.name:
                    stored.storage.delete(stored.name)
        raise
    return image


def _image_process_enqueue(*, image_id: int) -> None:
    from listings.tasks import listing_image_process_task

    listing_image_process_task.delay(image_id=image_id)


def listing_image_process(*, image_id: int) -> ListingImage | None:
    """Decode a pending photo (in the worker) and publish its metadata-free copies, or mark
    it failed with the reason; ``None`` if it is gone. Idempotent: anything but a pending
    image is returned as it is."""
    image = ListingImage.objects.filter(pk=image_id).first()
    if image is None or image.status != ImageStatus.PENDING:
        return image
    try:
        with image.upload.open("rb") as upload:
            rendered = image_render(file=upload, content_type=image.content_type)
    except ImageRefused as refused:
        return _image_finish(image=image, target=ImageStatus.FAILED, reason=refused.message)
    except FileNotFoundError:
        return _image_finish(
            image=image,
            target=ImageStatus.FAILED,
            reason="The uploaded file was lost before it could be processed; upload it again.",
        )
    stem = PurePosixPath(image.upload.name or "").stem
    public = _public_image_storage()
    folder = f"listings/{image.listing_id}"
    saved: list[str] = []
    try:
        saved.append(public.save(f"{folder}/{stem}{rendered.format.extension}", rendered.original))
        saved.append(public.save(f"{folder}/{stem}-card.jpg", rendered.card))
        saved.append(public.save(f"{folder}/{stem}-detail.jpg", rendered.detail))
        return _image_finish(
            image=image,
            target=ImageStatus.READY,
            files={"original": saved[0], "card": saved[1], "detail": saved[2]},
            width=rendered.width,
            height=rendered.height,
        )
    except BaseException:
        for name in saved:
            public.delete(name)
        raise


# A pending image is normally processed within seconds of its upload; one still pending after
# this long lost its task (the broker was down at commit time) and beat processes it.
IMAGE_PENDING_GRACE = timedelta(minutes=5)
IMAGE_RESUME_BATCH = 50


def listing_images_pending_resume(*, now: datetime | None = None) -> int:
    """Process the photos left pending for longer than ``IMAGE_PENDING_GRACE`` (oldest first,
    at most ``IMAGE_RESUME_BATCH``); returns how many were processed. The safety net of beat."""
    cutoff = (now or timezone.now()) - IMAGE_PENDING_GRACE
    ids = list(
        ListingImage.objects.filter(status=ImageStatus.PENDING, created_at__lt=cutoff)
        .order_by("created_at", "id")
        .values_list("id", flat=True)[:IMAGE_RESUME_BATCH]
    )
    for image_id in ids:
        listing_image_process(image_id=image_id)
    return len(ids)


def _public_image_storage() -> Storage:
    """Where the public copies go: the storage of ``ListingImage.original`` (MEDIA_ROOT)."""
    return cast(FileField, ListingImage._meta.get_field("original")).storage


def _image_finish(
    *,
    image: ListingImage,
    target: str,
    reason: str = "",
    files: Mapping[str, str] | None = None,
    width: int = 0,
    height: int = 0,
) -> ListingImage | None:
    """Move a pending image to ready (with its public files) or failed (with the reason);
    the private upload goes once this has committed. ``None`` if the image was removed
    meanwhile (the new public files are then deleted)."""
    with transaction.atomic(durable=True):
        current = ListingImage.objects.select_for_update().filter(pk=image.pk).first()
        if current is None or current.status != ImageStatus.PENDING:
            for name in (files or {}).values():
                _public_image_storage().delete(name)
            return current
        upload = current.upload
        extra: dict[str, object] = {"upload": "", "failure_reason": reason[:2000]}
        if files:
            extra.update(files)
            extra.update(width=width, height=height)
        done = transition(
            instance=current, target=target, allowed=IMAGE_TRANSITIONS, extra_fields=extra
        )
        _files_delete_on_commit([upload])
    return done


def listing_image_remove(*, image: ListingImage, actor: User) -> None:
    """Remove a photo and its copies (the files go once the removal has committed)."""
    listing = Listing.objects.select_related("seller").get(pk=image.listing_id)
    _require_member(actor=actor, company=listing.seller)
    with transaction.atomic(durable=True):
        lock(Listing, listing.pk)
        stored = ListingImage.objects.filter(pk=image.pk).first()
        if stored is None:
            return
        files = _image_files([stored])
        stored.delete()
        _files_delete_on_commit(files)


# --- notifications --------------------------------------------------------------------


def _moderation_notify_on_commit(*, event: ModerationEvent, notify_seller: bool) -> None:
    from listings.tasks import listing_moderation_notify_task

    if not notify_seller:
        event.notified_at = timezone.now()
        event.save(update_fields=["notified_at"])
        return
    transaction.on_commit(partial(listing_moderation_notify_task.delay, event_id=event.pk))


def _listing_url(listing: Listing) -> str:
    site = settings.SITE_URL.rstrip("/")
    for name in ("listings:edit", "listings:detail"):
        try:
            return site + reverse(name, kwargs={"pk": listing.pk})
        except NoReverseMatch:
            continue
    return site + "/"


def listing_moderation_notify(*, event_id: int) -> bool:
    """Email the seller's owners and admins the moderator's decision, once per event."""
    with transaction.atomic(durable=True):
        event = (
            ModerationEvent.objects.select_for_update(of=("self",))
            .select_related("listing", "listing__seller")
            .filter(pk=event_id)
            .first()
        )
        if event is None or event.notified_at is not None:
            return False
        if event.to_status not in (ListingStatus.PUBLISHED, ListingStatus.REJECTED):
            return False
        listing = event.listing
        recipients = list(
            Membership.objects.filter(
                company_id=listing.seller_id, role__in=MANAGING_ROLES, user__is_active=True
            )
            .order_by("user__email")
            .values_list("user__email", flat=True)
        )
        if recipients:
            template = f"emails/listings/listing_{event.to_status}"
            context = {
                "listing": listing,
                "company": listing.seller,
                "reason": event.note,
                "listing_url": _listing_url(listing),
                "platform_name": settings.PLATFORM_NAME,
            }
            subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
            body = render_to_string(f"{template}.txt", context)
            send_mail(subject, body, None, recipients)
        event.notified_at = timezone.now()
        event.save(update_fields=["notified_at"])
    return True
