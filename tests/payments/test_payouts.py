"""Sellers connect Stripe Connect Express: the account is asked for under a key derived from
the company (the ConnectedAccount row committed first), onboarding goes through a link, and
``account.updated`` (re-read from the gateway) enables payouts and pays what was waiting."""

import json
import time

import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from werkzeug import Request, Response

from marketplace.accounts.enums import MembershipRole
from marketplace.core.exceptions import Conflict
from orders import services as order_services
from payments.enums import PayoutMethod, SettlementStatus
from payments.gateway import GatewayError
from payments.ledger.selectors import ledger_check, seller_money_summary
from payments.models import ConnectedAccount, SandboxObject, Settlement, StripeEvent
from payments.payouts import (
    StripeConnectUnavailable,
    account_updated,
    payout_account_connect_stripe,
    payout_account_sync,
    payout_account_use_bank_transfer,
    settlements_payout_retry,
)
from payments.sandbox import SandboxGateway
from payments.settlement import settlement_run
from tests.factories import DEFAULT_PASSWORD, CompanyFactory, MembershipFactory
from tests.listings.factories import ListingFactory
from tests.orders.factories import buyer_member, place_order, seller_member
from tests.payments.conftest import pay

REFRESH = "http://testserver/payments/payout-account/stripe/refresh/"
RETURN = "http://testserver/payments/payout-account/stripe/return/"


@pytest.fixture
def de_seller_pair(db):
    return seller_member(legal_name="Hamburg Bolts GmbH", country="DE")


@pytest.fixture
def de_seller(de_seller_pair):
    return de_seller_pair[0]


@pytest.fixture
def de_seller_user(de_seller_pair):
    return de_seller_pair[1]


def _connect(company, user):
    return payout_account_connect_stripe(
        company=company, actor=user, refresh_url=REFRESH, return_url=RETURN
    )


# --- the sandbox gateway ---------------------------------------------------------------------


def test_connect_stripe_creates_the_express_account_once_and_returns_the_onboarding_link(
    de_seller, de_seller_user
):
    link = _connect(de_seller, de_seller_user)

    account = ConnectedAccount.objects.get(company=de_seller)
    assert account.method == PayoutMethod.STRIPE
    assert account.stripe_account_id.startswith("acct_sbx_")
    assert (account.payouts_enabled, account.details_submitted) == (False, False)
    assert account.requirements_due == ["external_account", "tos_acceptance.date"]
    assert link == (
        f"/payments/sandbox/onboarding/{account.stripe_account_id}/"
        "?return_url=http%3A%2F%2Ftestserver%2Fpayments%2Fpayout-account%2Fstripe%2Freturn%2F"
    )
    remote = SandboxObject.objects.get(kind="account")
    assert remote.idempotency_key == f"account:{de_seller.pk}"
    assert remote.data["country"] == "DE"
    assert remote.data["email"] == de_seller_user.email
    assert remote.data["business_profile"] == {"name": "Hamburg Bolts GmbH"}

    again = _connect(de_seller, de_seller_user)

    assert again == link
    assert SandboxObject.objects.filter(kind="account").count() == 1
    assert ConnectedAccount.objects.count() == 1


def test_connect_stripe_is_refused_where_stripe_cannot_pay_and_offers_bank_transfer(
    seller, seller_user
):
    with pytest.raises(StripeConnectUnavailable) as refused:
        _connect(seller, seller_user)  # Ningbo, China: not a Stripe Connect country

    assert refused.value.code == "stripe_country_unsupported"
    assert refused.value.message == (
        "Stripe cannot pay out to companies in China (CN). Use bank transfer instead: give "
        "your bank details and each settlement is paid to your bank account."
    )
    assert not ConnectedAccount.objects.exists()
    assert not SandboxObject.objects.exists()


@override_settings(STRIPE_CONNECT_COUNTRIES=["DE", "CN"])
def test_connect_stripe_follows_the_configured_countries(seller, seller_user):
    _connect(seller, seller_user)

    assert SandboxObject.objects.get(kind="account").data["country"] == "CN"


def test_only_owners_and_admins_of_the_seller_may_connect(de_seller, outsider):
    staff = MembershipFactory(company=de_seller, role=MembershipRole.STAFF).user
    admin_user = MembershipFactory(company=de_seller, role=MembershipRole.ADMIN).user

    for user in (staff, outsider):
        with pytest.raises(PermissionDenied):
            _connect(de_seller, user)
    assert not ConnectedAccount.objects.exists()
    assert not SandboxObject.objects.exists()

    _connect(de_seller, admin_user)
    assert ConnectedAccount.objects.filter(company=de_seller).count() == 1


def test_an_unverified_seller_or_a_buyer_cannot_connect(db):
    unverified = CompanyFactory(seller=True, country="DE")
    owner = MembershipFactory(company=unverified).user
    buyer, buyer_user = buyer_member(country="DE")

    with pytest.raises(Conflict) as not_verified:
        _connect(unverified, owner)
    with pytest.raises(Conflict) as not_seller:
        _connect(buyer, buyer_user)

    assert not_verified.value.code == "company_not_verified"
    assert not_seller.value.code == "not_a_seller"
    assert not ConnectedAccount.objects.exists()
    assert not SandboxObject.objects.exists()


def test_account_updated_reads_the_account_again_and_enables_payouts(de_seller, de_seller_user):
    _connect(de_seller, de_seller_user)
    account = ConnectedAccount.objects.get(company=de_seller)

    # An out-of-date event says nothing useful: the handler re-reads the account.
    account_updated({"id": account.stripe_account_id, "payouts_enabled": True})
    account.refresh_from_db()
    assert account.payouts_enabled is False

    SandboxGateway().account_onboarding_complete(account.stripe_account_id)

    account.refresh_from_db()
    assert (account.payouts_enabled, account.charges_enabled, account.details_submitted) == (
        True,
        True,
        True,
    )
    assert account.requirements_due == []
    assert account.can_receive_transfers is True
    event = StripeEvent.objects.get(type="account.updated")
    assert event.status == "processed"


def test_payout_account_sync_reads_the_gateway_without_an_event(de_seller, de_seller_user):
    _connect(de_seller, de_seller_user)
    account = ConnectedAccount.objects.get(company=de_seller)
    row = SandboxObject.objects.get(object_id=account.stripe_account_id)
    row.data.update(payouts_enabled=True, details_submitted=True)
    row.save()

    synced = payout_account_sync(company=de_seller)

    assert synced is not None
    assert (synced.payouts_enabled, synced.details_submitted) == (True, True)
    assert not StripeEvent.objects.exists()


def test_switching_to_stripe_keeps_bank_details_and_the_same_account(de_seller, de_seller_user):
    payout_account_use_bank_transfer(
        company=de_seller,
        actor=de_seller_user,
        account_holder="Hamburg Bolts GmbH",
        bank_name="Hamburger Sparkasse",
        iban="DE89 3704 0044 0532 0130 00",
        swift="HASPDEHH",
        country="DE",
        current_password=DEFAULT_PASSWORD,
    )

    payout_account_connect_stripe(
        company=de_seller,
        actor=de_seller_user,
        refresh_url=REFRESH,
        return_url=RETURN,
        current_password=DEFAULT_PASSWORD,
    )

    account = ConnectedAccount.objects.get(company=de_seller)
    assert account.method == PayoutMethod.STRIPE
    assert account.bank_iban == "DE89370400440532013000"
    assert account.stripe_account_id.startswith("acct_sbx_")


# --- the real SDK against a stand-in of the Stripe API --------------------------------------


class _StripeAccounts:
    """Just enough of Stripe's API for Connect: accounts and account links, recorded."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict, dict]] = []
        self.fail_next_account_create = 0

    def handle(self, request: Request) -> Response:
        form = request.form.to_dict()
        self.requests.append((request.method, request.path, form, dict(request.headers)))
        if request.path == "/v1/accounts" and request.method == "POST":
            if self.fail_next_account_create:
                self.fail_next_account_create -= 1
                return self._json({"error": {"type": "api_error", "message": "down"}}, 500)
            return self._json(self._account(form.get("country", "")))
        if request.path == "/v1/accounts/acct_1Standin" and request.method == "GET":
            return self._json(self._account("DE", enabled=True))
        if request.path == "/v1/account_links" and request.method == "POST":
            return self._json(
                {
                    "object": "account_link",
                    "url": "https://connect.stripe.com/setup/e/acct_1Standin/Xy12",
                    "created": 1767225600,
                    "expires_at": 1767225900,
                }
            )
        return self._json({"error": {"type": "invalid_request_error"}}, 404)

    @staticmethod
    def _account(country: str, enabled: bool = False) -> dict:
        return {
            "id": "acct_1Standin",
            "object": "account",
            "type": "express",
            "country": country,
            "charges_enabled": enabled,
            "payouts_enabled": enabled,
            "details_submitted": enabled,
            "requirements": {"currently_due": [] if enabled else ["external_account"]},
        }

    @staticmethod
    def _json(body: dict, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")


@pytest.fixture
def stripe_accounts(httpserver):
    standin = _StripeAccounts()
    httpserver.expect_request("/v1/accounts", method="POST").respond_with_handler(standin.handle)
    httpserver.expect_request("/v1/accounts/acct_1Standin").respond_with_handler(standin.handle)
    httpserver.expect_request("/v1/account_links").respond_with_handler(standin.handle)
    with override_settings(
        STRIPE_SECRET_KEY="sk_test_payouts",
        STRIPE_API_BASE=httpserver.url_for("").rstrip("/"),
        STRIPE_MAX_NETWORK_RETRIES=0,
        PAYMENTS_SANDBOX=False,
    ):
        yield standin


def test_connect_with_stripe_commits_the_row_first_and_asks_with_the_company_key(
    de_seller, de_seller_user, stripe_accounts
):
    stripe_accounts.fail_next_account_create = 1

    with pytest.raises(GatewayError):
        _connect(de_seller, de_seller_user)

    # The row (and so the key, derived from it) was there before Stripe was asked.
    account = ConnectedAccount.objects.get(company=de_seller)
    assert (account.method, account.stripe_account_id) == (PayoutMethod.STRIPE, "")

    link = _connect(de_seller, de_seller_user)

    assert link == "https://connect.stripe.com/setup/e/acct_1Standin/Xy12"
    account.refresh_from_db()
    assert account.stripe_account_id == "acct_1Standin"
    assert account.requirements_due == ["external_account"]
    creates = [r for r in stripe_accounts.requests if r[1] == "/v1/accounts"]
    assert len(creates) == 2
    for _, _, form, headers in creates:
        assert headers["Idempotency-Key"] == f"account:{de_seller.pk}"
        assert headers["Authorization"] == "Bearer sk_test_payouts"
        assert form == {
            "type": "express",
            "country": "DE",
            "email": de_seller_user.email,
            "business_type": "company",
            "business_profile[name]": "Hamburg Bolts GmbH",
            "capabilities[transfers][requested]": "true",
        }
    [(method, _, link_form, _)] = [
        r for r in stripe_accounts.requests if r[1] == "/v1/account_links"
    ]
    assert method == "POST"
    assert link_form == {
        "account": "acct_1Standin",
        "refresh_url": REFRESH,
        "return_url": RETURN,
        "type": "account_onboarding",
    }

    synced = payout_account_sync(company=de_seller)

    assert synced is not None and synced.can_receive_transfers is True


# --- the real worker -----------------------------------------------------------------------


def _wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.1)


def _completed_order(seller, seller_user, fx):
    listing = ListingFactory(
        seller=seller,
        published=True,
        title="Hex bolts M8",
        moq=100,
        stock=10_000,
        incoterms=["EXW", "FOB"],
        tiers=[(100, "1.2000"), (1000, "1.0500")],
    )
    buyer, buyer_user = buyer_member(legal_name="Rheinland Import GmbH", country="DE")
    order = place_order(listing=listing, quantity=1000, buyer=buyer, actor=buyer_user)
    order = order_services.order_confirm(order=order, actor=seller_user)
    pay(order, company=buyer, actor=buyer_user)
    order.refresh_from_db()
    order = order_services.order_ship(
        order=order, actor=seller_user, carrier="Maersk", tracking_number="MSKU1234567"
    )
    order = order_services.order_confirm_delivery(order=order, actor=buyer_user)
    return order_services.order_accept(order=order, actor=buyer_user)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_onboarding_completes_and_the_worker_pays_the_settlement_that_waited(
    celery_worker, client, fx_rates
):
    seller, seller_user = seller_member(legal_name="Hamburg Bolts GmbH", country="DE")
    order = _completed_order(seller, seller_user, fx_rates)
    # The outbox hands order.completed to the worker: released, but no account to pay.
    _wait_for(
        lambda: Settlement.objects.filter(
            order=order, status=SettlementStatus.AWAITING_ACCOUNT
        ).exists()
    )
    settlement = Settlement.objects.get(order=order)
    assert (settlement.status, settlement.seller_share_minor) == (
        SettlementStatus.AWAITING_ACCOUNT,
        105000,
    )

    link = _connect(seller, seller_user)
    client.force_login(seller_user)
    done = client.post(link.split("?")[0], {"return_url": RETURN})

    assert (done.status_code, done["Location"]) == (302, RETURN)
    _wait_for(
        lambda: Settlement.objects.filter(
            pk=settlement.pk, status=SettlementStatus.TRANSFERRED
        ).exists()
    )
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.TRANSFERRED
    assert settlement.transfer_id.startswith("tr_sbx_")
    [money] = seller_money_summary(company=seller)
    assert (money.held_minor, money.payable_minor, money.paid_out_minor) == (0, 0, 105000)
    assert ledger_check()["balanced"] is True


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_retry_payout_sends_a_failed_settlement_to_the_worker_again(celery_worker, fx_rates):
    seller, seller_user = seller_member(legal_name="Hamburg Bolts GmbH", country="DE")
    order = _completed_order(seller, seller_user, fx_rates)
    _wait_for(lambda: Settlement.objects.filter(order=order).exists())
    settlement = Settlement.objects.get(order=order)
    Settlement.objects.filter(pk=settlement.pk).update(
        status=SettlementStatus.FAILED, last_error="account_invalid: cannot receive transfers"
    )
    _connect(seller, seller_user)
    account = ConnectedAccount.objects.get(company=seller)
    # Onboarding done at the gateway, the event lost: the flags are right, nothing resumed.
    row = SandboxObject.objects.get(object_id=account.stripe_account_id)
    row.data.update(payouts_enabled=True, charges_enabled=True, details_submitted=True)
    row.save()
    ConnectedAccount.objects.filter(pk=account.pk).update(payouts_enabled=True)

    sent = settlements_payout_retry(settlement_ids=[settlement.pk])

    assert sent == [settlement.pk]
    _wait_for(
        lambda: Settlement.objects.filter(
            pk=settlement.pk, status=SettlementStatus.TRANSFERRED
        ).exists()
    )
    settlement.refresh_from_db()
    assert (settlement.status, settlement.last_error) == (SettlementStatus.TRANSFERRED, "")
    [money] = seller_money_summary(company=seller)
    assert money.paid_out_minor == 105000
    assert ledger_check()["balanced"] is True


def test_retry_payout_leaves_paid_and_released_settlements_alone(
    confirmed_order, buyer, buyer_user, seller, seller_user
):
    pay(confirmed_order, company=buyer, actor=buyer_user)
    order = order_services.order_ship(
        order=confirmed_order, actor=seller_user, carrier="Maersk", tracking_number="MSKU1"
    )
    order = order_services.order_confirm_delivery(order=order, actor=buyer_user)
    order = order_services.order_accept(order=order, actor=buyer_user)
    done = settlement_run(order_id=order.pk)  # no payout account: awaiting
    assert done.status == SettlementStatus.AWAITING_ACCOUNT
    Settlement.objects.filter(pk=done.pk).update(status=SettlementStatus.RELEASED)

    assert settlements_payout_retry(settlement_ids=[done.pk]) == []
