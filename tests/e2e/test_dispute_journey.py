"""The dispute journey: a buyer opens a dispute on a delivered order with a photo; the seller
answers in the dispute's conversation; the buyer sees the answer; staff read the conversation
beside the resolution actions in the admin."""

import re

from django.test import Client
from playwright.sync_api import Browser, Page, expect

from orders.conversations.models import Conversation
from orders.enums import OrderStatus
from tests.conversations.factories import png
from tests.e2e.test_order_journey import sign_in
from tests.factories import (
    CompanyFactory,
    MembershipFactory,
    UserFactory,
    admin_login,
    staff_user,
)
from tests.orders.factories import OrderFactory

SHOTS = "/work/notes/shots"


def test_buyer_disputes_with_a_photo_the_seller_answers_and_staff_read_it(
    page: Page, browser: Browser, live_server, transactional_db, tmp_path
):
    seller = CompanyFactory(
        seller=True, verified=True, legal_name="Ningbo Fasteners Co., Ltd.", country="CN"
    )
    MembershipFactory(company=seller, user=UserFactory(email="sales@ningbo-fasteners.test"))
    buyer = CompanyFactory(buyer=True, legal_name="Rheinland Import GmbH", country="DE")
    buyer_user = MembershipFactory(
        company=buyer, user=UserFactory(email="einkauf@rheinland-import.test")
    ).user
    order = OrderFactory(delivered=True, buyer=buyer, seller=seller, placed_by=buyer_user)
    photo = tmp_path / "rusty-bolts.png"
    photo.write_bytes(png().read())

    # The buyer opens a dispute from the order page with a photo.
    sign_in(page, "einkauf@rheinland-import.test")
    page.goto(f"/orders/{order.pk}/")
    page.get_by_text("Open a dispute").click()
    page.get_by_label("Reason").fill("About half of the bolts arrived rusty; see the photo.")
    page.get_by_label("Evidence").set_input_files(str(photo))
    page.get_by_role("button", name="Open dispute").click()
    expect(page.get_by_text("The dispute is open")).to_be_visible()
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPUTED
    conversation = Conversation.objects.get(dispute=order.dispute)
    page.get_by_role("link", name="Dispute conversation and evidence").click()
    expect(page).to_have_url(re.compile(rf"/messages/{conversation.pk}/$"))
    thread = page.get_by_role("log", name="Messages")
    expect(thread).to_contain_text("arrived rusty")
    expect(thread.get_by_role("link", name="rusty-bolts.png")).to_be_visible()

    # The seller answers in the dispute's conversation with its own photo.
    seller_context = browser.new_context(base_url=live_server.url)
    seller_page = seller_context.new_page()
    sign_in(seller_page, "sales@ningbo-fasteners.test")
    seller_page.goto("/messages/?topic=dispute")
    seller_page.get_by_role("link", name=re.compile(f"Dispute on order {order.number}")).click()
    expect(seller_page.get_by_role("link", name="Order and dispute")).to_be_visible()
    seller_page.get_by_label("Message", exact=True).fill(
        "They left dry and sealed; the photo of the packing is attached."
    )
    packing = tmp_path / "packing.png"
    packing.write_bytes(png(color="navy").read())
    seller_page.get_by_label("Attach files").set_input_files(str(packing))
    seller_page.get_by_role("button", name="Send").click()
    expect(seller_page.get_by_role("log", name="Messages")).to_contain_text("left dry and sealed")
    seller_context.close()

    # The buyer's open page shows the answer without a reload.
    expect(thread).to_contain_text("left dry and sealed", timeout=15_000)
    expect(thread.get_by_role("link", name="packing.png")).to_be_visible()

    # Staff read the conversation beside the resolution actions.
    admin_context = browser.new_context(base_url=live_server.url)
    session = Client()
    admin_login(session, staff_user("finance"))
    admin_context.add_cookies(
        [{"name": "sessionid", "value": session.cookies["sessionid"].value, "url": live_server.url}]
    )
    admin_page = admin_context.new_page()
    admin_page.goto(f"/admin/payments/disputecase/{order.dispute.pk}/resolve/")
    section = admin_page.locator("#dispute-thread")
    expect(section).to_contain_text("arrived rusty")
    expect(section).to_contain_text("left dry and sealed")
    expect(section.get_by_role("link", name="rusty-bolts.png")).to_be_visible()
    expect(admin_page.get_by_role("button", name="Resolve the dispute")).to_be_visible()
    admin_page.screenshot(path=f"{SHOTS}/conv-admin-dispute.png", full_page=True)
    admin_context.close()
