"""A small local stand-in of the Stripe API for the settlement benchmark (not Stripe: no auth
flows, no webhooks, no real money; just enough of the API that settlement and reconciliation
call, answered the way Stripe answers).

    python bench/settlement/stripe_standin.py --port 12111 [--latency-ms 0]

- ``POST /v1/transfers`` (form-encoded, as the ``stripe`` SDK sends it) creates a transfer;
  the ``Idempotency-Key`` header is honoured like Stripe: the same key with the same
  parameters replays the first answer (header ``Idempotent-Replayed: true``), with other
  parameters it is refused (400 ``idempotency_error``); requests with one key are serialised.
- ``GET /v1/transfers/<id>``, ``GET /v1/payment_intents/<id>``: the object, or 404
  ``resource_missing``; ``GET /v1/transfers?transfer_group=…``: the list (how a retry finds
  a transfer an unclear attempt made).
- ``Authorization: Bearer sk_test_…`` is required (401 otherwise).

For the benchmark itself (not Stripe's API):

- ``GET /_bench/stats``: counts (transfers, POSTs, replays, refusals) and the server-side
  handling time of every transfer POST;
- ``GET /_bench/transfers``: every transfer with the idempotency key that created it;
- ``POST /_bench/payment_intents`` (JSON list of ``{"id", "amount", "currency"}``): succeeded
  PaymentIntents the platform captured (for reconciliation against the stand-in);
- ``POST /_bench/reset``: forget everything.

``--latency-ms`` adds a fixed delay to every API answer (Stripe's own transfer latency is a few
hundred milliseconds; 0 measures the platform alone).
"""

import argparse
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.key_locks: dict[str, threading.Lock] = {}
        self.transfers: dict[str, dict[str, Any]] = {}
        self.transfer_keys: dict[str, str] = {}  # transfer id -> idempotency key
        self.intents: dict[str, dict[str, Any]] = {}
        # idempotency key -> (request fingerprint, status, body)
        self.replies: dict[str, tuple[str, int, bytes]] = {}
        self.counts = {"transfer_posts": 0, "replays": 0, "refused": 0, "gets": 0}
        self.transfer_post_ms: list[float] = []

    def key_lock(self, key: str) -> threading.Lock:
        with self.lock:
            return self.key_locks.setdefault(key, threading.Lock())


STATE = State()
LATENCY_S = 0.0


def _form(body: bytes) -> dict[str, Any]:
    """Stripe's form encoding: ``metadata[order_number]=…`` becomes a nested dict."""
    params: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True):
        if "[" in key and key.endswith("]"):
            outer, inner = key[:-1].split("[", 1)
            params.setdefault(outer, {})[inner] = value
        else:
            params[key] = value
    return params


def _error(status: int, kind: str, code: str, message: str) -> tuple[int, dict]:
    return status, {"error": {"type": kind, "code": code, "message": message}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm holds the
    # body back until the client's delayed ACK (~40 ms) on a kept-alive connection.
    disable_nagle_algorithm = True
    server_version = "stripe-standin/1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    # --- plumbing -------------------------------------------------------------------------

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, payload: dict | list, *, replayed: bool = False) -> None:
        self._send_raw(status, json.dumps(payload).encode(), replayed=replayed)

    def _send_raw(self, status: int, body: bytes, *, replayed: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-Id", f"req_{secrets.token_hex(8)}")
        if replayed:
            self.send_header("Idempotent-Replayed", "true")
        self.end_headers()
        self.wfile.write(body)

    def _authorised(self) -> bool:
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer sk_test_"):
            return True
        self._send(
            *_error(401, "invalid_request_error", "api_key_invalid", "Invalid API Key provided.")
        )
        return False

    # --- routes ---------------------------------------------------------------------------

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/_bench/stats":
            with STATE.lock:
                self._send(
                    200,
                    {
                        "transfers": len(STATE.transfers),
                        "distinct_keys": len(set(STATE.transfer_keys.values())),
                        **STATE.counts,
                        "transfer_post_ms": STATE.transfer_post_ms,
                    },
                )
            return
        if path == "/_bench/transfers":
            with STATE.lock:
                self._send(
                    200,
                    [
                        {**t, "idempotency_key": STATE.transfer_keys[t["id"]]}
                        for t in STATE.transfers.values()
                    ],
                )
            return
        self._body()
        if not self._authorised():
            return
        if LATENCY_S:
            time.sleep(LATENCY_S)
        with STATE.lock:
            STATE.counts["gets"] += 1
        parts = path.strip("/").split("/")
        if parts == ["v1", "transfers"]:  # list, filtered by transfer_group as Stripe does
            query = dict(parse_qsl(self.path.split("?", 1)[1] if "?" in self.path else ""))
            group = query.get("transfer_group")
            with STATE.lock:
                data = [
                    t
                    for t in STATE.transfers.values()
                    if group is None or t.get("transfer_group") == group
                ]
            limit = int(query.get("limit") or 10)
            self._send(
                200,
                {
                    "object": "list",
                    "url": "/v1/transfers",
                    "has_more": len(data) > limit,
                    "data": data[:limit],
                },
            )
            return
        if len(parts) == 3 and parts[:2] == ["v1", "transfers"]:
            found = STATE.transfers.get(parts[2])
        elif len(parts) == 3 and parts[:2] == ["v1", "payment_intents"]:
            found = STATE.intents.get(parts[2])
        else:
            self._send(*_error(404, "invalid_request_error", "", f"Unrecognized URL {path}"))
            return
        if found is None:
            self._send(
                *_error(
                    404,
                    "invalid_request_error",
                    "resource_missing",
                    f"No such object: '{parts[2]}'",
                )
            )
            return
        self._send(200, found)

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        body = self._body()
        if path == "/_bench/reset":
            global STATE
            STATE = State()
            self._send(200, {"reset": True})
            return
        if path == "/_bench/payment_intents":
            items = json.loads(body or b"[]")
            with STATE.lock:
                for item in items:
                    STATE.intents[item["id"]] = {
                        "id": item["id"],
                        "object": "payment_intent",
                        "amount": int(item["amount"]),
                        "amount_received": int(item["amount"]),
                        "currency": item["currency"].lower(),
                        "status": "succeeded",
                        "client_secret": f"{item['id']}_secret_bench",
                        "latest_charge": f"ch_{item['id']}",
                        "metadata": {},
                    }
            self._send(200, {"payment_intents": len(items)})
            return
        if not self._authorised():
            return
        if path == "/v1/transfers":
            self._transfer_create(body)
            return
        self._send(*_error(404, "invalid_request_error", "", f"Unrecognized URL {path}"))

    def _transfer_create(self, body: bytes) -> None:
        started = time.perf_counter()
        if LATENCY_S:
            time.sleep(LATENCY_S)
        params = _form(body)
        key = self.headers.get("Idempotency-Key", "")
        fingerprint = json.dumps(params, sort_keys=True)
        with STATE.lock:
            STATE.counts["transfer_posts"] += 1
        guard = STATE.key_lock(key) if key else threading.Lock()
        with guard:
            if key and key in STATE.replies:
                first, status, reply = STATE.replies[key]
                if first != fingerprint:
                    with STATE.lock:
                        STATE.counts["refused"] += 1
                    self._send(
                        *_error(
                            400,
                            "idempotency_error",
                            "idempotency_key_in_use",
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with.",
                        )
                    )
                    return
                with STATE.lock:
                    STATE.counts["replays"] += 1
                self._send_raw(status, reply, replayed=True)
                return
            missing = [
                name for name in ("amount", "currency", "destination") if not params.get(name)
            ]
            if missing:
                status, payload = _error(
                    400,
                    "invalid_request_error",
                    "parameter_missing",
                    f"Missing required param: {missing[0]}.",
                )
            else:
                transfer_id = f"tr_bench_{secrets.token_hex(12)}"
                payload = {
                    "id": transfer_id,
                    "object": "transfer",
                    "amount": int(params["amount"]),
                    "amount_reversed": 0,
                    "currency": params["currency"].lower(),
                    "destination": params["destination"],
                    "transfer_group": params.get("transfer_group"),
                    "metadata": params.get("metadata", {}),
                    "reversed": False,
                    "created": int(time.time()),
                    "livemode": False,
                }
                status = 200
            reply = json.dumps(payload).encode()
            with STATE.lock:
                if status == 200:
                    STATE.transfers[payload["id"]] = payload
                    STATE.transfer_keys[payload["id"]] = key
                STATE.transfer_post_ms.append((time.perf_counter() - started) * 1000)
                if key:
                    STATE.replies[key] = (fingerprint, status, reply)
            self._send_raw(status, reply)


def main() -> None:
    global LATENCY_S
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    LATENCY_S = args.latency_ms / 1000
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"stripe stand-in on http://127.0.0.1:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
