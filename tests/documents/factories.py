"""An order whose parties write in five scripts, with exactly known figures.

``document_order()`` writes the rows directly (OrderFactory): a CIF Hamburg order in USD of
two lines, shipped with a Maersk shipment unless ``status`` says otherwise.

- seller: 宁波紧固件有限公司 (Chinese), slug ningbo-fasteners-co-<n> → seller code NFC<id>;
- buyer: ООО «Ромашка» (Cyrillic), address in Moscow;
- consignee (ship-to): شركة الخليج للتجارة (Arabic), شارع الملك فهد, Köln (Latin);
- line 1: 六角ボルト M8 (Japanese), HS 731815, origin JP, 1,000 pieces × 0.0350 = USD 35.00,
  0.045 kg net each → 45.000 kg, 200 per carton → 5 cartons × 9.500 kg → 47.500 kg gross,
  35 × 25 × 15 cm;
- line 2: Écrous à embase Ø8 – Łódź (Latin with diacritics), HS 731816, origin CN,
  450 pieces × 1.2000 = USD 540.00, 0.012 kg net → 5.400 kg, 100 per carton → 5 cartons
  (the last holds 50) × 1.350 kg → 6.750 kg gross, 30 × 20 × 10 cm.
- goods USD 575.00, freight 120.00, insurance 8.50, invoice total 703.50, platform fee
  17.25, total payable 720.75; 1,450 pieces, 10 cartons, net 50.400 kg, gross 54.250 kg,
  volume 95,625 cm³ = 0.096 m³.
"""

import itertools
from decimal import Decimal
from typing import Any

from django.utils import timezone

from orders.enums import OrderStatus
from orders.models import Order, Shipment
from tests.factories import CompanyFactory
from tests.orders.factories import OrderFactory, OrderLineFactory

SELLER_NAME = "宁波紧固件有限公司"
SELLER_STREET = "浙江省宁波市北仑区新碶街道 88 号"
BUYER_NAME = "ООО «Ромашка»"
BUYER_STREET = "улица Тверская, дом 7"
CONSIGNEE_NAME = "شركة الخليج للتجارة"
CONSIGNEE_STREET = "شارع الملك فهد"
CONSIGNEE_CITY = "Köln"
LINE_1_TITLE = "六角ボルト M8"
LINE_2_TITLE = "Écrous à embase Ø8 – Łódź"
_SLUGS = itertools.count(1)


def seller_company(**fields: Any):
    values = {
        "legal_name": SELLER_NAME,
        "slug": f"ningbo-fasteners-co-{next(_SLUGS)}",
        "country": "CN",
        "address_line1": SELLER_STREET,
        "city": "宁波",
        "postal_code": "315800",
        "vat_number": "91330206MA2AH1234X",
        "registration_number": "",
    }
    values.update(fields)
    return CompanyFactory(seller=True, verified=True, **values)


def buyer_company(**fields: Any):
    values = {
        "legal_name": BUYER_NAME,
        "country": "RU",
        "address_line1": BUYER_STREET,
        "city": "Москва",
        "postal_code": "125009",
        "vat_number": "7707083893",
        "registration_number": "",
    }
    values.update(fields)
    return CompanyFactory(buyer=True, **values)


def document_order(*, seller=None, status: str = OrderStatus.SHIPPED, **fields: Any) -> Order:
    values: dict[str, Any] = {
        "seller": seller or seller_company(),
        "buyer": buyer_company(),
        "status": status,
        "currency": "USD",
        "incoterm": "CIF",
        "named_place": "Hamburg",
        "buyer_reference": "PO-4711",
        "ship_to_name": CONSIGNEE_NAME,
        "ship_to_line1": CONSIGNEE_STREET,
        "ship_to_city": CONSIGNEE_CITY,
        "ship_to_postal_code": "50670",
        "ship_to_country": "DE",
        "goods_minor": 57500,
        "freight_minor": 12000,
        "insurance_minor": 850,
        "platform_fee_minor": 1725,
        "total_minor": 72075,
        "confirmed_at": timezone.now(),
        "lines": False,
        "events": False,
    }
    values.update(fields)
    order = OrderFactory(**values)
    OrderLineFactory(
        order=order,
        listing=None,
        title=LINE_1_TITLE,
        hs_code="731815",
        origin_country="JP",
        quantity=1000,
        unit_price=Decimal("0.0350"),
        line_total_minor=3500,
        unit_net_weight_kg=Decimal("0.045"),
        units_per_carton=200,
        carton_gross_weight_kg=Decimal("9.500"),
        carton_length_cm=Decimal("35.0"),
        carton_width_cm=Decimal("25.0"),
        carton_height_cm=Decimal("15.0"),
    )
    OrderLineFactory(
        order=order,
        listing=None,
        title=LINE_2_TITLE,
        hs_code="731816",
        origin_country="CN",
        quantity=450,
        unit_price=Decimal("1.2000"),
        line_total_minor=54000,
        unit_net_weight_kg=Decimal("0.012"),
        units_per_carton=100,
        carton_gross_weight_kg=Decimal("1.350"),
        carton_length_cm=Decimal("30.0"),
        carton_width_cm=Decimal("20.0"),
        carton_height_cm=Decimal("10.0"),
    )
    if status == OrderStatus.SHIPPED:
        Shipment.objects.create(
            order=order,
            carrier="Maersk",
            tracking_number="MAEU7654321",
            ship_date=timezone.localdate(),
        )
    return order
