"""The documents journey: a seller ships in the browser; a real worker issues the four trade
documents; both parties see and download them; the verification page tells a genuine copy
from one altered by a single byte."""

import io
import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from marketplace.demo.services import FX_RATES_SAMPLE_CSV
from marketplace.trade.services import fx_rates_import
from orders import services
from orders.documents.models import TradeDocument
from orders.services import LineInput, ShipTo
from tests.documents.issued import altered_by_one_byte
from tests.factories import DEFAULT_PASSWORD, CompanyFactory, MembershipFactory, UserFactory
from tests.listings.factories import ListingFactory, hs_code_ensure

KINDS = {
    "proforma_invoice": "Proforma invoice",
    "commercial_invoice": "Commercial invoice",
    "packing_list": "Packing list",
    "certificate_of_origin": "Certificate of origin application",
}
# The worker renders four PDFs; the block polls every 2 s.
WITHIN_SECONDS = 30_000


def sign_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def expect_four_ready_documents(page: Page) -> None:
    block = page.locator("#order-documents")
    expect(block.locator('tr[data-document-status="ready"]')).to_have_count(
        4, timeout=WITHIN_SECONDS
    )
    for label in KINDS.values():
        expect(block.get_by_role("row", name=re.compile(rf"^{re.escape(label)}\b"))).to_be_visible()
    expect(block.locator("progress")).to_have_count(0)


def download(page: Page, label: str, number: str, target: Path) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("link", name=f"Download {label} {number} PDF").click()
    assert info.value.suggested_filename == f"{number}.pdf"
    info.value.save_as(target)
    return target.read_bytes()


def check_copy(page: Page, code: str, path: Path) -> str:
    page.goto(f"/documents/verify/{code}/")
    page.get_by_label("PDF to check").set_input_files(str(path))
    page.get_by_role("button", name="Check the file").click()
    result = page.locator("#check-result")
    expect(result).to_be_visible()
    return result.inner_text()


def test_after_the_seller_ships_both_parties_get_four_verifiable_documents(
    page: Page, browser: Browser, live_server, celery_worker, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    hs_code_ensure()
    fx_rates_import(path=FX_RATES_SAMPLE_CSV)
    seller = CompanyFactory(
        seller=True,
        verified=True,
        legal_name="Ningbo Fasteners Co., Ltd.",
        country="CN",
        address_line1="88 Xinqi Street, Beilun District",
        city="Ningbo",
        postal_code="315800",
        vat_number="91330206MA2AH1234X",
    )
    seller_user = UserFactory(email="sales@ningbo-fasteners.test")
    MembershipFactory(company=seller, user=seller_user)
    buyer = CompanyFactory(buyer=True, legal_name="Rotterdam Imports B.V.", country="NL")
    buyer_user = UserFactory(email="buyer@rotterdam-imports.test")
    MembershipFactory(company=buyer, user=buyer_user)
    listing = ListingFactory(
        seller=seller,
        published=True,
        title="Stainless steel hex bolts M8 x 40",
        moq=1000,
        stock=250_000,
        incoterms=["FOB", "EXW"],
        tiers=[(1000, "0.0350"), (10_000, "0.0310")],
    )
    order = services.order_place(
        buyer=buyer,
        actor=buyer_user,
        lines=[LineInput(listing_id=listing.pk, quantity=1200)],
        incoterm="FOB",
        named_place="Ningbo",
        ship_to=ShipTo(
            name="Rotterdam Imports B.V.",
            line1="Waalhaven Zuidzijde 21",
            city="Rotterdam",
            country="NL",
            postal_code="3089 JH",
        ),
        buyer_reference="PO-2026-118",
    )
    order = services.order_confirm(order=order, actor=seller_user)
    order = services.order_mark_paid(order=order, payment_reference="pi_e2e_documents")

    # The seller ships on the order page.
    sign_in(page, seller_user.email)
    page.goto(f"/orders/{order.pk}/")
    page.get_by_label("Carrier").fill("Maersk")
    page.get_by_label("Tracking number").fill("MAEU7654321")
    page.get_by_role("button", name="Mark as shipped").click()
    expect(page.get_by_text("Shipped", exact=False).first).to_be_visible()

    # The four documents appear by themselves (htmx polling), without reloading the page.
    expect_four_ready_documents(page)
    documents = {d.kind: d for d in TradeDocument.objects.filter(order=order, is_current=True)}
    assert sorted(documents) == sorted(KINDS)

    # Each downloads from the page; its text holds the order number and the seller's name.
    files: dict[str, Path] = {}
    for kind, label in KINDS.items():
        document = documents[kind]
        content = download(page, label, document.number, tmp_path / f"{kind}.pdf")
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
        assert order.number in text, kind
        assert "Ningbo Fasteners Co., Ltd." in text, kind
        assert document.number in text, kind
        files[kind] = tmp_path / f"{kind}.pdf"

    # The buyer sees the same four on their side.
    buyer_context = browser.new_context(base_url=live_server.url)
    buyer_page = buyer_context.new_page()
    sign_in(buyer_page, buyer_user.email)
    buyer_page.goto(f"/orders/{order.pk}/")
    expect_four_ready_documents(buyer_page)
    buyer_content = download(
        buyer_page,
        "Commercial invoice",
        documents["commercial_invoice"].number,
        tmp_path / "buyer-invoice.pdf",
    )
    assert buyer_content == files["commercial_invoice"].read_bytes()
    buyer_context.close()

    # A signed-out verifier: every downloaded file is genuine; a one-byte change is not.
    page.get_by_role("button", name="Sign out").click()
    for kind, path in files.items():
        verdict = check_copy(page, documents[kind].verification_code, path)
        assert verdict.startswith("GENUINE"), (kind, verdict)
    altered = tmp_path / "altered-invoice.pdf"
    altered.write_bytes(altered_by_one_byte(files["commercial_invoice"].read_bytes()))
    verdict = check_copy(page, documents["commercial_invoice"].verification_code, altered)
    assert verdict.startswith("NOT GENUINE"), verdict
    expect(
        page.get_by_text("Current: this is the latest version of this document.")
    ).to_be_visible()
