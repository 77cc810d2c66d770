"""Ending streamfer cleanly on a signal: Ctrl-C, ``kill``, a closed terminal or SSH link.

One behaviour, from the first statement of ``streamfer.cli:main`` to its end, whatever the
parent left: SIGINT, SIGTERM and SIGHUP end the command, with exit code 128 + the signal's
number (130, 143, 129: ``exit_code``). A parent may leave SIGINT *ignored* (a script's
``streamfer run ... &``, a kiosk's launcher, a test runner's worker), and Python then installs
no KeyboardInterrupt of its own; so ``main`` first takes all three with
``interrupt_on_signals``, which turns each into ``Interrupted`` (a KeyboardInterrupt naming
the signal): outside a session (imports, model loading) the CLI makes it one line.

Inside a session ``on_signals`` turns them into a call instead (the recorder's stop request,
analyze's stop), so the log still gets its ``session_end`` naming the signal; a second signal
while stopping is another call, never a traceback. ``SignalRelay`` covers the moments between
a session's log being created and its recorder taking signals.

An ``Interrupted`` can vanish: Python drops an exception raised in a weakref callback or a
``__del__`` (importlib runs such callbacks, and a signal handler may run inside one), and a
library's bare ``except:`` swallows it. So the signal is also kept until the CLI has handled
it, and raised again at the next milestone (``raise_if_interrupted``: after the imports, when
new handlers take over, before the log is created, at the command's end).

An ``Interrupted`` can also come back *wrapped*: raised in a class body's ``__set_name__``
while a library loads (numpy's ``finfo``), Python 3.11 turns it into a RuntimeError; an
extension module's init may turn it into an ImportError or SystemError. ``interrupt_behind``
finds the signal behind any such error (in its chain, or still pending), and the CLI reports
it as the signal it was.

Before ``main`` runs (the interpreter's own start-up, tens of milliseconds) nothing of
streamfer can act: a signal then follows the parent's disposition.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
#: what ``signal.signal`` takes and gives back
Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


class Interrupted(KeyboardInterrupt):
    """A stop signal outside a session, by name (``"SIGTERM"``).

    A KeyboardInterrupt, so whatever already turns Ctrl-C into one line and a clean exit (the
    CLI, the unwrapping of interrupted native imports) does the same for all three signals.
    """

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@dataclass
class _Taking:
    """Whether ``interrupt_on_signals`` is in force, and the signal whose ``Interrupted`` was
    raised but has not reached the CLI yet (it may have been swallowed on its way)."""

    active: bool = False
    pending: str | None = None


_taking = _Taking()


def raise_if_interrupted() -> None:
    """Raise the ``Interrupted`` of a signal that came and has not been handled: one that
    vanished on its way (see the module doc) interrupts here instead."""
    if _taking.pending is not None:
        raise Interrupted(_taking.pending)


def interrupt_behind(error: BaseException) -> KeyboardInterrupt | None:
    """The interrupt that ``error`` stands for: ``error`` itself, one in its chain of causes
    (an interrupt that Python or a library wrapped in another error), or, while
    ``interrupt_on_signals`` is in force, the signal that came and was not handled yet (an
    interrupt swallowed on its way and replaced by another error). None: a real error."""
    seen: BaseException | None = error
    visited: set[int] = set()
    while seen is not None and id(seen) not in visited:
        if isinstance(seen, KeyboardInterrupt):
            return seen
        visited.add(id(seen))
        seen = seen.__cause__ or seen.__context__
    return Interrupted(_taking.pending) if _taking.pending is not None else None


def interrupt_handled(interrupt: KeyboardInterrupt) -> str:
    """The signal a KeyboardInterrupt stands for (its own name, or SIGINT: Python's own), now
    handled: ``raise_if_interrupted`` no longer raises it."""
    _taking.pending = None
    return interrupt.name if isinstance(interrupt, Interrupted) else "SIGINT"


@contextmanager
def on_signals(handle: Callable[[str], None]) -> Iterator[None]:
    """While inside, SIGINT, SIGTERM and SIGHUP call ``handle(name)`` (``"SIGHUP"``) instead
    of killing the process: the one signal handler of the recorder and of analyze's driver.

    The handlers before are put back on leaving, also when a signal interrupts the swap
    itself. Only the main thread can take signals; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    raise_if_interrupted()  # a signal whose Interrupted vanished is not lost to ``handle``

    def handler(signum: int, _frame: object) -> None:
        handle(signal.Signals(signum).name)

    previous: dict[signal.Signals, Handler] = {}
    try:
        with _held():  # one that comes while the three are swapped waits for all three
            for s in STOP_SIGNALS:
                previous[s] = signal.signal(s, handler)
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextmanager
def _held() -> Iterator[None]:
    """While inside, the stop signals wait (blocked) instead of being taken: a SIGHUP sent
    just after SIGTERM's handler went in, but before SIGHUP's, would otherwise meet the
    default disposition and kill the process without a word. Taken on leaving."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _interrupt(name: str) -> None:
    if _taking.active:
        _taking.pending = name
    raise Interrupted(name)


@contextmanager
def interrupt_on_signals() -> Iterator[None]:
    """While inside, SIGINT, SIGTERM and SIGHUP raise ``Interrupted``, even where the parent
    left them ignored or at their default (which kills without a word or a ``session_end``):
    ``main``'s first statement, so that a signal is never dropped early and obeyed later.

    One raised where Python cannot raise it (a weakref callback) is not reported as an
    "Exception ignored" traceback: it is kept, and ``raise_if_interrupted`` raises it.
    """
    hook = sys.unraisablehook

    def quiet_about_interrupts(unraisable: sys.UnraisableHookArgs) -> None:
        value = unraisable.exc_value
        if value is None or not isinstance(interrupt_behind(value), Interrupted):
            hook(unraisable)

    _taking.active, _taking.pending = True, None
    sys.unraisablehook = quiet_about_interrupts
    try:
        with on_signals(_interrupt):
            yield
    finally:
        sys.unraisablehook = hook
        _taking.active, _taking.pending = False, None


class SignalRelay:
    """The signal handler of a command about to start a session (``run``): until ``hold``,
    a signal interrupts it (``Interrupted``); from ``hold`` (the log is about to be created)
    the first signal is kept; ``relay_to(taker)`` passes a kept one on at once and every later
    one as it comes. So a signal once the log exists always ends the session in its log.
    """

    def __init__(self) -> None:
        self._holding = False
        self._kept: str | None = None
        self._taker: Callable[[str], None] | None = None

    def __call__(self, name: str) -> None:
        if self._taker is not None:
            self._taker(name)
        elif not self._holding:
            _interrupt(name)
        elif self._kept is None:
            self._kept = name

    def hold(self) -> None:
        """From now on keep a signal for the session instead of interrupting (after raising
        one that came before and vanished: no log is started after a signal)."""
        raise_if_interrupted()
        self._holding = True

    def relay_to(self, taker: Callable[[str], None]) -> None:
        """Give every signal to ``taker``, first the one kept, if any."""
        self._taker = taker
        if self._kept is not None:
            taker(self._kept)


@contextmanager
def blocked_in_children() -> Iterator[None]:
    """While inside, this thread blocks the stop signals, so a process started here (analyze's
    workers) begins its life with them blocked: it unblocks them once its own handlers are in,
    and no Ctrl-C to the process group can kill it (with a traceback) while it imports.

    Here a signal only waits: it is taken when the block ends (another thread may take it
    sooner), never lost. Where the platform has no signal mask this does nothing.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def unblock() -> None:
    """Take the stop signals again, in a process that began with them blocked."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def exit_code(reason: str) -> int | None:
    """128 + the signal's number when ``reason`` names a signal (``"SIGTERM"``), else None."""
    try:
        return 128 + int(signal.Signals[reason])
    except KeyError:
        return None
