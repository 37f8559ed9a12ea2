"""The seller's money dashboard: per currency what is held in escrow for its orders, what is
payable to it, what it has been paid out (all from the ledger), and its recent settlements
with their status. Amounts are integer minor units turned into ``Money`` for display."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from marketplace.accounts.models import Company
from marketplace.trade.money import Money
from payments.enums import SettlementStatus
from payments.ledger.selectors import seller_money_summary
from payments.models import ConnectedAccount, Settlement
from payments.views.checkout import company_required

RECENT_SETTLEMENTS = 20

# How each settlement status reads on the dashboard (badge class, one line for the seller).
SETTLEMENT_BADGES: dict[str, str] = {
    SettlementStatus.TRANSFERRED: "badge-success",
    SettlementStatus.PAID_BY_BANK: "badge-success",
    SettlementStatus.RELEASED: "badge-muted",
    SettlementStatus.AWAITING_ACCOUNT: "badge-warning",
    SettlementStatus.BANK_PAYABLE: "badge-warning",
    SettlementStatus.FAILED: "badge-danger",
    SettlementStatus.REVERSED: "badge-danger",
}
SETTLEMENT_EXPLANATIONS: dict[str, str] = {
    SettlementStatus.TRANSFERRED: "Sent to your Stripe account.",
    SettlementStatus.PAID_BY_BANK: "Paid to your bank account.",
    SettlementStatus.RELEASED: "Released to you; the transfer is being made.",
    SettlementStatus.AWAITING_ACCOUNT: "Waiting for your payout account: set it up to be paid.",
    SettlementStatus.BANK_PAYABLE: "Payable by bank transfer; the platform pays it in its next run.",
    SettlementStatus.FAILED: "The payout failed; the platform is looking into it.",
    SettlementStatus.REVERSED: "The transfer was reversed.",
}


@dataclass(frozen=True)
class CurrencyMoney:
    currency: str
    held: Money
    payable: Money
    paid_out: Money


@dataclass(frozen=True)
class SettlementRow:
    settlement: Settlement
    share: Money
    fee: Money
    badge: str
    explanation: str


def settlements_recent_for_seller(*, company: Company) -> QuerySet[Settlement]:
    """The seller's own settlements, newest first, with their orders."""
    return (
        Settlement.objects.filter(seller=company)
        .select_related("order")
        .order_by("-created_at", "-id")[:RECENT_SETTLEMENTS]
    )


@company_required
@require_GET
def money_dashboard(request: HttpRequest, company: Company) -> HttpResponse:
    """``/payments/money/``: a selling company's money held, payable and paid out."""
    if not company.sells:
        return render(request, "payments/money.html", {"not_a_seller": True}, status=403)
    currencies = [
        CurrencyMoney(
            currency=row.currency,
            held=Money.from_minor_units(row.held_minor, row.currency),
            payable=Money.from_minor_units(row.payable_minor, row.currency),
            paid_out=Money.from_minor_units(row.paid_out_minor, row.currency),
        )
        for row in seller_money_summary(company=company)
    ]
    settlements = [
        SettlementRow(
            settlement=settlement,
            share=Money.from_minor_units(settlement.seller_share_minor, settlement.currency),
            fee=Money.from_minor_units(settlement.platform_fee_minor, settlement.currency),
            badge=SETTLEMENT_BADGES.get(settlement.status, "badge-muted"),
            explanation=SETTLEMENT_EXPLANATIONS.get(settlement.status, ""),
        )
        for settlement in settlements_recent_for_seller(company=company)
    ]
    return render(
        request,
        "payments/money.html",
        {
            "company": company,
            "currencies": currencies,
            "settlements": settlements,
            "payout_account": ConnectedAccount.objects.filter(company=company).first(),
        },
    )
