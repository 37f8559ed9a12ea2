"""The RFQ journey: a buyer posts a request for quotation through the form (with an
attachment, an error corrected on the way) and finds it in "My RFQs"; a verified seller in
the category sees it on the RFQ board, opens it and downloads the drawing.

Set ``SCREENSHOT_DIR`` to keep a desktop and a phone-width screenshot of each RFQ page."""

import os
import re
from datetime import timedelta
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from orders.rfqs.models import RFQ
from tests.factories import DEFAULT_PASSWORD, CompanyFactory, MembershipFactory, UserFactory
from tests.listings.factories import ListingFactory, category_leaf, hs_code_ensure
from tests.rfqs.factories import PDF_BYTES

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
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_a_buyer_posts_an_rfq_and_a_seller_in_the_category_opens_it_from_the_board(
    page: Page, browser: Browser, live_server, transactional_db, tmp_path
):
    hs_code_ensure("731815")
    fasteners = category_leaf()
    ningbo = CompanyFactory(
        seller=True, verified=True, legal_name="Ningbo Fasteners Co., Ltd.", country="CN"
    )
    MembershipFactory(company=ningbo, user=UserFactory(email="sales@ningbo-fasteners.test"))
    ListingFactory(seller=ningbo, category=fasteners, published=True)
    buyer = CompanyFactory(buyer=True, legal_name="Rheinland Import GmbH", country="DE")
    MembershipFactory(company=buyer, user=UserFactory(email="einkauf@rheinland-import.test"))
    drawing = tmp_path / "bolt-drawing.pdf"
    drawing.write_bytes(PDF_BYTES)
    closes = timezone.localdate() + timedelta(days=10)

    # The buyer finds "Post an RFQ" in the navigation and fills the form.
    sign_in(page, "einkauf@rheinland-import.test")
    page.get_by_role("navigation", name="Primary").get_by_role("link", name="Post an RFQ").click()
    expect(page.get_by_role("heading", name="Post a request for quotation")).to_be_visible()
    snap(page, "rfq-form")
    page.get_by_label("What do you want to buy?").fill("Stainless steel hex bolts M8 x 40, A2-70")
    page.get_by_label("Details").fill("DIN 933, fully threaded. Cartons of 500.")
    page.get_by_label("Category", exact=True).select_option(str(fasteners.pk))
    page.get_by_label("HS code (optional)").fill("7318")  # not a subheading: refused inline
    page.get_by_label("Quantity", exact=True).fill("5000")
    page.get_by_label("Target unit price (optional)").fill("0.0350")
    page.get_by_label("Currency", exact=True).select_option("USD")
    page.get_by_label("Destination country").select_option("DE")
    page.get_by_label("Named place").fill("Hamburg")
    page.get_by_label("FOB — Free On Board").check()
    page.get_by_label("CIF — Cost, Insurance and Freight").check()
    page.get_by_label("Quotes accepted until").fill(closes.isoformat())
    page.get_by_label("Attachments (optional)").set_input_files(str(drawing))
    page.get_by_role("button", name="Post the RFQ").click()

    expect(page.get_by_text("Nothing was posted.")).to_be_visible()
    expect(
        page.get_by_text("Enter an HS subheading of exactly 6 digits, e.g. 090111.")
    ).to_be_visible()
    snap(page, "rfq-form-errors")
    assert RFQ.objects.count() == 0
    page.get_by_label("HS code (optional)").fill("731815")
    page.get_by_label("Attachments (optional)").set_input_files(str(drawing))
    page.get_by_role("button", name="Post the RFQ").click()

    expect(page.get_by_text("Your request for quotation is posted.")).to_be_visible()
    rfq = RFQ.objects.get()
    expect(page).to_have_url(re.compile(rf"/rfqs/{rfq.pk}/$"))
    expect(page.get_by_role("button", name="Close the RFQ")).to_be_visible()
    snap(page, "rfq-detail-buyer")
    page.get_by_role("link", name="My RFQs").click()
    card = page.locator(".rfq-card", has_text="Stainless steel hex bolts M8 x 40, A2-70")
    expect(card).to_contain_text("Open")
    expect(card).to_contain_text("5,000 pieces")
    expect(card).to_contain_text("USD 0.0350")
    snap(page, "rfq-my-rfqs")

    # The seller sees it on the board and opens it.
    seller_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    seller_page = seller_context.new_page()
    sign_in(seller_page, "sales@ningbo-fasteners.test")
    seller_page.get_by_role("navigation", name="Primary").get_by_role(
        "link", name="RFQ board"
    ).click()
    expect(seller_page.get_by_role("heading", name="RFQ board")).to_be_visible()
    snap(seller_page, "rfq-board")
    seller_page.get_by_role("link", name="Stainless steel hex bolts M8 x 40, A2-70").click()
    expect(seller_page.get_by_role("heading", name="Send a quote")).to_be_visible()
    expect(seller_page.locator(".rfq-detail-facts")).to_contain_text("Hamburg, Germany")
    expect(seller_page.get_by_role("link", name="Message the buyer")).to_have_attribute(
        "href", f"/messages/new/?rfq={rfq.pk}"
    )
    with seller_page.expect_download() as download:
        seller_page.get_by_role("link", name="bolt-drawing.pdf").click()
    assert download.value.suggested_filename == "bolt-drawing.pdf"
    snap(seller_page, "rfq-detail-seller")
    seller_page.goto("/rfqs/?view=board&destination_country=FR")
    expect(seller_page.get_by_text("No open RFQs match these filters")).to_be_visible()
    snap(seller_page, "rfq-board-empty")
    seller_context.close()
