"""Ending a session cleanly on a signal: Ctrl-C, ``kill``, a closed terminal or SSH link.

``stop_on_signals`` turns SIGINT, SIGTERM and SIGHUP into a stop request (an Event the
session polls), so the log still gets its ``session_end`` record naming the signal. A second
SIGINT while stopping is remembered too, never a traceback. Outside a session (start-up,
imports, model loading) Python's own KeyboardInterrupt applies and the CLI turns it into one
line and exit 130.

Exit codes follow the shell's rule, 128 + the signal's number: 130 for SIGINT, 143 for
SIGTERM, 129 for SIGHUP (``exit_code``).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[dict[str, str]]:
    """While inside, SIGINT, SIGTERM and SIGHUP set ``stop``; the yielded dict then holds
    ``reason``: the first signal's name (``"SIGHUP"``). Off the main thread it does nothing
    (Python delivers signals to the main thread only)."""
    reason: dict[str, str] = {}

    def handler(signum: int, _frame: object) -> None:
        reason.setdefault("reason", signal.Signals(signum).name)
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield reason
        return
    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield reason
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def exit_code(reason: str) -> int | None:
    """128 + the signal's number when ``reason`` names a signal (``"SIGTERM"``), else None."""
    try:
        return 128 + int(signal.Signals[reason])
    except KeyError:
        return None
