"""Settlement throughput: completed orders → Stripe transfers through ONE real Celery worker.

    .venv/bin/python bench/settlement/run.py [--orders 10000] [--sellers 20] [--latency-ms 0]
                                             [--pool solo] [--reconcile]

Its own database, ``marketplace_bench_settlement`` beside ``DATABASE_URL`` (or
``BENCH_SETTLEMENT_DATABASE_URL``; it refuses ``marketplace_bench`` and ``test*``), created and
migrated if missing. Each run starts from no orders:

1. the Stripe stand-in (``bench/settlement/stripe_standin.py``) is started as a subprocess on a
   free loopback port; this process and the worker get ``STRIPE_SECRET_KEY=sk_test_bench``
   and ``STRIPE_API_BASE=http://127.0.0.1:<port>`` (the real ``stripe`` SDK, the real
   ``StripeGateway``);
2. sellers (verified, each with an enabled Stripe Connect account), one buyer, one listing per
   seller, and one order per seller placed and confirmed through the order services (the
   templates);
3. ``--orders`` completed orders are built in ONE database transaction by ``INSERT … SELECT``
   from the templates (orders with their lines, succeeded Payments, the ledger's capture
   ``capture:<pi>`` per order as a balanced transaction of two entries — the ledger's deferred
   balance and entry-count triggers check all of them at commit — and an ``order.completed``
   outbox row per order, the row ``orders`` writes when an order completes);
4. one worker, ``celery -A marketplace worker -Q payments -c 1 --pool solo``, is started and
   pinged; the clock starts; this process relays the outbox (``outbox_relay`` in a loop, as
   the beat relay does) while it polls until every settlement is ``transferred``;
5. audit: ``ledger_check()`` balanced, escrow of the bench orders 0, payables 0, paid out ==
   the sum of the transfers; the stand-in made exactly one transfer per order (transfers,
   distinct idempotency keys, replays), each settlement's transfer id and amount are the
   stand-in's; ``--reconcile`` also runs ``reconcile()`` against the stand-in.

Throughput is settlements / (last transfer recorded − clock start). Per settlement: the gaps
between consecutive settlements (one worker: the service time of one ``settlement_task``),
release → paid (the second step: lock, transfer request, payout posting), the stand-in's own
handling time, and published → paid (mostly the wait in the queue behind the others).
"""

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench import common

DB_NAME = "marketplace_bench_settlement"
PREFIX = "bench-settlement-"
NUMBER_PREFIX = "STL-"
STRIPE_KEY = "sk_test_bench"
VENV_BIN = Path(sys.executable).parent


def settlement_database_url() -> str:
    if explicit := os.environ.get("BENCH_SETTLEMENT_DATABASE_URL"):
        url = explicit
    else:
        base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/marketplace")
        url = urlunsplit(urlsplit(base)._replace(path=f"/{DB_NAME}"))
    name = urlsplit(url).path.lstrip("/")
    if name == common.BENCH_DB_NAME or name.startswith("test"):
        raise SystemExit(f"refusing to run the settlement bench in {name!r}: it is not its own")
    return url


# --- the Stripe stand-in ------------------------------------------------------------------


class StandIn:
    def __init__(self, *, latency_ms: float) -> None:
        self.port = common.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        common.OUT.mkdir(parents=True, exist_ok=True)
        self.log = (common.OUT / "settlement-standin.log").open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).with_name("stripe_standin.py")),
                "--port",
                str(self.port),
                "--latency-ms",
                str(latency_ms),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                self.get("/_bench/stats")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the Stripe stand-in did not start")

    def get(self, path: str):
        with urllib.request.urlopen(self.base + path, timeout=30) as response:
            return json.loads(response.read())

    def post(self, path: str, payload: object):
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


# --- the data -----------------------------------------------------------------------------


def parties_ensure(sellers: int):
    """``sellers`` verified exporters with a Stripe account each, one listing each; a buyer."""
    from django.utils import timezone

    from bench.orders.run import _company, _listing_publish, _member, _user
    from bench.search.generate import reference_data_load
    from listings.enums import ListingStatus
    from listings.models import Listing
    from marketplace.accounts.enums import MembershipRole, VerificationStatus
    from payments.enums import PayoutMethod
    from payments.models import ConnectedAccount

    reference_data_load()
    moderator = _user(f"{PREFIX}moderator@example.com", staff=True)
    buyer = _company(
        f"{PREFIX}buyer",
        legal_name="Bench Settlement Importer GmbH",
        country="DE",
        address_line1="Am Sandtorkai 1",
        city="Hamburg",
        postal_code="20457",
        sells=False,
        buys=True,
        default_currency="USD",
    )
    buyer_user = _user(f"{PREFIX}buyer@example.com")
    _member(buyer, buyer_user, MembershipRole.OWNER)
    parties = []
    for n in range(1, sellers + 1):
        seller = _company(
            f"{PREFIX}seller-{n:03d}",
            legal_name=f"Bench Settlement Exporter {n:03d} Co., Ltd",
            country="CN",
            address_line1=f"{n} Harbour Road",
            city="Ningbo",
            registration_number=f"BENCH-SETTLE-{n:03d}",
            sells=True,
            buys=False,
            default_currency="USD",
            verification_status=VerificationStatus.VERIFIED,
            verified_at=timezone.now(),
        )
        owner = _user(f"{PREFIX}seller-{n:03d}@example.com")
        _member(seller, owner, MembershipRole.OWNER)
        ConnectedAccount.objects.update_or_create(
            company=seller,
            defaults={
                "method": PayoutMethod.STRIPE,
                "stripe_account_id": f"acct_bench_{n:03d}",
                "charges_enabled": True,
                "payouts_enabled": True,
                "details_submitted": True,
                "requirements_due": [],
            },
        )
        listing = Listing.objects.filter(seller=seller, status=ListingStatus.PUBLISHED).first()
        if listing is None:
            listing = _listing_publish(
                seller=seller,
                owner=owner,
                moderator=moderator,
                title=f"Stainless steel hex bolts M8, bench seller {n:03d}",
                hs_code="731815",
                stock=1_000_000,
            )
        parties.append((seller, owner, listing))
    return buyer, buyer_user, parties


def orders_reset() -> None:
    """No orders, payments, settlements, ledger or outbox rows (TRUNCATE fires no row
    triggers, so the append-only ledger allows it; nothing else lives in this database)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE orders_order, orders_cart, core_outboxevent, ledger_entry, "
            "ledger_transaction, ledger_account, payments_payment, payments_settlement, "
            "payments_refund, payments_bankpayout, payments_reconciliationrun, "
            "payments_stripeevent RESTART IDENTITY CASCADE"
        )


def templates_place(buyer, buyer_user, parties) -> list[int]:
    """One order per seller, placed and confirmed through the order services."""
    from orders.services import LineInput, ShipTo, order_confirm, order_place

    ship_to = ShipTo(
        name="Bench Settlement Importer, goods in",
        line1="Am Sandtorkai 1",
        city="Hamburg",
        country="DE",
        postal_code="20457",
    )
    ids = []
    for n, (_seller, owner, listing) in enumerate(parties):
        order = order_place(
            buyer=buyer,
            actor=buyer_user,
            lines=[LineInput(listing_id=listing.pk, quantity=100 + 10 * n)],
            incoterm="FOB",
            named_place="Ningbo",
            ship_to=ship_to,
            buyer_reference=f"BENCH-TEMPLATE-{n}",
        )
        ids.append(order_confirm(order=order, actor=owner).pk)
    return ids


def orders_build(*, count: int, template_ids: list[int]) -> dict[str, float]:
    """``count`` completed, paid orders cloned from the templates, with their ledger capture
    and ``order.completed`` outbox row, in one transaction (triggers checked at commit)."""
    from django.db import connection, transaction

    from orders.models import Order, OrderLine
    from payments.ledger.enums import LedgerAccountCode
    from payments.ledger.services import ledger_account_get

    timings: dict[str, float] = {}
    overrides = {
        "number": f"'{NUMBER_PREFIX}' || lpad(g.n::text, 6, '0')",
        "status": "'completed'",
        "buyer_reference": "'BENCH-' || g.n",
        "created_at": "now()",
        "updated_at": "now()",
        "paid_at": "now() - interval '20 days'",
        "shipped_at": "now() - interval '18 days'",
        "delivered_at": "now() - interval '3 days'",
        "inspection_ends_at": "now() - interval '1 minute'",
        "completed_at": "now()",
        "expires_at": "NULL",
    }
    order_columns = [f.column for f in Order._meta.concrete_fields if f.column != "id"]
    select = ", ".join(overrides.get(c, f"t.{c}") for c in order_columns)
    line_columns = [
        f.column for f in OrderLine._meta.concrete_fields if f.column not in ("id", "order_id")
    ]
    templates = len(template_ids)
    mapping = ", ".join(f"({i}, {pk})" for i, pk in enumerate(template_ids))
    with transaction.atomic():
        clearing = ledger_account_get(code=LedgerAccountCode.GATEWAY_CLEARING, currency="USD")
        escrow = ledger_account_get(code=LedgerAccountCode.ESCROW, currency="USD")
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE bench_template (idx int, template_id bigint) ON COMMIT DROP;"
                f"INSERT INTO bench_template VALUES {mapping}"
            )
            step = time.monotonic()
            cursor.execute(
                f"INSERT INTO orders_order ({', '.join(order_columns)}) "
                f"SELECT {select} FROM generate_series(1, %s) AS g(n) "
                f"JOIN bench_template m ON m.idx = g.n %% {templates} "
                f"JOIN orders_order t ON t.id = m.template_id ORDER BY g.n",
                [count],
            )
            cursor.execute(
                f"INSERT INTO orders_orderline (order_id, {', '.join(line_columns)}) "
                f"SELECT o.id, {', '.join('l.' + c for c in line_columns)} FROM orders_order o "
                f"JOIN bench_template m ON m.idx = substr(o.number, {len(NUMBER_PREFIX) + 1})"
                f"::int %% {templates} "
                f"JOIN orders_orderline l ON l.order_id = m.template_id "
                f"WHERE o.number LIKE '{NUMBER_PREFIX}%%' ORDER BY o.id, l.id",
                [],
            )
            timings["orders"] = time.monotonic() - step
            step = time.monotonic()
            cursor.execute(
                "INSERT INTO payments_payment (created_at, updated_at, order_id, "
                "payment_intent_id, client_secret, amount_minor, amount_received_minor, currency, "
                "status, idempotency_key, attempt, sandbox, last_error, succeeded_at) "
                "SELECT now(), now(), o.id, 'pi_bench_' || o.number, '', o.total_minor, "
                "o.total_minor, o.currency, 'succeeded', 'pi:' || o.number || ':1', 1, false, "
                "'', o.paid_at FROM orders_order o "
                f"WHERE o.number LIKE '{NUMBER_PREFIX}%%' ORDER BY o.id",
                [],
            )
            timings["payments"] = time.monotonic() - step
            step = time.monotonic()
            cursor.execute(
                "INSERT INTO ledger_transaction (idempotency_key, kind, description, order_id, "
                "created_at) SELECT 'capture:pi_bench_' || o.number, 'payment_captured', "
                "'Payment captured for order ' || o.number, o.id, o.paid_at FROM orders_order o "
                f"WHERE o.number LIKE '{NUMBER_PREFIX}%%' ORDER BY o.id",
                [],
            )
            cursor.execute(
                "INSERT INTO ledger_entry (transaction_id, account_id, amount_minor, currency) "
                "SELECT t.id, a.account_id, a.sign * o.total_minor, o.currency "
                "FROM ledger_transaction t JOIN orders_order o ON o.id = t.order_id "
                "CROSS JOIN (VALUES (%s, -1), (%s, 1)) AS a(account_id, sign) "
                "WHERE t.idempotency_key LIKE 'capture:pi_bench_%%' ORDER BY t.id, a.sign",
                [clearing.pk, escrow.pk],
            )
            timings["ledger"] = time.monotonic() - step
            step = time.monotonic()
            cursor.execute(
                "INSERT INTO core_outboxevent (topic, key, payload, created_at, attempts, "
                "last_error) SELECT 'order.completed', o.number, jsonb_build_object("
                "'order_id', o.id, 'number', o.number, 'currency', o.currency, "
                "'total_minor', o.total_minor, 'platform_fee_minor', o.platform_fee_minor), "
                f"now(), 0, '' FROM orders_order o WHERE o.number LIKE '{NUMBER_PREFIX}%%' "
                "ORDER BY o.id",
                [],
            )
            timings["outbox"] = time.monotonic() - step
            step = time.monotonic()
        # leaving the block commits: the ledger's deferred triggers check every transaction
    timings["commit_checks"] = time.monotonic() - step
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return timings


# --- the worker ---------------------------------------------------------------------------


def worker_start(*, env: dict[str, str], pool: str) -> subprocess.Popen:
    from marketplace.celery import app

    with app.connection_for_write() as connection:
        purged = 0
        for queue in app.conf.task_queues:
            purged += queue.bind(connection.default_channel).purge() or 0
    if purged:
        print(f"purged {purged} stale messages from the bench's queues")
    log = (common.OUT / "settlement-worker.log").open("w")
    process = subprocess.Popen(
        [
            str(VENV_BIN / "celery"),
            "-A",
            "marketplace",
            "worker",
            "-Q",
            "payments",
            "-c",
            "1",
            "--pool",
            pool,
            "-l",
            "WARNING",
            "-n",
            f"bench-settlement-{os.getpid()}@%h",
        ],
        cwd=common.REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited: see {common.OUT / 'settlement-worker.log'}")
        replies = app.control.ping(timeout=1.0)
        if any(f"bench-settlement-{os.getpid()}@" in name for reply in replies for name in reply):
            return process
    raise RuntimeError("the worker did not answer a ping within 60 s")


def worker_stop(process: subprocess.Popen) -> None:
    process.terminate()  # warm shutdown: the current task finishes
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def relay_until_done(stop: threading.Event, published: list[int]) -> None:
    """What the beat relay does, in a loop: publish pending outbox rows oldest first."""
    from django.db import connection

    from marketplace.core.outbox import outbox_relay

    try:
        while not stop.is_set():
            sent = outbox_relay(limit=500)
            published[0] += sent
            if sent == 0:
                if published[0] >= published[1]:
                    return
                time.sleep(0.2)
    finally:
        connection.close()


def settle_through_worker(args: argparse.Namespace) -> tuple[float, bool, float, float]:
    """Start the worker, relay the outbox, wait until every settlement is transferred."""
    from django.db.models import Count

    from payments.enums import SettlementStatus
    from payments.models import Settlement

    worker = worker_start(env=common.bench_environ(), pool=args.pool)
    stop = threading.Event()
    published = [0, args.orders]
    relay = threading.Thread(target=relay_until_done, args=(stop, published), daemon=True)
    started_wall = time.time()
    started = time.monotonic()
    relay.start()
    done = 0
    last_print = last_progress = started
    timed_out = False
    try:
        while True:
            count = Settlement.objects.filter(status=SettlementStatus.TRANSFERRED).count()
            now = time.monotonic()
            if count != done:
                done, last_progress = count, now
            if done >= args.orders:
                break
            if now - started > args.timeout or now - last_progress > args.stall:
                # No progress: e.g. messages taken off the queue by someone else (a purge, a
                # test worker on the same Redis database) are not sent again by the relay.
                timed_out = True
                print(f"  no progress for {now - last_progress:.0f} s: giving up", flush=True)
                break
            if now - last_print >= 15:
                other = dict(
                    Settlement.objects.exclude(status=SettlementStatus.TRANSFERRED)
                    .values("status")
                    .annotate(n=Count("pk"))
                    .values_list("status", "n")
                )
                print(
                    f"  {now - started:6.0f} s: {done:,} transferred, {published[0]:,} "
                    f"published{', other: ' + str(other) if other else ''}",
                    flush=True,
                )
                last_print = now
            time.sleep(1.0)
        wall_s = time.monotonic() - started
    finally:
        stop.set()
        relay.join(timeout=30)
        worker_stop(worker)

    return wall_s, timed_out, started_wall, started


def settle_in_process() -> dict[str, object]:
    """The comparison: every ``settlement_task`` applied in this process, one after the other
    (no broker, no worker), each timed and its queries counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from marketplace.core.models import OutboxEvent
    from payments.tasks import settlement_task

    seconds: list[float] = []
    queries: list[int] = []
    for pk in (
        OutboxEvent.objects.filter(topic="order.completed")
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        with CaptureQueriesContext(connection) as captured:
            step = time.perf_counter()
            settlement_task.apply(kwargs={"event_id": pk}, throw=True)
            seconds.append(time.perf_counter() - step)
        queries.append(len(captured))
    return {
        "task": common.summary_ms(seconds),
        "queries_per_task": {
            "min": min(queries),
            "median": statistics.median(queries),
            "max": max(queries),
        },
    }


# --- the run ------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict:
    from django.db.models import Sum

    from marketplace.core.models import OutboxEvent
    from orders.models import Order
    from payments.enums import SettlementStatus
    from payments.ledger.enums import LedgerAccountCode
    from payments.ledger.models import LedgerEntry
    from payments.ledger.selectors import ledger_check
    from payments.models import Settlement

    step = time.monotonic()
    orders_reset()
    buyer, buyer_user, parties = parties_ensure(args.sellers)
    template_ids = templates_place(buyer, buyer_user, parties)
    print(
        f"{args.sellers} sellers, their listings and template orders in "
        f"{time.monotonic() - step:.1f} s"
    )
    step = time.monotonic()
    build = orders_build(count=args.orders, template_ids=template_ids)
    build_s = time.monotonic() - step
    print(
        f"built {args.orders:,} completed orders with payments, ledger captures and outbox rows "
        f"in {build_s:.1f} s ({args.orders / build_s:,.0f} orders/s; "
        + ", ".join(f"{k} {v:.1f} s" for k, v in build.items())
        + ")"
    )
    before = ledger_check()
    assert before["balanced"], "the ledger does not balance after the build"

    per_task: dict[str, object] = {}
    if args.inprocess:
        started_wall = time.time()
        started = time.monotonic()
        per_task = settle_in_process()
        wall_s = time.monotonic() - started
        timed_out = False
    else:
        wall_s, timed_out, started_wall, started = settle_through_worker(args)
    settlements = list(
        Settlement.objects.filter(order__number__startswith=NUMBER_PREFIX)
        .select_related("order")
        .order_by("paid_at", "pk")
        .values_list(
            "order__number", "status", "transfer_id", "seller_share_minor", "created_at", "paid_at"
        )
    )
    transferred = [s for s in settlements if s[1] == SettlementStatus.TRANSFERRED]
    paid_times = [s[5].timestamp() for s in transferred]
    last_paid = max(paid_times) if paid_times else started_wall
    throughput_s = last_paid - started_wall
    gaps = [b - a for a, b in itertools.pairwise(paid_times)]
    release_to_paid = [(s[5] - s[4]).total_seconds() for s in transferred]
    published_at = dict(
        OutboxEvent.objects.filter(
            topic="order.completed", key__startswith=NUMBER_PREFIX
        ).values_list("key", "published_at")
    )
    queue_to_paid = [
        (s[5] - published_at[s[0]]).total_seconds()
        for s in transferred
        if published_at.get(s[0]) is not None
    ]

    # --- audit ---
    standin = args.standin
    stats = standin.get("/_bench/stats")
    at_standin = {t["id"]: t for t in standin.get("/_bench/transfers")}
    wrong = [
        s[0]
        for s in transferred
        if s[2] not in at_standin
        or at_standin[s[2]]["amount"] != s[3]
        or at_standin[s[2]]["transfer_group"] != s[0]
        or not (
            at_standin[s[2]]["idempotency_key"] == f"transfer:{s[0]}"
            or at_standin[s[2]]["idempotency_key"].startswith(f"transfer:{s[0]}:")
        )
    ]
    per_order: dict[str, int] = {}
    for transfer in at_standin.values():
        group = transfer["transfer_group"]
        per_order[group] = per_order.get(group, 0) + 1
    check = ledger_check()

    def balance(code: str) -> int:
        return (
            LedgerEntry.objects.filter(account__code=code).aggregate(t=Sum("amount_minor"))["t"]
            or 0
        )

    escrow_bench = (
        LedgerEntry.objects.filter(
            account__code=LedgerAccountCode.ESCROW,
            transaction__order__number__startswith=NUMBER_PREFIX,
        ).aggregate(t=Sum("amount_minor"))["t"]
        or 0
    )
    audit = {
        "ledger_balanced": check["balanced"],
        "ledger_transactions": check["transactions"],
        "escrow_of_bench_orders_minor": escrow_bench,
        "seller_payable_minor": balance(LedgerAccountCode.SELLER_PAYABLE),
        "seller_paid_out_minor": balance(LedgerAccountCode.SELLER_PAID_OUT),
        "platform_fees_minor": balance(LedgerAccountCode.PLATFORM_FEES),
        "transfers_sum_minor": sum(t["amount"] for t in at_standin.values()),
        "orders_completed": Order.objects.filter(number__startswith=NUMBER_PREFIX).count(),
        "settlements": len(settlements),
        "settlements_transferred": len(transferred),
        "settlements_other": len(settlements) - len(transferred),
        "standin_transfers": stats["transfers"],
        "standin_distinct_keys": stats["distinct_keys"],
        "standin_transfer_posts": stats["transfer_posts"],
        "standin_replays": stats["replays"],
        "standin_refused": stats["refused"],
        "settlements_not_matching_standin": len(wrong),
        "orders_with_more_than_one_transfer": sum(1 for n in per_order.values() if n > 1),
    }
    audit["exactly_once"] = (
        audit["standin_transfers"] == args.orders
        and audit["standin_distinct_keys"] == args.orders
        and audit["settlements_transferred"] == args.orders
        and audit["orders_with_more_than_one_transfer"] == 0
        and not wrong
    )
    audit["money_adds_up"] = (
        audit["ledger_balanced"]
        and escrow_bench == 0
        and audit["seller_payable_minor"] == 0
        and audit["seller_paid_out_minor"] == audit["transfers_sum_minor"]
    )
    result = {
        "orders": args.orders,
        "sellers": args.sellers,
        "pool": args.pool,
        "latency_ms": args.latency_ms,
        "timed_out": timed_out,
        "build_s": round(build_s, 2),
        "build": {k: round(v, 2) for k, v in build.items()},
        "wall_s": round(wall_s, 2),
        "to_last_transfer_s": round(throughput_s, 2),
        "settlements_per_s": round(len(transferred) / throughput_s, 2) if throughput_s else 0,
        "gap_between_settlements": common.summary_ms(gaps) if gaps else {},
        "release_to_paid": common.summary_ms(release_to_paid) if release_to_paid else {},
        "published_to_paid": common.summary_ms(queue_to_paid) if queue_to_paid else {},
        "standin_transfer_post": _summary_plain_ms(stats["transfer_post_ms"]),
        "audit": audit,
        "mode": "in-process" if args.inprocess else f"one worker ({args.pool})",
        **({"in_process": per_task} if per_task else {}),
    }
    if args.reconcile:
        result["reconcile"] = reconcile_against(standin)
    return result


def _summary_plain_ms(ms: list[float]) -> dict[str, float]:
    if not ms:
        return {}
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 3),
        "p95_ms": round(common.percentile(ms, 95), 3),
        "max_ms": round(max(ms), 3),
    }


def reconcile_against(standin: StandIn) -> dict:
    """Reconciliation of the whole run against the stand-in (PaymentIntents seeded first)."""
    from payments.models import Payment
    from payments.reconciliation import reconcile

    intents = [
        {"id": pi, "amount": amount, "currency": currency}
        for pi, amount, currency in Payment.objects.filter(
            payment_intent_id__startswith="pi_bench_"
        ).values_list("payment_intent_id", "amount_received_minor", "currency")
    ]
    standin.post("/_bench/payment_intents", intents)
    step = time.monotonic()
    run = reconcile()
    seconds = time.monotonic() - step
    kinds: dict[str, int] = {}
    for kind in run.items.values_list("kind", flat=True):
        kinds[kind] = kinds.get(kind, 0) + 1
    return {
        "seconds": round(seconds, 1),
        "checked": run.checked,
        "mismatches": run.mismatches,
        "by_kind": kinds,
        "error": run.error[:500],
    }


def report(result: dict) -> str:
    audit = result["audit"]
    gap = result["gap_between_settlements"]
    rel = result["release_to_paid"]
    queue = result["published_to_paid"]
    post = result["standin_transfer_post"]
    rows = [
        [
            "settlements transferred",
            f"{audit['settlements_transferred']:,} of {result['orders']:,}",
        ],
        ["time to the last transfer", f"{result['to_last_transfer_s']:.1f} s"],
        [f"settlements/s ({result['mode']})", f"{result['settlements_per_s']:.1f}"],
        [
            "gap between settlements median / p95",
            f"{gap.get('median_ms')} / {gap.get('p95_ms')} ms",
        ],
        ["release → paid median / p95", f"{rel.get('median_ms')} / {rel.get('p95_ms')} ms"],
        ["published → paid median / p95", f"{queue.get('median_ms')} / {queue.get('p95_ms')} ms"],
        [
            "stand-in transfer POST median / p95",
            f"{post.get('median_ms')} / {post.get('p95_ms')} ms",
        ],
        ["build (orders, payments, ledger, outbox)", f"{result['build_s']:.1f} s"],
        ["ledger_check balanced", str(audit["ledger_balanced"])],
        [
            "escrow left / payable left",
            f"{audit['escrow_of_bench_orders_minor']} / {audit['seller_payable_minor']}",
        ],
        [
            "paid out == transfers",
            str(audit["seller_paid_out_minor"] == audit["transfers_sum_minor"]),
        ],
        [
            "stand-in transfers / distinct keys / POSTs / replays",
            f"{audit['standin_transfers']:,} / {audit['standin_distinct_keys']:,} / "
            f"{audit['standin_transfer_posts']:,} / {audit['standin_replays']:,}",
        ],
        ["exactly once", str(audit["exactly_once"])],
    ]
    if "in_process" in result:
        task = result["in_process"]["task"]
        queries = result["in_process"]["queries_per_task"]
        rows.append(
            [
                "in-process task median / p95 (queries)",
                f"{task['median_ms']} / {task['p95_ms']} ms ({queries['median']})",
            ]
        )
    if "reconcile" in result:
        rec = result["reconcile"]
        rows.append(
            [
                "reconcile() vs the stand-in",
                f"{rec['checked']:,} checked, {rec['mismatches']} mismatches, {rec['seconds']} s"
                + (f"; ERROR: {rec['error']}" if rec["error"] else ""),
            ]
        )
    return common.table(["measure", "value"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--sellers", type=int, default=20)
    parser.add_argument("--pool", choices=["solo", "prefork"], default="solo")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="stand-in answer delay")
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--stall", type=float, default=120.0, help="give up after s w/o progress")
    parser.add_argument("--reconcile", action="store_true", help="also run reconcile() after")
    parser.add_argument(
        "--inprocess",
        action="store_true",
        help="comparison: apply every settlement_task in this process (no broker, no worker)",
    )
    args = parser.parse_args()

    os.environ["BENCH_SETTLEMENT_DATABASE_URL"] = settlement_database_url()
    os.environ["BENCH_DATABASE_URL"] = os.environ["BENCH_SETTLEMENT_DATABASE_URL"]
    common.database_ensure()
    standin = StandIn(latency_ms=args.latency_ms)
    args.standin = standin
    try:
        os.environ.update(
            STRIPE_SECRET_KEY=STRIPE_KEY,
            STRIPE_API_BASE=standin.base,
            STRIPE_WEBHOOK_SECRET="whsec_bench_settlement",  # noqa: S106 (a stand-in, no secret)
            PAYMENTS_SANDBOX="false",
        )
        common.django_setup()
        from django.core.management import call_command

        step = time.monotonic()
        call_command("migrate", verbosity=0)
        print(f"migrated {DB_NAME} in {time.monotonic() - step:.1f} s; stand-in {standin.base}")
        load_before = [round(x, 2) for x in os.getloadavg()]
        result = run(args)
        result["load_average_before"] = load_before
        result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        standin.stop()
    print()
    print(report(result))
    print(
        f"load average before {result['load_average_before']}, after {result['load_average_after']}"
    )
    args.standin = None
    path = common.write_json("settlement", result)
    print(f"wrote {path.relative_to(common.REPO)}")
    reconciled = result.get("reconcile", {"mismatches": 0, "error": ""})
    if not (
        result["audit"]["exactly_once"]
        and result["audit"]["money_adds_up"]
        and not reconciled["mismatches"]
        and not reconciled["error"]
    ):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
