"""The conversation journey: a buyer writes to a supplier from a listing page; the seller,
in a second browser, sees the unread count in the header and answers on the conversation
page; the buyer's open page shows the answer without a reload."""

import re

from playwright.sync_api import Browser, Page, expect

from orders.conversations.models import Conversation
from tests.e2e.test_order_journey import sign_in
from tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.listings.factories import ListingFactory

SHOTS = "/work/notes/shots"


def test_buyer_writes_from_a_listing_and_sees_the_sellers_answer_without_a_reload(
    page: Page, browser: Browser, live_server, transactional_db
):
    seller = CompanyFactory(
        seller=True, verified=True, legal_name="Ningbo Fasteners Co., Ltd.", country="CN"
    )
    MembershipFactory(company=seller, user=UserFactory(email="sales@ningbo-fasteners.test"))
    buyer = CompanyFactory(buyer=True, legal_name="Rheinland Import GmbH", country="DE")
    MembershipFactory(company=buyer, user=UserFactory(email="einkauf@rheinland-import.test"))
    bolts = ListingFactory(seller=seller, published=True, title="Hex bolts M8", stock=10_000)

    # The buyer's inbox is empty; then they contact the supplier from the listing page.
    sign_in(page, "einkauf@rheinland-import.test")
    page.goto("/messages/")
    expect(page.get_by_role("heading", name="No messages yet")).to_be_visible()
    page.goto(f"/listings/{bolts.pk}/")
    page.get_by_role("link", name="Contact supplier").click()
    expect(page.get_by_role("heading", name="Contact Ningbo Fasteners Co., Ltd.")).to_be_visible()
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_text("Write your message to the supplier.")).to_be_visible()
    page.get_by_label("Your message").fill("Can you do 2,000 in blue, FOB Ningbo, by March?")
    page.get_by_role("button", name="Send message").click()
    expect(
        page.get_by_text("Your message was sent to Ningbo Fasteners Co., Ltd.", exact=True)
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Hex bolts M8")).to_be_visible()
    conversation = Conversation.objects.get()
    expect(page).to_have_url(re.compile(rf"/messages/{conversation.pk}/$"))

    # The seller sees "1" unread in the header, opens the conversation and answers.
    seller_context = browser.new_context(base_url=live_server.url)
    seller_page = seller_context.new_page()
    sign_in(seller_page, "sales@ningbo-fasteners.test")
    messages_link = seller_page.get_by_role("link", name=re.compile(r"^Messages"))
    expect(messages_link).to_have_text(re.compile(r"Messages\s*1\s*unread"))
    messages_link.click()
    expect(seller_page.get_by_text("1 new")).to_be_visible()
    seller_page.screenshot(path=f"{SHOTS}/conv-inbox-desktop.png", full_page=True)
    seller_page.get_by_role("link", name=re.compile("Hex bolts M8")).click()
    expect(seller_page.get_by_role("log", name="Messages")).to_contain_text("2,000 in blue")
    expect(seller_page.locator("#unread-count")).to_be_hidden()
    seller_page.get_by_label("Message", exact=True).fill(
        "Yes: 2,000 in blue RAL 5015, FOB Ningbo, ready on 20 February."
    )
    seller_page.get_by_role("button", name="Send").click()
    expect(seller_page.get_by_role("log", name="Messages")).to_contain_text("RAL 5015")
    seller_context.close()

    # The buyer's open page shows the answer by polling, with no reload.
    marker = page.evaluate("() => (window.__noReload = 'still here')")
    thread = page.get_by_role("log", name="Messages")
    expect(thread).to_contain_text("RAL 5015", timeout=15_000)
    assert page.evaluate("() => window.__noReload") == marker
    expect(thread.locator(".message")).to_have_count(2)
    page.screenshot(path=f"{SHOTS}/conv-conversation-desktop.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.screenshot(path=f"{SHOTS}/conv-conversation-phone.png", full_page=True)
    page.goto("/messages/")
    page.screenshot(path=f"{SHOTS}/conv-inbox-phone.png", full_page=True)
    page.goto(f"/listings/{bolts.pk}/contact/")
    page.screenshot(path=f"{SHOTS}/conv-contact-phone.png", full_page=True)
