"""Load the listing detail page and API beside the framework's ceiling, under gunicorn.

    .venv/bin/python bench/detail/run.py [--duration 20] [--warmup 5] [--connections 8] [--rounds 1]

Serves the project with gunicorn (2 sync workers, production settings, BENCH_VIEWS on) on a
loopback port against the bench database that bench/search/generate.py built, then loads
with ``wrk`` (8 connections, a fixed duration, random published listing ids):

- ``/listings/<id>/``          the listing detail page (anonymous buyer);
- ``/api/v1/listings/<id>/``   the API detail;
- ``/bench/listing/<id>/``     the bare view: one primary-key lookup, id and title as JSON
                               (listings/bench_views.py) — the ceiling on this machine.

Reports requests per second, latency percentiles, and each target's share of the ceiling
(target: the detail page at least 50 %). Writes bench/out/detail-*.json.
wrk is required (Debian/Ubuntu: ``apt-get install -y wrk``).
"""

import argparse
import json
import random
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench import common

TARGETS = {
    "detail page": "/listings/%d/",
    "API detail": "/api/v1/listings/%d/",
    "ceiling (bare view)": "/bench/listing/%d/",
}
CEILING = "ceiling (bare view)"
TARGET_SHARE = 0.5

LUA = """
local ids = {%(ids)s}
local pattern = "%(pattern)s"
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  math.randomseed(os.time() * 100 + (seed or 0))
end

function request()
  return wrk.format("GET", string.format(pattern, ids[math.random(#ids)]))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %%d, "duration_us": %%d, "bytes": %%d, "connect_errors": %%d, ' ..
    '"read_errors": %%d, "write_errors": %%d, "non_2xx": %%d, "timeouts": %%d, ' ..
    '"p50_us": %%d, "p90_us": %%d, "p99_us": %%d, "mean_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--duration", type=int, default=20, help="measured seconds per target and round"
    )
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured seconds per target first")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--rounds", type=int, default=1, help="repeat the three targets in turn")
    parser.add_argument("--sample", type=int, default=20_000, help="published ids to pick from")
    args = parser.parse_args()
    if not 1 <= args.duration <= 300 or not 0 <= args.warmup <= 60:
        raise SystemExit("--duration must be 1-300 s and --warmup 0-60 s")

    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit(
            "wrk is not installed. Install it with `apt-get install -y wrk` (Debian/Ubuntu) "
            "or `brew install wrk` (macOS), then run this again."
        )

    common.django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=1)  # measure the schema as it is now
    ids = _published_ids(args.sample)
    print(
        f"{len(ids):,} published listing ids sampled; gunicorn {args.workers} workers; "
        f"wrk {args.threads} threads, {args.connections} connections, {args.duration} s per target\n"
    )
    scripts = {name: _lua_script(name, pattern, ids) for name, pattern in TARGETS.items()}

    measured: dict[str, list[dict]] = {name: [] for name in TARGETS}
    with common.gunicorn(workers=args.workers) as base:
        missing = {
            name: why
            for name, pattern in TARGETS.items()
            if (why := _check(base + pattern % ids[0]))
        }
        for name, why in missing.items():
            print(f"  {name}: not measured, {why}")
            del measured[name]
        if CEILING in missing:
            raise SystemExit("The ceiling view answers nothing: is BENCH_VIEWS mounted?")
        for name in measured:
            if args.warmup:
                _wrk(wrk, base, scripts[name], args, seconds=args.warmup)
        for _ in range(args.rounds):
            for name in measured:
                result = _wrk(wrk, base, scripts[name], args, seconds=args.duration)
                measured[name].append(result)
                print(
                    f"  {name:<20} {result['rps']:8.1f} req/s  p50 {result['p50_ms']:6.2f} ms  p99 {result['p99_ms']:6.2f} ms  errors {result['errors']}"
                )

    summary = {name: _combine(runs) for name, runs in measured.items()}
    ceiling = summary[CEILING]["rps"]
    rows = []
    for name, row in summary.items():
        share = row["rps"] / ceiling if ceiling else 0.0
        verdict = ""
        if name == "detail page":
            verdict = "ok" if share >= TARGET_SHARE else "MISSES 50 %"
        rows.append(
            [
                name,
                row["requests"],
                row["rps"],
                row["p50_ms"],
                row["p90_ms"],
                row["p99_ms"],
                row["errors"],
                f"{share:.0%}",
                verdict,
            ]
        )
        row["share_of_ceiling"] = round(share, 3)
    print()
    print(
        common.table(
            [
                "target",
                "requests",
                "req/s",
                "p50 ms",
                "p90 ms",
                "p99 ms",
                "errors",
                "of ceiling",
                "target ≥ 50 %",
            ],
            rows,
        )
    )
    path = common.write_json(
        "detail", {"args": vars(args), "results": summary, "runs": measured, "missing": missing}
    )
    print(f"\nwritten {path.relative_to(common.REPO)}")


def _published_ids(sample: int) -> list[int]:
    import psycopg2

    conn = psycopg2.connect(common.bench_database_url())
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT min(id), max(id), count(*) FROM listings_listing WHERE status = 'published'"
            )
            low, high, count = cur.fetchone()
            if not count:
                raise SystemExit("No published listings: run bench/search/generate.py first.")
            rng = random.Random(7)
            wanted = set()
            candidates = [rng.randint(low, high) for _ in range(sample * 2)]
            cur.execute(
                "SELECT id FROM listings_listing WHERE status = 'published' AND id = ANY(%s)",
                [candidates],
            )
            wanted = {row[0] for row in cur.fetchall()}
    finally:
        conn.close()
    return sorted(wanted)[:sample] if len(wanted) > sample else sorted(wanted)


def _lua_script(name: str, pattern: str, ids: list[int]) -> Path:
    common.OUT.mkdir(parents=True, exist_ok=True)
    slug = name.split()[0].lower()
    path = common.OUT / f"wrk-{slug}.lua"
    path.write_text(LUA % {"ids": ",".join(map(str, ids)), "pattern": pattern})
    return path


def _check(url: str) -> str:
    """Why ``url`` cannot be measured, or "" when it answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return "" if response.status == 200 else f"HTTP {response.status} for {url}"
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code} for {url} (not implemented yet?)"


def _wrk(wrk: str, base: str, script: Path, args, *, seconds: int) -> dict:
    completed = subprocess.run(
        [
            wrk,
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            base + "/",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    line = next((x for x in completed.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{completed.stdout}\n{completed.stderr}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    errors = sum(
        raw[k] for k in ("connect_errors", "read_errors", "write_errors", "non_2xx", "timeouts")
    )
    return {
        "requests": raw["requests"],
        "seconds": raw["duration_us"] / 1e6,
        "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "mean_ms": round(raw["mean_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "errors": errors,
        "raw": raw,
    }


def _combine(runs: list[dict]) -> dict:
    """Rounds together: requests and time add up; percentiles are the rounds' worst."""
    requests = sum(r["requests"] for r in runs)
    seconds = sum(r["seconds"] for r in runs)
    return {
        "requests": requests,
        "rps": round(requests / seconds, 1),
        "p50_ms": max(r["p50_ms"] for r in runs),
        "p90_ms": max(r["p90_ms"] for r in runs),
        "p99_ms": max(r["p99_ms"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
    }


if __name__ == "__main__":
    main()
