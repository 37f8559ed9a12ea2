"""The data every document of an order version is drawn from, computed once from the snapshot.

``document_data(order)`` works out quantities, package counts, weights, volumes and amounts
from the order's lines (the snapshot taken at placement) and the two companies; every kind
renders from the same ``DocumentData``, so the proforma invoice, the commercial invoice, the
packing list and the certificate-of-origin application agree to the unit and the gram.

- cartons of a line = ceil(quantity / units per carton); cartons are numbered 1..N across
  the lines in line order; the last carton of a line holds the remainder;
- net weight = quantity × unit net weight; gross weight = cartons × carton gross weight;
  both kept in whole grams (the snapshot has 3 decimals of a kilogram);
- volume = cartons × length × width × height, kept in cm³ (exact) and shown in m³.

``source_fingerprint`` is the SHA-256 of the canonical JSON of what a kind shows: a
redelivered task finds the same fingerprint and makes no second document; a changed order
(freight corrected) gives another and a new version.
"""

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django_countries import countries

from marketplace.accounts.models import Company
from marketplace.trade.incoterms import INCOTERMS
from orders.documents.enums import DocumentKind
from orders.models import Order, Shipment

GRAMS_PER_KG = 1000
CM3_PER_M3 = 1_000_000


@dataclass(frozen=True)
class PartyData:
    name: str
    address: tuple[str, ...]
    country: str
    country_name: str
    tax_id: str
    registration_number: str
    eori_number: str


@dataclass(frozen=True)
class LineData:
    position: int
    title: str
    hs_code: str
    origin: str
    origin_name: str
    unit: str
    quantity: int
    unit_price: Decimal
    amount_minor: int
    unit_net_weight_kg: Decimal
    units_per_carton: int
    cartons: int
    first_carton: int
    last_carton: int
    net_weight_g: int
    carton_gross_weight_kg: Decimal
    gross_weight_g: int
    carton_length_cm: Decimal
    carton_width_cm: Decimal
    carton_height_cm: Decimal
    volume_cm3: Decimal


@dataclass(frozen=True)
class ShipmentData:
    carrier: str
    tracking_number: str
    ship_date: date


@dataclass(frozen=True)
class InvoiceReference:
    """The commercial invoice that the packing list and the origin application quote."""

    number: str
    issued_on: date


@dataclass(frozen=True)
class DocumentData:
    order_number: str
    order_date: date
    buyer_reference: str
    currency: str
    incoterm: str
    incoterm_name: str
    named_place: str
    seller: PartyData
    buyer: PartyData
    consignee: PartyData
    consignee_is_buyer: bool
    destination: str
    destination_name: str
    lines: tuple[LineData, ...]
    goods_minor: int
    freight_minor: int
    insurance_minor: int
    platform_fee_minor: int
    total_minor: int
    invoice_total_minor: int
    quantity_total: int
    cartons_total: int
    net_weight_g: int
    gross_weight_g: int
    volume_cm3: Decimal
    estimated_ship_date: date
    shipment: ShipmentData | None

    @property
    def origins(self) -> tuple[str, ...]:
        return tuple(sorted({line.origin for line in self.lines}))


def _country_name(code: str) -> str:
    return str(countries.name(code)) or code


def _company_party(company: Company) -> PartyData:
    lines = [company.address_line1, company.address_line2]
    city = " ".join(p for p in (company.postal_code, company.city) if p)
    lines += [city, company.region]
    code = str(company.country)
    return PartyData(
        name=company.legal_name,
        address=tuple(line for line in lines if line),
        country=code,
        country_name=_country_name(code),
        tax_id=company.vat_number,
        registration_number=company.registration_number,
        eori_number=company.eori_number,
    )


def _consignee(order: Order) -> PartyData:
    city = " ".join(p for p in (order.ship_to_postal_code, order.ship_to_city) if p)
    lines = [order.ship_to_line1, order.ship_to_line2, city, order.ship_to_region]
    code = str(order.ship_to_country)
    return PartyData(
        name=order.ship_to_name,
        address=tuple(line for line in lines if line),
        country=code,
        country_name=_country_name(code),
        tax_id="",
        registration_number="",
        eori_number="",
    )


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _grams(kg: Decimal) -> int:
    grams = kg * GRAMS_PER_KG
    if grams != grams.to_integral_value():  # the snapshot keeps 3 decimals of a kilogram
        raise ValueError(f"{kg} kg is not a whole number of grams")
    return int(grams)


def document_data(order: Order) -> DocumentData:
    """The figures of every document of ``order`` (load it with its lines and companies)."""
    lines: list[LineData] = []
    next_carton = 1
    lead_days = 0
    for position, line in enumerate(order.lines.select_related("listing").order_by("id"), 1):
        per_carton = max(line.units_per_carton, 1)
        cartons = _ceil_div(line.quantity, per_carton)
        volume = cartons * line.carton_length_cm * line.carton_width_cm * line.carton_height_cm
        origin = str(line.origin_country)
        lines.append(
            LineData(
                position=position,
                title=line.title,
                hs_code=line.hs_code,
                origin=origin,
                origin_name=_country_name(origin),
                unit=line.unit,
                quantity=line.quantity,
                unit_price=line.unit_price,
                amount_minor=line.line_total_minor,
                unit_net_weight_kg=line.unit_net_weight_kg,
                units_per_carton=per_carton,
                cartons=cartons,
                first_carton=next_carton,
                last_carton=next_carton + cartons - 1,
                net_weight_g=_grams(line.quantity * line.unit_net_weight_kg),
                carton_gross_weight_kg=line.carton_gross_weight_kg,
                gross_weight_g=_grams(cartons * line.carton_gross_weight_kg),
                carton_length_cm=line.carton_length_cm,
                carton_width_cm=line.carton_width_cm,
                carton_height_cm=line.carton_height_cm,
                volume_cm3=volume,
            )
        )
        next_carton += cartons
        if line.listing is not None:
            lead_days = max(lead_days, line.listing.lead_time_days)
    shipment = Shipment.objects.filter(order=order).first()
    buyer = _company_party(order.buyer)
    consignee = _consignee(order)
    accepted = order.confirmed_at or order.created_at
    destination = str(order.ship_to_country)
    return DocumentData(
        order_number=order.number,
        order_date=timezone.localdate(order.created_at),
        buyer_reference=order.buyer_reference,
        currency=order.currency,
        incoterm=order.incoterm,
        incoterm_name=INCOTERMS[order.incoterm].name,
        named_place=order.named_place,
        seller=_company_party(order.seller),
        buyer=buyer,
        consignee=consignee,
        consignee_is_buyer=(consignee.name, consignee.address, consignee.country)
        == (buyer.name, buyer.address, buyer.country),
        destination=destination,
        destination_name=_country_name(destination),
        lines=tuple(lines),
        goods_minor=order.goods_minor,
        freight_minor=order.freight_minor,
        insurance_minor=order.insurance_minor,
        platform_fee_minor=order.platform_fee_minor,
        total_minor=order.total_minor,
        invoice_total_minor=order.goods_minor + order.freight_minor + order.insurance_minor,
        quantity_total=sum(line.quantity for line in lines),
        cartons_total=sum(line.cartons for line in lines),
        net_weight_g=sum(line.net_weight_g for line in lines),
        gross_weight_g=sum(line.gross_weight_g for line in lines),
        volume_cm3=sum((line.volume_cm3 for line in lines), Decimal(0)),
        estimated_ship_date=timezone.localdate(accepted) + timedelta(days=lead_days),
        shipment=(
            ShipmentData(
                carrier=shipment.carrier,
                tracking_number=shipment.tracking_number,
                ship_date=shipment.ship_date,
            )
            if shipment is not None
            else None
        ),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal | date):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not part of document data")


def source_fingerprint(
    *, kind: str, data: DocumentData, invoice: InvoiceReference | None = None
) -> str:
    """SHA-256 of the canonical JSON of what a document of ``kind`` is drawn from.

    The proforma invoice is issued before shipment: the shipment is not part of it.
    """
    source = asdict(data)
    if kind == DocumentKind.PROFORMA_INVOICE:
        source.pop("shipment")
    source["kind"] = kind
    source["invoice"] = asdict(invoice) if invoice is not None else None
    canonical = json.dumps(
        source, default=_jsonable, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
