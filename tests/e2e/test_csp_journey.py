"""The Content Security Policy in a real browser: the main journeys (search, listing page,
cart, checkout, order pages, the sandbox pay page, the admin, the API docs) raise no CSP
violation, and the issue's payload (a buyer's named place, a seller's listing title) never
runs: no dialog opens."""

from collections.abc import Iterator

import pytest
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, expect

from marketplace.demo.services import FX_RATES_SAMPLE_CSV
from marketplace.trade.services import fx_rates_import
from orders import services as order_services
from tests.e2e.test_order_journey import add_to_cart, sign_in
from tests.factories import CompanyFactory, MembershipFactory, UserFactory, admin_login
from tests.listings.factories import ListingFactory, hs_code_ensure
from tests.orders.factories import place_order, ship_to

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(document.domain)>\"'"

# Reports every violation to the test, on every page the context opens (an init script runs
# before the page's own scripts and is not subject to its policy).
_LISTEN = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolation({
    page: location.pathname + location.search,
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
  });
});
"""


class Watch:
    """What went wrong in a browser context: CSP violations, console errors, dialogs."""

    def __init__(self, context: BrowserContext) -> None:
        self.violations: list[dict] = []
        self.console: list[str] = []
        self.dialogs: list[str] = []
        context.expose_binding("cspViolation", lambda source, v: self.violations.append(v))
        context.add_init_script(_LISTEN)
        context.on("page", self.watch_page)

    def watch_page(self, page: Page) -> None:
        page.on(
            "console",
            lambda message: self.console.append(message.text) if message.type == "error" else None,
        )
        page.on("pageerror", lambda error: self.console.append(str(error)))
        page.on("dialog", self.dialog)

    def dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_clean(self) -> None:
        assert self.violations == []
        assert [text for text in self.console if "Content Security Policy" in text] == []
        assert self.dialogs == []


@pytest.fixture
def watched(browser: Browser, live_server) -> Iterator[tuple[Page, Watch, BrowserContext]]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    watch = Watch(context)
    page = context.new_page()
    yield page, watch, context
    context.close()


def settle(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert "default-src 'self'" in response.headers["content-security-policy"], url
    page.wait_for_load_state("networkidle")


def test_main_journeys_raise_no_csp_violation_and_run_no_payload(
    watched, browser: Browser, live_server, transactional_db
):
    page, watch, _ = watched
    hs_code_ensure()
    fx_rates_import(path=FX_RATES_SAMPLE_CSV)
    seller = CompanyFactory(
        seller=True, verified=True, legal_name=f"Ningbo {PAYLOAD}", country="CN", slug="ningbo"
    )
    seller_user = MembershipFactory(
        company=seller, user=UserFactory(email="sales@ningbo-fasteners.test")
    ).user
    buyer = CompanyFactory(
        buyer=True,
        legal_name="Rheinland Import GmbH",
        country="DE",
        address_line1="Hansaring 61",
        city="Köln",
        postal_code="50670",
    )
    buyer_user = MembershipFactory(
        company=buyer, user=UserFactory(email="einkauf@rheinland-import.test")
    ).user
    staff = UserFactory(email="admin@platform.test", is_staff=True, is_superuser=True)
    bolts = ListingFactory(
        seller=seller,
        published=True,
        title=f"Hex bolts {PAYLOAD}",
        description=f"Bolts.\n\n{PAYLOAD}\n\n**Bold** and a [link](https://example.com).",
        moq=100,
        stock=10_000,
        incoterms=["FOB", "CIF"],
        tiers=[(100, "1.2000"), (1000, "1.0500")],
    )
    # The probe: the buyer's named place in the seller's "Confirm order" form.
    probe = place_order(
        listing=bolts,
        buyer=buyer,
        actor=buyer_user,
        incoterm="CIF",
        named_place=PAYLOAD,
        address=ship_to(name=f"Wareneingang {PAYLOAD}"),
        buyer_reference="PO-1",
    )
    to_pay = place_order(listing=bolts, buyer=buyer, actor=buyer_user, incoterm="FOB")
    order_services.order_confirm(order=to_pay, actor=seller_user)

    # Anonymous: home, search (typed: htmx swaps the results), the listing, the storefront.
    settle(page, "/")
    settle(page, "/catalogue/")
    page.get_by_role("searchbox").first.fill("bolts")
    page.wait_for_load_state("networkidle")
    settle(page, f"/listings/{bolts.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(PAYLOAD)
    settle(page, "/sellers/ningbo/")
    settle(page, "/documents/verify/")

    # The buyer: listing with its landed-cost estimate (htmx), cart, checkout, orders, pay.
    sign_in(page, "einkauf@rheinland-import.test")
    settle(page, f"/listings/{bolts.pk}/")
    expect(page.locator(f"#landed-cost-{bolts.pk}")).to_contain_text("Estimate")
    add_to_cart(page, bolts.pk, 1000)
    page.get_by_role("link", name="Check out").first.click()
    expect(page.locator(f"#estimate-{seller.pk}")).to_contain_text("Landed cost")
    page.locator(f"#id_incoterm_{seller.pk}").select_option("CIF")
    page.wait_for_load_state("networkidle")
    settle(page, "/orders/")
    settle(page, f"/orders/{probe.pk}/")
    settle(page, f"/orders/{to_pay.pk}/pay/")
    page.get_by_role("button", name="Pay (sandbox)").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", level=1)).to_contain_text(to_pay.number)

    # The seller: the probe's order page with the Confirm form, own listings, payout account.
    seller_context = browser.new_context(base_url=live_server.url)
    seller_watch = Watch(seller_context)
    seller_page = seller_context.new_page()
    sign_in(seller_page, "sales@ningbo-fasteners.test")
    settle(seller_page, f"/orders/{probe.pk}/")
    expect(seller_page.get_by_role("button", name="Confirm order")).to_be_visible()
    expect(seller_page.get_by_text("you pay the main carriage to the named place")).to_be_visible()
    settle(seller_page, "/seller/listings/")
    settle(seller_page, f"/seller/listings/{bolts.pk}/edit/")
    settle(seller_page, "/payments/payout-account/")
    settle(seller_page, "/payments/money/")

    # Staff: the admin's login page, then its pages with the same payloads.
    admin_context = browser.new_context(base_url=live_server.url)
    admin_watch = Watch(admin_context)
    admin_page = admin_context.new_page()
    settle(admin_page, "/admin/login/")
    session = Client()
    admin_login(session, staff)  # a session verified by the second factor, as the login gives
    admin_context.add_cookies(
        [{"name": "sessionid", "value": session.cookies["sessionid"].value, "url": live_server.url}]
    )
    for url in (
        "/admin/",
        "/admin/orders/order/",
        f"/admin/orders/order/{probe.pk}/change/",
        "/admin/listings/listing/",
        f"/admin/listings/listing/{bolts.pk}/change/",
        "/admin/accounts/company/",
        f"/admin/accounts/company/{seller.pk}/change/",
        "/admin/trade/dutyrate/",
        "/admin/trade/fxrate/add/",  # the date widget (calendar and "Today" shortcuts)
        "/admin/accounts/user/add/",
        "/admin/payments/payment/",
        "/admin/ledger/ledgeraccount/",
    ):
        settle(admin_page, url)
        expect(admin_page.locator("#content")).to_be_visible()
    # The admin's calendar, built by its scripts.
    settle(admin_page, "/admin/trade/fxrate/add/")
    admin_page.locator("#calendarlink0").click()
    expect(admin_page.locator("#calendarbox0")).to_be_visible()
    # The API docs: Swagger UI renders the schema.
    settle(admin_page, "/api/docs/")
    expect(admin_page.get_by_text("Open Trade Marketplace API").first).to_be_visible()

    for context_watch in (watch, seller_watch, admin_watch):
        context_watch.assert_clean()
    seller_context.close()
    admin_context.close()
