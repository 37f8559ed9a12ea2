"""The double-entry ledger: accounts, transactions and their entries in integer minor units.

The invariants live in the database (migration 0002), so that no code path can break them:
the entries of a transaction sum to zero per currency (a deferred constraint trigger,
checked at commit), an entry's currency is its account's (a composite foreign key), and
entries and transactions are never updated or deleted (corrections are reversing
transactions). Balances are derived from the entries, never stored.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from marketplace.accounts.models import Company
from marketplace.trade.currencies import CURRENCY_CHOICES
from orders.models import Order
from payments.ledger.enums import (
    PER_COMPANY_ACCOUNT_CODES,
    LedgerAccountCode,
    LedgerTransactionKind,
)


class LedgerAccount(models.Model):
    """One account of the chart in one currency; seller accounts also per seller company."""

    code = models.CharField(max_length=32, choices=LedgerAccountCode.choices)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    company = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "ledger_account"
        ordering = ["code", "currency", "company_id"]
        permissions = [("view_ledger", "Can read ledger balances and checks (API)")]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "currency", "company"],
                name="ledger_account_code_currency_company_unique",
                nulls_distinct=False,
            ),
            # The target of the entries' composite foreign key (account, currency).
            models.UniqueConstraint(
                fields=["id", "currency"], name="ledger_account_id_currency_unique"
            ),
            models.CheckConstraint(
                condition=(
                    Q(code__in=sorted(PER_COMPANY_ACCOUNT_CODES), company__isnull=False)
                    | (~Q(code__in=sorted(PER_COMPANY_ACCOUNT_CODES)) & Q(company__isnull=True))
                ),
                name="ledger_account_company_iff_per_company_code",
            ),
        ]

    def __str__(self) -> str:
        owner = f" · {self.company}" if self.company_id else ""
        return f"{self.get_code_display()} {self.currency}{owner}"


class LedgerTransaction(models.Model):
    """A balanced movement of money, written once under a unique idempotency key."""

    idempotency_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=LedgerTransactionKind.choices)
    description = models.TextField()
    order = models.ForeignKey(
        Order,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_transactions",
    )
    # The transaction this one reverses; a transaction is reversed at most once.
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        db_table = "ledger_transaction"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=LedgerTransactionKind.REVERSAL, reverses__isnull=False)
                    | (~Q(kind=LedgerTransactionKind.REVERSAL) & Q(reverses__isnull=True))
                ),
                name="ledger_transaction_reversal_iff_reverses",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}: {self.description}"


class LedgerEntry(models.Model):
    """Signed integer minor units: positive moves money into the account, negative out."""

    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount_minor = models.BigIntegerField()
    # Always the account's currency (a composite foreign key in the database says so).
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)

    class Meta:
        db_table = "ledger_entry"
        ordering = ["transaction_id", "id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(
                condition=~Q(amount_minor=0), name="ledger_entry_amount_not_zero"
            ),
        ]
        indexes = [models.Index(fields=["account", "transaction"], name="ledger_entry_account_idx")]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount_minor} {self.currency}"
