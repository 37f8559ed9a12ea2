"""What each document says, read back from its PDF with pypdf, to the unit, gram and cent.

Arabic is drawn shaped and in visual order; pypdf extracts it as presentation forms in
logical order, which NFKC-normalise to the original string (see rendering/fonts.py), hence
``arabic()`` on the extracted text.
"""

import re
import unicodedata
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from orders.documents import services
from orders.documents.enums import DocumentKind
from orders.documents.models import TradeDocument
from tests.documents.conftest import pdf_pages, pdf_text
from tests.documents.factories import (
    BUYER_NAME,
    BUYER_STREET,
    CONSIGNEE_CITY,
    CONSIGNEE_NAME,
    CONSIGNEE_STREET,
    LINE_1_TITLE,
    LINE_2_TITLE,
    SELLER_NAME,
    SELLER_STREET,
    document_order,
)
from tests.orders.factories import OrderLineFactory

pytestmark = pytest.mark.django_db

# The figures every document of the order shows identically.
SHARED_FIGURES = [
    "731815",
    "731816",
    "1,000",
    "450",
    "10 cartons",
    "54.250 kg",
]


def arabic(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


@pytest.fixture
def order():
    return document_order()


@pytest.fixture
def documents(order) -> dict[str, TradeDocument]:
    return {
        kind: services.trade_document_generate(order_id=order.pk, kind=kind)
        for kind in DocumentKind.values
    }


def common_assertions(document: TradeDocument, text: str) -> None:
    assert document.number in text
    assert document.verification_code in text
    verify = f"{settings.SITE_URL.rstrip('/')}/documents/verify/{document.verification_code}/"
    assert verify in text
    assert SELLER_NAME in text and SELLER_STREET in text
    assert timezone.localdate().isoformat() in text
    assert "CIF Hamburg" in text


def test_proforma_invoice_holds_the_order_exactly(order, documents):
    document = documents[DocumentKind.PROFORMA_INVOICE]
    text = pdf_text(document)

    common_assertions(document, text)
    for value in [
        "Proforma invoice",
        BUYER_NAME,
        BUYER_STREET,
        "Tax id: 91330206MA2AH1234X",
        "Tax id: 7707083893",
        "PO-4711",
        order.number,
        LINE_1_TITLE,
        LINE_2_TITLE,
        "JP",
        "CN",
        "0.0350",
        "1.2000",
        "USD 35.00",
        "USD 540.00",
        "USD 575.00",
        "Freight\nUSD 120.00",
        "Insurance\nUSD 8.50",
        "Invoice total\nUSD 703.50",
        "Platform fee\nUSD 17.25",
        "Total payable\nUSD 720.75",
        "CIF Hamburg",
        "Incoterms® 2020",
        "Payment terms",
        "100% in advance through the platform",
        "Valid until",
        "Estimated ship date",
        "Currency\nUSD",
        "50.400 kg",
        *SHARED_FIGURES,
    ]:
        assert value in text, value
    valid_until = timezone.localdate() + timezone.timedelta(days=30)
    assert f"Valid until\n{valid_until.isoformat()}" in text


def test_commercial_invoice_holds_the_order_exactly(order, documents):
    document = documents[DocumentKind.COMMERCIAL_INVOICE]
    text = pdf_text(document)

    common_assertions(document, text)
    for value in [
        "Commercial invoice",
        "Exporter",
        "Importer",
        "Consignee",  # the ship-to differs from the importer
        BUYER_NAME,
        BUYER_STREET,
        CONSIGNEE_CITY,
        order.number,
        LINE_1_TITLE,
        LINE_2_TITLE,
        "Japan",
        "China",
        "USD 35.00",
        "USD 540.00",
        "Freight\nUSD 120.00",
        "Insurance\nUSD 8.50",
        "Total\nUSD 703.50",
        "CIF Hamburg",
        "Net weight\n50.400 kg",
        "Gross weight\n54.250 kg",
        "Number of packages\n10 cartons",
        "Maersk MAEU7654321",
        "this invoice is true and correct",
        *SHARED_FIGURES,
    ]:
        assert value in text, value
    assert arabic(CONSIGNEE_NAME) in arabic(text)
    assert arabic(CONSIGNEE_STREET) in arabic(text)
    assert "USD 720.75" not in text  # the platform's fee is not the seller's invoice


def test_packing_list_holds_every_carton_and_no_price(order, documents):
    document = documents[DocumentKind.PACKING_LIST]
    invoice = documents[DocumentKind.COMMERCIAL_INVOICE]
    text = pdf_text(document)

    common_assertions(document, text)
    for value in [
        "Packing list",
        "Consignor",
        "Consignee",
        CONSIGNEE_CITY,
        f"{invoice.number} of {timezone.localdate(invoice.issued_at).isoformat()}",
        order.number,
        "C/No. 1–10",
        "Total volume\n0.096 m³",
        "Net weight\n50.400 kg",
        "Gross weight\n54.250 kg",
        "Number of packages\n10 cartons",
        "35.0 × 25.0 × 15.0 cm",
        "30.0 × 20.0 × 10.0 cm",
        *SHARED_FIGURES,
    ]:
        assert value in text, value
    assert arabic(CONSIGNEE_NAME) in arabic(text)
    # carton by carton: 5 × 200 bolts (9.000 kg net, 9.500 kg gross), then 4 × 100 nuts and
    # the last carton with the remaining 50
    for carton in range(1, 6):
        assert f"{carton}/10\n{LINE_1_TITLE}\n731815\n200 piece\n9.000 kg\n9.500 kg" in text
    for carton in range(6, 10):
        assert f"{carton}/10\n{LINE_2_TITLE}\n731816\n100 piece\n1.200 kg\n1.350 kg" in text
    assert f"10/10\n{LINE_2_TITLE}\n731816\n50 piece\n0.600 kg\n1.350 kg" in text
    assert "10 ctns\nTotal\n1,450\n50.400 kg\n54.250 kg\n0.096 m³" in text
    assert "USD" not in text
    assert not re.search(r"\d\.\d{4}\b", text)  # no unit price


def test_origin_application_is_marked_as_an_application_and_holds_the_goods(order, documents):
    document = documents[DocumentKind.CERTIFICATE_OF_ORIGIN]
    invoice = documents[DocumentKind.COMMERCIAL_INVOICE]
    text = pdf_text(document)

    common_assertions(document, text)
    assert (
        "APPLICATION for a certificate of origin — to be certified by the issuing authority; "
        "this is not a certificate." in text
    )
    for value in [
        "Exporter",
        "Producer",
        "Consignee",
        CONSIGNEE_CITY,
        "Maersk",
        "MAEU7654321",
        "Country of destination\nGermany",
        f"{invoice.number} of {timezone.localdate(invoice.issued_at).isoformat()}",
        f"1\nC/No. 1–5\n5 cartons\n{LINE_1_TITLE}\n731815\nJapan\n1,000 piece\n47.500 kg",
        f"2\nC/No. 6–10\n5 cartons\n{LINE_2_TITLE}\n731816\nChina\n450 piece\n6.750 kg",
        "10 cartons\nTotal\n1,450\n54.250 kg",
        "The undersigned exporter declares that the goods described above originate",
        *SHARED_FIGURES,
    ]:
        assert value in text, value
    assert arabic(CONSIGNEE_NAME) in arabic(text)
    assert "USD" not in text


def test_the_four_documents_agree_on_quantities_weights_packages_and_hs_codes(documents):
    texts = {kind: pdf_text(document) for kind, document in documents.items()}
    for figure in SHARED_FIGURES:
        assert all(figure in text for text in texts.values()), figure
    for kind in (
        DocumentKind.COMMERCIAL_INVOICE,
        DocumentKind.PACKING_LIST,
        DocumentKind.PROFORMA_INVOICE,
    ):
        assert "50.400 kg" in texts[kind]


def test_names_and_addresses_in_five_scripts_extract_back(documents):
    text = pdf_text(documents[DocumentKind.COMMERCIAL_INVOICE])

    assert SELLER_NAME in text  # Chinese
    assert LINE_1_TITLE in text  # Japanese
    assert BUYER_NAME in text and BUYER_STREET in text and "125009 Москва" in text  # Cyrillic
    assert LINE_2_TITLE in text and "50670 Köln" in text  # Latin with diacritics
    assert arabic(CONSIGNEE_NAME) in arabic(text)  # Arabic
    # what pypdf yields for Arabic, precisely: presentation forms, logical order
    assert "ﺷﺮﻛﺔ ﺍﻟﺨﻠﻴﺞ ﻟﻠﺘﺠﺎﺭﺓ" in text


def test_a_400_carton_packing_list_runs_over_pages_with_the_header_on_each(order):
    OrderLineFactory(
        order=order,
        listing=None,
        title="Washers M8",
        hs_code="731822",
        origin_country="CN",
        quantity=39_000,
        unit_price=Decimal("0.0100"),
        line_total_minor=39000,
        unit_net_weight_kg=Decimal("0.002"),
        units_per_carton=100,
        carton_gross_weight_kg=Decimal("0.250"),
        carton_length_cm=Decimal("20.0"),
        carton_width_cm=Decimal("15.0"),
        carton_height_cm=Decimal("10.0"),
    )

    document = services.trade_document_generate(order_id=order.pk, kind=DocumentKind.PACKING_LIST)

    pages = pdf_pages(document)
    assert len(pages) >= 8
    for page in pages:
        assert "Carton\nContents\nHS code\nQuantity\nNet weight\nGross weight\nSize" in page
        assert f"verification code {document.verification_code}" in page
    text = "\n".join(pages)
    assert "400/400\nWashers M8\n731822\n100 piece\n0.200 kg\n0.250 kg" in text
    # 10 cartons as before + 390 of washers: 50.400 + 78.000 net, 54.250 + 97.500 gross
    assert "400 ctns\nTotal\n40,450\n128.400 kg\n151.750 kg" in text
