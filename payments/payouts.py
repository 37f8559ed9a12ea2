"""How sellers get paid: their payout account (Stripe Connect Express, or bank transfer).

``account.updated`` re-reads the account from the gateway (events may arrive out of order; the
account as it is now is what counts) and, once payouts are enabled, resumes the settlements
that were waiting for it.
"""

from django.db import transaction

from payments.gateway import gateway_get
from payments.models import ConnectedAccount, StripeEvent


def connected_account_refresh(*, account: ConnectedAccount) -> ConnectedAccount:
    """Copy the gateway's current view of the account; resume waiting settlements."""
    remote = gateway_get().account_retrieve(account.stripe_account_id)
    account = ConnectedAccount.objects.select_for_update().get(pk=account.pk)
    was_enabled = account.payouts_enabled
    account.charges_enabled = remote.charges_enabled
    account.payouts_enabled = remote.payouts_enabled
    account.details_submitted = remote.details_submitted
    account.requirements_due = remote.requirements_due
    account.save(
        update_fields=[
            "charges_enabled",
            "payouts_enabled",
            "details_submitted",
            "requirements_due",
            "updated_at",
        ]
    )
    if account.can_receive_transfers and not was_enabled:
        company_id = account.company_id
        transaction.on_commit(lambda: _resume_settlements(company_id))
    return account


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
