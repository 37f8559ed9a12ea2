"""Faults, each ending with the seller paid exactly once (one transfer at the gateway, of the
exact share), the payout posted once and the ledger balanced:

* the same outbox event delivered three times (and the same webhook event replayed);
* the settlement task run twice at once (real threads, real transactions);
* a worker killed mid-task: the transfer made at the gateway, the process gone before its
  commit — in process (``SystemExit`` after the gateway's answer) and for real (a worker
  process killed with SIGKILL while the gateway answers, its message delivered again);
* the broker unreachable when the order completes: the outbox row stays pending with the
  error, and the relay publishes it once the broker is back.
"""

import json
import os
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import connection

from marketplace.celery import app
from marketplace.core.models import OutboxEvent
from marketplace.core.outbox import outbox_relay
from orders import services as order_services
from orders.models import Order
from payments import settlement, tasks
from payments.enums import SettlementStatus
from payments.ledger.models import LedgerTransaction
from payments.ledger.selectors import ledger_check, seller_money_summary
from payments.models import SandboxObject, Settlement, StripeEvent
from payments.webhooks import webhook_receive, webhook_sign
from tests.payments.fault_gateway import StripeStandIn, completed, delivered, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

BASE_DIR = Path(__file__).resolve().parents[2]


def paid_once(order: Order, seller, *, transfer_id: str) -> None:
    """The end state every fault must reach."""
    paid = Settlement.objects.get(order=order)
    assert (paid.status, paid.transfer_id, paid.seller_share_minor) == (
        SettlementStatus.TRANSFERRED,
        transfer_id,
        105000,
    )
    payout = LedgerTransaction.objects.get(kind="payout", order=order)
    assert payout.idempotency_key == f"payout:{order.number}"
    assert sorted(payout.entries.values_list("account__code", "amount_minor")) == [
        ("seller_paid_out", 105000),
        ("seller_payable", -105000),
    ]
    assert LedgerTransaction.objects.filter(kind="settlement_released").count() == 1
    [money] = seller_money_summary(company=seller)
    assert (money.held_minor, money.payable_minor, money.paid_out_minor) == (0, 0, 105000)
    assert ledger_check()["balanced"] is True


@contextmanager
def settlement_tasks_finished():
    """Counts settlement tasks the (in-process) worker has finished."""
    done: list[str] = []

    def finished(sender=None, **kwargs):
        if sender is not None and sender.name == "payments.tasks.settlement_task":
            done.append(kwargs.get("state") or "")

    task_postrun.connect(finished, weak=False)
    try:
        yield done
    finally:
        task_postrun.disconnect(finished)


# --- redelivery -------------------------------------------------------------------------


@pytest.mark.celery_worker
def test_the_same_outbox_event_delivered_three_times_pays_once(
    celery_worker, confirmed_order, buyer, buyer_user, seller, seller_user
):
    order = delivered(
        confirmed_order, buyer=buyer, buyer_user=buyer_user, seller=seller, seller_user=seller_user
    )
    with settlement_tasks_finished() as done:
        order = order_services.order_accept(order=order, actor=buyer_user)  # delivery 1
        event = OutboxEvent.objects.get(topic="order.completed", key=order.number)
        for _ in range(2):  # deliveries 2 and 3: a relay that crashed after sending, twice
            app.send_task(
                "payments.tasks.settlement_task", kwargs={"event_id": event.pk}, queue="payments"
            )
        wait_until(lambda: len(done) == 3)

    assert done == ["SUCCESS"] * 3
    [transfer] = SandboxObject.objects.filter(kind="transfer")
    assert transfer.data["amount"] == 105000
    paid_once(order, seller, transfer_id=transfer.object_id)


def test_the_transfer_created_webhook_delivered_three_times_changes_nothing(
    confirmed_order, buyer, buyer_user, seller, seller_user
):
    order = completed(
        confirmed_order, buyer=buyer, buyer_user=buyer_user, seller=seller, seller_user=seller_user
    )
    paid = settlement.settlement_run(order_id=order.pk)
    stored = StripeEvent.objects.get(type="transfer.created")
    payload = json.dumps(stored.payload).encode()

    outcomes = [
        webhook_receive(payload=payload, signature_header=webhook_sign(payload)) for _ in range(3)
    ]

    assert [o.replayed for o in outcomes] == [True, True, True]
    assert StripeEvent.objects.filter(type="transfer.created").count() == 1
    paid_once(order, seller, transfer_id=paid.transfer_id)


# --- two at once ------------------------------------------------------------------------


def test_the_settlement_task_run_twice_at_once_transfers_once(
    confirmed_order, buyer, buyer_user, seller, seller_user, httpserver
):
    order = delivered(
        confirmed_order, buyer=buyer, buyer_user=buyer_user, seller=seller, seller_user=seller_user
    )
    stand_in = StripeStandIn(httpserver)
    with stand_in.settings():
        order = order_services.order_accept(order=order, actor=buyer_user)
        event = OutboxEvent.objects.get(topic="order.completed", key=order.number)
        barrier = threading.Barrier(2)
        results: list[str] = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                barrier.wait(timeout=10)
                results.append(tasks.settlement_task(event_id=event.pk))  # the task's body
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    assert results == [SettlementStatus.TRANSFERRED] * 2
    assert len(stand_in.requests) == 1
    [transfer] = stand_in.transfers
    assert transfer["amount"] == 105000
    paid_once(order, seller, transfer_id=transfer["id"])


# --- killed mid-task --------------------------------------------------------------------


def _die_after_the_gateway_answered(monkeypatch) -> None:
    def killed(**kwargs):
        raise SystemExit("worker killed before the commit")

    monkeypatch.setattr(settlement, "ledger_post_payout", killed)


def test_a_worker_killed_after_the_transfer_pays_once_when_the_task_runs_again(
    confirmed_order, buyer, buyer_user, seller, seller_user, httpserver, monkeypatch
):
    order = completed(
        confirmed_order, buyer=buyer, buyer_user=buyer_user, seller=seller, seller_user=seller_user
    )
    stand_in = StripeStandIn(httpserver)
    with stand_in.settings():
        with monkeypatch.context() as patch:
            _die_after_the_gateway_answered(patch)
            with pytest.raises(SystemExit):
                settlement.settlement_run(order_id=order.pk)

        # Rolled back: the settlement is released, no payout; the gateway made the transfer.
        left = Settlement.objects.get(order=order)
        assert (left.status, left.transfer_id) == (SettlementStatus.RELEASED, "")
        assert not LedgerTransaction.objects.filter(kind="payout").exists()
        assert len(stand_in.transfers) == 1

        again = settlement.settlement_run(order_id=order.pk)  # the redelivered task

    # The task run again asks the gateway for the order's transfers (the "" key: a list
    # request), finds the one the dead attempt made, and records it: no second transfer.
    assert [r.idempotency_key for r in stand_in.requests] == [f"transfer:{order.number}", ""]
    [transfer] = stand_in.transfers
    assert again.transfer_id == transfer["id"]
    paid_once(order, seller, transfer_id=transfer["id"])


def test_a_worker_killed_after_the_transfer_is_recorded_by_transfer_created(
    confirmed_order, buyer, buyer_user, seller, seller_user, httpserver, monkeypatch
):
    order = completed(
        confirmed_order, buyer=buyer, buyer_user=buyer_user, seller=seller, seller_user=seller_user
    )
    stand_in = StripeStandIn(httpserver)
    with stand_in.settings():
        with monkeypatch.context() as patch:
            _die_after_the_gateway_answered(patch)
            with pytest.raises(SystemExit):
                settlement.settlement_run(order_id=order.pk)
        [transfer] = stand_in.transfers
        payload = json.dumps(
            {
                "id": "evt_standin_transfer_created",
                "object": "event",
                "created": 1700000000,
                "livemode": False,
                "type": "transfer.created",
                "data": {"object": transfer},
            }
        ).encode()

        webhook_receive(payload=payload, signature_header=webhook_sign(payload))
        recorded = Settlement.objects.get(order=order)
        assert (recorded.status, recorded.transfer_id) == (
            SettlementStatus.TRANSFERRED,
            transfer["id"],
        )
        again = settlement.settlement_run(order_id=order.pk)  # the redelivered task: no call

    assert again.pk == recorded.pk
    assert len(stand_in.requests) == 1
    paid_once(order, seller, transfer_id=transfer["id"])


def _unacked_clear_and_queues_purged() -> None:
    with app.connection_for_write() as conn:
        for queue in app.conf.task_queues:
            queue.bind(conn.default_channel).purge()
        conn.default_channel.client.delete("unacked", "unacked_index")


def _unacked_count() -> int:
    with app.connection_for_write() as conn:
        return int(conn.default_channel.client.hlen("unacked"))


def test_a_worker_process_killed_mid_transfer_pays_once_after_redelivery(
    confirmed_order, buyer, buyer_user, seller, seller_user, httpserver
):
    """A real worker process, SIGKILLed while the gateway (stand-in) answers its transfer; its
    unacknowledged message comes back after the visibility timeout (shortened here) and a new
    worker finishes the work with the same idempotency key."""
    _unacked_clear_and_queues_purged()
    order = delivered(
        confirmed_order, buyer=buyer, buyer_user=buyer_user, seller=seller, seller_user=seller_user
    )
    stand_in = StripeStandIn(httpserver, release=threading.Event())
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "REDIS_URL": settings.CELERY_BROKER_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "STRIPE_SECRET_KEY": "sk_test_standin",
        "STRIPE_API_BASE": stand_in.base_url,
        "STRIPE_MAX_NETWORK_RETRIES": "0",
        "STRIPE_WEBHOOK_SECRET": "whsec_standin",
        "PAYMENTS_SANDBOX": "false",
    }
    worker = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "marketplace",
            "worker",
            "-Q",
            "payments",
            "-P",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"doomed-{os.getpid()}@%h",
            "-l",
            "WARNING",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with stand_in.settings():
            order = order_services.order_accept(order=order, actor=buyer_user)
            assert stand_in.transfer_made.wait(timeout=90), "the worker never asked for a transfer"
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
            stand_in.release.set()

            # The transfer exists at the gateway; the dead worker committed nothing after it.
            assert len(stand_in.transfers) == 1
            left = Settlement.objects.get(order=order)
            assert (left.status, left.transfer_id) == (SettlementStatus.RELEASED, "")
            assert not LedgerTransaction.objects.filter(kind="payout").exists()
            assert _unacked_count() == 1  # acks_late: the message was never acknowledged

            # Its visibility timeout over (0 s here instead of an hour), the message is back.
            with app.connection_for_write(transport_options={"visibility_timeout": 0}) as conn:
                conn.default_channel.qos.restore_visible(num=10)
            with start_worker(
                app, pool="solo", perform_ping_check=False, shutdown_timeout=20, queues=["payments"]
            ):
                wait_until(
                    lambda: Settlement.objects.filter(
                        pk=left.pk, status=SettlementStatus.TRANSFERRED
                    ).exists(),
                    timeout=60,
                )
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=30)
        if stand_in.release is not None:
            stand_in.release.set()

    # The task run again asks the gateway for the order's transfers (the "" key: a list
    # request), finds the one the dead attempt made, and records it: no second transfer.
    assert [r.idempotency_key for r in stand_in.requests] == [f"transfer:{order.number}", ""]
    [transfer] = stand_in.transfers
    assert transfer["amount"] == 105000
    paid_once(order, seller, transfer_id=transfer["id"])
    assert _unacked_count() == 0


# --- broker down ------------------------------------------------------------------------


@contextmanager
def broker_unreachable():
    """Publishing goes to a port where nothing listens (the worker keeps its own connection)."""
    saved = app.conf.broker_write_url

    def reset_pools() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.broker_write_url = "redis://127.0.0.1:9/2"
    reset_pools()
    try:
        yield
    finally:
        app.conf.broker_write_url = saved
        reset_pools()


@pytest.mark.celery_worker
def test_the_broker_down_when_the_order_completes_is_caught_up_by_the_relay(
    celery_worker, confirmed_order, buyer, buyer_user, seller, seller_user
):
    order = delivered(
        confirmed_order, buyer=buyer, buyer_user=buyer_user, seller=seller, seller_user=seller_user
    )

    with broker_unreachable():
        order = order_services.order_accept(order=order, actor=buyer_user)

    # The order completed all the same; the fact waits in the outbox with the error.
    assert order.status == "completed"
    event = OutboxEvent.objects.get(topic="order.completed", key=order.number)
    assert (event.published_at, event.attempts) == (None, 1)
    assert event.last_error.startswith("OperationalError")
    assert not Settlement.objects.exists()

    assert outbox_relay() == 1  # the beat's relay, the broker back

    wait_until(lambda: Settlement.objects.filter(status=SettlementStatus.TRANSFERRED).exists())
    event.refresh_from_db()
    assert (event.attempts, event.last_error) == (2, "")
    assert event.published_at is not None
    assert outbox_relay() == 0
    [transfer] = SandboxObject.objects.filter(kind="transfer")
    paid_once(order, seller, transfer_id=transfer.object_id)
