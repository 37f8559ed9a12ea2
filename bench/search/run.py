"""Measure catalogue search over a fixed query mix: the API and the search page.

    .venv/bin/python bench/search/run.py [--iterations 200] [--warmup 20] [--server]

Runs against the bench database that generate.py built. Every query kind of the mix
(vocabulary.QUERY_MIX: rare word, common word, two words, a typo, facets only, keyword plus
facets) is requested on ``/api/v1/listings/`` and on ``/catalogue/`` (full page, and the
htmx partial the page swaps in), cycling through a few fixed variants per kind.

In-process (default): Django's test Client, production settings, the whole middleware
stack and template rendering, no HTTP socket. The warm-up pass records the database
queries of every request (CaptureQueriesContext); the measured pass records time only.
``--server`` also measures the same mix over HTTP against gunicorn (2 workers, loopback),
one request at a time.

Prints tables, writes bench/out/search-*.json, and EXPLAIN (ANALYZE, BUFFERS) of every
query of the slowest API request kind (and of any kind over the target) to
bench/out/explain-<kind>.txt.
"""

import argparse
import sys
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench import common
from bench.search import vocabulary as vocab

TARGET_P95_MS = 50.0
SURFACES = {
    "api": ("/api/v1/listings/", {}),
    "page": ("/catalogue/", {}),
    "page_htmx": ("/catalogue/", {"HTTP_HX_REQUEST": "true"}),
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--iterations", type=int, default=200, help="measured requests per kind and surface"
    )
    parser.add_argument(
        "--warmup", type=int, default=20, help="unmeasured requests per kind and surface first"
    )
    parser.add_argument(
        "--surfaces", default=",".join(SURFACES), help="comma-separated: " + ", ".join(SURFACES)
    )
    parser.add_argument(
        "--server", action="store_true", help="also measure over HTTP against gunicorn"
    )
    args = parser.parse_args()
    surfaces = [s for s in args.surfaces.split(",") if s]

    common.django_setup()
    common.collectstatic()
    from django.core.management import call_command

    # Indexes added since the catalogue was built (index-only migrations) must be measured.
    call_command("migrate", verbosity=1)
    from django.db import connection
    from django.test import Client

    published = _published_count()
    print(f"bench database: {published:,} published listings\n")
    mix = _resolved_mix()
    # A broken view is reported as a failure of its rows, not a crash of the whole run.
    client = Client(raise_request_exception=False)

    results: dict[str, dict[str, dict]] = defaultdict(dict)
    failures: list[str] = []
    for surface in surfaces:
        path, headers = SURFACES[surface]
        for kind, variants in mix.items():
            queries, status = _warm_up(client, path, headers, variants, args.warmup)
            if status != 200:
                failures.append(f"{surface} {kind}: HTTP {status} for {path}?{variants[0]}")
                continue
            timings = []
            for i in range(args.iterations):
                url = f"{path}?{variants[i % len(variants)]}"
                started = time.perf_counter()
                response = client.get(url, **headers)
                timings.append(time.perf_counter() - started)
                if response.status_code != 200:
                    failures.append(f"{surface} {kind}: HTTP {response.status_code} for {url}")
                    break
            results[surface][kind] = {
                **common.summary_ms(timings),
                "queries_min": min(queries),
                "queries_max": max(queries),
            }
            row = results[surface][kind]
            print(
                f"  {surface:<9} {kind:<15} median {row['median_ms']:7.2f} ms  p95 {row['p95_ms']:7.2f} ms  queries {row['queries_min']}-{row['queries_max']}"
            )

    page_sizes = _queries_by_page_size(client) if "api" in surfaces else {}

    server_results: dict[str, dict[str, dict]] = defaultdict(dict)
    if args.server:
        with common.gunicorn(workers=2) as base:
            for surface in surfaces:
                path, headers = SURFACES[surface]
                http_headers = {"HX-Request": "true"} if headers else {}
                for kind, variants in mix.items():
                    for i in range(args.warmup):
                        _http_get(base + f"{path}?{variants[i % len(variants)]}", http_headers)
                    timings = []
                    for i in range(args.iterations):
                        started = time.perf_counter()
                        _http_get(base + f"{path}?{variants[i % len(variants)]}", http_headers)
                        timings.append(time.perf_counter() - started)
                    server_results[surface][kind] = common.summary_ms(timings)

    print()
    print(
        f"Search at {published:,} published listings, {args.iterations} requests per row "
        f"after {args.warmup} warm-up (in-process, production settings):\n"
    )
    rows = []
    for surface, kinds in results.items():
        for kind, row in kinds.items():
            verdict = (
                ("ok" if row["p95_ms"] < TARGET_P95_MS else "MISSES 50 ms")
                if surface == "api"
                else ""
            )
            extra = (
                [
                    server_results[surface][kind]["median_ms"],
                    server_results[surface][kind]["p95_ms"],
                ]
                if args.server
                else []
            )
            queries = (
                f"{row['queries_min']}"
                if row["queries_min"] == row["queries_max"]
                else f"{row['queries_min']}-{row['queries_max']}"
            )
            rows.append([surface, kind, row["median_ms"], row["p95_ms"], *extra, queries, verdict])
    headers = ["surface", "query kind", "median ms", "p95 ms"]
    if args.server:
        headers += ["HTTP median ms", "HTTP p95 ms"]
    print(common.table([*headers, "queries/request", "API target p95 < 50 ms"], rows))
    if page_sizes:
        print("\nDatabase queries per API request by page size (q=premium, facets):\n")
        print(common.table(["page_size", "queries"], list(page_sizes.items())))
    if failures:
        print("\nNot measured:\n  " + "\n  ".join(failures))

    explained = _explain(client, mix, results)
    path = common.write_json(
        "search",
        {
            "published_listings": published,
            "iterations": args.iterations,
            "warmup": args.warmup,
            "mix": mix,
            "in_process": results,
            "http": server_results,
            "queries_by_page_size": page_sizes,
            "failures": failures,
            "explain_files": explained,
        },
    )
    print(f"\nwritten {path.relative_to(common.REPO)}")
    for name in explained:
        print(f"written {name}")
    connection.close()


def _published_count() -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM listings_listing WHERE status = 'published'")
        return cur.fetchone()[0]


def _resolved_mix() -> dict[str, list[str]]:
    """The mix with ``{category}`` as the id of a top-level category (it includes children)."""
    from listings.models import Category

    category = Category.objects.get(slug="apparel-textiles")
    return {
        kind: [v.replace("{category}", str(category.pk)) for v in variants]
        for kind, variants in vocab.QUERY_MIX.items()
    }


def _warm_up(
    client, path: str, headers: dict, variants: list[str], count: int
) -> tuple[list[int], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    queries = []
    for i in range(max(count, len(variants))):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"{path}?{variants[i % len(variants)]}", **headers)
        if response.status_code != 200:
            return queries or [0], response.status_code
        queries.append(len(captured.captured_queries))
    return queries, 200


def _queries_by_page_size(client) -> dict[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for size in (5, 20, 50, 100):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1/listings/?q=premium&incoterm=FOB&page_size={size}")
        if response.status_code == 200:
            counts[size] = len(captured.captured_queries)
    return counts


def _http_get(url: str, headers: dict) -> None:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status} for {url}")


def _explain(client, mix: dict[str, list[str]], results: dict[str, dict[str, dict]]) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) every query of the slowest request of: the slowest kind of
    each surface, and every API kind that misses the target."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    written = []
    for surface, kinds in results.items():
        if not kinds:
            continue
        path, headers = SURFACES[surface]
        chosen = {max(kinds, key=lambda kind: kinds[kind]["p95_ms"])}
        if surface == "api":
            chosen |= {kind for kind, row in kinds.items() if row["p95_ms"] >= TARGET_P95_MS}
        for kind in sorted(chosen):
            timed = []
            for variant in mix[kind]:
                started = time.perf_counter()
                client.get(f"{path}?{variant}", **headers)
                timed.append((time.perf_counter() - started, variant))
            seconds, variant = max(timed)
            with CaptureQueriesContext(connection) as captured:
                client.get(f"{path}?{variant}", **headers)
            plans = []
            with connection.cursor() as cur:
                for query in captured.captured_queries:
                    sql = query["sql"]
                    # "(SELECT … UNION ALL (SELECT …": a search's window over several parts.
                    if not sql.lstrip().lstrip("(").upper().startswith("SELECT"):
                        continue
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) " + sql)
                    plan = "\n".join(row[0] for row in cur.fetchall())
                    execution = next(
                        (line for line in plan.splitlines() if "Execution Time" in line), ""
                    )
                    took = float(execution.split(":")[1].split()[0]) if execution else 0.0
                    plans.append((took, sql, plan))
            plans.sort(key=lambda item: -item[0])
            lines = [
                f"{surface}: {path}?{variant}  ({seconds * 1000:.1f} ms in-process; p95 of the "
                f"kind {kinds[kind]['p95_ms']} ms; {len(captured.captured_queries)} queries; "
                f"database time {sum(p[0] for p in plans):.1f} ms)",
                "",
            ]
            for took, sql, plan in plans:
                lines += [f"-- {took:.2f} ms", sql, "", plan, "", "-" * 100, ""]
            out = common.OUT / f"explain-{surface}-{kind}.txt"
            out.write_text("\n".join(lines))
            written.append(str(out.relative_to(common.REPO)))
    return written


if __name__ == "__main__":
    main()
