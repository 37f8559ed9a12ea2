"""The database itself keeps the books: these tests bypass the services on purpose."""

import pytest
from django.db import connection, transaction

from payments.ledger.enums import LedgerAccountCode as Code
from payments.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from payments.ledger.services import EntryInput, ledger_post
from tests.payments.ledger.factories import (
    constraints_check_now,
    ledger_snapshot,
    platform_account,
    refused_by_database,
    seller_account,
)


def _raw_transaction(key: str) -> LedgerTransaction:
    return LedgerTransaction.objects.create(
        idempotency_key=key, kind="payout", description="written around the services"
    )


def _posted(key: str = "fees-to-refunds") -> LedgerTransaction:
    fees = platform_account(Code.PLATFORM_FEES)
    refunds = platform_account(Code.BUYER_REFUNDS)
    return ledger_post(
        idempotency_key=key,
        description="A balanced posting",
        entries=[EntryInput(fees, -2500), EntryInput(refunds, 2500)],
        kind="payout",
    )


@pytest.mark.django_db(transaction=True)
def test_unbalanced_entries_written_around_the_service_are_refused_at_commit():
    fees = platform_account(Code.PLATFORM_FEES)
    refunds = platform_account(Code.BUYER_REFUNDS)
    before = ledger_snapshot()

    with refused_by_database(r"does not balance: its USD entries sum to 1, not 0"):
        txn = _raw_transaction("sneaky")
        LedgerEntry.objects.bulk_create(
            [
                LedgerEntry(transaction=txn, account=fees, amount_minor=500, currency="USD"),
                LedgerEntry(transaction=txn, account=refunds, amount_minor=-499, currency="USD"),
            ]
        )
        # Inside the block the entries are in: the check waits for COMMIT.
        assert LedgerEntry.objects.filter(transaction=txn).count() == 2

    assert ledger_snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_entries_balanced_in_total_but_not_per_currency_are_refused_at_commit():
    usd = platform_account(Code.PLATFORM_FEES, "USD")
    jpy = platform_account(Code.BUYER_REFUNDS, "JPY")
    before = ledger_snapshot()

    with refused_by_database(r"does not balance: its JPY entries sum to -100"):
        txn = _raw_transaction("mixed")
        LedgerEntry.objects.create(transaction=txn, account=usd, amount_minor=100, currency="USD")
        LedgerEntry.objects.create(transaction=txn, account=jpy, amount_minor=-100, currency="JPY")

    assert ledger_snapshot() == before


@pytest.mark.django_db(transaction=True)
def test_balanced_entries_written_one_by_one_commit():
    fees = platform_account(Code.PLATFORM_FEES)
    refunds = platform_account(Code.BUYER_REFUNDS)

    with transaction.atomic():
        txn = _raw_transaction("one-by-one")
        LedgerEntry.objects.create(transaction=txn, account=fees, amount_minor=700, currency="USD")
        LedgerEntry.objects.create(
            transaction=txn, account=refunds, amount_minor=-700, currency="USD"
        )

    assert list(
        LedgerEntry.objects.filter(transaction=txn).order_by("pk").values_list("amount_minor")
    ) == [(700,), (-700,)]


@pytest.mark.django_db(transaction=True)
def test_a_transaction_without_entries_is_refused_at_commit():
    before = ledger_snapshot()

    with refused_by_database(r"has 0 entries; a transaction needs at least two"):
        _raw_transaction("empty")

    assert ledger_snapshot() == before


def test_unbalanced_entries_are_refused_when_constraints_are_checked(db):
    fees = platform_account(Code.PLATFORM_FEES)
    refunds = platform_account(Code.BUYER_REFUNDS)
    before = ledger_snapshot()

    with refused_by_database(r"does not balance: its USD entries sum to 10, not 0"):
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO ledger_transaction (idempotency_key, kind, description, created_at)"
                " VALUES ('raw', 'payout', 'raw SQL', now()) RETURNING id"
            )
            (txn_id,) = cursor.fetchone()
            cursor.execute(
                "INSERT INTO ledger_entry (transaction_id, account_id, amount_minor, currency)"
                " VALUES (%s, %s, 1010, 'USD'), (%s, %s, -1000, 'USD')",
                [txn_id, fees.pk, txn_id, refunds.pk],
            )
        constraints_check_now()

    assert ledger_snapshot() == before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entry SET amount_minor = amount_minor + 1",
        "UPDATE ledger_entry SET amount_minor = -amount_minor",
        "DELETE FROM ledger_entry",
        "UPDATE ledger_transaction SET description = 'rewritten'",
        "DELETE FROM ledger_transaction",
    ],
)
def test_posted_rows_cannot_be_updated_or_deleted(db, statement):
    _posted()
    before = ledger_snapshot()
    table = statement.split()[2] if statement.startswith("DELETE") else statement.split()[1]
    operation = statement.split()[0]

    with (
        refused_by_database(rf"{operation} on {table} refused: the ledger is append-only"),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)

    assert ledger_snapshot() == before
    assert LedgerTransaction.objects.get().description == "A balanced posting"


def test_the_orm_cannot_change_or_delete_an_entry_either(db):
    txn = _posted()
    entry = txn.entries.order_by("pk").first()
    before = ledger_snapshot()

    entry.amount_minor = -9999
    with refused_by_database("UPDATE on ledger_entry refused"):
        entry.save()
    with refused_by_database("DELETE on ledger_entry refused"):
        LedgerEntry.objects.filter(pk=entry.pk).delete()

    assert ledger_snapshot() == before


def test_an_entry_in_another_currency_than_its_account_is_refused(db):
    txn = _posted()
    fees = platform_account(Code.PLATFORM_FEES, "USD")
    before = ledger_snapshot()

    with refused_by_database("ledger_entry_account_currency_fk"):
        LedgerEntry.objects.create(transaction=txn, account=fees, amount_minor=5, currency="JPY")

    assert ledger_snapshot() == before


def test_a_zero_entry_is_refused(db):
    txn = _posted()
    fees = platform_account(Code.PLATFORM_FEES)
    before = ledger_snapshot()

    with refused_by_database("ledger_entry_amount_not_zero"):
        LedgerEntry.objects.create(transaction=txn, account=fees, amount_minor=0, currency="USD")

    assert ledger_snapshot() == before


def test_an_account_cannot_change_its_currency_code_or_company(db, seller):
    fees = platform_account(Code.PLATFORM_FEES, "USD")
    payable = seller_account(Code.SELLER_PAYABLE, seller)

    for sql, params in [
        ("UPDATE ledger_account SET currency = 'EUR' WHERE id = %s", [fees.pk]),
        ("UPDATE ledger_account SET code = 'escrow' WHERE id = %s", [fees.pk]),
        ("UPDATE ledger_account SET company_id = NULL WHERE id = %s", [payable.pk]),
    ]:
        with (
            refused_by_database("cannot change its code, currency or company"),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, params)

    assert list(
        LedgerAccount.objects.order_by("pk").values_list("code", "currency", "company_id")
    ) == [("platform_fees", "USD", None), ("seller_payable", "USD", seller.pk)]


def test_seller_accounts_need_a_company_and_platform_accounts_have_none(db, seller):
    with refused_by_database("ledger_account_company_iff_per_company_code"):
        LedgerAccount.objects.create(code=Code.SELLER_PAYABLE, currency="USD")
    with refused_by_database("ledger_account_company_iff_per_company_code"):
        LedgerAccount.objects.create(code=Code.ESCROW, currency="USD", company=seller)

    assert LedgerAccount.objects.count() == 0


def test_a_platform_account_exists_once_per_currency(db):
    LedgerAccount.objects.create(code=Code.ESCROW, currency="USD")

    with refused_by_database("ledger_account_code_currency_company_unique"):
        LedgerAccount.objects.create(code=Code.ESCROW, currency="USD")

    assert LedgerAccount.objects.count() == 1
