"""Writes of quotes: submit, revise, withdraw, decline, expire and accept (ARCHITECTURE.md,
Negotiation).

Every service checks every rule before it writes anything. Refusals:

- ``ValidationError({field: [message, ...]})`` (400). Fields: ``lines`` (no line at all),
  ``lines[<i>].<field>`` for one line (``lines[0].unit_price``, ``lines[2].hs_code``,
  ``lines[1].listing``, ``lines[0].units_per_carton``, ...; ``<i>`` counts from 0 in the
  order given), ``currency``, ``incoterm``, ``named_place``, ``freight``, ``insurance``,
  ``lead_time_days``, ``valid_until``, ``notes``, ``destination_country``, ``reason`` and, on
  acceptance, ``ship_to.<part>`` and ``buyer_reference``.
- ``PermissionDenied`` (403): the actor is not a member of the company it acts for, or the
  company may not quote (it does not sell, or is not verified).
- ``NotFound`` (404): an RFQ, conversation or quote the company may not see.
- ``InvalidTransition`` / ``Conflict`` (409): the RFQ is not open, the seller already has a
  live quote on the RFQ, the version is not the live one (revised, withdrawn, declined,
  accepted, expired, or past its validity date), short stock on acceptance.

Status changes go through ``marketplace.core.transitions.transition`` with
``QUOTE_TRANSITIONS`` and a ``QuoteEvent``; the other party is emailed after commit.

Locks are taken in one order everywhere (buyer company, RFQ, quote versions, listings), so
an acceptance, a revision and a second submission on one RFQ queue up instead of deadlocking.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_countries import countries

from listings.enums import ListingStatus, UnitOfSale
from listings.models import Listing
from marketplace.accounts.models import Company, User
from marketplace.accounts.selectors import user_email_confirmed_require
from marketplace.core.exceptions import Conflict, InvalidTransition, NotFound
from marketplace.core.ids import id_parse
from marketplace.core.transitions import lock, transition
from marketplace.trade.currencies import CURRENCY_CHOICES
from marketplace.trade.incoterms import Incoterm
from marketplace.trade.models import HSCode, HSLevel
from marketplace.trade.money import UNIT_PRICE_DECIMALS, Money
from orders.conversations.models import Conversation
from orders.conversations.services import conversation_event_post
from orders.models import Order
from orders.pricing import line_total
from orders.quotes.models import (
    QUOTE_NUMBER_SEQUENCE,
    QUOTE_TRANSITIONS,
    Quote,
    QuoteEvent,
    QuoteLine,
    QuoteStatus,
)
from orders.rfqs.models import RFQ, RFQStatus
from orders.rfqs.selectors import rfq_get_for_company, seller_may_quote
from orders.rfqs.services import rfq_close_for_accepted_quote
from orders.services.common import (
    ShipTo,
    _clean_amount,
    _clean_terms,
    _clean_text,
    _Errors,
    _is_member,
    _require_buyer_member,
)
from orders.services.placement import _totals_and_landed_cost

QUOTE_NUMBER_PREFIX = "Q"
ANOTHER_ACCEPTED_NOTE = "Another quote was accepted"
EXPIRED_NOTE = "Validity date passed"
_DESCRIPTION_MAX = 200
_NAMED_PLACE_MAX = 120
_NOTES_MAX = 5000
_REASON_MAX = 2000
_QUANTITY_MAX = 2_147_483_647
_LEAD_TIME_MAX = 730  # two years; the column is a small integer
_UNIT_PRICE_MAX_DIGITS = 14  # as the column: 10 integer digits, 4 decimals
_KNOWN_CURRENCIES = frozenset(code for code, _ in CURRENCY_CHOICES)
_PACKING_FIELDS = (
    "unit_net_weight_kg",
    "units_per_carton",
    "carton_gross_weight_kg",
    "carton_length_cm",
    "carton_width_cm",
    "carton_height_cm",
)
# (max digits, decimals) of each decimal packing column, as the model.
_PACKING_DECIMALS = {
    "unit_net_weight_kg": (12, 3),
    "carton_gross_weight_kg": (10, 3),
    "carton_length_cm": (7, 1),
    "carton_width_cm": (7, 1),
    "carton_height_cm": (7, 1),
}
_PACKING_LABELS = {
    "unit_net_weight_kg": "net weight of one unit (kg)",
    "units_per_carton": "units per carton",
    "carton_gross_weight_kg": "gross weight of a carton (kg)",
    "carton_length_cm": "carton length (cm)",
    "carton_width_cm": "carton width (cm)",
    "carton_height_cm": "carton height (cm)",
}


@dataclass(frozen=True)
class QuoteLineInput:
    """One quoted line as the seller gives it. Packing data left ``None`` comes from the
    listing when one is given, and is required otherwise."""

    description: str
    hs_code: str
    origin_country: str
    quantity: int
    unit_price: Decimal | str
    listing_id: int | None = None
    from_stock: bool = False
    unit: str = ""
    unit_net_weight_kg: Decimal | str | None = None
    units_per_carton: int | None = None
    carton_gross_weight_kg: Decimal | str | None = None
    carton_length_cm: Decimal | str | None = None
    carton_width_cm: Decimal | str | None = None
    carton_height_cm: Decimal | str | None = None


@dataclass(frozen=True)
class _CleanLine:
    listing: Listing | None
    from_stock: bool
    description: str
    hs_code: str
    origin_country: str
    unit: str
    quantity: int
    unit_price: Decimal
    total: Money
    packing: dict[str, Any]


@dataclass(frozen=True)
class _CleanTerms:
    currency: str
    incoterm: Incoterm
    named_place: str
    destination_country: str
    freight: Money | None
    insurance: Money | None
    lead_time_days: int
    valid_until: date
    notes: str
    lines: list[_CleanLine]


# ---------- small pieces ----------


def quote_number_format(*, year: int, value: int) -> str:
    return f"{QUOTE_NUMBER_PREFIX}{year % 100:02d}-{value:06d}"


def _quote_number_next() -> str:
    """``Q26-000042``: the year and a PostgreSQL sequence (never blocks, never repeats)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [QUOTE_NUMBER_SEQUENCE])
        row = cursor.fetchone()
    if row is None:  # nextval always returns a row; guards the type
        raise RuntimeError(f"Sequence {QUOTE_NUMBER_SEQUENCE} returned nothing")
    return quote_number_format(year=timezone.localdate().year, value=int(row[0]))


def _require_member(*, actor: User, company: Company, what: str) -> None:
    if not _is_member(actor=actor, company=company):
        raise PermissionDenied(f"Only members of the {what} company may do this.")


def _require_seller(*, actor: User, seller: Company) -> None:
    _require_member(actor=actor, company=seller, what="selling")
    if not seller_may_quote(seller):
        raise PermissionDenied("Only a verified company that sells may quote.")


def _event_recorder(*, actor: User | None, note: str = "") -> Any:
    def record(locked: Quote, from_status: str, to_status: str) -> QuoteEvent:
        event = QuoteEvent.objects.create(
            quote=locked, actor=actor, from_status=from_status, to_status=to_status, note=note
        )
        _notify_on_commit(event)
        return event

    return record


def _notify_on_commit(event: QuoteEvent) -> None:
    from orders.quotes.tasks import quote_event_notify_task

    notify = partial(quote_event_notify_task.delay, event_id=event.pk)
    notify.__qualname__ = "quote_event_notify_task.delay"  # type: ignore[attr-defined]  # logged
    transaction.on_commit(notify, robust=True)


def _rfq_open_check(rfq: RFQ, *, now: Any) -> None:
    if rfq.status != RFQStatus.OPEN:
        raise InvalidTransition(model="rfq", current=rfq.status, target="quoted")
    if rfq.closes_at <= now:
        raise Conflict(f"The request “{rfq.title}” closed for quotes on {rfq.closes_at:%Y-%m-%d}.")


# ---------- cleaning ----------


def _as_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        return None
    try:
        number = Decimal(str(value).strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _decimals(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _clean_unit_price(errors: _Errors, field: str, value: object) -> Decimal | None:
    price = _as_decimal(value)
    if price is None:
        errors.add(field, "Enter the unit price as a number, e.g. 1.2500.")
        return None
    if price <= 0:
        errors.add(field, "The unit price must be more than 0.")
        return None
    if _decimals(price) > UNIT_PRICE_DECIMALS:
        errors.add(field, f"Enter the unit price with at most {UNIT_PRICE_DECIMALS} decimals.")
        return None
    if price >= Decimal(10) ** (_UNIT_PRICE_MAX_DIGITS - UNIT_PRICE_DECIMALS):
        errors.add(field, "The unit price is too large.")
        return None
    return price


def _clean_packing(
    errors: _Errors, prefix: str, given: QuoteLineInput, listing: Listing | None
) -> dict[str, Any]:
    packing: dict[str, Any] = {}
    for name in _PACKING_FIELDS:
        value = getattr(given, name)
        label = _PACKING_LABELS[name]
        if value is None or value == "":
            if listing is None:
                errors.add(f"{prefix}.{name}", f"Enter the {label}.")
                continue
            value = getattr(listing, name)
        if name == "units_per_carton":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
                errors.add(f"{prefix}.{name}", f"Enter the {label} as a whole number from 1.")
                continue
            packing[name] = value
            continue
        number = _as_decimal(value)
        digits, places = _PACKING_DECIMALS[name]
        if number is None or number <= 0:
            errors.add(f"{prefix}.{name}", f"Enter the {label} as a number above 0.")
            continue
        if _decimals(number) > places or number >= Decimal(10) ** (digits - places):
            errors.add(
                f"{prefix}.{name}",
                f"Enter the {label} with at most {places} decimal{'s' if places > 1 else ''} "
                f"and {digits - places} digits before the point.",
            )
            continue
        packing[name] = number
    weight = packing.get("unit_net_weight_kg")
    per_carton = packing.get("units_per_carton")
    gross = packing.get("carton_gross_weight_kg")
    if (
        weight is not None
        and per_carton is not None
        and gross is not None
        and gross < weight * per_carton
    ):
        errors.add(
            f"{prefix}.carton_gross_weight_kg",
            f"A carton weighs at least its contents: {per_carton} × {weight} kg = "
            f"{weight * per_carton} kg.",
        )
    return packing


def _clean_line(
    errors: _Errors,
    index: int,
    given: QuoteLineInput,
    *,
    seller: Company,
    currency: str,
    listings: dict[int, Listing],
) -> _CleanLine | None:
    prefix = f"lines[{index}]"
    before = sum(len(m) for m in errors.by_field.values())
    listing: Listing | None = None
    if given.listing_id is not None:
        listing = listings.get(given.listing_id) if isinstance(given.listing_id, int) else None
        if (
            listing is None
            or listing.seller_id != seller.pk
            or listing.status != ListingStatus.PUBLISHED
        ):
            errors.add(f"{prefix}.listing", "Choose one of your company's published listings.")
            listing = None
    from_stock = bool(given.from_stock)
    if from_stock and listing is None and given.listing_id is None:
        errors.add(
            f"{prefix}.from_stock", "Only a line of one of your listings can ship from stock."
        )
    description = _clean_text(
        errors,
        f"{prefix}.description",
        given.description if given.description or listing is None else listing.title,
        max_length=_DESCRIPTION_MAX,
        required=True,
        label="description",
    )
    hs_code = given.hs_code.strip() if isinstance(given.hs_code, str) else ""
    if not hs_code and listing is not None:
        hs_code = str(listing.hs_code_id)
    if not (len(hs_code) == 6 and hs_code.isascii() and hs_code.isdigit()) or not (
        HSCode.objects.filter(code=hs_code, level=HSLevel.SUBHEADING).exists()
    ):
        errors.add(f"{prefix}.hs_code", "Enter an HS 2022 subheading of 6 digits, e.g. 731815.")
    origin = given.origin_country.strip().upper() if isinstance(given.origin_country, str) else ""
    if not origin and listing is not None:
        origin = str(listing.origin_country)
    if origin not in countries:
        errors.add(f"{prefix}.origin_country", "Choose the country of origin.")
    unit = given.unit or (listing.unit if listing is not None else UnitOfSale.PIECE)
    if unit not in UnitOfSale.values:
        errors.add(f"{prefix}.unit", f"“{unit}” is not a unit of sale.")
    quantity = given.quantity
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        errors.add(f"{prefix}.quantity", "Enter the quantity as a whole number.")
    elif not 1 <= quantity <= _QUANTITY_MAX:
        errors.add(f"{prefix}.quantity", "The quantity must be at least 1.")
    elif from_stock and listing is not None and quantity > listing.stock:
        errors.add(
            f"{prefix}.quantity",
            f"Only {listing.stock} of “{listing.title}” are in stock; quote the rest made to order.",
        )
    unit_price = _clean_unit_price(errors, f"{prefix}.unit_price", given.unit_price)
    packing = _clean_packing(errors, prefix, given, listing)
    if sum(len(m) for m in errors.by_field.values()) > before or unit_price is None:
        return None
    assert isinstance(quantity, int)
    return _CleanLine(
        listing=listing,
        from_stock=from_stock,
        description=description,
        hs_code=hs_code,
        origin_country=origin,
        unit=unit,
        quantity=quantity,
        unit_price=unit_price,
        total=line_total(unit_price=unit_price, quantity=quantity, currency=currency),
        packing=packing,
    )


def _clean_quote(
    *,
    seller: Company,
    rfq: RFQ | None,
    lines: Sequence[QuoteLineInput],
    currency: object,
    incoterm: object,
    named_place: object,
    freight: object,
    insurance: object,
    lead_time_days: object,
    valid_until: object,
    notes: object,
    destination_country: str,
) -> _CleanTerms:
    """Every rule of a quote's content; raises the field errors, writes nothing."""
    errors = _Errors()
    code = currency.strip().upper() if isinstance(currency, str) else ""
    if code not in _KNOWN_CURRENCIES:
        errors.add("currency", "Choose a currency the platform settles in.")
        code = ""
    rule, place = _clean_terms(errors, incoterm=incoterm, named_place=named_place, prefix="")
    if rule is not None and rfq is not None and rule.code not in rfq.incoterms:
        errors.add(
            "incoterm",
            f"The request allows {', '.join(rfq.incoterms)}; {rule.code} is not one of them.",
        )
    freight_money = insurance_money = None
    if rule is not None and code:
        if rule.seller_pays_main_carriage:
            if freight is None or freight == "":
                errors.add(
                    "freight", f"Under {rule.code} you pay the main carriage: enter the freight."
                )
            else:
                freight_money = _clean_amount(
                    errors, "freight", freight, currency=code, label="freight"
                )
        elif freight is not None and freight != "":
            errors.add(
                "freight", f"Under {rule.code} the buyer pays the main carriage: leave it empty."
            )
        if rule.seller_insures:
            if insurance is None or insurance == "":
                errors.add(
                    "insurance", f"Under {rule.code} you insure the goods: enter the premium."
                )
            else:
                insurance_money = _clean_amount(
                    errors, "insurance", insurance, currency=code, label="insurance"
                )
        elif insurance is not None and insurance != "":
            errors.add(
                "insurance", f"Under {rule.code} the seller does not insure: leave it empty."
            )
    if isinstance(lead_time_days, bool) or not isinstance(lead_time_days, int):
        errors.add("lead_time_days", "Enter the lead time in whole days.")
        lead = 0
    elif not 0 <= lead_time_days <= _LEAD_TIME_MAX:
        errors.add("lead_time_days", f"Enter a lead time from 0 to {_LEAD_TIME_MAX} days.")
        lead = 0
    else:
        lead = lead_time_days
    today = timezone.localdate()
    if not isinstance(valid_until, date):
        errors.add("valid_until", "Enter the date until which the quote is valid.")
    elif valid_until < today:
        errors.add("valid_until", "The validity date cannot be in the past.")
    note_text = _clean_text(
        errors, "notes", notes, max_length=_NOTES_MAX, required=False, label="notes"
    )
    if not lines:
        errors.add("lines", "Add at least one line to the quote.")
    listing_ids = [
        line.listing_id
        for line in lines
        if isinstance(line.listing_id, int) and not isinstance(line.listing_id, bool)
    ]
    listings = {
        listing.pk: listing
        for listing in Listing.objects.filter(pk__in=listing_ids).select_related("hs_code")
    }
    clean_lines = [
        _clean_line(errors, index, line, seller=seller, currency=code or "USD", listings=listings)
        for index, line in enumerate(lines)
    ]
    errors.raise_if_any()
    assert rule is not None and isinstance(valid_until, date)
    return _CleanTerms(
        currency=code,
        incoterm=rule,
        named_place=place,
        destination_country=destination_country,
        freight=freight_money,
        insurance=insurance_money,
        lead_time_days=lead,
        valid_until=valid_until,
        notes=note_text,
        lines=[line for line in clean_lines if line is not None],
    )


def _write_version(
    *,
    terms: _CleanTerms,
    number: str,
    version: int,
    previous: Quote | None,
    seller: Company,
    buyer: Company,
    rfq: RFQ | None,
    conversation: Conversation | None,
    actor: User,
    note: str,
) -> Quote:
    fee_bps = settings.PLATFORM_FEE_BPS
    totals, snapshot = _totals_and_landed_cost(
        lines=[(line.hs_code, line.origin_country, line.total) for line in terms.lines],
        currency=terms.currency,
        destination=terms.destination_country,
        incoterm=terms.incoterm,
        fee_bps=fee_bps,
        freight=terms.freight,
        insurance=terms.insurance,
    )
    quote = Quote.objects.create(
        number=number,
        version=version,
        previous=previous,
        seller=seller,
        buyer=buyer,
        rfq=rfq,
        conversation=conversation,
        created_by=actor,
        status=QuoteStatus.SUBMITTED,
        currency=terms.currency,
        incoterm=terms.incoterm.code,
        named_place=terms.named_place,
        destination_country=terms.destination_country,
        goods_minor=totals.goods.to_minor_units(),
        freight_minor=terms.freight.to_minor_units() if terms.freight is not None else None,
        insurance_minor=terms.insurance.to_minor_units() if terms.insurance is not None else None,
        lead_time_days=terms.lead_time_days,
        valid_until=terms.valid_until,
        notes=terms.notes,
        landed_cost=snapshot.as_dict(),
        platform_fee_bps=fee_bps,
    )
    QuoteLine.objects.bulk_create(
        QuoteLine(
            quote=quote,
            listing=line.listing,
            from_stock=line.from_stock,
            description=line.description,
            hs_code=line.hs_code,
            origin_country=line.origin_country,
            unit=line.unit,
            quantity=line.quantity,
            unit_price=line.unit_price,
            line_total_minor=line.total.to_minor_units(),
            **line.packing,
        )
        for line in terms.lines
    )
    _event_recorder(actor=actor, note=note)(quote, "", QuoteStatus.SUBMITTED)
    if conversation is not None:
        landed = snapshot.buyer_total
        landed_text = f" Landed at the border: {landed}." if landed is not None else ""
        verb = "sent" if version == 1 else f"revised (version {version})"
        conversation_event_post(
            conversation=conversation,
            body=f"Quote {number} {verb}: {terms.incoterm.code} {terms.named_place}, "
            f"goods {totals.goods}, valid until {terms.valid_until:%Y-%m-%d}.{landed_text}",
        )
    return quote


# ---------- services ----------


def quote_submit(
    *,
    actor: User,
    seller: Company,
    rfq: RFQ | int | None = None,
    conversation: Conversation | int | None = None,
    lines: Sequence[QuoteLineInput],
    currency: str,
    incoterm: str,
    named_place: str,
    freight: Decimal | str | None,
    insurance: Decimal | str | None,
    lead_time_days: int,
    valid_until: date,
    notes: str = "",
    destination_country: str | None = None,
) -> Quote:
    """A seller's first quote on an RFQ or in a conversation (version 1, submitted).

    The landed cost at the buyer's border (the RFQ's destination; for a conversation the
    given ``destination_country`` or the buyer's country) is frozen on the version."""
    _require_seller(actor=actor, seller=seller)
    user_email_confirmed_require(user=actor)
    if (rfq is None) == (conversation is None):
        raise ValueError("A quote answers exactly one RFQ or one conversation.")
    with transaction.atomic(durable=True):
        rfq_row: RFQ | None = None
        conversation_row: Conversation | None = None
        if rfq is not None:
            visible = rfq_get_for_company(
                company=seller, rfq_id=rfq.pk if isinstance(rfq, RFQ) else rfq
            )
            rfq_row = lock(RFQ, visible.pk)
            if rfq_row.buyer_id == seller.pk:
                raise NotFound
            _rfq_open_check(rfq_row, now=timezone.now())
            if Quote.objects.filter(
                rfq=rfq_row, seller=seller, status=QuoteStatus.SUBMITTED
            ).exists():
                raise Conflict(
                    "Your company already has a live quote on this request: revise it instead."
                )
            buyer = rfq_row.buyer
            destination = str(rfq_row.destination_country)
        else:
            pk = (
                conversation.pk
                if isinstance(conversation, Conversation)
                else id_parse(conversation)
            )
            conversation_row = (
                Conversation.objects.select_related("buyer").filter(pk=pk, seller=seller).first()
                if pk is not None
                else None
            )
            if conversation_row is None:
                raise NotFound
            buyer = conversation_row.buyer
            destination = _destination(destination_country, buyer)
        terms = _clean_quote(
            seller=seller,
            rfq=rfq_row,
            lines=lines,
            currency=currency,
            incoterm=incoterm,
            named_place=named_place,
            freight=freight,
            insurance=insurance,
            lead_time_days=lead_time_days,
            valid_until=valid_until,
            notes=notes,
            destination_country=destination,
        )
        return _write_version(
            terms=terms,
            number=_quote_number_next(),
            version=1,
            previous=None,
            seller=seller,
            buyer=buyer,
            rfq=rfq_row,
            conversation=conversation_row,
            actor=actor,
            note="",
        )


def _destination(given: str | None, buyer: Company) -> str:
    if given is None or given == "":
        return str(buyer.country)
    code = given.strip().upper() if isinstance(given, str) else ""
    if code not in countries:
        raise ValidationError({"destination_country": ["Choose the country the goods go to."]})
    return code


def _live_version_check(quote: Quote, *, today: date) -> None:
    if quote.status != QuoteStatus.SUBMITTED:
        raise InvalidTransition(model="quote", current=quote.status, target="changed")
    if quote.valid_until < today:
        raise Conflict(
            f"Quote {quote.number} v{quote.version} expired on {quote.valid_until:%Y-%m-%d}."
        )


def quote_revise(
    *,
    quote: Quote,
    actor: User,
    seller: Company,
    lines: Sequence[QuoteLineInput],
    currency: str,
    incoterm: str,
    named_place: str,
    freight: Decimal | str | None,
    insurance: Decimal | str | None,
    lead_time_days: int,
    valid_until: date,
    notes: str = "",
    destination_country: str | None = None,
) -> Quote:
    """Version n + 1 of the seller's live quote; version n becomes ``revised`` and stays
    readable. Only the submitted, unexpired version may be revised (else 409)."""
    _require_seller(actor=actor, seller=seller)
    user_email_confirmed_require(user=actor)
    if quote.seller_id != seller.pk:
        raise NotFound
    with transaction.atomic(durable=True):
        rfq_row = lock(RFQ, quote.rfq_id) if quote.rfq_id is not None else None
        locked = lock(Quote, quote.pk)
        _live_version_check(locked, today=timezone.localdate())
        if rfq_row is not None:
            _rfq_open_check(rfq_row, now=timezone.now())
        destination = (
            str(locked.destination_country)
            if rfq_row is not None or not destination_country
            else _destination(destination_country, locked.buyer)
        )
        terms = _clean_quote(
            seller=seller,
            rfq=rfq_row,
            lines=lines,
            currency=currency,
            incoterm=incoterm,
            named_place=named_place,
            freight=freight,
            insurance=insurance,
            lead_time_days=lead_time_days,
            valid_until=valid_until,
            notes=notes,
            destination_country=destination,
        )
        transition(
            instance=locked,
            target=QuoteStatus.REVISED,
            allowed=QUOTE_TRANSITIONS,
            record_event=_silent_event(
                actor=actor, note=f"Revised as version {locked.version + 1}"
            ),
            extra_fields={"decided_at": timezone.now()},
        )
        conversation = (
            Conversation.objects.get(pk=locked.conversation_id)
            if locked.conversation_id is not None
            else None
        )
        return _write_version(
            terms=terms,
            number=locked.number,
            version=locked.version + 1,
            previous=locked,
            seller=seller,
            buyer=locked.buyer,
            rfq=rfq_row,
            conversation=conversation,
            actor=actor,
            note=f"Revision of version {locked.version}",
        )


def _silent_event(*, actor: User | None, note: str = "") -> Any:
    """An event row with no email (the new version's event tells the buyer)."""

    def record(locked: Quote, from_status: str, to_status: str) -> QuoteEvent:
        return QuoteEvent.objects.create(
            quote=locked,
            actor=actor,
            from_status=from_status,
            to_status=to_status,
            note=note,
            notified_at=timezone.now(),
        )

    return record


def quote_withdraw(*, quote: Quote, actor: User, seller: Company, reason: str = "") -> Quote:
    """The seller takes its live quote back (submitted → withdrawn)."""
    _require_member(actor=actor, company=seller, what="selling")
    if quote.seller_id != seller.pk:
        raise NotFound
    errors = _Errors()
    note = _clean_text(
        errors, "reason", reason, max_length=_REASON_MAX, required=False, label="reason"
    )
    errors.raise_if_any()
    with transaction.atomic(durable=True):
        withdrawn = transition(
            instance=quote,
            target=QuoteStatus.WITHDRAWN,
            allowed=QUOTE_TRANSITIONS,
            record_event=_event_recorder(actor=actor, note=note),
            extra_fields={"decided_at": timezone.now(), "decision_note": note},
        )
        if withdrawn.conversation_id is not None:
            conversation_event_post(
                conversation=Conversation.objects.get(pk=withdrawn.conversation_id),
                body=f"Quote {withdrawn.number} withdrawn by the seller."
                + (f" Reason: {note}" if note else ""),
            )
        return withdrawn


def quote_decline(*, quote: Quote, actor: User, buyer: Company, reason: str) -> Quote:
    """The buyer says no to a live quote (submitted → declined), with a reason."""
    _require_member(actor=actor, company=buyer, what="buying")
    if quote.buyer_id != buyer.pk:
        raise NotFound
    errors = _Errors()
    note = _clean_text(
        errors, "reason", reason, max_length=_REASON_MAX, required=False, label="reason"
    )
    errors.raise_if_any()
    with transaction.atomic(durable=True):
        declined = transition(
            instance=quote,
            target=QuoteStatus.DECLINED,
            allowed=QUOTE_TRANSITIONS,
            record_event=_event_recorder(actor=actor, note=note),
            extra_fields={"decided_at": timezone.now(), "decision_note": note},
        )
        if declined.conversation_id is not None:
            conversation_event_post(
                conversation=Conversation.objects.get(pk=declined.conversation_id),
                body=f"Quote {declined.number} declined by the buyer."
                + (f" Reason: {note}" if note else ""),
            )
        return declined


def quotes_expire(*, now: Any = None) -> int:
    """Beat: every submitted version whose validity date has passed becomes ``expired``.
    One transaction per quote, so one failure does not hold the others back."""
    today = timezone.localdate(now) if now is not None else timezone.localdate()
    expired = 0
    ids = list(
        Quote.objects.filter(status=QuoteStatus.SUBMITTED, valid_until__lt=today)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        with transaction.atomic(durable=True):
            locked = lock(Quote, pk)
            if locked.status != QuoteStatus.SUBMITTED or locked.valid_until >= today:
                continue  # accepted or revised meanwhile
            transition(
                instance=locked,
                target=QuoteStatus.EXPIRED,
                allowed=QUOTE_TRANSITIONS,
                record_event=_event_recorder(actor=None, note=EXPIRED_NOTE),
                extra_fields={"decided_at": timezone.now()},
            )
            expired += 1
    return expired


def quote_accept(
    *,
    quote: Quote,
    actor: User,
    buyer: Company,
    ship_to: ShipTo,
    buyer_reference: str = "",
) -> Order:
    """The buyer accepts a live quote: in one durable transaction the order is placed with
    the quoted prices and terms (stock of from-stock lines reserved), the quote becomes
    ``accepted``, its RFQ closes and the RFQ's other live quotes are declined."""
    from orders.services.quoted import order_place_from_quote

    _require_buyer_member(actor=actor, buyer=buyer)
    user_email_confirmed_require(user=actor)
    if quote.buyer_id != buyer.pk:
        raise NotFound
    with transaction.atomic(durable=True):
        lock(Company, buyer.pk)  # first, as every placement (the unpaid-orders cap)
        rfq_row = lock(RFQ, quote.rfq_id) if quote.rfq_id is not None else None
        locked = lock(Quote, quote.pk)
        _live_version_check(locked, today=timezone.localdate())
        if rfq_row is not None and rfq_row.status == RFQStatus.CANCELLED:
            raise InvalidTransition(model="rfq", current=rfq_row.status, target="accepted")
        if ship_to.country.strip().upper() != str(locked.destination_country):
            raise ValidationError(
                {
                    "ship_to.country": [
                        f"This quote's landed cost is for {countries.name(str(locked.destination_country))}: "
                        "ship there, or ask the seller for a quote to your country."
                    ]
                }
            )
        order = order_place_from_quote(
            quote=locked, actor=actor, ship_to=ship_to, buyer_reference=buyer_reference
        )
        transition(
            instance=locked,
            target=QuoteStatus.ACCEPTED,
            allowed=QUOTE_TRANSITIONS,
            record_event=_event_recorder(actor=actor, note=f"Order {order.number}"),
            extra_fields={"decided_at": timezone.now(), "order": order},
        )
        if rfq_row is not None:
            rfq_close_for_accepted_quote(rfq=rfq_row, actor=actor)
            others = Quote.objects.filter(rfq_id=rfq_row.pk, status=QuoteStatus.SUBMITTED).exclude(
                pk=locked.pk
            )
            for other in others.order_by("pk"):
                transition(
                    instance=other,
                    target=QuoteStatus.DECLINED,
                    allowed=QUOTE_TRANSITIONS,
                    record_event=_event_recorder(actor=actor, note=ANOTHER_ACCEPTED_NOTE),
                    extra_fields={
                        "decided_at": timezone.now(),
                        "decision_note": ANOTHER_ACCEPTED_NOTE,
                    },
                )
        if locked.conversation_id is not None:
            conversation_event_post(
                conversation=Conversation.objects.get(pk=locked.conversation_id),
                body=f"Quote {locked.number} v{locked.version} accepted: order {order.number}.",
            )
        return order
