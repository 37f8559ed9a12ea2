"""Races with real threads: each call in a thread of its own, with its own database
connection and its own transactions, all released at the same moment by a barrier."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_together(calls: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    """Run each call in a thread of its own, all released at the same moment; return
    ("ok", result) or ("error", exception) per call, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[tuple[str, Any]] = [("pending", None)] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[index] = ("ok", call())
        except Exception as exc:  # recorded and asserted by the test
            outcomes[index] = ("error", exc)
        finally:
            connection.close()  # each thread has its own connection; close it

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes
