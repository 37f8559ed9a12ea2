"""First journey: a seller signs up their company, signs out, and signs in again."""

import re

from playwright.sync_api import Page, expect

from marketplace.accounts.models import Company, Membership, User


def test_seller_signs_up_signs_out_and_signs_in(page: Page, transactional_db):
    page.goto("/")
    page.get_by_role("link", name="Create a company account").first.click()

    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    page.get_by_label("Email").fill("export@lotus-ceramics.example")
    page.get_by_label("Full name").fill("Nguyen Thi Lan")
    page.get_by_label("Password", exact=True).fill("glazed-bowls-2026")
    page.get_by_label("Password again").fill("glazed-bowls-2026")
    page.get_by_label("Legal name").fill("Lotus Ceramics Joint Stock Company")
    page.get_by_label("Trading name").fill("Lotus Ceramics")
    page.get_by_label("Country of registration").select_option("VN")
    page.get_by_label("Address", exact=True).fill("12 Bat Trang Street")
    page.get_by_label("City").fill("Hanoi")
    page.get_by_label("Postal code").fill("100000")
    page.get_by_label("Company registration number").fill("0101234567")
    page.get_by_label("I sell (export)").check()
    page.get_by_label("Default currency").select_option("USD")
    page.get_by_role("button", name=re.compile("Create", re.I)).click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_text("Lotus Ceramics").first).to_be_visible()
    user = User.objects.get(email="export@lotus-ceramics.example")
    company = Company.objects.get(legal_name="Lotus Ceramics Joint Stock Company")
    assert (company.country.code, company.sells, company.buys) == ("VN", True, False)
    assert company.verification_status == "unverified"
    assert Membership.objects.get(user=user, company=company).role == "owner"

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()

    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Email").fill("export@lotus-ceramics.example")
    page.get_by_label("Password").fill("glazed-bowls-2026")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_text("Lotus Ceramics").first).to_be_visible()


def test_sign_up_with_a_taken_email_shows_the_error_inline_and_creates_nothing(
    page: Page, transactional_db
):
    User.objects.create_user(email="taken@example.com", password="an-old-password-1")

    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill("Taken@Example.com")
    page.get_by_label("Full name").fill("Someone Else")
    page.get_by_label("Password", exact=True).fill("a-brand-new-password-7")
    page.get_by_label("Password again").fill("a-brand-new-password-7")
    page.get_by_label("Legal name").fill("Second Try Ltd")
    page.get_by_label("Country of registration").select_option("GB")
    page.get_by_label("Address", exact=True).fill("1 Dock Road")
    page.get_by_label("City").fill("Felixstowe")
    page.get_by_label("I buy (import)").check()
    page.get_by_role("button", name=re.compile("Create", re.I)).click()

    email = page.get_by_label("Email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-error, .errorlist").first).to_be_visible()
    assert User.objects.count() == 1
    assert Company.objects.count() == 0
