"""Helpers for ledger tests: the chart's accounts, a snapshot of the books, raw SQL."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from payments.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from payments.ledger.services import ledger_account_get


def platform_account(code: str, currency: str = "USD") -> LedgerAccount:
    return ledger_account_get(code=code, currency=currency)


def seller_account(code: str, company: Any, currency: str = "USD") -> LedgerAccount:
    return ledger_account_get(code=code, currency=currency, company=company)


def ledger_snapshot() -> dict[str, Any]:
    """Everything in the books, to assert that a refused posting changed nothing."""
    return {
        "accounts": list(
            LedgerAccount.objects.order_by("pk").values_list("pk", "code", "currency")
        ),
        "transactions": list(
            LedgerTransaction.objects.order_by("pk").values_list("pk", "idempotency_key", "kind")
        ),
        "entries": list(
            LedgerEntry.objects.order_by("pk").values_list(
                "pk", "transaction_id", "account_id", "amount_minor", "currency"
            )
        ),
    }


def entries_of(transaction: LedgerTransaction) -> list[tuple[str, int | None, int, str]]:
    """(account code, company id, amount, currency) of each entry, in posting order."""
    return [
        (e.account.code, e.account.company_id, e.amount_minor, e.currency)
        for e in transaction.entries.select_related("account").order_by("pk")
    ]


def constraints_check_now() -> None:
    """Fire the deferred constraint triggers now, as COMMIT would (the test never commits)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def refused_by_database(match: str) -> Iterator[None]:
    """The block runs in its own transaction (or savepoint), and the database refuses it."""
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        yield
