"""The capture thread (``streamfer.sources.capture``) on a scripted reader: a live source keeps
the newest frame and counts drops, a file loses nothing, time stamps come from the position,
a reader's failure and a stop reach the consumer."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from streamfer.sources.capture import Capture


class ScriptedReader:
    """Yields ``count`` tiny frames, each ``interval`` seconds apart, like a camera or a file."""

    def __init__(
        self, count: int, is_live: bool, interval: float = 0.0, fail_after: int | None = None
    ):
        self.count, self.is_live, self.interval, self.fail_after = (
            count,
            is_live,
            interval,
            fail_after,
        )
        self.description = "scripted"
        self.fps = 100.0
        self.index = 0

    def read(self) -> np.ndarray | None:
        if self.fail_after is not None and self.index >= self.fail_after:
            raise OSError("device unplugged")
        if self.index >= self.count:
            return None
        time.sleep(self.interval)
        image = np.full((4, 4, 3), self.index % 256, dtype=np.uint8)
        self.index += 1
        return image

    def close(self) -> None:
        pass


def consume(capture: Capture, delay: float) -> list[int]:
    seen = []
    for frame in capture.start():
        seen.append(frame.index)
        time.sleep(delay)  # a slow consumer
    capture.close()
    return seen


def test_live_source_keeps_the_newest_frame_and_counts_drops() -> None:
    capture = Capture(ScriptedReader(60, is_live=True, interval=0.002))
    seen = consume(capture, delay=0.02)
    assert capture.stats.read == 60
    assert capture.stats.dropped > 0
    assert len(seen) + capture.stats.dropped == 60
    assert seen == sorted(seen) and seen[-1] == 59  # newest wins, the last one arrives


def test_file_source_loses_nothing_for_a_slow_consumer() -> None:
    capture = Capture(ScriptedReader(40, is_live=False), queue_size=2)
    seen = consume(capture, delay=0.005)
    assert seen == list(range(40))
    assert capture.stats.dropped == 0


def test_file_timestamps_come_from_the_position() -> None:
    capture = Capture(ScriptedReader(5, is_live=False))
    times = [f.t for f in capture.start()]
    assert times == pytest.approx([0.0, 0.01, 0.02, 0.03, 0.04])


def test_reader_failure_reaches_the_consumer() -> None:
    capture = Capture(ScriptedReader(10, is_live=False, fail_after=3))
    with pytest.raises(Exception, match="device unplugged"):
        list(capture.start())


def test_stop_event_ends_an_endless_source() -> None:
    stop = threading.Event()
    capture = Capture(ScriptedReader(10**9, is_live=True, interval=0.001), stop=stop).start()
    for n, _ in enumerate(capture):
        if n == 5:
            stop.set()
    capture.close()
    assert capture.stats.read >= 6
