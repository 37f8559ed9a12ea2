"""The order journey: a buyer fills a cart from two sellers, sees the landed cost, checks out
(two orders); a seller confirms with freight and, once the order is paid, ships it; the buyer
sees it shipped."""

import re

from playwright.sync_api import Browser, Page, expect

from marketplace.demo.services import FX_RATES_SAMPLE_CSV
from marketplace.trade.services import fx_rates_import
from orders import services
from orders.enums import OrderStatus
from orders.models import Order
from tests.factories import DEFAULT_PASSWORD, CompanyFactory, MembershipFactory, UserFactory
from tests.listings.factories import ListingFactory, hs_code_ensure


def sign_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def add_to_cart(page: Page, listing_pk: int, quantity: int) -> None:
    page.goto(f"/listings/{listing_pk}/")
    page.locator("#add-quantity").fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/cart/$"))


def test_buyer_checks_out_two_sellers_and_a_seller_confirms_and_ships(
    page: Page, browser: Browser, live_server, transactional_db
):
    hs_code_ensure()
    fx_rates_import(path=FX_RATES_SAMPLE_CSV)
    ningbo = CompanyFactory(
        seller=True, verified=True, legal_name="Ningbo Fasteners Co., Ltd.", country="CN"
    )
    MembershipFactory(company=ningbo, user=UserFactory(email="sales@ningbo-fasteners.test"))
    osaka = CompanyFactory(seller=True, verified=True, legal_name="Naniwa Tools K.K.", country="JP")
    MembershipFactory(company=osaka, user=UserFactory(email="export@naniwa-tools.test"))
    buyer = CompanyFactory(
        buyer=True,
        legal_name="Rheinland Import GmbH",
        country="DE",
        address_line1="Hansaring 61",
        city="Köln",
        postal_code="50670",
    )
    MembershipFactory(company=buyer, user=UserFactory(email="einkauf@rheinland-import.test"))
    bolts = ListingFactory(
        seller=ningbo,
        published=True,
        title="Hex bolts M8",
        moq=100,
        stock=10_000,
        incoterms=["EXW", "FOB"],
        tiers=[(100, "1.2000"), (1000, "1.0500")],
    )
    chisels = ListingFactory(
        seller=osaka,
        published=True,
        title="Chisel set",
        currency="JPY",
        moq=50,
        stock=2_000,
        incoterms=["DAP"],
        tiers=[(50, "1200"), (500, "1050")],
    )

    # The buyer sees the estimate on the listing page, then fills the cart from two sellers.
    sign_in(page, "einkauf@rheinland-import.test")
    page.goto(f"/listings/{bolts.pk}/")
    estimate = page.locator(f"#landed-cost-{bolts.pk}")
    expect(estimate).to_contain_text("Estimate: FOB to Germany")
    page.locator("#lc_quantity").fill("1000")
    # 1,000 × 1.0500 = 1,050.00; duty 3.7 % = 38.85; VAT 19 % of 1,088.85 = 206.88.
    expect(estimate).to_contain_text("USD 1,295.73")
    add_to_cart(page, bolts.pk, 1000)
    add_to_cart(page, chisels.pk, 60)
    expect(page.get_by_role("heading", name=re.compile("Ningbo Fasteners"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Naniwa Tools"))).to_be_visible()
    expect(page.get_by_text("JPY 72,000").first).to_be_visible()

    # Checkout: the address is the company's; the landed cost per seller order is shown.
    page.get_by_role("link", name="Check out").first.click()
    expect(page.get_by_label("Street address")).to_have_value("Hansaring 61")
    first = page.locator(f"#estimate-{ningbo.pk}")
    expect(first).to_contain_text("Landed cost: FOB to Germany")
    expect(first).to_contain_text("USD 1,327.23")  # with the 3 % platform fee (31.50)
    page.locator(f"#id_incoterm_{ningbo.pk}").select_option("EXW")
    expect(first).to_contain_text("Landed cost: EXW to Germany")
    page.locator(f"#id_named_place_{ningbo.pk}").fill("Ningbo works gate")
    expect(page.locator(f"#estimate-{osaka.pk}")).to_contain_text("Landed cost: DAP to Germany")
    page.locator(f"#id_named_place_{osaka.pk}").fill("Köln, Hansaring 61")
    page.get_by_label("Your PO number").fill("PO-2025-118")
    page.get_by_role("button", name="Place 2 orders").click()
    expect(page.get_by_text("2 orders placed")).to_be_visible()
    orders = {o.seller_id: o for o in Order.objects.all()}
    assert set(orders) == {ningbo.pk, osaka.pk}
    assert orders[osaka.pk].buyer_reference == "PO-2025-118"
    dap_order = orders[osaka.pk]

    # The Japanese seller confirms: under DAP it pays the carriage, so it quotes the freight.
    seller_context = browser.new_context(base_url=live_server.url)
    seller = seller_context.new_page()
    sign_in(seller, "export@naniwa-tools.test")
    seller.get_by_role("link", name="Orders", exact=True).click()
    seller.get_by_role("link", name=dap_order.number).click()
    seller.get_by_label("Freight (JPY)").fill("18000")
    seller.get_by_role("button", name="Confirm order").click()
    expect(seller.get_by_text("The order is confirmed")).to_be_visible()
    dap_order.refresh_from_db()
    assert dap_order.status == OrderStatus.CONFIRMED
    # 60 × ¥1,200 = ¥72,000 + freight ¥18,000 + fee 3 % ¥2,160 = ¥92,160.
    assert (dap_order.freight_minor, dap_order.total_minor) == (18_000, 92_160)

    # Payments is a later issue: the order is marked paid as the payment service will.
    services.order_mark_paid(order=dap_order, payment_reference="pi_test_1")
    seller.reload()
    seller.get_by_label("Carrier").fill("Nippon Express")
    seller.get_by_label("Tracking number").fill("NX-55501234")
    seller.get_by_role("button", name="Mark as shipped").click()
    expect(seller.get_by_text("The order is shipped")).to_be_visible()
    seller_context.close()

    # The buyer sees the order shipped, with its tracking number.
    page.goto(f"/orders/{dap_order.pk}/")
    expect(page.get_by_role("heading", name=re.compile(dap_order.number))).to_contain_text(
        "Shipped"
    )
    expect(page.get_by_role("region", name="Shipment")).to_contain_text("NX-55501234")
    expect(page.get_by_role("button", name="Confirm delivery")).to_be_visible()
