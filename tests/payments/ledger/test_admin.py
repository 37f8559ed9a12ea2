"""The ledger in the admin: read-only, balances per account, entries inline."""

import pytest
from django.urls import reverse

from payments.ledger.models import LedgerAccount, LedgerTransaction
from payments.ledger.services import (
    ledger_post_payment_captured,
    ledger_post_settlement_released,
    ledger_reverse,
)
from tests.factories import admin_login
from tests.payments.ledger.factories import ledger_snapshot


@pytest.fixture
def admin_client(client, staff_user):
    admin_login(client, staff_user)
    return client


@pytest.fixture
def settled(order):
    captured = ledger_post_payment_captured(
        order=order, amount_minor=12360, idempotency_key="c:usd"
    )
    settlement = ledger_post_settlement_released(
        order=order, seller_share_minor=12000, platform_fee_minor=360, idempotency_key="s:usd"
    )
    return captured, settlement


def test_the_accounts_list_shows_each_balance_and_that_the_books_balance(admin_client, settled):
    body = admin_client.get(reverse("admin:ledger_ledgeraccount_changelist")).content.decode()

    assert "Balanced: all 2 transactions sum to zero in every currency." in body
    assert "USD -123.60" in body  # gateway clearing
    assert "USD 120.00" in body  # seller payable
    assert "USD 3.60" in body  # platform fees
    assert "USD 0.00" in body  # escrow, all released


def test_the_accounts_list_links_to_an_accounts_transactions(admin_client, settled):
    fees = LedgerAccount.objects.get(code="platform_fees")
    url = reverse("admin:ledger_ledgertransaction_changelist")

    response = admin_client.get(url, {"entries__account__id__exact": fees.pk})

    assert response.status_code == 200
    assert [t.pk for t in response.context["cl"].result_list] == [settled[1].pk]


def test_a_transaction_shows_its_entries_and_its_reversal(admin_client, settled):
    _, settlement = settled
    reversal = ledger_reverse(transaction=settlement, idempotency_key="rev:s", reason="Early")

    url = reverse("admin:ledger_ledgertransaction_change", args=[settlement.pk])
    body = admin_client.get(url).content.decode()

    assert "Settlement released for order ORD-LEDGER-0001" in body
    assert "USD -123.60" in body
    assert "USD 120.00" in body
    assert "USD 3.60" in body
    assert f">#{reversal.pk}</a>" in body
    assert 'name="_save"' not in body


def test_the_ledger_cannot_be_added_to_changed_or_deleted_in_the_admin(admin_client, settled):
    captured, _ = settled
    before = ledger_snapshot()

    assert admin_client.get(reverse("admin:ledger_ledgertransaction_add")).status_code == 403
    assert admin_client.get(reverse("admin:ledger_ledgeraccount_add")).status_code == 403
    assert (
        admin_client.post(
            reverse("admin:ledger_ledgertransaction_delete", args=[captured.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    admin_client.post(
        reverse("admin:ledger_ledgertransaction_change", args=[captured.pk]),
        {"description": "rewritten", "kind": "refund"},
    )

    assert ledger_snapshot() == before
    assert LedgerTransaction.objects.get(pk=captured.pk).description == (
        "Payment captured for order ORD-LEDGER-0001"
    )


def test_the_accounts_list_takes_a_constant_number_of_queries(
    admin_client, settled, django_assert_max_num_queries
):
    url = reverse("admin:ledger_ledgeraccount_changelist")
    with django_assert_max_num_queries(12):
        assert admin_client.get(url).status_code == 200
