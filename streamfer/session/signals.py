"""Ending a session cleanly on a signal: Ctrl-C, ``kill``, a closed terminal or SSH link.

``on_signals`` turns SIGINT, SIGTERM and SIGHUP into a call (the recorder's stop request), so
the log still gets its ``session_end`` record naming the signal; a second signal while
stopping is another call, never a traceback. Outside a session (start-up,
imports, model loading) Python's own KeyboardInterrupt applies and the CLI turns it into one
line and exit 130.

Exit codes follow the shell's rule, 128 + the signal's number: 130 for SIGINT, 143 for
SIGTERM, 129 for SIGHUP (``exit_code``).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextmanager
def on_signals(handle: Callable[[str], None]) -> Iterator[None]:
    """While inside, SIGINT, SIGTERM and SIGHUP call ``handle(name)`` (``"SIGHUP"``) instead
    of killing the process: the one signal handler of the recorder and of analyze's driver.

    Only the main thread can take signals; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: object) -> None:
        handle(signal.Signals(signum).name)

    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def exit_code(reason: str) -> int | None:
    """128 + the signal's number when ``reason`` names a signal (``"SIGTERM"``), else None."""
    try:
        return 128 + int(signal.Signals[reason])
    except KeyError:
        return None
