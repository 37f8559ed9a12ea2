"""How sellers get paid: their payout account (Stripe Connect Express, or bank transfer), and
the bank payouts an admin pays by hand.

Stripe Connect. ``payout_account_connect_stripe`` commits the ``ConnectedAccount`` row first,
then asks the gateway for an Express account under the idempotency key ``account:<company
id>`` (derived from the company, so a retry after a crash asks the same question and gets the
same account), then for an onboarding link. ``account.updated`` re-reads the account from the
gateway (events may arrive out of order; the account as it is now is what counts) and, once
payouts are enabled, resumes the settlements that were waiting for it.

Bank transfer. Where Stripe cannot pay a seller's country (``STRIPE_CONNECT_COUNTRIES``), the
seller gives bank details; ``settlement_pay`` then accrues each settlement as a pending
``BankPayout``. Admins export the pending ones as CSV, pay them at the bank, and mark them paid
with the bank's reference: ``bank_payout_mark_paid`` posts the ledger payout (seller payable →
paid out) under ``payout:bank:<payout id>`` and marks the settlement paid by bank, once.
"""

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_countries import countries

from marketplace.accounts.enums import MANAGING_ROLES
from marketplace.accounts.models import Company, Membership, SecurityEventKind, User
from marketplace.accounts.security import security_event_record
from marketplace.core.exceptions import Conflict, DomainError
from marketplace.core.transitions import lock, transition
from marketplace.trade.money import Money
from payments.enums import (
    SETTLEMENT_TRANSITIONS,
    BankPayoutStatus,
    HoldReason,
    PayoutMethod,
    SettlementStatus,
)
from payments.gateway import GatewayAccount, gateway_get
from payments.holds import bank_payout_transition, settlement_transition
from payments.ledger.services import ledger_post_payout
from payments.models import (
    BankPayout,
    ConnectedAccount,
    PayoutAccountChange,
    Settlement,
    StripeEvent,
)

# Settlements an admin may send to the payout task again.
RETRYABLE_SETTLEMENT_STATUSES = frozenset(
    {SettlementStatus.FAILED, SettlementStatus.AWAITING_ACCOUNT}
)


class StripeConnectUnavailable(DomainError):
    """Stripe cannot pay companies in the seller's country: bank transfer is the way."""

    def __init__(self, country: str):
        name = countries.name(country) or country
        super().__init__(
            f"Stripe cannot pay out to companies in {name} ({country}). "
            "Use bank transfer instead: give your bank details and each settlement is paid "
            "to your bank account.",
            code="stripe_country_unsupported",
        )


# --- who may change how a company is paid --------------------------------------------------


def _require_seller_manager(*, company: Company, actor: User) -> None:
    """An owner or admin of a verified company that sells."""
    if not Membership.objects.filter(company=company, user=actor, role__in=MANAGING_ROLES).exists():
        raise PermissionDenied(
            f"Only the owners and admins of {company} may change how it is paid."
        )
    if not company.sells:
        raise Conflict(
            f"{company} does not sell: only selling companies are paid out.", code="not_a_seller"
        )
    if not company.is_verified:
        raise Conflict(
            f"{company} is not verified yet: a payout account can be set up once the company "
            "is verified.",
            code="company_not_verified",
        )


def stripe_connect_available(*, company: Company) -> bool:
    """Whether Stripe Connect can pay a company in this country."""
    return str(company.country) in settings.STRIPE_CONNECT_COUNTRIES


def payout_account_for_company(*, company: Company) -> ConnectedAccount | None:
    return ConnectedAccount.objects.filter(company=company).first()


def settlements_awaiting_account_count(*, company: Company) -> int:
    return Settlement.objects.filter(
        seller=company, status=SettlementStatus.AWAITING_ACCOUNT
    ).count()


# --- Stripe Connect Express ----------------------------------------------------------------


def payout_account_connect_stripe(
    *,
    company: Company,
    actor: User,
    refresh_url: str,
    return_url: str,
    current_password: str | None = None,
    client_ip: str | None = None,
) -> str:
    """Connect (or continue connecting) the company's Stripe Express account; returns the
    onboarding link to send the seller to.

    Leaving a bank account for Stripe changes where the company's money goes: it needs the
    actor's ``current_password`` (else ``ValidationError`` on ``current_password``, nothing
    changed) and is kept in the history and emailed like a change of bank details.

    ``PermissionDenied`` unless ``actor`` owns or administers the company; ``Conflict`` unless
    the company sells and is verified; ``StripeConnectUnavailable`` where Stripe cannot pay
    the company's country. ``GatewayError`` when the gateway could not be asked (try again:
    the same key gives the same account).
    """
    _require_seller_manager(company=company, actor=actor)
    country = str(company.country)
    if not stripe_connect_available(company=company):
        raise StripeConnectUnavailable(country)
    current = payout_account_for_company(company=company)
    if (
        current is not None
        and current.method == PayoutMethod.BANK_TRANSFER
        and _pays_out(current)
        and not (current_password and actor.check_password(current_password))
    ):
        raise ValidationError({"current_password": [WRONG_PASSWORD]})
    gateway = gateway_get()
    with transaction.atomic(durable=True):
        account, _ = ConnectedAccount.objects.select_for_update().get_or_create(
            company=company, defaults={"method": PayoutMethod.STRIPE}
        )
        if account.method != PayoutMethod.STRIPE:
            old_masked = payout_account_masked(account)
            account.method = PayoutMethod.STRIPE
            account.save(update_fields=["method", "updated_at"])
            change = PayoutAccountChange.objects.create(
                company=company,
                changed_by=actor,
                client_ip=client_ip or None,
                old_method=PayoutMethod.BANK_TRANSFER,
                new_method=PayoutMethod.STRIPE,
                old_account=old_masked,
                new_account=payout_account_masked(account) or "Stripe Connect (being set up)",
            )
            _payout_account_change_record(change=change)
            if account.can_receive_transfers:  # onboarded before: pay what waits at once
                company_id = company.pk
                transaction.on_commit(lambda: _resume_settlements(company_id))
        account_id = account.stripe_account_id
    if not account_id:
        remote = gateway.account_create(
            country=country,
            email=actor.email,
            business_name=company.legal_name,
            idempotency_key=f"account:{company.pk}",
        )
        with transaction.atomic(durable=True):
            account = lock(ConnectedAccount, account.pk)
            if not account.stripe_account_id:
                account.stripe_account_id = remote.id
                _copy_remote(account, remote, also=["stripe_account_id"])
            account_id = account.stripe_account_id
    return gateway.account_link_create(
        account_id=account_id, refresh_url=refresh_url, return_url=return_url
    )


def _copy_remote(
    account: ConnectedAccount, remote: GatewayAccount, *, also: list[str] | None = None
) -> None:
    """Save the gateway's view of the account (and the ``also`` fields set by the caller)."""
    account.charges_enabled = remote.charges_enabled
    account.payouts_enabled = remote.payouts_enabled
    account.details_submitted = remote.details_submitted
    account.requirements_due = remote.requirements_due
    account.save(
        update_fields=[
            *(also or []),
            "charges_enabled",
            "payouts_enabled",
            "details_submitted",
            "requirements_due",
            "updated_at",
        ]
    )


def connected_account_refresh(*, account: ConnectedAccount) -> ConnectedAccount:
    """Copy the gateway's current view of the account; resume waiting settlements.

    Joins the caller's transaction (the webhook's), or use ``payout_account_sync``."""
    remote = gateway_get().account_retrieve(account.stripe_account_id)
    account = ConnectedAccount.objects.select_for_update().get(pk=account.pk)
    was_enabled = account.payouts_enabled
    _copy_remote(account, remote)
    if account.can_receive_transfers and not was_enabled:
        company_id = account.company_id
        transaction.on_commit(lambda: _resume_settlements(company_id))
    return account


def payout_account_sync(*, company: Company) -> ConnectedAccount | None:
    """The seller came back from onboarding: read the account from the gateway now rather
    than wait for ``account.updated``. ``GatewayError`` when the gateway could not be asked."""
    account = payout_account_for_company(company=company)
    if account is None or not account.stripe_account_id:
        return account
    with transaction.atomic(durable=True):
        return connected_account_refresh(account=account)


def _resume_settlements(company_id: int) -> None:
    from payments.settlement import settlements_pay_awaiting
    from payments.tasks import settlement_pay_task

    for settlement_id in settlements_pay_awaiting(company_id=company_id):
        settlement_pay_task.apply_async(kwargs={"settlement_id": settlement_id})


def account_updated(obj: dict, *, event: StripeEvent | None = None) -> None:
    account = ConnectedAccount.objects.filter(stripe_account_id=obj.get("id") or "").first()
    if account is None:
        return
    connected_account_refresh(account=account)


# --- bank transfer -------------------------------------------------------------------------

_IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_ACCOUNT_NUMBER = re.compile(r"^[A-Z0-9-]{4,34}$")
# ISO 9362: party prefix (letters, alphanumeric since 2014), country, location, branch.
_BIC = re.compile(r"^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


@dataclass(frozen=True)
class BankDetails:
    account_holder: str
    bank_name: str
    iban: str  # an IBAN, or a local account number where the country has no IBAN
    swift: str
    country: str


def iban_checksum_valid(iban: str) -> bool:
    """ISO 13616 mod-97: the IBAN with its first four characters moved to the end, letters
    as 10..35, is 1 modulo 97."""
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def bank_details_clean(
    *, account_holder: str, bank_name: str, iban: str, swift: str, country: str
) -> BankDetails:
    """Normalised bank details, or ``ValidationError`` with a message per field."""
    errors: dict[str, str] = {}
    holder = " ".join(account_holder.split())
    bank = " ".join(bank_name.split())
    number = re.sub(r"[\s.]", "", iban).upper()
    bic = re.sub(r"\s", "", swift).upper()
    country = country.strip().upper()
    if not holder:
        errors["account_holder"] = "Give the name the bank account is held in."
    elif len(holder) > 200:
        errors["account_holder"] = "At most 200 characters."
    if not bank:
        errors["bank_name"] = "Give the name of the bank."
    elif len(bank) > 200:
        errors["bank_name"] = "At most 200 characters."
    if not number:
        errors["iban"] = "Give the IBAN or the account number."
    elif _IBAN_SHAPE.match(number) and number[:2] in countries:
        if not iban_checksum_valid(number):
            errors["iban"] = (
                "This IBAN's check digits do not match: check it for a mistyped character."
            )
    elif not _ACCOUNT_NUMBER.match(number):
        errors["iban"] = "Give an IBAN, or an account number of 4 to 34 letters, digits or hyphens."
    if not bic:
        errors["swift"] = "Give the bank's SWIFT/BIC code."
    elif len(bic) not in (8, 11):
        errors["swift"] = f"A SWIFT/BIC code has 8 or 11 characters, not {len(bic)}."
    elif not _BIC.match(bic) or bic[4:6] not in countries:
        errors["swift"] = (
            "A SWIFT/BIC code is 4 letters or digits (the bank), 2 letters (its country), 2 "
            "letters or digits (the place) and, for a branch, 3 more."
        )
    if not country:
        errors["country"] = "Choose the country the bank account is in."
    elif country not in countries:
        errors["country"] = "Choose a country from the list."
    if errors:
        raise ValidationError(errors)
    return BankDetails(
        account_holder=holder, bank_name=bank, iban=number, swift=bic, country=country
    )


def payout_account_masked(account: ConnectedAccount | None) -> str:
    """The payout account as history and emails show it: never more than the last four
    characters of an account number."""
    if account is None:
        return ""
    if account.method == PayoutMethod.BANK_TRANSFER and account.bank_iban:
        return f"Bank account •••• {account.bank_iban[-4:]}"
    if account.method == PayoutMethod.STRIPE and account.stripe_account_id:
        return f"Stripe Connect •••• {account.stripe_account_id[-4:]}"
    return ""


def _pays_out(account: ConnectedAccount | None) -> bool:
    """Whether money went or could go to this account (so replacing it changes where the
    company's money goes: not a first setup)."""
    if account is None:
        return False
    if account.method == PayoutMethod.BANK_TRANSFER:
        return bool(account.bank_iban)
    # Onboarded at Stripe, even if Stripe has paused payouts meanwhile.
    return bool(account.stripe_account_id) and account.details_submitted


WRONG_PASSWORD = "Your password is not correct: the payout account was not changed."  # noqa: S105


def payout_account_use_bank_transfer(
    *,
    company: Company,
    actor: User,
    current_password: str,
    account_holder: str,
    bank_name: str,
    iban: str,
    swift: str,
    country: str,
    client_ip: str | None = None,
) -> ConnectedAccount:
    """Pay the company by bank transfer to these details from now on.

    The actor confirms with ``current_password``. A change of details is kept in the
    company's ``PayoutAccountChange`` history (who, when, ``client_ip``, old and new account
    masked) and emailed to every owner and admin after commit. When the company could already
    be paid (a bank account, or a Stripe account onboarded), the payouts still pending are held
    for an admin's review: pending bank payouts go ``on_hold``, settlements not paid yet
    (released, awaiting an account, failed) ``held`` (reason ``account_change``). On a first setup, settlements waiting for a payout
    account become payable by bank at once.

    ``ValidationError`` (per field, ``current_password`` included) for bad details or a wrong
    password, nothing saved; ``PermissionDenied`` / ``Conflict`` as for
    ``payout_account_connect_stripe``.
    """
    _require_seller_manager(company=company, actor=actor)
    errors: dict[str, list[str]] = {}
    try:
        details = bank_details_clean(
            account_holder=account_holder,
            bank_name=bank_name,
            iban=iban,
            swift=swift,
            country=country,
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not current_password or not actor.check_password(current_password):
        errors["current_password"] = [WRONG_PASSWORD]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic(durable=True):
        account, created = ConnectedAccount.objects.select_for_update().get_or_create(
            company=company, defaults={"method": PayoutMethod.BANK_TRANSFER}
        )
        before = (
            None
            if created
            else (
                account.method,
                account.bank_account_holder,
                account.bank_name,
                account.bank_iban,
                account.bank_swift,
                account.bank_country,
            )
        )
        old_method = "" if created else account.method
        old_masked = "" if created else payout_account_masked(account)
        was_paying = not created and _pays_out(account)
        account.method = PayoutMethod.BANK_TRANSFER
        account.bank_account_holder = details.account_holder
        account.bank_name = details.bank_name
        account.bank_iban = details.iban
        account.bank_swift = details.swift
        account.bank_country = details.country
        account.save(
            update_fields=[
                "method",
                "bank_account_holder",
                "bank_name",
                "bank_iban",
                "bank_swift",
                "bank_country",
                "updated_at",
            ]
        )
        after = (
            account.method,
            account.bank_account_holder,
            account.bank_name,
            account.bank_iban,
            account.bank_swift,
            account.bank_country,
        )
        if before == after:
            return account  # saved again as it was: nothing changed, nothing to tell
        payouts_held = settlements_held = 0
        if was_paying:
            payouts_held, settlements_held = _payouts_hold_for_account_change(
                company=company, actor=actor
            )
        else:
            company_id = company.pk
            transaction.on_commit(lambda: _resume_settlements(company_id))
        change = PayoutAccountChange.objects.create(
            company=company,
            changed_by=actor,
            client_ip=client_ip or None,
            old_method=old_method,
            new_method=account.method,
            old_account=old_masked,
            new_account=payout_account_masked(account),
            payouts_held=payouts_held,
            settlements_held=settlements_held,
        )
        _payout_account_change_record(change=change)
    return account


def _payout_account_change_record(*, change: PayoutAccountChange) -> None:
    """Log the change as a security event (in the change's transaction) and tell the
    company's owners and admins by email once it has committed."""
    security_event_record(
        kind=SecurityEventKind.PAYOUT_ACCOUNT_CHANGED,
        user=change.changed_by,
        company=change.company,
        object_ref=f"payments.payoutaccountchange:{change.pk}",
        details={
            "old_method": change.old_method,
            "new_method": change.new_method,
            "old_account": change.old_account,
            "new_account": change.new_account,
            "payouts_held": change.payouts_held,
            "settlements_held": change.settlements_held,
        },
        ip=change.client_ip,
    )
    _payout_account_change_notify_on_commit(change_id=change.pk)


def _payouts_hold_for_account_change(*, company: Company, actor: User) -> tuple[int, int]:
    """Hold the company's pending bank payouts and its settlements not paid yet (released,
    awaiting an account, failed), in the caller's transaction; returns how many of each."""
    note = "The payout account changed: held until an admin reviews the change."
    payouts = list(
        BankPayout.objects.filter(seller=company, status=BankPayoutStatus.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for payout_id in payouts:
        bank_payout_transition(
            payout=BankPayout(pk=payout_id),
            target=BankPayoutStatus.ON_HOLD,
            actor=actor,
            note=note,
            hold_reason=HoldReason.ACCOUNT_CHANGE,
        )
    from payments.settlement import PAYABLE_STATUSES

    settlements = list(
        Settlement.objects.filter(seller=company, status__in=PAYABLE_STATUSES)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for settlement_id in settlements:
        settlement_transition(
            settlement=Settlement(pk=settlement_id),
            target=SettlementStatus.HELD,
            actor=actor,
            note=note,
            hold_reason=HoldReason.ACCOUNT_CHANGE,
        )
    return len(payouts), len(settlements)


def _payout_account_change_notify_on_commit(*, change_id: int) -> None:
    from payments.tasks import payout_account_change_notify_task

    notify = partial(payout_account_change_notify_task.delay, change_id=change_id)
    notify.__qualname__ = "payout_account_change_notify_task.delay"  # type: ignore[attr-defined]
    # robust: the broker down must not turn a committed change into an error (logged).
    transaction.on_commit(notify, robust=True)


def payout_account_change_notify(*, change_id: int) -> bool:
    """Email every active owner and admin of the company about a payout account change, once
    (the task may be delivered twice)."""
    with transaction.atomic(durable=True):
        change = (
            PayoutAccountChange.objects.select_for_update(of=("self",))
            .select_related("company", "changed_by")
            .filter(pk=change_id)
            .first()
        )
        if change is None or change.notified_at is not None:
            return False
        recipients = list(
            Membership.objects.filter(
                company=change.company, role__in=MANAGING_ROLES, user__is_active=True
            )
            .order_by("user__email")
            .values_list("user__email", flat=True)
        )
        if recipients:
            context = {
                "change": change,
                "company": change.company,
                "platform_name": settings.PLATFORM_NAME,
                "page_url": settings.SITE_URL.rstrip("/") + reverse("payments:payout-account"),
            }
            # Autoescaped (the default): company and user names are user-written text.
            subject = render_to_string(
                "emails/payments/payout_account_changed_subject.txt", context
            )
            body = render_to_string("emails/payments/payout_account_changed.txt", context)
            send_mail(" ".join(subject.split()), body, None, recipients)
        change.notified_at = timezone.now()
        change.save(update_fields=["notified_at"])
    return True


def payout_account_history(*, company: Company) -> list[PayoutAccountChange]:
    """The company's payout account changes, newest first (shown on its payout page)."""
    return list(
        PayoutAccountChange.objects.filter(company=company)
        .select_related("changed_by")
        .order_by("-id")[:50]
    )


# --- bank payouts (admin) --------------------------------------------------------------------

BANK_PAYOUT_CSV_COLUMNS = (
    "payout_id",
    "seller_legal_name",
    "account_holder",
    "bank_name",
    "country",
    "currency",
    "amount",
    "iban",
    "swift",
    "order_number",
    "reference",
)


def bank_payout_reference(payout: BankPayout) -> str:
    """What the bank transfer's remittance information says, so the seller can match it."""
    return f"PAYOUT {payout.pk} {payout.settlement.order.number}"


def _csv_cell(value: str) -> str:
    # A spreadsheet would run a cell starting with one of these as a formula.
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def bank_payouts_export_csv(*, payout_ids: Iterable[int] | None = None) -> str:
    """The pending bank payouts (all, or those of ``payout_ids``) as CSV, oldest first; each
    gets ``exported_at`` the first time it is exported. Bank details are the seller's current
    ones."""
    payouts = (
        BankPayout.objects.filter(status=BankPayoutStatus.PENDING)
        .select_related("seller", "settlement__order", "seller__payout_account")
        .order_by("pk")
    )
    if payout_ids is not None:
        payouts = payouts.filter(pk__in=list(payout_ids))
    rows = list(payouts)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(BANK_PAYOUT_CSV_COLUMNS)
    for payout in rows:
        account = getattr(payout.seller, "payout_account", None)
        amount = Money.from_minor_units(payout.amount_minor, payout.currency).as_dict()["amount"]
        writer.writerow(
            [
                str(payout.pk),
                _csv_cell(payout.seller.legal_name),
                _csv_cell(account.bank_account_holder) if account else "",
                _csv_cell(account.bank_name) if account else "",
                account.bank_country if account else "",
                payout.currency,
                amount,
                _csv_cell(account.bank_iban) if account else "",
                _csv_cell(account.bank_swift) if account else "",
                payout.settlement.order.number,
                bank_payout_reference(payout),
            ]
        )
    BankPayout.objects.filter(pk__in=[p.pk for p in rows], exported_at__isnull=True).update(
        exported_at=timezone.now()
    )
    return out.getvalue()


@dataclass(frozen=True)
class BankPayoutMarked:
    payout: BankPayout
    changed: bool  # False: it was already paid, nothing was done


def bank_payout_mark_paid(*, payout_id: int, bank_reference: str, actor: User) -> BankPayoutMarked:
    """An admin paid this payout at the bank: post the ledger payout (payable → paid out) and
    mark the payout paid and its settlement paid by bank. Marking it again does nothing.

    ``ValidationError`` (``bank_reference``) without a reference, nothing changed.
    """
    reference = " ".join(bank_reference.split())
    if not reference:
        raise ValidationError({"bank_reference": "Give the bank's reference for this transfer."})
    if len(reference) > 100:
        raise ValidationError({"bank_reference": "At most 100 characters."})
    settlement_id = BankPayout.objects.values_list("settlement_id", flat=True).get(pk=payout_id)
    with transaction.atomic(durable=True):
        # The settlement first, then the payout: the order settlement_pay locks them in.
        settlement = lock(Settlement, settlement_id)
        payout = (
            BankPayout.objects.select_for_update()
            .select_related("seller", "settlement__order")
            .get(pk=payout_id)
        )
        if payout.status == BankPayoutStatus.PAID:
            return BankPayoutMarked(payout=payout, changed=False)
        now = timezone.now()
        # A payout on hold (or cancelled) is refused here: InvalidTransition, nothing changed.
        payout = bank_payout_transition(
            payout=payout,
            target=BankPayoutStatus.PAID,
            actor=actor,
            note=f"Paid at the bank, reference {reference}.",
            extra_fields={"bank_reference": reference, "paid_at": now, "paid_by": actor},
        )
        settlement = transition(
            instance=settlement,
            target=SettlementStatus.PAID_BY_BANK,
            allowed=SETTLEMENT_TRANSITIONS,
            extra_fields={"paid_at": now, "last_error": ""},
        )
        ledger_post_payout(
            seller=payout.seller,
            currency=payout.currency,
            amount_minor=payout.amount_minor,
            idempotency_key=f"payout:bank:{payout.pk}",
            method="bank_transfer",
            reference=reference,
            order=payout.settlement.order,
            posted_by=actor,
        )
        return BankPayoutMarked(payout=payout, changed=True)


# --- settlements (admin) ---------------------------------------------------------------------


def settlements_payout_retry(*, settlement_ids: Iterable[int]) -> list[int]:
    """Send failed and awaiting settlements to the payout task again (after an admin fixed the
    cause); returns the ids sent. Others are left alone (paid, or on their way)."""
    ids = list(
        Settlement.objects.filter(
            pk__in=list(settlement_ids), status__in=RETRYABLE_SETTLEMENT_STATUSES
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )

    def enqueue() -> None:
        from payments.tasks import settlement_pay_task

        for settlement_id in ids:
            settlement_pay_task.apply_async(kwargs={"settlement_id": settlement_id})

    transaction.on_commit(enqueue)
    return ids
