"""Stop signals (``streamfer.session.signals``): a session stops and names the signal, the exit
codes, interrupts outside a session, swallowed by a library or raised in a finaliser, and the
relay that keeps a signal for the session the log will hold."""

from __future__ import annotations

import contextlib
import signal

import pytest

from streamfer.session.signals import (
    Interrupted,
    SignalRelay,
    exit_code,
    interrupt_handled,
    interrupt_on_signals,
    on_signals,
    raise_if_interrupted,
)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signals_stop_the_session_and_name_themselves(signum: signal.Signals) -> None:
    names: list[str] = []
    before = signal.getsignal(signal.SIGHUP)  # SIG_IGN under nohup, else usually SIG_DFL
    with on_signals(names.append):
        signal.raise_signal(signum)
        signal.raise_signal(signal.SIGINT)  # a second signal while stopping: no traceback
        assert signal.getsignal(signal.SIGHUP) is not before
    assert names == [signum.name, "SIGINT"]
    assert exit_code(names[0]) == 128 + int(signum)
    assert signal.getsignal(signal.SIGHUP) is before  # the handler in place before, back


def test_exit_code_of_other_reasons() -> None:
    assert exit_code("end_of_source") is None and exit_code("SIGINT") == 130


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_outside_a_session_signals_interrupt_even_where_the_parent_ignored_them(
    signum: signal.Signals,
) -> None:
    """``main``'s first statement: an ignored SIGINT (a script's ``&``) interrupts too."""
    before = signal.signal(signum, signal.SIG_IGN)
    try:
        with pytest.raises(Interrupted) as caught, interrupt_on_signals():
            signal.raise_signal(signum)
        assert caught.value.name == signum.name and isinstance(caught.value, KeyboardInterrupt)
        assert interrupt_handled(caught.value) == signum.name
        assert signal.getsignal(signum) is signal.SIG_IGN  # the parent's, put back
    finally:
        signal.signal(signum, before)


def test_an_interrupt_that_a_library_swallowed_comes_back() -> None:
    """A bare ``except:`` (OpenCV's loader has them) must not lose the signal."""
    with interrupt_on_signals():
        with contextlib.suppress(BaseException):  # the library's ``except: pass``
            signal.raise_signal(signal.SIGTERM)
        with pytest.raises(Interrupted, match="SIGTERM"):
            raise_if_interrupted()  # a milestone of start-up
        with pytest.raises(Interrupted, match="SIGTERM"), on_signals(lambda _name: None):
            pass  # nor is it taken over by a session's handler
        try:
            raise_if_interrupted()
        except Interrupted as interrupt:
            interrupt_handled(interrupt)  # what the CLI does with it
        raise_if_interrupted()  # handled: no more
    raise_if_interrupted()


def test_an_interrupt_raised_inside_a_finaliser_is_kept_not_reported(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Python cannot raise in a ``__del__`` or weakref callback (importlib runs some, and a
    signal handler may run inside one): no "Exception ignored" traceback, and it comes back."""

    class Finalised:
        def __del__(self) -> None:
            signal.raise_signal(signal.SIGHUP)

    with interrupt_on_signals():
        Finalised()
        with pytest.raises(Interrupted, match="SIGHUP"):
            raise_if_interrupted()
    assert "Exception ignored" not in capsys.readouterr().err


def test_the_relay_keeps_a_signal_for_the_session_the_log_will_hold() -> None:
    relay = SignalRelay()
    with pytest.raises(Interrupted, match="SIGINT"):
        relay("SIGINT")  # start-up: interrupt
    relay.hold()  # the log is about to be created
    relay("SIGHUP")
    relay("SIGTERM")  # the first one is the one kept
    taken: list[str] = []
    relay.relay_to(taken.append)
    relay("SIGINT")
    assert taken == ["SIGHUP", "SIGINT"]
