"""Conversations API latency and queries per request, on a large inbox and a long thread.

    .venv/bin/python bench/negotiation/run.py [--requests 200] [--seed 12] [--reseed]

Works in its own database, ``marketplace_bench_negotiation`` on the server of ``DATABASE_URL``
(or ``BENCH_NEGOTIATION_DATABASE_URL``): created and migrated if needed. Seeds once (bulk
inserts): the supplier ``bench-supplier`` with one member, 50 buyer companies, 10,000
conversations of the supplier (subjects varied, last messages spread over a year, about a
third with unread messages) and, in one of them, a thread of 1,000 messages (every tenth with
a PDF attachment row).

Then measures in process, over DRF's test client (production settings, DEBUG off, the real
middleware stack; the user is force-authenticated, ``X-Company`` names the supplier), for
page sizes 20 and 100:

- ``GET /api/v1/conversations/``: random pages of the inbox;
- ``GET /api/v1/conversations/{id}/messages/``: random pages of the long thread, and polling
  with ``after`` = a random message id;
- the header's unread total (``message_unread_count_for_company``, one query);
- ``POST /api/v1/conversations/{id}/messages/`` (JSON): a new message in the long thread.

The random pages and ids come from ``random.Random(seed)``; the seed is printed. Reports
p50/p95/max in ms and the queries per request; writes ``bench/out/negotiation-*.json``.
"""

import argparse
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench import common

DB_NAME = "marketplace_bench_negotiation"
CONVERSATIONS = 10_000
THREAD = 1_000
BUYERS = 50


def negotiation_database_url() -> str:
    if explicit := os.environ.get("BENCH_NEGOTIATION_DATABASE_URL"):
        url = explicit
    else:
        base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/marketplace")
        url = urlunsplit(urlsplit(base)._replace(path=f"/{DB_NAME}"))
    name = urlsplit(url).path.lstrip("/")
    if name == common.BENCH_DB_NAME or name.startswith("test"):
        raise SystemExit(f"refusing to run the negotiation bench in {name!r}: it is not its own")
    return url


def database_prepare() -> None:
    os.environ["BENCH_DATABASE_URL"] = negotiation_database_url()
    common.database_ensure()
    common.django_setup()
    from django.core.management import call_command

    step = time.monotonic()
    call_command("migrate", verbosity=0)
    print(f"migrated {DB_NAME} in {time.monotonic() - step:.1f} s")


def _company(slug: str, name: str, *, sells: bool, buys: bool, country: str):
    from marketplace.accounts.models import Company

    return Company.objects.create(
        legal_name=name,
        slug=slug,
        country=country,
        address_line1="1 Bench Road",
        city="Benchville",
        sells=sells,
        buys=buys,
        verification_status="verified" if sells else "unverified",
    )


def seed(*, reseed: bool) -> None:
    from django.db import transaction
    from django.utils import timezone

    from marketplace.accounts.models import Company, Membership, User
    from orders.conversations.models import Conversation, Message, MessageAttachment

    if reseed:
        with transaction.atomic():
            MessageAttachment.objects.all().delete()
            Message.objects.all().delete()
            Conversation.objects.all().delete()
            Membership.objects.filter(company__slug__startswith="bench-").delete()
            Company.objects.filter(slug__startswith="bench-").delete()
            User.objects.filter(email__endswith="@bench-negotiation.test").delete()
    if Company.objects.filter(slug="bench-supplier").exists():
        print("seed: already there (use --reseed to start again)")
        return
    step = time.monotonic()
    rng = random.Random(7)
    now = timezone.now()
    with transaction.atomic():
        supplier = _company(
            "bench-supplier", "Bench Supplier Co., Ltd.", sells=True, buys=False, country="CN"
        )
        user = User.objects.create_user(
            email="sales@bench-negotiation.test", password=None, email_confirmed_at=now
        )
        Membership.objects.create(user=user, company=supplier, role="owner")
        buyers = [
            _company(
                f"bench-buyer-{n}", f"Bench Importer {n} GmbH", sells=False, buys=True, country="DE"
            )
            for n in range(BUYERS)
        ]
        buyer_user = User.objects.create_user(
            email="buyer@bench-negotiation.test", password=None, email_confirmed_at=now
        )
        Membership.objects.create(user=buyer_user, company=buyers[0], role="owner")
        rows = []
        for n in range(CONVERSATIONS):
            unread = rng.choice([0, 0, 1, 3])
            rows.append(
                Conversation(
                    buyer=buyers[n % BUYERS],
                    seller=supplier,
                    topic="listing",
                    subject=f"Inquiry {n}: stainless hex bolts M{6 + n % 10}",
                    last_message_at=now - timedelta(minutes=rng.randrange(525_600)),
                    message_count=1 + unread,
                    seller_unread=unread,
                )
            )
        Conversation.objects.bulk_create(rows, batch_size=2_000)
        thread = Conversation.objects.filter(seller=supplier).order_by("-last_message_at").first()
        messages = []
        for n in range(THREAD):
            mine = n % 2 == 1
            messages.append(
                Message(
                    conversation=thread,
                    author=user if mine else buyer_user,
                    author_company=supplier if mine else thread.buyer,
                    body=f"Message {n}: quantities, colours and the Incoterm, line after line. "
                    * 3,
                )
            )
        Message.objects.bulk_create(messages, batch_size=1_000)
        ids = list(
            Message.objects.filter(conversation=thread).order_by("pk").values_list("pk", flat=True)
        )
        MessageAttachment.objects.bulk_create(
            [
                MessageAttachment(
                    message_id=pk,
                    file=f"conversations/{thread.pk}/bench-{pk}.pdf",
                    original_name=f"spec-{pk}.pdf",
                    content_type="application/pdf",
                    size=48_213,
                )
                for pk in ids[::10]
            ]
        )
        Conversation.objects.filter(pk=thread.pk).update(message_count=THREAD, last_message_at=now)
    with __import__("django").db.connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE orders_conversation")
        cursor.execute("VACUUM ANALYZE orders_message")
    print(
        f"seeded {CONVERSATIONS:,} conversations and a thread of {THREAD:,} messages "
        f"in {time.monotonic() - step:.1f} s"
    )


def measure(requests: int, seed_value: int) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from marketplace.accounts.models import Company, User
    from orders.conversations.models import Conversation, Message
    from orders.conversations.selectors import message_unread_count_for_company

    rng = random.Random(seed_value)
    supplier = Company.objects.get(slug="bench-supplier")
    user = User.objects.get(email="sales@bench-negotiation.test")
    thread = Conversation.objects.filter(seller=supplier).order_by("-message_count").first()
    assert thread is not None
    message_ids = list(
        Message.objects.filter(conversation=thread).order_by("pk").values_list("pk", flat=True)
    )
    client = APIClient()
    client.force_authenticate(user)
    client.credentials(HTTP_X_COMPANY=str(supplier.pk))
    inbox_count = Conversation.objects.filter(seller=supplier).count()

    def timed(call) -> tuple[float, int]:
        reset_queries()  # the query log is a bounded deque (9,000): a full one would count 0
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = call()
            elapsed = time.perf_counter() - start
        status = getattr(response, "status_code", 200)
        assert status in (200, 201), (status, getattr(response, "content", b"")[:300])
        return elapsed, len(queries)

    scenarios = []
    for size in (20, 100):
        inbox_pages = max(1, inbox_count // size)
        thread_pages = max(1, len(message_ids) // size)
        scenarios += [
            (
                f"inbox list, page size {size}",
                lambda size=size, pages=inbox_pages: client.get(
                    "/api/v1/conversations/",
                    {"page_size": size, "page": rng.randint(1, pages)},
                ),
            ),
            (
                f"messages list, page size {size}",
                lambda size=size, pages=thread_pages: client.get(
                    f"/api/v1/conversations/{thread.pk}/messages/",
                    {"page_size": size, "page": rng.randint(1, pages)},
                ),
            ),
            (
                f"messages after=<id>, page size {size}",
                lambda size=size: client.get(
                    f"/api/v1/conversations/{thread.pk}/messages/",
                    {"page_size": size, "after": rng.choice(message_ids)},
                ),
            ),
        ]
    scenarios += [
        (
            "unread total (header, selector)",
            lambda: message_unread_count_for_company(company=supplier),
        ),
        (
            "post a message (JSON)",
            lambda: client.post(
                f"/api/v1/conversations/{thread.pk}/messages/",
                {"body": f"Bench answer {rng.random()}"},
                format="json",
            ),
        ),
    ]
    results = {}
    rows = []
    for name, call in scenarios:
        for _ in range(10):  # warm-up
            timed(call)
        samples = [timed(call) for _ in range(requests)]
        summary = common.summary_ms([s for s, _ in samples])
        queries = sorted({q for _, q in samples})
        results[name] = {**summary, "queries": queries}
        rows.append(
            [
                name,
                summary["n"],
                summary["median_ms"],
                summary["p95_ms"],
                summary["max_ms"],
                "/".join(str(q) for q in queries),
            ]
        )
    print(common.table(["request", "n", "p50 ms", "p95 ms", "max ms", "queries"], rows))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    seed_value = args.seed if args.seed is not None else random.SystemRandom().randrange(10**6)
    print(f"seed {seed_value}")
    database_prepare()
    seed(reseed=args.reseed)
    results = measure(args.requests, seed_value)
    path = common.write_json(
        "negotiation",
        {"seed": seed_value, "requests": args.requests, "results": results},
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
