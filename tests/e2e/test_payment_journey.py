"""The payment journey in the offline sandbox (the issue's acceptance test): the seller connects
a payout account on the sandbox onboarding page; the buyer's first card is declined, the
second attempt pays; the seller ships; the buyer confirms delivery and accepts; the real
worker settles (outbox → payments queue); the seller sees the payout on the money dashboard;
an admin sees the ledger balanced in Django admin and through the staff API.

Set ``SCREENSHOT_DIR`` to keep a desktop and a phone-width screenshot of each payments page.
"""

import os
import re
import time
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from marketplace.demo.services import FX_RATES_SAMPLE_CSV
from marketplace.trade.services import fx_rates_import
from orders import services as order_services
from orders.enums import OrderStatus
from orders.models import Order
from payments.enums import PaymentStatus, SettlementStatus
from payments.ledger.selectors import ledger_check, order_escrow_held_minor
from payments.models import Payment, Settlement
from tests.e2e.test_order_journey import sign_in
from tests.factories import (
    DEFAULT_PASSWORD,
    CompanyFactory,
    MembershipFactory,
    UserFactory,
    otp_code,
    otp_device_for,
)
from tests.listings.factories import ListingFactory, hs_code_ensure
from tests.orders.factories import place_order

SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR", "")
BANNER = "Payments sandbox: no real money moves."


def snap(page: Page, name: str) -> None:
    """Desktop and phone-width screenshots when SCREENSHOT_DIR is set (for looking at)."""
    if not SCREENSHOT_DIR:
        return
    folder = Path(SCREENSHOT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or {"width": 1280, "height": 900}
    page.screenshot(path=str(folder / f"{name}-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(folder / f"{name}-mobile.png"), full_page=True)
    page.set_viewport_size(size)


def settlement_awaited(order: Order, *, deadline_seconds: float = 60) -> Settlement:
    """The order's settlement once the worker has paid it (the worker runs in the background)."""
    give_up = time.monotonic() + deadline_seconds
    while True:
        found = Settlement.objects.filter(order=order).first()
        if found is not None and found.status == SettlementStatus.TRANSFERRED:
            return found
        if time.monotonic() > give_up:
            raise AssertionError(f"Not settled: {found and found.status}")
        time.sleep(0.2)


def test_buyer_pays_in_the_sandbox_and_the_worker_pays_the_seller(
    page: Page, browser: Browser, live_server, celery_worker
):
    hs_code_ensure()
    fx_rates_import(path=FX_RATES_SAMPLE_CSV)
    seller = CompanyFactory(
        seller=True, verified=True, legal_name="Naniwa Tools K.K.", country="JP"
    )
    seller_user = MembershipFactory(
        company=seller, user=UserFactory(email="export@naniwa-tools.test")
    ).user
    buyer = CompanyFactory(buyer=True, legal_name="Rheinland Import GmbH", country="DE")
    buyer_user = MembershipFactory(
        company=buyer, user=UserFactory(email="einkauf@rheinland-import.test")
    ).user
    finance_device = otp_device_for(
        UserFactory(email="finance@platform.test", is_staff=True, is_superuser=True)
    )
    chisels = ListingFactory(
        seller=seller,
        published=True,
        title="Chisel set",
        currency="JPY",
        moq=50,
        stock=2_000,
        incoterms=["FOB"],
        tiers=[(50, "1200"), (500, "1050")],
    )
    # Placing and confirming in the browser is the order journey's; here the order starts
    # confirmed: 60 × ¥1,200 = ¥72,000 FOB Osaka + platform fee 3 % ¥2,160 = ¥74,160.
    order = place_order(
        listing=chisels, quantity=60, buyer=buyer, actor=buyer_user, named_place="Osaka"
    )
    order = order_services.order_confirm(order=order, actor=seller_user)
    assert (order.status, order.total_minor) == (OrderStatus.CONFIRMED, 74_160)

    # The seller connects a payout account through the sandbox's offline Stripe onboarding.
    seller_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    seller_context.set_default_timeout(15_000)
    seller_page = seller_context.new_page()
    sign_in(seller_page, "export@naniwa-tools.test")
    seller_page.get_by_role("navigation", name="Primary").get_by_role("link", name="Money").click()
    expect(seller_page.get_by_text(BANNER)).to_be_visible()
    expect(seller_page.get_by_role("heading", name="No settlements yet")).to_be_visible()
    snap(seller_page, "money-empty")
    seller_page.get_by_role("link", name="Set up your payout account").click()
    seller_page.get_by_role("button", name="Connect with Stripe").click()
    expect(seller_page.get_by_role("heading", name=re.compile("Stripe onboarding"))).to_be_visible()
    seller_page.get_by_role("button", name="Complete onboarding (sandbox)").click()
    expect(seller_page.locator("#payout-status")).to_contain_text("Payouts enabled")

    # The buyer opens the order and pays: the sandbox is labelled on every page.
    sign_in(page, "einkauf@rheinland-import.test")
    page.goto(f"/orders/{order.pk}/")
    expect(page.get_by_text(BANNER)).to_be_visible()
    page.get_by_role("link", name="Pay JPY 74,160").click()
    expect(page.get_by_role("heading", name=f"Pay order {order.number}")).to_be_visible()
    expect(page.locator("[data-pay-amount]")).to_have_text("JPY 74,160")
    expect(page.get_by_role("note", name="Sandbox payment")).to_contain_text("no real money moves")
    snap(page, "pay-sandbox")

    # The first card is declined: the reason is shown and the buyer tries again.
    page.get_by_role("button", name="Decline (sandbox)").click()
    expect(page.locator("#pay-failed")).to_have_text(
        re.compile(
            r"The last attempt did not go through:\s+Your card was declined\. \(sandbox\)\s+"
            r"Nothing was charged\. You can try again\."
        )
    )
    snap(page, "pay-declined")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CONFIRMED
    page.get_by_role("button", name="Pay (sandbox)").click()
    expect(page).to_have_url(re.compile(rf"/orders/{order.pk}/$"))
    expect(page.get_by_role("status").filter(has_text="Payment received")).to_contain_text(
        f"order {order.number} is paid (JPY 74,160)"
    )
    expect(page.get_by_role("heading", name=re.compile(order.number))).to_contain_text("Paid")
    snap(page, "order-paid")
    [payment] = Payment.objects.filter(order=order)
    assert (payment.status, payment.amount_received_minor) == (PaymentStatus.SUCCEEDED, 74_160)
    assert order_escrow_held_minor(order=order) == 74_160

    # The seller sees the money held, and ships.
    seller_page.goto("/payments/money/")
    expect(seller_page.locator('[data-money="held"]')).to_have_text("JPY 74,160")
    seller_page.goto(f"/orders/{order.pk}/")
    seller_page.get_by_label("Carrier").fill("Nippon Express")
    seller_page.get_by_label("Tracking number").fill("NX-55501234")
    seller_page.get_by_role("button", name="Mark as shipped").click()
    expect(seller_page.get_by_text("The order is shipped")).to_be_visible()

    # The buyer confirms delivery and accepts the goods, each asked for confirmation first:
    # dismissing the question changes nothing; accepting it goes ahead.
    page.goto(f"/orders/{order.pk}/")
    asked: list[str] = []

    def answer(accept: bool):
        def handle(dialog):
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handle

    page.once("dialog", answer(False))
    page.get_by_role("button", name="Confirm delivery").click()
    expect(page.get_by_role("button", name="Confirm delivery")).to_be_visible()
    order.refresh_from_db()
    assert order.status == "shipped"
    page.once("dialog", answer(True))
    page.get_by_role("button", name="Confirm delivery").click()
    expect(page.get_by_text("Delivery confirmed")).to_be_visible()
    page.once("dialog", answer(True))
    page.get_by_role("button", name="Accept the goods").click()
    expect(page.get_by_text("The goods are accepted and the order is completed.")).to_be_visible()
    assert asked == [
        f"Confirm that the goods of {order.number} have arrived? The inspection window then "
        "starts and cannot be undone.",
    ] * 2 + [
        f"Accept the goods of {order.number}? The order completes and the payment is released "
        "to the seller; you can no longer open a dispute."
    ]

    # The real worker settles: seller share ¥72,000, platform fee ¥2,160.
    done = settlement_awaited(order)
    assert (done.seller_share_minor, done.platform_fee_minor) == (72_000, 2_160)
    assert done.transfer_id.startswith("tr_sbx_")

    # The seller sees the payout on the money dashboard.
    seller_page.goto("/payments/money/")
    expect(seller_page.locator('[data-money="paid-out"]')).to_have_text("JPY 72,000")
    expect(seller_page.locator('[data-money="held"]')).to_have_text("JPY 0")
    expect(seller_page.locator('[data-money="payable"]')).to_have_text("JPY 0")
    row = seller_page.get_by_role("row").filter(has_text=order.number)
    expect(row).to_contain_text("JPY 72,000")
    expect(row).to_contain_text("JPY 2,160")
    expect(row).to_contain_text("Transferred")
    snap(seller_page, "money-paid-out")
    seller_context.close()

    # An admin signs in to Django admin and sees the ledger balanced.
    admin_context = browser.new_context(base_url=live_server.url)
    admin_context.set_default_timeout(15_000)
    admin = admin_context.new_page()
    admin.goto("/admin/login/")
    admin.locator("#id_username").fill("finance@platform.test")
    admin.locator("#id_password").fill(DEFAULT_PASSWORD)
    admin.locator("#id_otp_token").fill(otp_code(finance_device))
    admin.get_by_role("button", name="Log in").click()
    admin.goto("/admin/ledger/ledgeraccount/")
    # Capture, release (escrow → payable + fee), payout: three balanced transactions.
    expect(admin.locator(".ledger-check-balanced")).to_have_text(
        "Balanced: all 3 transactions sum to zero in every currency."
    )
    snap(admin, "admin-ledger")
    check = admin.request.get("/api/v1/ledger/check/", headers={"Accept": "application/json"})
    assert check.status == 200
    assert check.json() == {"balanced": True, "transactions": 3}
    admin_context.close()
    assert ledger_check() == {"balanced": True, "transactions": 3}
