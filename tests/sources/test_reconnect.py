"""Live sources that drop and come back (``streamfer.sources.reconnect``), on a scripted
stream and a clock of the test's."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from streamfer.core.errors import SourceError
from streamfer.sources.reconnect import ReconnectingReader, SourceEvent


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
