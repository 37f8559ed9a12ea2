"""Sellers paid by bank transfer: their bank details are checked, their settlements accrue as
pending bank payouts, admins export them as CSV and mark them paid with the bank reference
(the ledger payout posted once)."""

import csv
import io
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from marketplace.accounts.enums import MembershipRole
from marketplace.core.exceptions import Conflict
from orders import services as order_services
from orders.enums import OrderStatus
from payments.enums import BankPayoutStatus, PayoutMethod, SettlementStatus
from payments.ledger.models import LedgerTransaction
from payments.ledger.selectors import ledger_check, seller_money_summary
from payments.models import BankPayout, ConnectedAccount, Settlement
from payments.payouts import (
    BANK_PAYOUT_CSV_COLUMNS,
    bank_details_clean,
    bank_payout_mark_paid,
    bank_payouts_export_csv,
    payout_account_use_bank_transfer,
)
from payments.settlement import settlement_run
from tests.factories import DEFAULT_PASSWORD, MembershipFactory, UserFactory
from tests.listings.factories import ListingFactory
from tests.orders.factories import OrderFactory, buyer_member, place_order, seller_member
from tests.payments.conftest import pay

BANK = {
    "account_holder": "Ningbo Fasteners Co., Ltd.",
    "bank_name": "Bank of China, Ningbo Branch",
    "iban": "6217 8560 0001 2345 678",
    "swift": "bkch cn bj 92a",
    "country": "CN",
    "current_password": DEFAULT_PASSWORD,
}


def _use_bank(company, user, **overrides):
    return payout_account_use_bank_transfer(company=company, actor=user, **{**BANK, **overrides})


def _completed(order, *, buyer, buyer_user, seller_user):
    pay(order, company=buyer, actor=buyer_user)
    order = order_services.order_ship(
        order=order, actor=seller_user, carrier="Maersk", tracking_number="MSKU1234567"
    )
    order = order_services.order_confirm_delivery(order=order, actor=buyer_user)
    return order_services.order_accept(order=order, actor=buyer_user)


@pytest.fixture
def bank_payout(confirmed_order, buyer, buyer_user, seller, seller_user) -> BankPayout:
    _use_bank(seller, seller_user)
    order = _completed(confirmed_order, buyer=buyer, buyer_user=buyer_user, seller_user=seller_user)
    settlement_run(order_id=order.pk)
    return BankPayout.objects.select_related("settlement__order").get()


# --- bank details -----------------------------------------------------------------------------


def test_bank_details_are_normalised(seller, seller_user):
    account = _use_bank(seller, seller_user)

    account.refresh_from_db()
    assert account.method == PayoutMethod.BANK_TRANSFER
    assert (
        account.bank_account_holder,
        account.bank_name,
        account.bank_iban,
        account.bank_swift,
        account.bank_country,
    ) == (
        "Ningbo Fasteners Co., Ltd.",
        "Bank of China, Ningbo Branch",
        "6217856000012345678",
        "BKCHCNBJ92A",
        "CN",
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("account_holder", "   ", "Give the name the bank account is held in."),
        ("bank_name", "", "Give the name of the bank."),
        ("iban", "", "Give the IBAN or the account number."),
        (
            "iban",
            "DE89 3704 0044 0532 0130 01",
            "This IBAN's check digits do not match: check it for a mistyped character.",
        ),
        (
            "iban",
            "12/345",
            "Give an IBAN, or an account number of 4 to 34 letters, digits or hyphens.",
        ),
        ("swift", "", "Give the bank's SWIFT/BIC code."),
        ("swift", "BKCHCNBJ9", "A SWIFT/BIC code has 8 or 11 characters, not 9."),
        ("swift", "BKCHCNBJ92AX", "A SWIFT/BIC code has 8 or 11 characters, not 12."),
        (
            "swift",
            "BKCH1NBJ",
            "A SWIFT/BIC code is 4 letters or digits (the bank), 2 letters (its country), 2 "
            "letters or digits (the place) and, for a branch, 3 more.",
        ),
        (
            "swift",
            "BKCHZZBJ",
            "A SWIFT/BIC code is 4 letters or digits (the bank), 2 letters (its country), 2 "
            "letters or digits (the place) and, for a branch, 3 more.",
        ),
        ("country", "", "Choose the country the bank account is in."),
        ("country", "ZZ", "Choose a country from the list."),
    ],
)
def test_bad_bank_details_are_refused_field_by_field_and_nothing_is_saved(
    seller, seller_user, field, value, message
):
    with pytest.raises(ValidationError) as refused:
        _use_bank(seller, seller_user, **{field: value})

    assert refused.value.message_dict == {field: [message]}
    assert not ConnectedAccount.objects.exists()


def test_valid_ibans_pass_their_check_digits():
    for iban in (
        "DE89370400440532013000",
        "GB82 WEST 1234 5698 7654 32",
        "fr1420041010050500013m02606",
    ):
        details = bank_details_clean(
            account_holder="A", bank_name="B", iban=iban, swift="DEUTDEFF500", country="DE"
        )
        assert details.iban == iban.replace(" ", "").upper()


def test_a_bad_change_of_bank_details_keeps_the_old_ones(seller, seller_user):
    _use_bank(seller, seller_user)

    with pytest.raises(ValidationError):
        _use_bank(seller, seller_user, iban="DE00 0000 0000 0000 0000 00", swift="X")

    account = ConnectedAccount.objects.get(company=seller)
    assert (account.bank_iban, account.bank_swift) == ("6217856000012345678", "BKCHCNBJ92A")


def test_only_owners_and_admins_of_a_verified_seller_choose_bank_transfer(seller, outsider):
    staff = MembershipFactory(company=seller, role=MembershipRole.STAFF).user
    for user in (staff, outsider):
        with pytest.raises(PermissionDenied):
            _use_bank(seller, user)
    buyer, buyer_user = buyer_member()
    with pytest.raises(Conflict):
        _use_bank(buyer, buyer_user)
    assert not ConnectedAccount.objects.exists()


# --- settlements accrue as bank payouts ---------------------------------------------------------


def test_a_settlement_of_a_bank_paid_seller_accrues_as_a_pending_bank_payout(bank_payout, seller):
    settlement = bank_payout.settlement
    assert settlement.status == SettlementStatus.BANK_PAYABLE
    assert (bank_payout.status, bank_payout.amount_minor, bank_payout.currency) == (
        BankPayoutStatus.PENDING,
        105000,
        "USD",
    )
    assert bank_payout.seller_id == seller.pk
    [money] = seller_money_summary(company=seller)
    assert (money.held_minor, money.payable_minor, money.paid_out_minor) == (0, 105000, 0)


def test_pending_bank_payouts_export_as_csv(bank_payout, seller):
    content = bank_payouts_export_csv()

    assert content.splitlines() == [
        ",".join(BANK_PAYOUT_CSV_COLUMNS),
        f'{bank_payout.pk},"Ningbo Fasteners Co., Ltd.","Ningbo Fasteners Co., Ltd.",'
        f'"Bank of China, Ningbo Branch",CN,USD,1050.00,6217856000012345678,'
        f"BKCHCNBJ92A,{bank_payout.settlement.order.number},"
        f"PAYOUT {bank_payout.pk} {bank_payout.settlement.order.number}",
    ]
    bank_payout.refresh_from_db()
    first_export = bank_payout.exported_at
    assert first_export is not None

    bank_payouts_export_csv()
    bank_payout.refresh_from_db()
    assert bank_payout.exported_at == first_export  # the first export is what is kept


def test_csv_amounts_use_each_currencys_decimals_and_cells_cannot_be_formulas(db):
    seller, _ = seller_member(legal_name='=HYPERLINK("http://evil")', country="KW")
    ConnectedAccount.objects.create(
        company=seller,
        method=PayoutMethod.BANK_TRANSFER,
        bank_account_holder="Gulf Fasteners",
        bank_name="NBK",
        bank_iban="KW81CBKU0000000000001234560101",
        bank_swift="NBOKKWKW",
        bank_country="KW",
    )
    rows = []
    for currency, amount in (("KWD", 12345), ("JPY", 500000)):
        order = OrderFactory(seller=seller, completed=True, currency=currency)
        settlement = Settlement.objects.create(
            order=order,
            seller=seller,
            currency=currency,
            seller_share_minor=amount,
            platform_fee_minor=0,
            status=SettlementStatus.BANK_PAYABLE,
            transfer_idempotency_key=f"transfer:{order.number}",
        )
        rows.append(
            BankPayout.objects.create(
                settlement=settlement, seller=seller, currency=currency, amount_minor=amount
            )
        )

    parsed = list(csv.reader(io.StringIO(bank_payouts_export_csv(payout_ids=[rows[1].pk]))))
    assert [(row[1], row[5], row[6]) for row in parsed[1:]] == [
        ('\'=HYPERLINK("http://evil")', "JPY", "500000")
    ]
    parsed = list(csv.reader(io.StringIO(bank_payouts_export_csv())))
    assert [(row[2], row[3], row[5], row[6], row[7]) for row in parsed[1:]] == [
        ("Gulf Fasteners", "NBK", "KWD", "12.345", "KW81CBKU0000000000001234560101"),
        ("Gulf Fasteners", "NBK", "JPY", "500000", "KW81CBKU0000000000001234560101"),
    ]


# --- marking paid -------------------------------------------------------------------------------


def test_marking_a_bank_payout_paid_posts_the_ledger_payout_once(bank_payout, seller):
    admin_user = UserFactory(is_staff=True)

    marked = bank_payout_mark_paid(
        payout_id=bank_payout.pk, bank_reference="  BOC 2026-000981 ", actor=admin_user
    )

    assert marked.changed is True
    payout = BankPayout.objects.get(pk=bank_payout.pk)
    assert (payout.status, payout.bank_reference, payout.paid_by) == (
        BankPayoutStatus.PAID,
        "BOC 2026-000981",
        admin_user,
    )
    assert payout.paid_at is not None
    settlement = Settlement.objects.get(pk=bank_payout.settlement_id)
    assert (settlement.status, settlement.paid_at) == (
        SettlementStatus.PAID_BY_BANK,
        payout.paid_at,
    )
    posting = LedgerTransaction.objects.get(idempotency_key=f"payout:bank:{payout.pk}")
    assert posting.kind == "payout"
    assert posting.order_id == settlement.order_id
    assert posting.posted_by == admin_user
    assert "BOC 2026-000981" in posting.description
    assert sorted(posting.entries.values_list("amount_minor", flat=True)) == [-105000, 105000]
    [money] = seller_money_summary(company=seller)
    assert (money.payable_minor, money.paid_out_minor) == (0, 105000)

    again = bank_payout_mark_paid(
        payout_id=bank_payout.pk, bank_reference="ANOTHER-REF", actor=admin_user
    )

    assert again.changed is False
    payout.refresh_from_db()
    assert payout.bank_reference == "BOC 2026-000981"
    assert LedgerTransaction.objects.filter(kind="payout").count() == 1
    [money] = seller_money_summary(company=seller)
    assert money.paid_out_minor == 105000
    assert ledger_check()["balanced"] is True
    assert bank_payouts_export_csv().splitlines() == [",".join(BANK_PAYOUT_CSV_COLUMNS)]


@pytest.mark.parametrize("reference", ["", "   "])
def test_marking_paid_without_a_reference_changes_nothing(bank_payout, reference):
    with pytest.raises(ValidationError) as refused:
        bank_payout_mark_paid(
            payout_id=bank_payout.pk, bank_reference=reference, actor=UserFactory(is_staff=True)
        )

    assert refused.value.message_dict == {
        "bank_reference": ["Give the bank's reference for this transfer."]
    }
    bank_payout.refresh_from_db()
    assert (bank_payout.status, bank_payout.bank_reference) == (BankPayoutStatus.PENDING, "")
    assert Settlement.objects.get().status == SettlementStatus.BANK_PAYABLE
    assert not LedgerTransaction.objects.filter(kind="payout").exists()


# --- the real worker ----------------------------------------------------------------------------


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_choosing_bank_transfer_makes_waiting_settlements_payable_by_bank(celery_worker, fx_rates):
    seller, seller_user = seller_member(legal_name="Ningbo Fasteners Co., Ltd.", country="CN")
    listing = ListingFactory(
        seller=seller,
        published=True,
        moq=100,
        stock=10_000,
        incoterms=["FOB"],
        tiers=[(100, "1.2000"), (1000, "1.0500")],
    )
    buyer, buyer_user = buyer_member(legal_name="Rheinland Import GmbH", country="DE")
    order = place_order(listing=listing, quantity=1000, buyer=buyer, actor=buyer_user)
    order = order_services.order_confirm(order=order, actor=seller_user)
    order = _completed(order, buyer=buyer, buyer_user=buyer_user, seller_user=seller_user)
    assert order.status == OrderStatus.COMPLETED

    deadline = time.monotonic() + 30
    while (
        time.monotonic() < deadline
        and not Settlement.objects.filter(
            order=order, status=SettlementStatus.AWAITING_ACCOUNT
        ).exists()
    ):
        time.sleep(0.1)
    assert Settlement.objects.get(order=order).status == SettlementStatus.AWAITING_ACCOUNT

    _use_bank(seller, seller_user)

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not BankPayout.objects.filter(seller=seller).exists():
        time.sleep(0.1)
    payout = BankPayout.objects.get(seller=seller)
    assert (payout.amount_minor, payout.currency, payout.status) == (105000, "USD", "pending")
    assert Settlement.objects.get(order=order).status == SettlementStatus.BANK_PAYABLE
    [money] = seller_money_summary(company=seller)
    assert (money.payable_minor, money.paid_out_minor) == (105000, 0)
    assert ledger_check()["balanced"] is True
