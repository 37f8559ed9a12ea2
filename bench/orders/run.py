"""Order placement throughput with concurrent clients, and the oversell audit after each run.

    .venv/bin/python bench/orders/run.py [--orders 2000] [--duration 60] [--clients 8]
        [--warmup 5] [--service on|off] [--processes on|off] [--http auto|on|off]
        [--scenarios hot-serial,hot,spread,small-stock]

Works in its own database, ``marketplace_bench_orders`` on the server of ``DATABASE_URL``
(or ``BENCH_ORDERS_DATABASE_URL``): created and migrated if needed, never the search
benchmark's ``marketplace_bench`` nor a test database. It seeds, once, through the services:
the sample FX rates and HS codes, 8 importers (DE, US, GB, KE, JP, IN, BR, AE; two members
each), one verified exporter in China with 1,001 published listings (one hot listing with
1,000,000 units, 1,000 others with 10,000 each; MOQ 10, tiers at 10, 100 and 1,000). The
sample duty and tax rates come with the trade migrations, so every order freezes a real
landed-cost estimate. Orders are FOB Ningbo, 10 to 1,000 units, shipped to the buyer's country.

Scenarios, each after a reset (orders deleted, stock restored) and each ended by whichever
comes first, ``--orders`` measured attempts or ``--duration`` seconds:

- ``hot-serial``: one client on the hot listing (at most 300): the latency of one placement;
- ``hot``: every client orders the one hot listing — all placements queue on its row lock;
- ``spread``: every order is for a random one of the 1,000 other listings;
- ``small-stock``: the hot listing has 100 units; every client orders 10 at a time until it
  is refused — exactly 10 orders must succeed and the stock must end at 0. Its warm-up
  orders go to the other listings.

Service level: ``--clients`` threads, each with its own database connection (closed at the
end), call ``orders.services.order_place`` directly: the service and PostgreSQL, no HTTP.
The threads share one interpreter lock, so ``--processes on`` (the default) runs the same
scenarios again with one spawned process per client. Each client first places ``--warmup``
unmeasured orders. The clients' CPU use (100 % = one core), the host's and the 1-minute load
average are reported beside the figures: the machine may be shared.

HTTP (``--http``; ``auto`` runs it when ``POST /api/v1/orders/`` is routed): the same
scenarios against gunicorn (2 sync workers, loopback), token authentication, ``X-Company``,
one connection per request, client threads.

After every run the audit reads the database: no stock below 0, and for every listing
initial stock − current stock == the quantities of its order lines (oversell must be 0),
and as many orders in the database as the clients saw succeed. The order emails the runs
enqueued are purged from the bench's Redis database (no worker sends them). Prints tables,
writes ``bench/out/orders-<UTC time>.json`` and ``bench/out/orders-latest.json``; exits
non-zero when the audit fails.
"""

import argparse
import http.client
import itertools
import json
import multiprocessing
import os
import random
import re
import resource
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench import common

DB_NAME = "marketplace_bench_orders"
SLUG_PREFIX = "bench-orders-"
SELLER_SLUG = f"{SLUG_PREFIX}seller"
MODERATOR_EMAIL = f"{SLUG_PREFIX}moderator@example.com"
HOT_TITLE = "Stainless steel hex bolts M8 x 40, A2-70 — bench hot listing"
HOT_STOCK = 1_000_000
SPREAD_LISTINGS = 1_000
SPREAD_STOCK = 10_000
SMALL_STOCK = 100
SMALL_QUANTITY = 10
MOQ = 10
# Quantities an order asks for: across all three price tiers (10, 100, 1,000).
QUANTITIES = (10, 20, 50, 100, 200, 500, 1000)
TIERS = ((10, "2.4000"), (100, "2.1000"), (1000, "1.8500"))
HS_CODES = ("731815", "847130", "940360", "851762", "853952", "392690")
INCOTERM = "FOB"
NAMED_PLACE = "Ningbo"
# One importer per destination that has sample duty and import-tax rates.
BUYERS = {
    "DE": ("Hamburg", "20457", "Am Sandtorkai 1"),
    "US": ("Newark", "07114", "1 Port Street"),
    "GB": ("Felixstowe", "IP11 3SY", "Dock Road 2"),
    "KE": ("Mombasa", "80100", "Moi Avenue 3"),
    "JP": ("Yokohama", "231-0002", "Kaigan-dori 4"),
    "IN": ("Mumbai", "400001", "Ballard Estate 5"),
    "BR": ("Santos", "11013-000", "Rua do Porto 6"),
    "AE": ("Dubai", "00000", "Jebel Ali 7"),
}
MEMBERS_PER_BUYER = 2


# --- the database -------------------------------------------------------------------------


def orders_database_url() -> str:
    """``BENCH_ORDERS_DATABASE_URL``, else ``DATABASE_URL`` with the database renamed."""
    if explicit := os.environ.get("BENCH_ORDERS_DATABASE_URL"):
        url = explicit
    else:
        base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/marketplace")
        url = urlunsplit(urlsplit(base)._replace(path=f"/{DB_NAME}"))
    name = urlsplit(url).path.lstrip("/")
    if name == common.BENCH_DB_NAME or name.startswith("test"):
        raise SystemExit(f"refusing to run the orders bench in {name!r}: it is not its own")
    return url


def database_prepare() -> None:
    # bench.common reads BENCH_DATABASE_URL for everything it sets up (Django, gunicorn).
    os.environ["BENCH_DATABASE_URL"] = orders_database_url()
    common.database_ensure()
    common.django_setup()
    from django.core.management import call_command

    step = time.monotonic()
    call_command("migrate", verbosity=0)
    print(
        f"migrated {urlsplit(common.bench_database_url()).path.lstrip('/')} "
        f"in {time.monotonic() - step:.1f} s"
    )


# --- the parties and the catalogue ----------------------------------------------------------


@dataclass(frozen=True)
class Buyer:
    company_id: int
    country: str
    member_ids: tuple[int, ...]


@dataclass(frozen=True)
class Catalogue:
    seller_id: int
    hot_id: int
    spread_ids: tuple[int, ...]
    buyers: tuple[Buyer, ...]


def _user(email: str, *, staff: bool = False):
    from marketplace.accounts.models import User

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, None, full_name=email.split("@")[0], is_staff=staff)
    return user


def _company(slug: str, **fields):
    from marketplace.accounts.models import Company

    company, _ = Company.objects.update_or_create(slug=slug, defaults=fields)
    return company


def _member(company, user, role: str) -> None:
    from marketplace.accounts.models import Membership

    Membership.objects.get_or_create(user=user, company=company, defaults={"role": role})


def parties_ensure() -> tuple[object, object, list[Buyer]]:
    """The verified exporter with its owner, the moderator, and the 8 importers."""
    from django.utils import timezone

    from marketplace.accounts.enums import MembershipRole, VerificationStatus

    seller = _company(
        SELLER_SLUG,
        legal_name="Ningbo Bench Fasteners Co., Ltd",
        trading_name="Bench Fasteners",
        country="CN",
        address_line1="88 Harbour Road",
        city="Ningbo",
        registration_number="BENCH-ORDERS-1",
        sells=True,
        buys=False,
        default_currency="USD",
        verification_status=VerificationStatus.VERIFIED,
        verified_at=timezone.now(),
    )
    owner = _user(f"{SELLER_SLUG}@example.com")
    _member(seller, owner, MembershipRole.OWNER)
    moderator = _user(MODERATOR_EMAIL, staff=True)
    buyers = []
    for country, (city, postal_code, line1) in BUYERS.items():
        slug = f"{SLUG_PREFIX}buyer-{country.lower()}"
        company = _company(
            slug,
            legal_name=f"Bench Importer {country}",
            country=country,
            address_line1=line1,
            city=city,
            postal_code=postal_code,
            sells=False,
            buys=True,
            default_currency="USD",
        )
        members = []
        for n in range(1, MEMBERS_PER_BUYER + 1):
            user = _user(f"{slug}-{n}@example.com")
            _member(company, user, MembershipRole.OWNER if n == 1 else MembershipRole.STAFF)
            members.append(user.pk)
        buyers.append(Buyer(company_id=company.pk, country=country, member_ids=tuple(members)))
    return seller, (owner, moderator), buyers


def catalogue_ensure() -> Catalogue:
    """Parties and the 1,001 published listings, created through the listing services once."""
    from bench.search.generate import reference_data_load
    from listings.enums import ListingStatus
    from listings.models import Listing

    step = time.monotonic()
    reference_data_load()  # HS codes and the sample FX rates, through the trade services
    seller, (owner, moderator), buyers = parties_ensure()
    published = Listing.objects.filter(seller=seller, status=ListingStatus.PUBLISHED)
    hot = published.filter(title=HOT_TITLE).order_by("pk").first()
    spread = list(published.exclude(title=HOT_TITLE).order_by("pk").values_list("pk", flat=True))
    if hot is None or len(spread) != SPREAD_LISTINGS:
        orders_delete()
        Listing.objects.filter(seller=seller).delete()
        hot = _listing_publish(
            seller=seller,
            owner=owner,
            moderator=moderator,
            title=HOT_TITLE,
            hs_code=HS_CODES[0],
            stock=HOT_STOCK,
        )
        spread = []
        for n in range(1, SPREAD_LISTINGS + 1):
            listing = _listing_publish(
                seller=seller,
                owner=owner,
                moderator=moderator,
                title=f"Bench catalogue item {n:04d}",
                hs_code=HS_CODES[n % len(HS_CODES)],
                stock=SPREAD_STOCK,
            )
            spread.append(listing.pk)
            if n % 250 == 0:
                print(f"  {n + 1:,} listings published ({time.monotonic() - step:.0f} s)")
        print(
            f"seeded 1 seller, 8 buyers, {SPREAD_LISTINGS + 1:,} published listings "
            f"in {time.monotonic() - step:.1f} s"
        )
    else:
        print(f"reusing 1 seller, 8 buyers, {len(spread) + 1:,} published listings")
    return Catalogue(
        seller_id=seller.pk, hot_id=hot.pk, spread_ids=tuple(spread), buyers=tuple(buyers)
    )


def _listing_publish(*, seller, owner, moderator, title: str, hs_code: str, stock: int):
    """A listing created, submitted and approved by the listing services."""
    from listings.models import Category
    from listings.services import TierInput, listing_approve, listing_create, listing_submit

    listing = listing_create(
        seller=seller,
        actor=owner,
        title=title,
        description="Bulk packed, export cartons, mill certificate on request.",
        category=Category.objects.get(slug="machinery-tools-fasteners"),
        hs_code=hs_code,
        origin_country="CN",
        ship_from="Ningbo, China",
        unit="piece",
        moq=MOQ,
        stock=stock,
        lead_time_days=14,
        incoterms=["EXW", "FOB", "CIF"],
        unit_net_weight_kg=Decimal("0.028"),
        units_per_carton=500,
        carton_gross_weight_kg=Decimal("14.500"),
        carton_length_cm=Decimal("40.0"),
        carton_width_cm=Decimal("30.0"),
        carton_height_cm=Decimal("20.5"),
        currency="USD",
        price_tiers=[TierInput(min_quantity=q, unit_price=Decimal(p)) for q, p in TIERS],
    )
    listing = listing_submit(listing=listing, actor=owner)
    return listing_approve(listing=listing, actor=moderator, notify_seller=False)


# --- reset and audit ------------------------------------------------------------------------


def orders_delete() -> int:
    """Every order of the bench database (it holds only the bench's own)."""
    from orders.models import Cart, Order

    Cart.objects.all().delete()
    count = Order.objects.count()
    Order.objects.all().delete()
    return count


def notifications_purge() -> int:
    """The order emails the runs enqueued: no worker consumes the bench's Redis database."""
    from marketplace.celery import app

    return app.control.purge()


def stock_set(catalogue: Catalogue, *, hot: int) -> dict[int, int]:
    """Restore the stock before a run; returns the initial stock per listing."""
    from listings.models import Listing

    Listing.objects.filter(pk=catalogue.hot_id).update(stock=hot)
    Listing.objects.filter(pk__in=catalogue.spread_ids).update(stock=SPREAD_STOCK)
    return dict(Listing.objects.filter(seller_id=catalogue.seller_id).values_list("pk", "stock"))


def reset(catalogue: Catalogue, *, hot_stock: int) -> dict[int, int]:
    orders_delete()
    notifications_purge()
    return stock_set(catalogue, hot=hot_stock)


def stock_audit(*, catalogue: Catalogue, initial: dict[int, int], succeeded: int) -> dict:
    """What the database says after a run: oversell must be 0, the books must balance."""
    from django.db.models import Sum

    from listings.models import Listing
    from orders.enums import OrderStatus
    from orders.models import Order, OrderLine

    current = dict(Listing.objects.filter(seller_id=catalogue.seller_id).values_list("pk", "stock"))
    sold = dict(
        OrderLine.objects.exclude(order__status=OrderStatus.CANCELLED)
        .values("listing_id")
        .annotate(sold=Sum("quantity"))
        .values_list("listing_id", "sold")
    )
    below_zero = [pk for pk, stock in current.items() if stock < 0]
    mismatched = [
        pk for pk, start in initial.items() if start - current.get(pk, 0) != sold.get(pk, 0)
    ]
    oversold_units = sum(max(0, sold.get(pk, 0) - start) for pk, start in initial.items())
    orders = Order.objects.count()
    audit = {
        "listings_checked": len(initial),
        "stock_below_zero": len(below_zero),
        "stock_mismatched": len(mismatched),
        "oversold_units": oversold_units,
        "units_sold": sum(sold.values()),
        "orders_in_db": orders,
        "orders_succeeded": succeeded,
        "order_lines_in_db": OrderLine.objects.count(),
        "hot_stock_after": current.get(catalogue.hot_id),
    }
    audit["oversell"] = oversold_units + len(below_zero)
    audit["ok"] = (
        audit["oversell"] == 0
        and not mismatched
        and orders == succeeded
        and audit["order_lines_in_db"] == orders
    )
    return audit


# --- clients --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    hot_stock: int
    # (rng) -> (listing id, quantity)
    pick: Callable[[random.Random], tuple[int, int]]
    until_refused: bool = False
    clients: int | None = None  # None: --clients
    # Warm-up orders go elsewhere when they must not touch the measured stock.
    warmup_pick: Callable[[random.Random], tuple[int, int]] | None = None
    attempts: int | None = None  # None: --orders


@dataclass
class RunResult:
    wall_s: float = 0.0
    samples: list[tuple[float, str]] = field(default_factory=list)  # (seconds, outcome)
    warmup_ok: int = 0
    warmup_failed: Counter = field(default_factory=Counter)
    client_cpu_s: float = 0.0
    host_cpu_pct: float = 0.0


@dataclass
class ClientTally:
    """What one client saw; a client process sends it back through a queue."""

    samples: list[tuple[float, str]] = field(default_factory=list)
    warmup_ok: int = 0
    warmup_failed: Counter = field(default_factory=Counter)
    cpu_s: float = 0.0  # its process's CPU in the measured part (client processes only)
    error: str = ""


def _refusal(messages: dict[str, list[str]]) -> str:
    text = " ".join(m for ms in messages.values() for m in ms)
    if "in stock" in text:
        return "refused: out of stock"
    if "minimum order quantity" in text:
        return "refused: below MOQ"
    name, first = next(iter(messages.items()))
    return f"refused: {name}: {re.sub(r'\d+', 'N', first[0])[:70]}"


def _database_error(exc: Exception) -> str:
    from psycopg2 import errorcodes

    code = getattr(exc.__cause__, "pgcode", None) or getattr(exc, "pgcode", None)
    name = errorcodes.lookup(code) if code else type(exc).__name__
    return f"database: {name.lower()}"


def _host_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def client_loop(
    *,
    scenario: Scenario,
    rng: random.Random,
    place: Callable[[int, int], str],
    ready,
    go,
    warmup: int,
    attempts: int,
    duration: float,
    ticket: Callable[[], int],
    tally: ClientTally,
    measure_cpu: bool = False,
) -> None:
    """Warm up, wait for the others, then place orders until the tickets or the time run out."""
    ready.wait()
    for _ in range(warmup):
        outcome = place(*(scenario.warmup_pick or scenario.pick)(rng))
        if outcome == "ok":
            tally.warmup_ok += 1
        else:
            tally.warmup_failed[outcome] += 1
    go.wait()
    cpu_before = _process_cpu() if measure_cpu else 0.0
    deadline = time.monotonic() + duration
    while ticket() < attempts and time.monotonic() < deadline:
        started = time.perf_counter()
        outcome = place(*scenario.pick(rng))
        tally.samples.append((time.perf_counter() - started, outcome))
        if scenario.until_refused and outcome != "ok":
            break
    if measure_cpu:
        tally.cpu_s = _process_cpu() - cpu_before


@dataclass(frozen=True)
class RunSpec:
    scenario: str
    clients: int
    warmup: int
    attempts: int
    duration: float
    seed: int


def run_threads(
    *,
    catalogue: Catalogue,
    spec: RunSpec,
    client_factory: Callable[[int], tuple[Callable, Callable]],
) -> RunResult:
    """The clients as threads of this process, each with its own connection."""
    scenario = scenario_named(catalogue, spec.scenario)
    ready, go = threading.Barrier(spec.clients + 1), threading.Barrier(spec.clients + 1)
    tickets = itertools.count()
    tallies = [ClientTally() for _ in range(spec.clients)]

    def target(index: int) -> None:
        opened, closed = client_factory(index)
        try:
            client_loop(
                scenario=scenario,
                rng=random.Random(spec.seed * 1000 + index),
                place=opened(),
                ready=ready,
                go=go,
                warmup=spec.warmup,
                attempts=spec.attempts,
                duration=spec.duration,
                ticket=tickets.__next__,
                tally=tallies[index],
            )
        except threading.BrokenBarrierError:
            pass
        except BaseException as exc:
            tallies[index].error = f"{type(exc).__name__}: {exc}"
            ready.abort()
            go.abort()
        finally:
            closed()

    threads = [
        threading.Thread(target=target, args=(n,), name=f"client-{n}") for n in range(spec.clients)
    ]
    for thread in threads:
        thread.start()
    cpu_before = host_before = None
    try:
        ready.wait()
        go.wait()
        cpu_before, host_before = _process_cpu(), _host_cpu()
        started = time.perf_counter()
    except threading.BrokenBarrierError:
        pass
    for thread in threads:
        thread.join()
    if cpu_before is None or host_before is None:
        raise RuntimeError("a client failed: " + "; ".join(t.error for t in tallies if t.error))
    result = _result(tallies, wall_s=time.perf_counter() - started, host_before=host_before)
    result.client_cpu_s = _process_cpu() - cpu_before
    return result


def _process_client(
    index: int, catalogue: Catalogue, spec: RunSpec, ready, go, counter, results
) -> None:
    """One client process (spawned): Django set up afresh, its own connection."""
    tally = ClientTally()
    try:
        common.django_setup()
        scenario = scenario_named(catalogue, spec.scenario)
        opened, closed = service_client_factory(catalogue, index)

        def ticket() -> int:
            with counter.get_lock():
                value = counter.value
                counter.value += 1
            return value

        try:
            client_loop(
                scenario=scenario,
                rng=random.Random(spec.seed * 1000 + index),
                place=opened(),
                ready=ready,
                go=go,
                warmup=spec.warmup,
                attempts=spec.attempts,
                duration=spec.duration,
                ticket=ticket,
                tally=tally,
                measure_cpu=True,
            )
        finally:
            closed()
    except threading.BrokenBarrierError:
        pass
    except BaseException as exc:
        tally.error = f"{type(exc).__name__}: {exc}"
        ready.abort()
        go.abort()
    results.put(tally)


def run_processes(*, catalogue: Catalogue, spec: RunSpec) -> RunResult:
    """The clients as separate processes: no interpreter lock shared between them."""
    context = multiprocessing.get_context("spawn")
    ready, go = context.Barrier(spec.clients + 1), context.Barrier(spec.clients + 1)
    counter = context.Value("q", 0)
    results = context.Queue()
    processes = [
        context.Process(
            target=_process_client,
            args=(n, catalogue, spec, ready, go, counter, results),
            name=f"client-{n}",
        )
        for n in range(spec.clients)
    ]
    for process in processes:
        process.start()
    host_before = None
    try:
        ready.wait()
        go.wait()
        host_before = _host_cpu()
        started = time.perf_counter()
    except threading.BrokenBarrierError:
        pass
    tallies = [results.get(timeout=spec.duration + 300) for _ in processes]
    wall_s = time.perf_counter() - started if host_before is not None else 0.0
    for process in processes:
        process.join()
    if host_before is None or any(t.error for t in tallies):
        raise RuntimeError("a client failed: " + "; ".join(t.error for t in tallies if t.error))
    result = _result(tallies, wall_s=wall_s, host_before=host_before)
    result.client_cpu_s = sum(t.cpu_s for t in tallies)
    return result


def _result(
    tallies: list[ClientTally], *, wall_s: float, host_before: tuple[int, int]
) -> RunResult:
    if errors := [t.error for t in tallies if t.error]:
        raise RuntimeError("a client failed: " + "; ".join(errors))
    busy, total = (a - b for a, b in zip(_host_cpu(), host_before, strict=True))
    result = RunResult(wall_s=wall_s, host_cpu_pct=round(100 * busy / total, 1) if total else 0.0)
    for tally in tallies:
        result.samples.extend(tally.samples)
        result.warmup_ok += tally.warmup_ok
        result.warmup_failed.update(tally.warmup_failed)
    return result


def service_client_factory(catalogue: Catalogue, index: int):
    """A client that calls ``order_place`` in this process with its own connection."""

    def opened() -> Callable[[int, int], str]:
        from django.core.exceptions import PermissionDenied, ValidationError
        from django.db import DatabaseError, connection

        from marketplace.accounts.models import Company, User
        from orders.services import LineInput, ShipTo, order_place

        buyer_spec = catalogue.buyers[index % len(catalogue.buyers)]
        buyer = Company.objects.get(pk=buyer_spec.company_id)
        actor = User.objects.get(pk=buyer_spec.member_ids[index // len(catalogue.buyers) % 2])
        city, postal_code, line1 = BUYERS[buyer_spec.country]
        ship_to = ShipTo(
            name=f"{buyer.legal_name}, goods in",
            line1=line1,
            city=city,
            country=buyer_spec.country,
            postal_code=postal_code,
        )
        references = itertools.count(1)

        def place(listing_id: int, quantity: int) -> str:
            try:
                order_place(
                    buyer=buyer,
                    actor=actor,
                    lines=[LineInput(listing_id=listing_id, quantity=quantity)],
                    incoterm=INCOTERM,
                    named_place=NAMED_PLACE,
                    ship_to=ship_to,
                    buyer_reference=f"BENCH-{index}-{next(references)}",
                )
            except ValidationError as exc:
                return _refusal(exc.message_dict)
            except PermissionDenied as exc:
                return f"forbidden: {exc}"
            except DatabaseError as exc:
                connection.close_if_unusable_or_obsolete()
                return _database_error(exc)
            return "ok"

        return place

    def closed() -> None:
        from django.db import connection

        connection.close()

    return opened, closed


def http_client_factory(catalogue: Catalogue, index: int, *, base: str, tokens: dict[int, str]):
    """A client that posts ``/api/v1/orders/`` to gunicorn, one connection per request
    (gunicorn's sync workers close the connection after each response)."""
    host = urlsplit(base)

    def opened() -> Callable[[int, int], str]:
        buyer_spec = catalogue.buyers[index % len(catalogue.buyers)]
        member = buyer_spec.member_ids[index // len(catalogue.buyers) % 2]
        city, postal_code, line1 = BUYERS[buyer_spec.country]
        headers = {
            "Authorization": f"Token {tokens[member]}",
            "X-Company": str(buyer_spec.company_id),
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        references = itertools.count(1)

        def place(listing_id: int, quantity: int) -> str:
            body = json.dumps(
                {
                    "lines": [{"listing": listing_id, "quantity": quantity}],
                    "incoterm": INCOTERM,
                    "named_place": NAMED_PLACE,
                    "ship_to": {
                        "name": f"Bench Importer {buyer_spec.country}, goods in",
                        "line1": line1,
                        "city": city,
                        "postal_code": postal_code,
                        "country": buyer_spec.country,
                    },
                    "buyer_reference": f"BENCH-HTTP-{index}-{next(references)}",
                }
            )
            conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
            try:
                conn.request("POST", "/api/v1/orders/", body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except OSError as exc:
                return f"http: {type(exc).__name__}"
            finally:
                conn.close()
            if response.status == 201:
                return "ok"
            return _http_refusal(response.status, payload)

        return place

    return opened, lambda: None


def _http_refusal(status: int, payload: bytes) -> str:
    try:
        data = json.loads(payload)
    except ValueError:
        return f"HTTP {status}"
    text = json.dumps(data, ensure_ascii=False)
    if status == 400 and "in stock" in text:
        return "HTTP 400: out of stock"
    return f"HTTP {status}: {re.sub(r'\d+', 'N', text)[:70]}"


def scenarios(catalogue: Catalogue) -> list[Scenario]:
    spread = catalogue.spread_ids
    return [
        Scenario(
            name="hot-serial",
            description="1 client, the hot listing: the service's own latency, no queueing",
            hot_stock=HOT_STOCK,
            pick=lambda rng: (catalogue.hot_id, rng.choice(QUANTITIES)),
            clients=1,
            attempts=300,
        ),
        Scenario(
            name="hot",
            description="all clients on one hot listing (1,000,000 in stock)",
            hot_stock=HOT_STOCK,
            pick=lambda rng: (catalogue.hot_id, rng.choice(QUANTITIES)),
        ),
        Scenario(
            name="spread",
            description=f"each order on a random one of {len(spread):,} listings",
            hot_stock=HOT_STOCK,
            pick=lambda rng: (rng.choice(spread), rng.choice(QUANTITIES)),
        ),
        Scenario(
            name="small-stock",
            description=f"hot listing with {SMALL_STOCK} in stock, every client orders "
            f"{SMALL_QUANTITY} at a time until refused",
            hot_stock=SMALL_STOCK,
            pick=lambda rng: (catalogue.hot_id, SMALL_QUANTITY),
            warmup_pick=lambda rng: (rng.choice(spread), MOQ),
            until_refused=True,
        ),
    ]


def scenario_named(catalogue: Catalogue, name: str) -> Scenario:
    return next(s for s in scenarios(catalogue) if s.name == name)


def scenario_run(
    *,
    catalogue: Catalogue,
    scenario: Scenario,
    clients: int,
    warmup: int,
    attempts: int,
    duration: float,
    seed: int,
    mode: str,
    client_factory: Callable[[int], tuple[Callable, Callable]] | None = None,
) -> dict:
    """Reset, run the clients (``threads`` with ``client_factory``, or service ``processes``),
    then audit the stock."""
    from django.db import connection

    initial = reset(catalogue, hot_stock=scenario.hot_stock)
    load_before = os.getloadavg()[0]
    connection.close()  # the main thread holds no connection while the clients run
    small = scenario.until_refused
    clients = scenario.clients or clients
    spec = RunSpec(
        scenario=scenario.name,
        clients=clients,
        warmup=warmup,
        attempts=min(attempts, scenario.attempts or attempts),
        duration=duration,
        seed=seed,
    )
    if mode == "processes":
        result = run_processes(catalogue=catalogue, spec=spec)
    else:
        assert client_factory is not None
        result = run_threads(catalogue=catalogue, spec=spec, client_factory=client_factory)

    ok_times = [s for s, outcome in result.samples if outcome == "ok"]
    failures = Counter(outcome for _, outcome in result.samples if outcome != "ok")
    succeeded = len(ok_times) + result.warmup_ok
    audit = stock_audit(catalogue=catalogue, initial=initial, succeeded=succeeded)
    figures = {
        "scenario": scenario.name,
        "description": scenario.description,
        "clients": clients,
        "client_mode": mode,
        "warmup_orders": result.warmup_ok,
        "warmup_failures": dict(result.warmup_failed),
        "attempts": len(result.samples),
        "orders": len(ok_times),
        "failures": dict(failures),
        "wall_s": round(result.wall_s, 2),
        "orders_per_s": round(len(ok_times) / result.wall_s, 1) if result.wall_s else 0.0,
        "attempts_per_s": round(len(result.samples) / result.wall_s, 1) if result.wall_s else 0.0,
        "latency_ok": common.summary_ms(ok_times) if ok_times else None,
        "latency_all": common.summary_ms([s for s, _ in result.samples])
        if result.samples
        else None,
        "client_process_cpu_pct": round(100 * result.client_cpu_s / result.wall_s, 1)
        if result.wall_s
        else 0.0,
        "host_cpu_pct": result.host_cpu_pct,
        # Other work on the machine: the 1-minute load average before and after the run.
        "load_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "audit": audit,
    }
    if small:
        figures["small_stock_expectation"] = {
            "orders_expected": SMALL_STOCK // SMALL_QUANTITY,
            "stock_expected": 0,
            "met": len(ok_times) == SMALL_STOCK // SMALL_QUANTITY
            and audit["hot_stock_after"] == 0
            and audit["ok"],
        }
    return figures


# --- HTTP -----------------------------------------------------------------------------------


def orders_api_routed() -> tuple[bool, str]:
    """Whether ``POST /api/v1/orders/`` is routed, and if not, why."""
    from django.urls import Resolver404, resolve

    try:
        resolve("/api/v1/orders/")
    except Resolver404:
        return False, "POST /api/v1/orders/ is not routed yet"
    except Exception as exc:  # the shared URLconf may be mid-edit by another engineer
        return False, f"the URLconf does not import ({type(exc).__name__}: {exc})"
    return True, ""


def tokens_ensure(catalogue: Catalogue) -> dict[int, str]:
    """A fresh API token per buyer member (tokens are hashed at rest: an old one cannot be
    read back), named "bench" so they are easy to find and revoke."""
    from marketplace.accounts.models import ApiToken, User

    members = [member for buyer in catalogue.buyers for member in buyer.member_ids]
    users = User.objects.in_bulk(members)
    return {member: ApiToken.objects.create(users[member], name="bench")[1] for member in members}


# --- report ---------------------------------------------------------------------------------


def _failures_text(failures: dict[str, int]) -> str:
    if not failures:
        return "none"
    return "; ".join(f"{reason} ×{count}" for reason, count in sorted(failures.items()))


def report_table(rows: list[dict]) -> str:
    return common.table(
        [
            "surface",
            "scenario",
            "clients",
            "attempts",
            "orders",
            "orders/s",
            "median ms",
            "p95 ms",
            "max ms",
            "client CPU %",
            "host CPU %",
            "load 1m",
            "failures",
        ],
        [
            [
                row["surface"],
                row["scenario"],
                row["clients"],
                row["attempts"],
                row["orders"],
                row["orders_per_s"],
                row["latency_ok"]["median_ms"] if row["latency_ok"] else "",
                row["latency_ok"]["p95_ms"] if row["latency_ok"] else "",
                row["latency_ok"]["max_ms"] if row["latency_ok"] else "",
                row["client_process_cpu_pct"],
                row["host_cpu_pct"],
                "→".join(f"{x:.1f}" for x in row["load_1m"]),
                _failures_text(row["failures"]),
            ]
            for row in rows
        ],
    )


def audit_table(rows: list[dict]) -> str:
    return common.table(
        [
            "surface",
            "scenario",
            "listings",
            "orders ok (incl. warm-up)",
            "orders in DB",
            "units sold",
            "stock < 0",
            "stock ≠ initial − sold",
            "oversell",
            "hot stock after",
            "verdict",
        ],
        [
            [
                row["surface"],
                row["scenario"],
                row["audit"]["listings_checked"],
                row["audit"]["orders_succeeded"],
                row["audit"]["orders_in_db"],
                row["audit"]["units_sold"],
                row["audit"]["stock_below_zero"],
                row["audit"]["stock_mismatched"],
                row["audit"]["oversell"],
                row["audit"]["hot_stock_after"],
                _verdict(row),
            ]
            for row in rows
        ],
    )


def _verdict(row: dict) -> str:
    if not row["audit"]["ok"]:
        return "FAIL"
    expectation = row.get("small_stock_expectation")
    if expectation is not None:
        return "ok: 10 orders, stock 0" if expectation["met"] else "FAIL: expected 10 orders"
    return "ok"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=2000, help="measured attempts per scenario")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds cap per scenario")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured orders per client")
    parser.add_argument(
        "--service", choices=("on", "off"), default="on", help="order_place from client threads"
    )
    parser.add_argument(
        "--processes",
        choices=("on", "off"),
        default="on",
        help="order_place from client processes too (no shared interpreter lock)",
    )
    parser.add_argument("--http", choices=("auto", "on", "off"), default="auto")
    parser.add_argument(
        "--scenarios",
        default="hot-serial,hot,spread,small-stock",
        help="comma-separated subset, in this order",
    )
    parser.add_argument("--seed", type=int, default=20260401)
    args = parser.parse_args()

    database_prepare()
    catalogue = catalogue_ensure()
    wanted = {name for name in args.scenarios.split(",") if name}
    chosen = [s for s in scenarios(catalogue) if s.name in wanted]
    rows: list[dict] = []
    service_modes = [
        m for m, on in (("threads", args.service), ("processes", args.processes)) if on == "on"
    ]
    for mode in service_modes:
        surface = "service" if mode == "threads" else "service (processes)"
        for scenario in chosen:
            print(f"{surface} · {scenario.name}: {scenario.description} …", flush=True)
            figures = scenario_run(
                catalogue=catalogue,
                scenario=scenario,
                clients=args.clients,
                warmup=args.warmup,
                attempts=args.orders,
                duration=args.duration,
                seed=args.seed,
                mode=mode,
                client_factory=lambda index: service_client_factory(catalogue, index),
            )
            rows.append({"surface": surface, **figures})

    http_note = ""
    routed, why = orders_api_routed() if args.http == "auto" else (args.http == "on", "")
    if routed:
        tokens = tokens_ensure(catalogue)
        with common.gunicorn(workers=2) as base:
            for scenario in chosen:
                print(f"http · {scenario.name}: {scenario.description} …", flush=True)
                figures = scenario_run(
                    catalogue=catalogue,
                    scenario=scenario,
                    clients=args.clients,
                    warmup=args.warmup,
                    attempts=args.orders,
                    duration=args.duration,
                    seed=args.seed,
                    mode="threads",
                    client_factory=lambda index, b=base: http_client_factory(
                        catalogue, index, base=b, tokens=tokens
                    ),
                )
                rows.append({"surface": "http", **figures})
    elif args.http == "auto":
        http_note = f"HTTP skipped: {why}"
        print(http_note)
    # Leave the bench database as a run leaves it, minus the queued emails nobody will send.
    purged = notifications_purge()

    machine = common.machine()
    print()
    print(report_table(rows))
    print()
    print(audit_table(rows))
    print()
    print(
        f"machine: {machine['cpus']} CPUs ({machine['cpu']}), {machine['memory_gb']} GB, "
        f"load average {machine['load_average']}; client CPU % is the bench's "
        "client process(es), 100 = one core"
    )
    path = common.write_json(
        "orders",
        {
            "args": vars(args),
            "database": urlsplit(common.bench_database_url()).path.lstrip("/"),
            "catalogue": {
                "hot_listing": catalogue.hot_id,
                "spread_listings": len(catalogue.spread_ids),
                "buyers": [b.country for b in catalogue.buyers],
            },
            "http_note": http_note,
            "notifications_purged": purged,
            "runs": rows,
        },
    )
    print(f"written {path.relative_to(common.REPO)}")
    if not all(row["audit"]["ok"] for row in rows) or any(
        not row["small_stock_expectation"]["met"]
        for row in rows
        if "small_stock_expectation" in row
    ):
        raise SystemExit("the oversell audit failed: see the table above")


if __name__ == "__main__":
    main()
