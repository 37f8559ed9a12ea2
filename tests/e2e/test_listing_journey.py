"""The listing journey: a seller lists a product, an admin approves it, a buyer finds it."""

import re
from decimal import Decimal

from PIL import Image
from playwright.sync_api import Browser, Page, expect

from listings.enums import ListingStatus
from listings.models import Listing
from marketplace.accounts.models import User
from marketplace.demo.services import FX_RATES_SAMPLE_CSV
from marketplace.trade.services import fx_rates_import
from tests.factories import (
    DEFAULT_PASSWORD,
    CompanyFactory,
    MembershipFactory,
    UserFactory,
    otp_code,
    otp_device_for,
)
from tests.listings.factories import category_leaf, hs_code_ensure


def sign_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_seller_lists_admin_approves_buyer_finds_it_by_a_typo(
    page: Page, browser: Browser, live_server, transactional_db, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    hs_code_ensure()
    fx_rates_import(path=FX_RATES_SAMPLE_CSV)
    seller = CompanyFactory(
        seller=True, verified=True, legal_name="Ningbo Fasteners Co., Ltd.", country="CN"
    )
    MembershipFactory(company=seller, user=UserFactory(email="sales@ningbo-fasteners.test"))
    moderator_device = otp_device_for(
        User.objects.create_superuser(email="moderator@platform.test", password=DEFAULT_PASSWORD)
    )
    buyer = CompanyFactory(buyer=True, legal_name="Rotterdam Imports B.V.", country="NL")
    MembershipFactory(company=buyer, user=UserFactory(email="buyer@rotterdam-imports.test"))
    photo = tmp_path / "hex-bolts.png"
    Image.new("RGB", (900, 600), "steelblue").save(photo, "PNG")
    leaf = category_leaf()

    # The seller creates the listing with two price tiers and a photo on one page.
    sign_in(page, "sales@ningbo-fasteners.test")
    page.get_by_role("link", name="My listings").click()
    page.get_by_role("link", name="Create your first listing").click()
    expect(page.get_by_role("heading", name="New listing")).to_be_visible()
    page.get_by_label("Title").fill("Stainless steel hex bolts M8 x 40, A2-70")
    page.get_by_label("Description").fill("DIN 933 hex bolts, **fully threaded**.")
    page.get_by_label("Category").select_option(label=f"{leaf.parent.name} › {leaf.name}")
    page.get_by_label("HS code").fill("731815")
    page.get_by_label("Country of origin").select_option("CN")
    page.get_by_label("Ships from").fill("Ningbo, China")
    page.get_by_label("Unit of sale").select_option("piece")
    page.get_by_label("Minimum order quantity").fill("1000")
    page.get_by_label("Stock").fill("250000")
    page.get_by_label("Lead time (days)").fill("21")
    page.get_by_label("FOB — Free On Board").check()
    page.get_by_label("EXW — Ex Works").check()
    page.get_by_label("Currency").select_option("USD")
    page.get_by_label("From quantity, tier 1").fill("1000")
    page.get_by_label("Unit price, tier 1").fill("0.0350")
    page.get_by_label("From quantity, tier 2").fill("10000")
    page.get_by_label("Unit price, tier 2").fill("0.0310")
    page.get_by_label("Net weight per unit (kg)").fill("0.028")
    page.get_by_label("Units per carton").fill("500")
    page.get_by_label("Carton gross weight (kg)").fill("14.5")
    page.get_by_label("Carton length (cm)").fill("40")
    page.get_by_label("Carton width (cm)").fill("30")
    page.get_by_label("Carton height (cm)").fill("20.5")
    page.get_by_label("Add images").set_input_files(str(photo))
    page.get_by_role("button", name="Save and submit for review").click()

    expect(page).to_have_url(re.compile(r"/seller/listings/$"))
    expect(page.get_by_text("is submitted for review")).to_be_visible()
    expect(page.get_by_text("Pending review", exact=True).first).to_be_visible()
    listing = Listing.objects.get()
    assert listing.status == ListingStatus.PENDING_REVIEW
    assert [(t.min_quantity, t.unit_price) for t in listing.price_tiers.all()] == [
        (1000, Decimal("0.0350")),
        (10000, Decimal("0.0310")),
    ]
    assert listing.images.count() == 1

    # An admin approves it from the moderation queue in Django admin.
    admin_context = browser.new_context(base_url=live_server.url)
    admin = admin_context.new_page()
    admin.goto("/admin/")
    admin.locator("#id_username").fill("moderator@platform.test")
    admin.locator("#id_password").fill(DEFAULT_PASSWORD)
    admin.locator("#id_otp_token").fill(otp_code(moderator_device))
    admin.get_by_role("button", name="Log in").click()
    admin.get_by_role("link", name="Moderation queue").click()
    row = admin.get_by_role("row").filter(has_text="Stainless steel hex bolts M8 x 40")
    row.get_by_role("checkbox").check()
    admin.get_by_role("combobox", name="Action").select_option(label="Approve selected listings")
    admin.get_by_role("button", name="Go").click()
    expect(admin.locator(".messagelist")).to_contain_text("1 listing approved.")
    admin_context.close()
    listing.refresh_from_db()
    assert listing.status == ListingStatus.PUBLISHED

    # A buyer finds it by a word with a typo, filters by origin and opens it.
    buyer_context = browser.new_context(base_url=live_server.url)
    shopper = buyer_context.new_page()
    sign_in(shopper, "buyer@rotterdam-imports.test")
    shopper.get_by_role("link", name="Catalogue").click()
    shopper.get_by_label("Search the catalogue").fill("stainles")
    shopper.get_by_label("Search the catalogue").press("Enter")
    expect(shopper).to_have_url(re.compile(r"q=stainles"))
    results = shopper.locator("#search-results")
    expect(
        results.get_by_role("link", name="Stainless steel hex bolts M8 x 40, A2-70")
    ).to_be_visible()
    shopper.get_by_label("Country of origin").select_option("CN")
    expect(shopper).to_have_url(re.compile(r"origin=CN"))
    expect(results).to_contain_text("made in China")
    results.get_by_role("link", name="Stainless steel hex bolts M8 x 40, A2-70").click()

    expect(
        shopper.get_by_role("heading", name="Stainless steel hex bolts M8 x 40, A2-70")
    ).to_be_visible()
    tiers = shopper.get_by_role("table").filter(has_text="Quantity from")
    expect(tiers).to_contain_text("1,000 pieces")
    expect(tiers).to_contain_text("USD 0.0350")
    expect(tiers).to_contain_text("USD 0.0310")
    expect(tiers).to_contain_text("≈ EUR 0.0303")
    seller_card = shopper.get_by_role("region", name="Ningbo Fasteners Co., Ltd.")
    expect(seller_card).to_contain_text("Verified seller")
    expect(seller_card).to_contain_text("China")
    expect(seller_card).to_contain_text("Member since")
    buyer_context.close()
