"""Writes of the ledger: accounts, balanced transactions, reversals, and the postings of the
payment flow.

Sign rule. An entry's ``amount_minor`` is a signed integer in minor units of its account's
currency (JPY yen, USD cents, KWD fils): positive moves money INTO the account, negative OUT
of it (in bookkeeping terms: credit positive, debit negative). The entries of a transaction
sum to zero per currency, so each account's balance says what it holds:

==================  ==========================================================  ===========
account             balance                                                     per
==================  ==========================================================  ===========
gateway_clearing    minus everything captured from buyers (runs negative)       currency
escrow              buyers' money held for orders not settled or refunded, >= 0 currency
seller_payable      released to the seller, not paid out yet, >= 0              seller
seller_paid_out     paid to the seller, by transfer or bank                     seller
platform_fees       fees the platform has earned                                currency
buyer_refunds       returned to buyers                                          currency
==================  ==========================================================  ===========

Per currency, at every moment: captured = escrow + payable + paid out + fees + refunds.

The postings of the payment flow (T total, S seller share, F fee, R refund, P payout)::

    payment captured     gateway_clearing -T  escrow +T
    settlement released  escrow -(S+F)        seller_payable +S  platform_fees +F
    payout               seller_payable -P    seller_paid_out +P
    refund               escrow -R            buyer_refunds +R
    dispute split        escrow -(R+S+F)      buyer_refunds +R  seller_payable +S  platform_fees +F
    reversal             every entry of the reversed transaction, negated
    chargeback           escrow -E  seller_payable -P  platform_fees -F  buyer_refunds +(E+P+F)

A chargeback (a card dispute the platform lost) takes the money back from where it is for the
order: still in escrow (E, not settled yet), or released but not paid out (P from the seller's
payable, F from the fees). Money already paid out to the seller is not in the ledger's reach.

Escrow is held per order: every escrow entry belongs to a transaction with an order, and no
posting takes more out of escrow for an order than that order holds (checked under a lock of
the order row). A payout never takes more than the seller's payable (under a lock of the
account row).

Transactions. ``ledger_post`` and the helpers are NOT durable: they join the caller's
transaction (settlement posts inside its own durable one, so the transfer record and the
ledger commit together) and use a savepoint of their own, so a refusal leaves nothing behind.
Called outside any transaction, they commit on their own. The database re-checks the balance
at commit (``ledger_entry_balanced``, migration 0002), the last line of defence.

Idempotency. Every transaction has a unique idempotency key, derived by the caller from the
business fact (``"capture:<payment_intent>"``, ``"settlement:<order number>"``). Posting the
same key again returns the first transaction and writes nothing; the same key with different
content (kind, order, entries) raises ``LedgerIdempotencyConflict``. Two concurrent posts of
one key: the unique index makes the second wait for the first, then return it.
"""

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError
from django.db import transaction as db_transaction

from marketplace.accounts.models import Company, User
from marketplace.core.exceptions import Conflict, DomainError
from marketplace.core.transitions import lock
from marketplace.trade.currencies import CURRENCIES
from orders.models import Order
from payments.ledger.enums import (
    PER_COMPANY_ACCOUNT_CODES,
    LedgerAccountCode,
    LedgerTransactionKind,
)
from payments.ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction
from payments.ledger.selectors import account_balance, order_escrow_held_minor

IDEMPOTENCY_KEY_MAX_LENGTH = 200
PAYOUT_METHODS = frozenset({"transfer", "bank_transfer"})


class LedgerPostingRefused(DomainError):
    """The postings are not a valid transaction (empty, unbalanced, zero or non-integer)."""

    def __init__(self, message: str):
        super().__init__(message, code="ledger_posting_refused")


class LedgerInsufficientFunds(DomainError):
    """The posting would take more out of escrow or a payable than it holds."""

    def __init__(self, message: str, *, available_minor: int, requested_minor: int):
        super().__init__(message, code="ledger_insufficient_funds")
        self.available_minor = available_minor
        self.requested_minor = requested_minor


class LedgerIdempotencyConflict(Conflict):
    """The idempotency key was already used for a different transaction."""

    def __init__(self, message: str, *, existing: LedgerTransaction):
        super().__init__(message, code="ledger_idempotency_conflict")
        self.existing = existing


@dataclass(frozen=True, slots=True)
class EntryInput:
    """One side of a posting: ``amount_minor`` > 0 into ``account``, < 0 out of it."""

    account: LedgerAccount
    amount_minor: int


# Accounts


def ledger_account_get(
    *, code: str, currency: str, company: Company | None = None
) -> LedgerAccount:
    """The account of the chart for ``code`` in ``currency`` (and seller), created on first use."""
    if code not in LedgerAccountCode.values:
        raise DomainError(f"Unknown ledger account {code!r}.", field="code")
    if currency not in CURRENCIES:
        raise DomainError(f"Unsupported currency: {currency!r}.", field="currency")
    if code in PER_COMPANY_ACCOUNT_CODES and company is None:
        raise DomainError(f"The {code} account is kept per seller: name the company.")
    if code not in PER_COMPANY_ACCOUNT_CODES and company is not None:
        raise DomainError(f"The {code} account is the platform's: it has no company.")
    # get_or_create retries the read when a concurrent insert wins the unique constraint.
    account, _ = LedgerAccount.objects.get_or_create(code=code, currency=currency, company=company)
    return account


# Transactions


def _validated_entries(entries: Sequence[EntryInput]) -> list[EntryInput]:
    entries = list(entries)
    if len(entries) < 2:
        raise LedgerPostingRefused("A ledger transaction needs at least two entries.")
    totals: dict[str, int] = defaultdict(int)
    for entry in entries:
        if not isinstance(entry, EntryInput):
            raise LedgerPostingRefused(f"Not an EntryInput: {entry!r}.")
        if entry.account.pk is None:
            raise LedgerPostingRefused("A ledger entry needs a saved account.")
        amount = entry.amount_minor
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise LedgerPostingRefused(
                f"Amounts are integer minor units, not {type(amount).__name__}: {amount!r}."
            )
        if amount == 0:
            raise LedgerPostingRefused("A ledger entry cannot be zero.")
        totals[entry.account.currency] += amount
    unbalanced = {currency: total for currency, total in totals.items() if total != 0}
    if unbalanced:
        detail = ", ".join(f"{c} {t:+d}" for c, t in sorted(unbalanced.items()))
        raise LedgerPostingRefused(
            f"The entries do not sum to zero per currency (minor units off by {detail})."
        )
    return entries


def _fingerprint(
    *,
    kind: str,
    order_id: int | None,
    reverses_id: int | None,
    entries: Sequence[tuple[int, int]],
) -> tuple:
    # Entry order does not matter; the same account and amount twice does.
    return (kind, order_id, reverses_id, Counter(entries))


def _replay(
    existing: LedgerTransaction,
    *,
    kind: str,
    order_id: int | None,
    reverses_id: int | None,
    entries: list[EntryInput],
) -> LedgerTransaction:
    """Return the transaction already posted under this key if it is the same posting."""
    stored = _fingerprint(
        kind=existing.kind,
        order_id=existing.order_id,
        reverses_id=existing.reverses_id,
        entries=list(existing.entries.values_list("account_id", "amount_minor")),
    )
    requested = _fingerprint(
        kind=kind,
        order_id=order_id,
        reverses_id=reverses_id,
        entries=[(e.account.pk, e.amount_minor) for e in entries],
    )
    if stored != requested:
        raise LedgerIdempotencyConflict(
            f"The idempotency key {existing.idempotency_key!r} was already used for ledger "
            f"transaction #{existing.pk} ({existing.kind}) with different entries.",
            existing=existing,
        )
    return existing


def _transaction_by_key(idempotency_key: str) -> LedgerTransaction | None:
    return LedgerTransaction.objects.filter(idempotency_key=idempotency_key).first()


def ledger_post(
    *,
    idempotency_key: str,
    description: str,
    entries: Sequence[EntryInput],
    kind: str,
    order: Order | None = None,
    posted_by: User | None = None,
    reverses: LedgerTransaction | None = None,
) -> LedgerTransaction:
    """Write one balanced transaction, once per idempotency key (see the module docstring).

    Refuses, before touching the database: an empty or blank key, an unknown kind, fewer than
    two entries, a zero or non-integer amount, entries that do not sum to zero per currency,
    and escrow entries without an order (``LedgerPostingRefused``).
    """
    if not isinstance(idempotency_key, str) or not idempotency_key.strip():
        raise LedgerPostingRefused("A ledger transaction needs an idempotency key.")
    if len(idempotency_key) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise LedgerPostingRefused(
            f"An idempotency key has at most {IDEMPOTENCY_KEY_MAX_LENGTH} characters."
        )
    if kind not in LedgerTransactionKind.values:
        raise LedgerPostingRefused(f"Unknown ledger transaction kind {kind!r}.")
    if (kind == LedgerTransactionKind.REVERSAL) != (reverses is not None):
        raise LedgerPostingRefused("A reversal, and only a reversal, names what it reverses.")
    if not description or not description.strip():
        raise LedgerPostingRefused("A ledger transaction needs a description.")
    checked = _validated_entries(entries)
    if order is None and any(e.account.code == LedgerAccountCode.ESCROW for e in checked):
        raise LedgerPostingRefused("Escrow is held per order: an escrow posting names its order.")
    order_id = order.pk if order is not None else None
    reverses_id = reverses.pk if reverses is not None else None

    with db_transaction.atomic():
        existing = _transaction_by_key(idempotency_key)
        if existing is not None:
            return _replay(
                existing, kind=kind, order_id=order_id, reverses_id=reverses_id, entries=checked
            )
        try:
            # A concurrent post of the same key makes this insert wait, then fail: return theirs.
            with db_transaction.atomic():
                posted = LedgerTransaction.objects.create(
                    idempotency_key=idempotency_key,
                    kind=kind,
                    description=description.strip(),
                    order=order,
                    reverses=reverses,
                    posted_by=posted_by,
                )
        except IntegrityError:
            existing = _transaction_by_key(idempotency_key)
            if existing is not None:
                return _replay(
                    existing,
                    kind=kind,
                    order_id=order_id,
                    reverses_id=reverses_id,
                    entries=checked,
                )
            if reverses is not None:
                raise Conflict(
                    f"Ledger transaction #{reverses.pk} has already been reversed.",
                    code="ledger_already_reversed",
                ) from None
            raise
        LedgerEntry.objects.bulk_create(
            LedgerEntry(
                transaction=posted,
                account=entry.account,
                amount_minor=entry.amount_minor,
                currency=entry.account.currency,
            )
            for entry in checked
        )
    return posted


def ledger_reverse(
    *,
    transaction: LedgerTransaction,
    idempotency_key: str,
    reason: str,
    posted_by: User | None = None,
) -> LedgerTransaction:
    """Post the exact opposite of ``transaction`` (a correction; the original stays).

    A transaction is reversed at most once, and a reversal is not reversed (post the
    original again under a new key instead). A reversal that takes money out of escrow or
    out of a seller's payable is refused when the order or the seller no longer has it
    (``LedgerInsufficientFunds``): a settlement already paid out cannot be reversed.
    """
    original = transaction
    if not reason or not reason.strip():
        raise LedgerPostingRefused("A reversal needs a reason.")
    if original.kind == LedgerTransactionKind.REVERSAL:
        raise LedgerPostingRefused("A reversal cannot itself be reversed.")
    entries = [
        EntryInput(account=entry.account, amount_minor=-entry.amount_minor)
        for entry in original.entries.select_related("account")
    ]
    description = f"Reversal of #{original.pk} ({original.get_kind_display()}): {reason.strip()}"
    with db_transaction.atomic():
        order = original.order
        if order is not None:
            lock(Order, order.pk)
        existing = _transaction_by_key(idempotency_key)
        if existing is None:
            already = LedgerTransaction.objects.filter(reverses=original).first()
            if already is not None:
                raise Conflict(
                    f"Ledger transaction #{original.pk} was already reversed by #{already.pk}.",
                    code="ledger_already_reversed",
                )
            escrow_out = -sum(
                e.amount_minor for e in entries if e.account.code == LedgerAccountCode.ESCROW
            )
            if order is not None and escrow_out > 0:
                _require_held(order=order, amount_minor=escrow_out)
            _require_payable_for(entries)
        return ledger_post(
            idempotency_key=idempotency_key,
            description=description,
            entries=entries,
            kind=LedgerTransactionKind.REVERSAL,
            order=order,
            posted_by=posted_by,
            reverses=original,
        )


# The postings of the payment flow


def _positive(name: str, amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise LedgerPostingRefused(f"{name} must be a positive integer of minor units.")


def _not_negative(name: str, amount: int) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise LedgerPostingRefused(f"{name} must be zero or a positive integer of minor units.")


def _something(*amounts: int) -> None:
    if sum(amounts) <= 0:
        raise LedgerPostingRefused("Nothing to move out of escrow.")


def _require_payable_for(entries: list[EntryInput]) -> None:
    """Refuse entries that would take a seller's payable below zero (accounts locked)."""
    taken: dict[int, int] = defaultdict(int)
    accounts: dict[int, LedgerAccount] = {}
    for entry in entries:
        if entry.account.code == LedgerAccountCode.SELLER_PAYABLE:
            taken[entry.account.pk] -= entry.amount_minor
            accounts[entry.account.pk] = entry.account
    for pk in sorted(taken):  # lock in primary-key order
        if taken[pk] <= 0:
            continue
        lock(LedgerAccount, pk)
        available = account_balance(account=accounts[pk])
        if taken[pk] > available:
            raise LedgerInsufficientFunds(
                f"{accounts[pk]} holds {available} minor units; {taken[pk]} cannot be taken out.",
                available_minor=available,
                requested_minor=taken[pk],
            )


def _require_held(*, order: Order, amount_minor: int) -> None:
    """Refuse to take more out of escrow than ``order`` holds (the order row is locked)."""
    held = order_escrow_held_minor(order=order)
    if amount_minor > held:
        raise LedgerInsufficientFunds(
            f"Order {order.number} holds {held} minor units of {order.currency} in escrow; "
            f"{amount_minor} cannot be taken out.",
            available_minor=held,
            requested_minor=amount_minor,
        )


def _post_out_of_escrow(
    *,
    order: Order,
    idempotency_key: str,
    kind: str,
    description: str,
    credits: list[tuple[LedgerAccount, int]],
    posted_by: User | None = None,
) -> LedgerTransaction:
    """Move money out of ``order``'s escrow into ``credits`` (zero credits are left out)."""
    credits = [(account, amount) for account, amount in credits if amount != 0]
    total = sum(amount for _, amount in credits)
    with db_transaction.atomic():
        escrow = ledger_account_get(code=LedgerAccountCode.ESCROW, currency=order.currency)
        entries = [EntryInput(account=escrow, amount_minor=-total)] + [
            EntryInput(account=account, amount_minor=amount) for account, amount in credits
        ]
        lock(Order, order.pk)  # one escrow withdrawal per order at a time
        if _transaction_by_key(idempotency_key) is None:
            _require_held(order=order, amount_minor=total)
        return ledger_post(
            idempotency_key=idempotency_key,
            description=description,
            entries=entries,
            kind=kind,
            order=order,
            posted_by=posted_by,
        )


def ledger_post_payment_captured(
    *, order: Order, amount_minor: int, idempotency_key: str
) -> LedgerTransaction:
    """The buyer's payment for ``order`` arrived: gateway clearing → escrow."""
    _positive("amount_minor", amount_minor)
    with db_transaction.atomic():
        clearing = ledger_account_get(
            code=LedgerAccountCode.GATEWAY_CLEARING, currency=order.currency
        )
        escrow = ledger_account_get(code=LedgerAccountCode.ESCROW, currency=order.currency)
        return ledger_post(
            idempotency_key=idempotency_key,
            description=f"Payment captured for order {order.number}",
            entries=[
                EntryInput(account=clearing, amount_minor=-amount_minor),
                EntryInput(account=escrow, amount_minor=amount_minor),
            ],
            kind=LedgerTransactionKind.PAYMENT_CAPTURED,
            order=order,
        )


def ledger_post_settlement_released(
    *,
    order: Order,
    seller_share_minor: int,
    platform_fee_minor: int,
    idempotency_key: str,
) -> LedgerTransaction:
    """``order`` completed: escrow → the seller's payable (share) + platform fees (fee)."""
    _not_negative("seller_share_minor", seller_share_minor)
    _not_negative("platform_fee_minor", platform_fee_minor)
    _something(seller_share_minor, platform_fee_minor)
    with db_transaction.atomic():  # a refusal leaves no account behind either
        payable = ledger_account_get(
            code=LedgerAccountCode.SELLER_PAYABLE, currency=order.currency, company=order.seller
        )
        fees = ledger_account_get(code=LedgerAccountCode.PLATFORM_FEES, currency=order.currency)
        return _post_out_of_escrow(
            order=order,
            idempotency_key=idempotency_key,
            kind=LedgerTransactionKind.SETTLEMENT_RELEASED,
            description=f"Settlement released for order {order.number}",
            credits=[(payable, seller_share_minor), (fees, platform_fee_minor)],
        )


def ledger_post_refund(
    *,
    order: Order,
    amount_minor: int,
    idempotency_key: str,
    reason: str = "",
    posted_by: User | None = None,
) -> LedgerTransaction:
    """Money held for ``order`` goes back to the buyer: escrow → buyer refunds."""
    _positive("amount_minor", amount_minor)
    description = f"Refund for order {order.number}"
    if reason.strip():
        description += f": {reason.strip()}"
    with db_transaction.atomic():
        refunds = ledger_account_get(code=LedgerAccountCode.BUYER_REFUNDS, currency=order.currency)
        return _post_out_of_escrow(
            order=order,
            idempotency_key=idempotency_key,
            kind=LedgerTransactionKind.REFUND,
            description=description,
            credits=[(refunds, amount_minor)],
            posted_by=posted_by,
        )


def ledger_post_dispute_split(
    *,
    order: Order,
    buyer_refund_minor: int,
    seller_share_minor: int,
    platform_fee_minor: int,
    idempotency_key: str,
    note: str = "",
    posted_by: User | None = None,
) -> LedgerTransaction:
    """A dispute resolved: escrow → buyer refunds + seller payable + platform fees.

    Any part may be zero (a full refund, a full release); together they may not exceed
    what the order holds.
    """
    _not_negative("buyer_refund_minor", buyer_refund_minor)
    _not_negative("seller_share_minor", seller_share_minor)
    _not_negative("platform_fee_minor", platform_fee_minor)
    _something(buyer_refund_minor, seller_share_minor, platform_fee_minor)
    description = f"Dispute on order {order.number} resolved"
    if note.strip():
        description += f": {note.strip()}"
    with db_transaction.atomic():
        refunds = ledger_account_get(code=LedgerAccountCode.BUYER_REFUNDS, currency=order.currency)
        payable = ledger_account_get(
            code=LedgerAccountCode.SELLER_PAYABLE, currency=order.currency, company=order.seller
        )
        fees = ledger_account_get(code=LedgerAccountCode.PLATFORM_FEES, currency=order.currency)
        return _post_out_of_escrow(
            order=order,
            idempotency_key=idempotency_key,
            kind=LedgerTransactionKind.DISPUTE_SPLIT,
            description=description,
            credits=[
                (refunds, buyer_refund_minor),
                (payable, seller_share_minor),
                (fees, platform_fee_minor),
            ],
            posted_by=posted_by,
        )


def ledger_post_payout(
    *,
    seller: Company,
    currency: str,
    amount_minor: int,
    idempotency_key: str,
    method: str,
    reference: str = "",
    order: Order | None = None,
    posted_by: User | None = None,
) -> LedgerTransaction:
    """The seller was paid (``method`` "transfer" or "bank_transfer"): payable → paid out.

    Refused when the seller's payable in ``currency`` holds less than ``amount_minor``.
    """
    _positive("amount_minor", amount_minor)
    if method not in PAYOUT_METHODS:
        raise LedgerPostingRefused(f"Unknown payout method {method!r}.")
    description = f"Payout to {seller} by {method.replace('_', ' ')}"
    if reference.strip():
        description += f" ({reference.strip()})"
    if order is not None:
        description += f" for order {order.number}"
    with db_transaction.atomic():
        payable = ledger_account_get(
            code=LedgerAccountCode.SELLER_PAYABLE, currency=currency, company=seller
        )
        paid_out = ledger_account_get(
            code=LedgerAccountCode.SELLER_PAID_OUT, currency=currency, company=seller
        )
        lock(LedgerAccount, payable.pk)  # one withdrawal from this payable at a time
        if _transaction_by_key(idempotency_key) is None:
            available = account_balance(account=payable)
            if amount_minor > available:
                raise LedgerInsufficientFunds(
                    f"{seller} has {available} minor units of {currency} payable; "
                    f"{amount_minor} cannot be paid out.",
                    available_minor=available,
                    requested_minor=amount_minor,
                )
        return ledger_post(
            idempotency_key=idempotency_key,
            description=description,
            entries=[
                EntryInput(account=payable, amount_minor=-amount_minor),
                EntryInput(account=paid_out, amount_minor=amount_minor),
            ],
            kind=LedgerTransactionKind.PAYOUT,
            order=order,
            posted_by=posted_by,
        )


def ledger_post_chargeback(
    *,
    order: Order,
    escrow_minor: int,
    payable_minor: int,
    fee_minor: int,
    idempotency_key: str,
    reason: str = "",
) -> LedgerTransaction:
    """The buyer's bank took money back for ``order`` (a card dispute lost): escrow, the
    seller's payable and the platform's fees → buyer refunds. Refused when escrow holds less
    than ``escrow_minor`` for the order or the payable less than ``payable_minor``."""
    _not_negative("escrow_minor", escrow_minor)
    _not_negative("payable_minor", payable_minor)
    _not_negative("fee_minor", fee_minor)
    if escrow_minor + payable_minor + fee_minor <= 0:
        raise LedgerPostingRefused("A chargeback takes back more than nothing.")
    description = f"Chargeback for order {order.number}"
    if reason.strip():
        description += f": {reason.strip()}"
    total = escrow_minor + payable_minor + fee_minor
    with db_transaction.atomic():
        refunds = ledger_account_get(code=LedgerAccountCode.BUYER_REFUNDS, currency=order.currency)
        escrow = ledger_account_get(code=LedgerAccountCode.ESCROW, currency=order.currency)
        payable = ledger_account_get(
            code=LedgerAccountCode.SELLER_PAYABLE, currency=order.currency, company=order.seller
        )
        fees = ledger_account_get(code=LedgerAccountCode.PLATFORM_FEES, currency=order.currency)
        entries = [
            EntryInput(account=account, amount_minor=-amount)
            for account, amount in (
                (escrow, escrow_minor),
                (payable, payable_minor),
                (fees, fee_minor),
            )
            if amount
        ]
        entries.append(EntryInput(account=refunds, amount_minor=total))
        lock(Order, order.pk)
        if _transaction_by_key(idempotency_key) is None:
            _require_held(order=order, amount_minor=escrow_minor)
            _require_payable_for(entries)
        return ledger_post(
            idempotency_key=idempotency_key,
            description=description,
            entries=entries,
            kind=LedgerTransactionKind.CHARGEBACK,
            order=order,
        )
