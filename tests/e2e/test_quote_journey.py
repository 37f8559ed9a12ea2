"""The quote journey (the issue's second acceptance test): a buyer posts an RFQ through the
RFQ form; two sellers quote through the quote form (one from a listing, filled by
quotes.js); one revises; the buyer compares the landed costs side by side, accepts the
cheapest at the border; the seller confirms; the buyer pays in the sandbox; the documents
carry the quoted prices.

Set ``SCREENSHOT_DIR`` to keep a desktop and a phone-width screenshot of each quote page."""

import importlib
import io
import os
import re
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from marketplace.demo.services import FX_RATES_SAMPLE_CSV
from marketplace.trade.services import fx_rates_import
from orders.documents import services as document_services
from orders.documents.enums import DocumentKind
from orders.enums import OrderStatus
from orders.models import Order
from orders.quotes.models import Quote, QuoteStatus
from orders.rfqs.models import RFQ, RFQStatus
from tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.listings.factories import ListingFactory, category_leaf, hs_code_ensure

SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR", "")


def snap(page: Page, name: str) -> None:
    if not SCREENSHOT_DIR:
        return
    folder = Path(SCREENSHOT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or {"width": 1280, "height": 900}
    page.screenshot(path=str(folder / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(folder / f"{name}-mobile.png"), full_page=True)
    page.set_viewport_size(size)


def sign_in(page: Page, email: str) -> None:
    from tests.factories import DEFAULT_PASSWORD

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def new_page(browser: Browser, live_server) -> Page:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    return context.new_page()


def sample_rates() -> None:
    fx_rates_import(path=FX_RATES_SAMPLE_CSV)
    if not apps.get_model("trade", "DutyRate").objects.exists():
        samples = importlib.import_module(
            "marketplace.trade.migrations.0003_sample_landed_cost_rates"
        )
        samples.load_samples(apps, None)


def send_quote(
    page: Page,
    rfq: RFQ,
    *,
    unit_price: str,
    incoterm: str,
    named_place: str,
    freight: str = "",
    insurance: str = "",
    listing=None,
) -> None:
    page.goto(f"/rfqs/{rfq.pk}/")
    page.get_by_role("link", name="Send a quote").click()
    expect(page.get_by_role("heading", name="Send a quote")).to_be_visible()
    if listing is not None:
        # quotes.js fills the line from the listing: description, HS code, origin, packing.
        page.get_by_label("From listing").select_option(str(listing.pk))
        expect(page.get_by_label("Description")).to_have_value(listing.title)
        expect(page.get_by_label("HS code")).to_have_value("731815")
        page.get_by_label("Ship from the listing's stock").check()
    else:
        page.get_by_label("Description").fill("Hex bolt M8 x 40, A2-70, made to order")
        page.get_by_label("Origin").select_option("CN")
        page.locator(".quote-packing summary").click()
        page.get_by_label("Net weight per unit (kg)").fill("0.028")
        page.get_by_label("Units per carton").fill("500")
        page.get_by_label("Carton gross weight (kg)").fill("14.5")
        page.get_by_label("Carton length (cm)").fill("40")
        page.get_by_label("Carton width (cm)").fill("30")
        page.get_by_label("Carton height (cm)").fill("20.5")
    page.get_by_label("Quantity").fill("10000")
    page.get_by_label("Unit price").fill(unit_price)
    page.get_by_label("Incoterm 2020").select_option(incoterm)
    page.get_by_label("Named place").fill(named_place)
    if freight:
        page.get_by_label("Freight").fill(freight)
    if insurance:
        page.get_by_label("Insurance").fill(insurance)
    page.get_by_label("Lead time (days)").fill("25")
    page.get_by_label("Valid until").fill((timezone.localdate() + timedelta(days=21)).isoformat())
    page.get_by_role("button", name="Send the quote").click()
    expect(page.get_by_text("sent to the buyer")).to_be_visible()


def test_two_sellers_quote_one_revises_the_buyer_compares_accepts_and_pays(
    page: Page, browser: Browser, live_server, transactional_db
):
    hs_code_ensure("731815")
    sample_rates()
    fasteners = category_leaf()
    buyer = CompanyFactory(buyer=True, legal_name="Rheinland Import GmbH", country="DE")
    MembershipFactory(company=buyer, user=UserFactory(email="einkauf@rheinland-import.test"))
    sellers = {}
    for name, email in (
        ("Ningbo Fasteners Co., Ltd.", "sales@ningbo-fasteners.test"),
        ("Zhejiang Bolt Works Ltd.", "export@zhejiang-bolts.test"),
    ):
        company = CompanyFactory(seller=True, verified=True, legal_name=name, country="CN")
        MembershipFactory(company=company, user=UserFactory(email=email))
        listing = ListingFactory(
            seller=company,
            category=fasteners,
            published=True,
            title=f"Hex bolts M8 x 40 A2-70 ({name.split()[0]})",
            stock=50_000,
            incoterms=["FOB", "CIF"],
        )
        sellers[email] = (company, listing)

    # The buyer posts the RFQ through the RFQ form.
    sign_in(page, "einkauf@rheinland-import.test")
    page.goto("/rfqs/new/")
    page.get_by_label("What do you want to buy?").fill("Stainless hex bolts M8 x 40, A2-70")
    page.get_by_label("Details").fill("DIN 933, cartons of 500.")
    page.get_by_label("Category", exact=True).select_option(str(fasteners.pk))
    page.get_by_label("HS code (optional)").fill("731815")
    page.get_by_label("Quantity", exact=True).fill("10000")
    page.get_by_label("Currency", exact=True).select_option("USD")
    page.get_by_label("Destination country").select_option("DE")
    page.get_by_label("Named place").fill("Hamburg")
    page.get_by_label("FOB — Free On Board").check()
    page.get_by_label("CIF — Cost, Insurance and Freight").check()
    page.get_by_label("Quotes accepted until").fill(
        (timezone.localdate() + timedelta(days=10)).isoformat()
    )
    page.get_by_role("button", name="Post the RFQ").click()
    expect(page.get_by_text("Your request for quotation is posted.")).to_be_visible()
    rfq = RFQ.objects.get()
    expect(page.locator("#rfq-quotes")).to_contain_text("No quotes yet")

    # Ningbo quotes FOB Ningbo from its listing's stock; Zhejiang CIF Hamburg, made to order.
    ningbo = new_page(browser, live_server)
    sign_in(ningbo, "sales@ningbo-fasteners.test")
    ningbo.goto(f"/rfqs/{rfq.pk}/quote/")
    snap(ningbo, "quote-form")
    send_quote(
        ningbo,
        rfq,
        unit_price="0.0345",
        incoterm="FOB",
        named_place="Ningbo",
        listing=sellers["sales@ningbo-fasteners.test"][1],
    )
    zhejiang = new_page(browser, live_server)
    sign_in(zhejiang, "export@zhejiang-bolts.test")
    # A price with 5 decimals comes back inline; nothing is sent.
    zhejiang.goto(f"/rfqs/{rfq.pk}/quote/")
    zhejiang.get_by_label("Unit price").fill("0.03001")
    zhejiang.get_by_label("Quantity").fill("10000")
    zhejiang.get_by_role("button", name="Send the quote").click()
    expect(zhejiang.get_by_text("The quote was not sent.")).to_be_visible()
    snap(zhejiang, "quote-form-errors")
    assert Quote.objects.count() == 1
    send_quote(
        zhejiang,
        rfq,
        unit_price="0.0300",
        incoterm="CIF",
        named_place="Hamburg",
        freight="120.00",
        insurance="5.00",
    )

    # Ningbo revises: 0.0320 instead of 0.0345; version 1 stays readable.
    ningbo_quote = Quote.objects.get(seller=sellers["sales@ningbo-fasteners.test"][0])
    ningbo.goto(f"/quotes/{ningbo_quote.pk}/")
    ningbo.get_by_role("link", name="Revise").click()
    expect(ningbo.get_by_label("Unit price")).to_have_value("0.0345")
    ningbo.get_by_label("Unit price").fill("0.0320")
    ningbo.get_by_role("button", name="Send version 2").click()
    expect(ningbo.get_by_text(f"Version 2 of {ningbo_quote.number} sent.")).to_be_visible()
    expect(ningbo.get_by_role("heading", name=re.compile(r"v2"))).to_be_visible()
    snap(ningbo, "quote-page")
    revised = Quote.objects.get(number=ningbo_quote.number, version=2)

    # The buyer compares: FOB 320.00 + duty 11.84 + VAT 63.05 + fee 9.60 = 404.49 beats
    # CIF 300.00 + 120.00 + 5.00 + duty 15.73 + VAT 83.74 + fee 9.00 = 533.47.
    page.goto(f"/rfqs/{rfq.pk}/")
    expect(page.locator("#rfq-quotes")).to_contain_text("2 sellers quoted, 2 still open.")
    page.get_by_role("link", name="Compare quotes").click()
    expect(page.get_by_role("heading", name=re.compile("Quotes on"))).to_be_visible()
    expect(page.locator(f'[data-landed="{revised.pk}"]')).to_have_text("USD 404.49")
    zhejiang_quote = Quote.objects.get(seller=sellers["export@zhejiang-bolts.test"][0])
    expect(page.locator(f'[data-landed="{zhejiang_quote.pk}"]')).to_have_text("USD 533.47")
    expect(page.locator("thead .compare-best")).to_contain_text("Ningbo Fasteners")
    snap(page, "quote-compare")
    page.get_by_role("link", name="Accept the quote of Ningbo Fasteners Co., Ltd.").click()
    expect(page.get_by_label("Country")).to_have_value("DE")
    page.get_by_label("Your reference (PO number)").fill("PO-2026-118")
    snap(page, "quote-accept")
    page.get_by_role("button", name="Accept and place the order").click()

    order = Order.objects.get()
    expect(page).to_have_url(re.compile(rf"/orders/{order.pk}/$"))
    expect(page.locator(".order-from-quote")).to_have_text(f"From quote {revised.number} v2")
    assert order.landed_cost == revised.landed_cost
    assert order.lines.get().unit_price == revised.lines.get().unit_price
    rfq.refresh_from_db()
    zhejiang_quote.refresh_from_db()
    assert rfq.status == RFQStatus.CLOSED
    assert zhejiang_quote.status == QuoteStatus.DECLINED

    # The seller confirms; the buyer pays in the sandbox.
    ningbo.goto(f"/orders/{order.pk}/")
    ningbo.get_by_role("button", name="Confirm order").click()
    expect(ningbo.get_by_role("heading", name=re.compile(order.number))).to_contain_text(
        "Confirmed"
    )
    order.refresh_from_db()
    total = f"USD {order.total_minor / 100:,.2f}"
    assert total == "USD 329.60"  # goods 320.00 + fee 9.60 (FOB: duty and VAT paid at import)
    page.goto(f"/orders/{order.pk}/")
    page.get_by_role("link", name=f"Pay {total}").click()
    page.get_by_role("button", name="Pay (sandbox)").click()
    expect(page).to_have_url(re.compile(rf"/orders/{order.pk}/$"))
    expect(page.get_by_role("heading", name=re.compile(order.number))).to_contain_text("Paid")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID

    # The documents carry the quoted unit price and totals.
    for kind in (DocumentKind.PROFORMA_INVOICE, DocumentKind.COMMERCIAL_INVOICE):
        document = document_services.trade_document_generate(order_id=order.pk, kind=kind)
        with document.file.open("rb") as handle:
            text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)
        assert "0.0320" in text
        assert "USD 320.00" in text
        assert "FOB Ningbo" in text
