"""Sources named on the command line, signals, and live sources that drop and come back."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from pathlib import Path

import numpy as np
import pytest

from streamfer.core.errors import SourceError
from streamfer.session.signals import (
    Interrupted,
    SignalRelay,
    exit_code,
    interrupt_handled,
    interrupt_on_signals,
    on_signals,
    raise_if_interrupted,
)
from streamfer.sources.reconnect import ReconnectingReader, SourceEvent
from streamfer.sources.spec import parse_source
from streamfer.ui.keyboard import KeyReader


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("demo", "demo", None),
        (" 0 ", "camera", 0),
        ("12", "camera", 12),
        ("rtsp://10.0.0.5/stream", "stream", "rtsp://10.0.0.5/stream"),
        ("HTTP://cam/mjpg", "stream", "HTTP://cam/mjpg"),
        ("srt://host:9000", "stream", "srt://host:9000"),
        ("file:///data/a%20b.mp4", "path", Path("/data/a b.mp4")),
        ("clip.mp4", "path", Path("clip.mp4")),
        ("./99999999999999999999", "path", Path("99999999999999999999")),
    ],
)
def test_sources_are_classified(text: str, kind: str, value: object) -> None:
    spec = parse_source(text)
    assert spec.kind == kind
    assert {"camera": spec.camera, "stream": spec.url, "path": spec.path, "demo": None}[
        kind
    ] == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "--source is empty"),
        ("   ", "--source is empty"),
        ("99999999999999999999", "camera index 99999999999999999999 is out of range"),
        ("foo://bar", "unknown URL scheme 'foo' in --source foo://bar"),
        ("ftp://host/clip.mp4", "unknown URL scheme 'ftp'"),
    ],
)
def test_bad_sources_are_refused_by_name(text: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        parse_source(text)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signals_stop_the_session_and_name_themselves(signum: signal.Signals) -> None:
    names: list[str] = []
    with on_signals(names.append):
        signal.raise_signal(signum)
        signal.raise_signal(signal.SIGINT)  # a second signal while stopping: no traceback
    assert names == [signum.name, "SIGINT"]
    assert exit_code(names[0]) == 128 + int(signum)
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL


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


class ScriptedLive:
    """Gives ``frames`` frames, then fails like a dropped stream."""

    description = "rtsp://test"
    is_live = True
    fps = 25.0

    def __init__(self, frames: int) -> None:
        self.left = frames
        self.closed = False

    def read(self) -> np.ndarray | None:
        if self.left == 0:
            raise SourceError("no frame from rtsp://test for 5 s")
        self.left -= 1
        return np.zeros((4, 4, 3), np.uint8)

    def close(self) -> None:
        self.closed = True


class FakeClock:
    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_a_stream_that_comes_back_is_read_on_with_lost_and_back_events() -> None:
    first = ScriptedLive(2)
    attempts = iter([SourceError("cannot reach"), SourceError("cannot reach"), ScriptedLive(3)])

    def reopen() -> ScriptedLive:
        outcome = next(attempts)
        if isinstance(outcome, SourceError):
            raise outcome
        return outcome

    events: list[SourceEvent] = []
    reader = ReconnectingReader(
        first, reopen, on_event=events.append, clock=FakeClock(1.0), first_delay_seconds=0.001
    )
    frames = [reader.read() is not None for _ in range(5)]
    assert frames == [True] * 5 and reader.state == "live" and first.closed
    assert [e.kind for e in events] == ["source_lost", "source_back"]
    assert events[1].attempts == 3 and events[1].detail == "cannot reach"


def test_a_stream_that_stays_away_gives_up_with_a_named_error() -> None:
    def reopen() -> ScriptedLive:
        raise SourceError("cannot reach")

    events: list[SourceEvent] = []
    reader = ReconnectingReader(
        ScriptedLive(0),
        reopen,
        give_up_seconds=10,
        on_event=events.append,
        clock=FakeClock(1.0),
        first_delay_seconds=0.001,
    )
    with pytest.raises(SourceError, match=r"did not come back within 10 s .*cannot reach"):
        reader.read()
    assert [e.kind for e in events] == ["source_lost"] and reader.state == "lost"


def test_forever_means_until_stopped() -> None:
    stop = threading.Event()
    tries = [0]

    def reopen() -> ScriptedLive:
        tries[0] += 1
        if tries[0] == 50:
            stop.set()
        raise SourceError("cannot reach")

    reader = ReconnectingReader(
        ScriptedLive(0),
        reopen,
        give_up_seconds=0,
        stop=stop,
        clock=FakeClock(1000.0),
        first_delay_seconds=0.0,
    )
    assert reader.read() is None and tries[0] == 50


def test_marker_notes_keep_any_unicode_typed() -> None:
    """Keys arrive as UTF-8 bytes, a character sometimes split across reads."""
    notes: list[str] = []
    keys = KeyReader(on_quit=lambda: None, on_marker=notes.append, on_prompt=lambda _: None)
    read_end, write_end = os.pipe()
    typed = "mÉlodie a pleuré 😢 日本\n".encode()
    thread = threading.Thread(target=keys._loop, args=(read_end,))
    thread.start()
    try:
        for i in range(0, len(typed), 3):  # split inside multi-byte characters
            os.write(write_end, typed[i : i + 3])
        os.close(write_end)  # end of input ends the loop
        thread.join(timeout=10)
    finally:
        keys._stop.set()
        os.close(read_end)
    assert notes == ["Élodie a pleuré 😢 日本"]
