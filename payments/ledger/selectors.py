"""Reads of the ledger. Balances are derived from the entries on every read, never stored.

These are the platform's books: only staff with ``ledger.view_ledger`` may see all of them
(the API checks it, the admin its view permissions); ``seller_money_summary`` is the one read scoped to a seller company.
"""

from dataclasses import dataclass

from django.db.models import BigIntegerField, QuerySet, Sum
from django.db.models.functions import Coalesce

from marketplace.accounts.models import Company
from marketplace.trade.money import Money
from orders.models import Order
from payments.ledger.enums import LedgerAccountCode
from payments.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction


@dataclass(frozen=True, slots=True)
class AccountBalance:
    account: LedgerAccount
    currency: str
    balance_minor: int

    @property
    def balance(self) -> Money:
        return Money.from_minor_units(self.balance_minor, self.currency)


@dataclass(frozen=True, slots=True)
class UnbalancedTransaction:
    transaction_id: int
    currency: str
    total_minor: int


@dataclass(frozen=True, slots=True)
class SellerMoney:
    """What a seller has in one currency: held in escrow, payable, and paid out."""

    currency: str
    held_minor: int
    payable_minor: int
    paid_out_minor: int


def _sum_of(expression: str) -> Coalesce:
    return Coalesce(Sum(expression), 0, output_field=BigIntegerField())


def ledger_accounts_with_balances() -> QuerySet[LedgerAccount]:
    """Every account with ``balance_minor`` annotated (the sum of its entries, 0 if none)."""
    return (
        LedgerAccount.objects.select_related("company")
        .annotate(balance_minor=_sum_of("entries__amount_minor"))
        .order_by("code", "currency", "company_id")
    )


def ledger_balances() -> list[AccountBalance]:
    """The balance of every account, by code, currency and company."""
    return [
        AccountBalance(
            account=account,
            currency=account.currency,
            balance_minor=account.balance_minor,  # type: ignore[attr-defined]  # annotated
        )
        for account in ledger_accounts_with_balances()
    ]


def account_balance(*, account: LedgerAccount) -> int:
    """The account's balance in minor units of its currency."""
    return LedgerEntry.objects.filter(account=account).aggregate(total=_sum_of("amount_minor"))[
        "total"
    ]


def ledger_unbalanced_transactions(*, limit: int = 100) -> list[UnbalancedTransaction]:
    """Transactions whose entries do not sum to zero in some currency (should be none)."""
    rows = (
        LedgerEntry.objects.values("transaction_id", "currency")
        .annotate(total=_sum_of("amount_minor"))
        .exclude(total=0)
        .order_by("transaction_id", "currency")[:limit]
    )
    return [
        UnbalancedTransaction(
            transaction_id=row["transaction_id"], currency=row["currency"], total_minor=row["total"]
        )
        for row in rows
    ]


def ledger_check() -> dict[str, bool | int]:
    """``{"balanced": bool, "transactions": N}``: every transaction sums to zero per currency.

    Computed in SQL (GROUP BY transaction, currency HAVING sum <> 0), not in Python.
    """
    unbalanced = (
        LedgerEntry.objects.values("transaction_id", "currency")
        .annotate(total=_sum_of("amount_minor"))
        .exclude(total=0)
    )
    return {
        "balanced": not unbalanced.exists(),
        "transactions": LedgerTransaction.objects.count(),
    }


def order_escrow_held_minor(*, order: Order) -> int:
    """What ``order`` holds in escrow: captured minus released, refunded and split."""
    return LedgerEntry.objects.filter(
        transaction__order=order,
        account__code=LedgerAccountCode.ESCROW,
        currency=order.currency,
    ).aggregate(total=_sum_of("amount_minor"))["total"]


def orders_holding_escrow(*, order_ids: list[int]) -> list[int]:
    """Which of ``order_ids`` still hold money in escrow, in one query (ascending ids)."""
    return list(
        LedgerEntry.objects.filter(
            transaction__order_id__in=order_ids, account__code=LedgerAccountCode.ESCROW
        )
        .values("transaction__order_id")
        .annotate(held=Sum("amount_minor"))
        .filter(held__gt=0)
        .order_by("transaction__order_id")
        .values_list("transaction__order_id", flat=True)
    )


def seller_money_summary(*, company: Company) -> list[SellerMoney]:
    """Per currency, the seller's money held in escrow, payable, and paid out (dashboard)."""
    held = dict(
        LedgerEntry.objects.filter(
            account__code=LedgerAccountCode.ESCROW, transaction__order__seller=company
        )
        .values("currency")
        .annotate(total=_sum_of("amount_minor"))
        .values_list("currency", "total")
    )
    own: dict[tuple[str, str], int] = {
        (code, currency): total
        for code, currency, total in LedgerAccount.objects.filter(company=company)
        .annotate(total=_sum_of("entries__amount_minor"))
        .values_list("code", "currency", "total")
    }
    currencies = sorted(set(held) | {currency for _, currency in own})
    return [
        SellerMoney(
            currency=currency,
            held_minor=held.get(currency, 0),
            payable_minor=own.get((LedgerAccountCode.SELLER_PAYABLE, currency), 0),
            paid_out_minor=own.get((LedgerAccountCode.SELLER_PAID_OUT, currency), 0),
        )
        for currency in currencies
    ]
