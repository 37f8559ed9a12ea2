"""What the benchmarks share: their own database, Django set-up, gunicorn, figures and tables.

Every benchmark works in its own database (``marketplace_bench`` on the server of
``DATABASE_URL``, or ``BENCH_DATABASE_URL``), never in the development or test databases.
"""

import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
BENCH_DB_NAME = "marketplace_bench"
# A fresh key per run: the benchmark serves nothing that must outlive it.
BENCH_SECRET_KEY = secrets.token_urlsafe(50)
BENCH_STATIC_ROOT = REPO / ".local" / "bench-static"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def bench_database_url() -> str:
    """``BENCH_DATABASE_URL``, else ``DATABASE_URL`` with the database renamed to the bench one."""
    if explicit := os.environ.get("BENCH_DATABASE_URL"):
        return explicit
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/marketplace")
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{BENCH_DB_NAME}"))


def bench_redis_url() -> str:
    return os.environ.get("BENCH_REDIS_URL") or os.environ.get(
        "REDIS_URL", "redis://127.0.0.1:6379/9"
    )


def bench_environ(**extra: str) -> dict[str, str]:
    """The environment a benchmark runs Django under: production settings, the bench database."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="marketplace.settings.production",
        DJANGO_SECRET_KEY=BENCH_SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_DEBUG="false",
        DATABASE_URL=bench_database_url(),
        REDIS_URL=bench_redis_url(),
        CACHE_KEY_PREFIX="bench",
        STATIC_ROOT=str(BENCH_STATIC_ROOT),
        LOG_LEVEL="WARNING",
        BENCH_VIEWS="true",
    )
    env.update(extra)
    return env


def database_ensure() -> None:
    """Create the bench database if it does not exist yet (on the same server)."""
    import psycopg2
    from psycopg2 import sql

    url = urlsplit(bench_database_url())
    name = url.path.lstrip("/")
    admin_dsn = urlunsplit(url._replace(path="/postgres"))
    conn = psycopg2.connect(admin_dsn)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"created database {name}")
    finally:
        conn.close()


def django_setup() -> None:
    """Configure Django in this process for the bench database (production settings)."""
    for key, value in bench_environ().items():
        os.environ[key] = value
    import django

    django.setup()


def collectstatic() -> None:
    """Production settings read the hashed static manifest: bring it up to date for the bench.

    Every run, since a stylesheet added since the last one would otherwise be missing from the
    manifest and fail the page that links it (unchanged files are not copied again).
    """
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=REPO,
        env=bench_environ(),
        check=True,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(*, workers: int = 2, port: int | None = None) -> Iterator[str]:
    """Serve the project with gunicorn on a loopback port; yields the base URL; stops it after."""
    collectstatic()
    port = port or free_port()
    log = OUT / "gunicorn.log"
    OUT.mkdir(parents=True, exist_ok=True)
    with log.open("w") as log_file:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "marketplace.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--backlog",
                "256",
                "--access-logfile",
                "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
            ],
            cwd=REPO,
            env=bench_environ(),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(base, process)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(base: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited with {process.returncode}; see {OUT / 'gunicorn.log'}"
            )
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f} s")


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (the value below which ``pct`` % of the samples fall)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, round(pct / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "max_ms": round(max(ms), 2),
    }


def machine() -> dict[str, object]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": mem_gb,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (readable in a terminal and pasteable into a note)."""
    cells = [[str(h) for h in headers], *[[_cell(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"
        for row in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if value >= 100 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def write_json(name: str, data: dict) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    payload = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), **data}
    path = OUT / f"{name}-{stamp}.json"
    path.write_text(json.dumps(payload, indent=2, default=str))
    (OUT / f"{name}-latest.json").write_text(json.dumps(payload, indent=2, default=str))
    return path
