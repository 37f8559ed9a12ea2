"""The seller's payout account pages and the sandbox's offline onboarding page."""

import pytest
from django.test import override_settings
from django.urls import reverse

from marketplace.accounts.enums import MembershipRole
from payments.enums import PayoutMethod
from payments.models import ConnectedAccount, SandboxObject, StripeEvent
from payments.payouts import payout_account_connect_stripe
from tests.factories import DEFAULT_PASSWORD, CompanyFactory, MembershipFactory
from tests.orders.factories import buyer_member, seller_member

PAGE = "/payments/payout-account/"
BANK_URL = "/payments/payout-account/bank/"
STRIPE_URL = "/payments/payout-account/stripe/"
BANK = {
    "account_holder": "Ningbo Fasteners Co., Ltd.",
    "bank_name": "Bank of China, Ningbo Branch",
    "iban": "6217 8560 0001 2345 678",
    "swift": "BKCHCNBJ92A",
    "country": "CN",
    "current_password": DEFAULT_PASSWORD,
}


@pytest.fixture
def de_seller_pair(db):
    return seller_member(legal_name="Hamburg Bolts GmbH", country="DE")


@pytest.fixture
def seller_client(client, seller_user):
    client.force_login(seller_user)
    return client


@pytest.fixture
def de_client(client, de_seller_pair):
    client.force_login(de_seller_pair[1])
    return client


def test_the_urls_are_where_the_sandbox_expects_them():
    assert reverse("payments:payout-account") == PAGE
    assert (
        reverse("payments:sandbox-onboarding", kwargs={"account_id": "acct_sbx_1"})
        == "/payments/sandbox/onboarding/acct_sbx_1/"
    )


def test_signing_in_is_required(client, db):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={PAGE}"
    assert client.post(BANK_URL, BANK).status_code == 302
    assert not ConnectedAccount.objects.exists()


def test_a_buying_company_is_told_the_page_is_for_sellers(client, db):
    _, buyer_user = buyer_member()
    client.force_login(buyer_user)

    response = client.get(PAGE)

    assert response.status_code == 403
    assert "Only for selling companies" in response.content.decode()
    assert client.post(BANK_URL, BANK).status_code == 403
    assert not ConnectedAccount.objects.exists()


def test_without_a_payout_account_the_page_shows_the_empty_state_and_both_ways(de_client):
    body = de_client.get(PAGE).content.decode()

    assert "No payout account yet" in body
    assert "Connect with Stripe" in body
    assert "Use bank transfer" in body
    assert "Stripe onboarding is simulated here: no real Stripe account is created" in body
    assert 'aria-live="polite"' in body


def test_where_stripe_cannot_pay_the_page_offers_only_bank_transfer(seller_client):
    body = seller_client.get(PAGE).content.decode()

    assert "Connect with Stripe" not in body
    assert "Stripe cannot pay out to companies in China. Use bank transfer instead." in body

    refused = seller_client.post(STRIPE_URL)

    assert refused.status_code == 400
    assert (
        "Stripe cannot pay out to companies in China (CN). Use bank transfer instead"
        in refused.content.decode()
    )
    assert not ConnectedAccount.objects.exists()
    assert not SandboxObject.objects.exists()


def test_connect_with_stripe_round_trip_through_the_sandbox_onboarding(de_client, de_seller_pair):
    seller = de_seller_pair[0]

    started = de_client.post(STRIPE_URL)

    account = ConnectedAccount.objects.get(company=seller)
    onboarding = f"/payments/sandbox/onboarding/{account.stripe_account_id}/"
    assert started.status_code == 302
    assert started["Location"] == (
        f"{onboarding}?return_url=http%3A%2F%2Ftestserver%2Fpayments%2Fpayout-account%2Fstripe"
        "%2Freturn%2F"
    )
    waiting = de_client.get(PAGE).content.decode()
    assert "Onboarding not finished" in waiting
    assert "External account, Tos acceptance: date" in waiting
    assert "Continue with Stripe" in waiting

    page = de_client.get(started["Location"])

    assert page.status_code == 200
    body = page.content.decode()
    assert "Sandbox — no real account is created" in body
    assert account.stripe_account_id in body
    assert 'value="http://testserver/payments/payout-account/stripe/return/"' in body

    done = de_client.post(
        onboarding, {"return_url": "http://testserver/payments/payout-account/stripe/return/"}
    )

    assert (done.status_code, done["Location"]) == (
        302,
        "http://testserver/payments/payout-account/stripe/return/",
    )
    account.refresh_from_db()
    assert (account.payouts_enabled, account.details_submitted) == (True, True)
    assert StripeEvent.objects.get().type == "account.updated"

    back = de_client.get("/payments/payout-account/stripe/return/", follow=True)

    assert back.redirect_chain == [(PAGE, 302)]
    body = back.content.decode()
    assert "Your Stripe account is ready: payouts are enabled." in body
    assert "Payouts enabled" in body
    assert "Update details with Stripe" in body


def test_an_expired_onboarding_link_is_replaced(de_client, de_seller_pair):
    de_client.post(STRIPE_URL)
    account = ConnectedAccount.objects.get(company=de_seller_pair[0])

    response = de_client.get("/payments/payout-account/stripe/refresh/")

    assert response.status_code == 302
    assert response["Location"].startswith(
        f"/payments/sandbox/onboarding/{account.stripe_account_id}/?return_url="
    )
    assert SandboxObject.objects.filter(kind="account").count() == 1


def test_the_onboarding_page_is_only_for_members_of_the_accounts_company(
    client, de_seller_pair, seller_user
):
    seller, owner = de_seller_pair
    link = payout_account_connect_stripe(
        company=seller,
        actor=owner,
        refresh_url="http://testserver/r",
        return_url="http://testserver/b",
    )
    path = link.split("?")[0]

    anonymous = client.get(path)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")

    client.force_login(seller_user)  # a member of another selling company
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404
    assert client.get("/payments/sandbox/onboarding/acct_sbx_unknown/").status_code == 404
    account = ConnectedAccount.objects.get(company=seller)
    assert account.payouts_enabled is False
    assert not StripeEvent.objects.exists()


def test_the_onboarding_page_returns_only_to_this_site(client, de_seller_pair):
    seller, owner = de_seller_pair
    link = payout_account_connect_stripe(
        company=seller,
        actor=owner,
        refresh_url="http://testserver/r",
        return_url="http://testserver/b",
    )
    client.force_login(owner)

    done = client.post(link.split("?")[0], {"return_url": "https://evil.example/phish"})

    assert (done.status_code, done["Location"]) == (302, PAGE)


@override_settings(PAYMENTS_SANDBOX=False)
def test_the_onboarding_page_is_404_when_the_sandbox_is_off(client, de_seller_pair):
    seller, owner = de_seller_pair
    with override_settings(PAYMENTS_SANDBOX=True):
        link = payout_account_connect_stripe(
            company=seller, actor=owner, refresh_url="http://t/r", return_url="http://t/b"
        )
    client.force_login(owner)

    assert client.get(link.split("?")[0]).status_code == 404
    assert client.post(link.split("?")[0]).status_code == 404
    assert ConnectedAccount.objects.get(company=seller).payouts_enabled is False


def test_bank_transfer_is_saved_and_shown_masked(seller_client, seller):
    response = seller_client.post(BANK_URL, BANK, follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    body = response.content.decode()
    assert "Saved: your company is paid by bank transfer to this account from now on." in body
    assert "6217 •••• 5678" in body
    assert "BKCHCNBJ92A" in body
    assert "Change bank details" in body
    account = ConnectedAccount.objects.get(company=seller)
    assert (account.method, account.bank_iban) == (
        PayoutMethod.BANK_TRANSFER,
        "6217856000012345678",
    )


def test_bad_bank_details_show_inline_errors_and_nothing_is_saved(seller_client):
    response = seller_client.post(
        BANK_URL,
        {**BANK, "account_holder": "", "iban": "DE89 3704 0044 0532 0130 01", "swift": "BKCH"},
    )

    assert response.status_code == 400
    assert response.context["bank_form"].errors == {
        "account_holder": ["Give the name the bank account is held in."],
        "iban": ["This IBAN's check digits do not match: check it for a mistyped character."],
        "swift": ["A SWIFT/BIC code has 8 or 11 characters, not 4."],
    }
    body = response.content.decode()
    assert body.count('aria-invalid="true"') == 3
    assert "Check the bank details: 3 fields need a correction." in body
    assert 'value="DE89 3704 0044 0532 0130 01"' in body  # kept as typed
    assert not ConnectedAccount.objects.exists()

    response = seller_client.post(BANK_URL, {**BANK, "country": "ZZ"})

    assert response.status_code == 400
    assert response.context["bank_form"].errors == {"country": ["Choose a country from the list."]}
    assert "Check the bank details: 1 field needs a correction." in response.content.decode()
    assert not ConnectedAccount.objects.exists()


def test_a_staff_member_sees_the_account_but_cannot_change_it(client, seller, seller_user):
    client.force_login(seller_user)
    client.post(BANK_URL, BANK)
    staff = MembershipFactory(company=seller, role=MembershipRole.STAFF).user
    client.force_login(staff)

    page = client.get(PAGE).content.decode()
    assert "its owners and admins can change it" in page
    assert "Use bank transfer" not in page and "Save bank details" not in page

    refused = client.post(BANK_URL, {**BANK, "iban": "6217850000000000001"})

    assert refused.status_code == 403
    assert ConnectedAccount.objects.get(company=seller).bank_iban == "6217856000012345678"


def test_an_unverified_seller_is_told_to_get_verified_first(client, db):
    company = CompanyFactory(seller=True, country="DE")
    client.force_login(MembershipFactory(company=company).user)

    page = client.get(PAGE).content.decode()
    assert "is not verified yet" in page
    assert "Connect with Stripe" not in page

    refused = client.post(BANK_URL, {**BANK, "country": "DE"})

    assert refused.status_code == 409
    assert "is not verified yet: a payout account can be set up once" in refused.content.decode()
    assert not ConnectedAccount.objects.exists()
