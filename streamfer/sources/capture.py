"""The capture thread: ``Capture`` reads a ``FrameReader`` (``sources.readers``) on its own
thread:

- live sources (cameras, streams) and files played with ``realtime``: only the newest frame
  is kept; a frame replaced before the consumer took it counts as dropped;
- files played as fast as possible: a bounded queue, the reader waits for the consumer, and no
  frame is lost.

Time stamps: a video file's frames carry the container's presentation times (see
``sources.videofile``), a frame folder and the demo ``index / fps``; live sources use a
monotonic clock from the first frame. A recorded reader's ``check()`` says afterwards whether
every frame it promised was read.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from streamfer.core.errors import SourceError, StreamferError
from streamfer.core.frames import Frame
from streamfer.core.stats import RateMeter
from streamfer.sources.readers import FrameReader


@dataclass
class CaptureStats:
    read: int = 0
    delivered: int = 0
    dropped: int = 0


_END = object()


class Capture:
    """Reads a FrameReader on its own thread; iterate over it to get Frames.

    Live sources and real-time playback keep just the newest frame (``latest_only``); otherwise a
    queue of ``queue_size`` frames applies back-pressure and nothing is lost. ``realtime``
    paces a file at its own frame rate. ``clock`` is injectable for tests.
    """

    def __init__(
        self,
        reader: FrameReader,
        *,
        realtime: bool = False,
        queue_size: int = 8,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reader = reader
        self.realtime = realtime or reader.is_live
        self.latest_only = self.realtime
        self.stop = stop or threading.Event()
        self.stats = CaptureStats()
        self.input_rate = RateMeter()
        self.error: BaseException | None = None
        self._clock = clock
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_size)
        self._slot: object | None = None
        self._slot_ready = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name="streamfer-capture", daemon=True)

    def start(self) -> Capture:
        self._thread.start()
        return self

    def _loop(self) -> None:
        start: float | None = None
        try:
            index = 0
            while not self.stop.is_set():
                image = self.reader.read()
                now = self._clock()
                if image is None:
                    break
                if start is None:
                    start = now
                if self.reader.is_live:
                    t = now - start
                else:
                    t = float(getattr(self.reader, "t", index / self.reader.fps))
                    if self.realtime:
                        delay = start + t - self._clock()
                        if delay > 0 and self.stop.wait(delay):
                            break
                        now = self._clock()
                self.stats.read += 1
                self.input_rate.tick(now)
                self._deliver(Frame(index=index, t=t, image=image, captured=now))
                index += 1
        except BaseException as exc:  # handed to the consumer, which raises it
            self.error = exc
        finally:
            self._deliver(_END)

    def _deliver(self, item: object) -> None:
        if self.latest_only:
            with self._slot_ready:
                if item is _END:
                    # the newest frame, if not yet taken, is still delivered before the end
                    self._queue.put(_END)
                else:
                    if isinstance(self._slot, Frame):
                        self.stats.dropped += 1
                    self._slot = item
                self._slot_ready.notify()
            return
        while True:
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                if self.stop.is_set():
                    return

    def _take(self) -> object:
        if not self.latest_only:
            while True:
                try:
                    return self._queue.get(timeout=0.1)
                except queue.Empty:
                    if self.stop.is_set() and not self._thread.is_alive():
                        return _END
        with self._slot_ready:
            while self._slot is None:
                if not self._queue.empty():
                    return self._queue.get()
                self._slot_ready.wait(timeout=0.1)
            item, self._slot = self._slot, None
            return item

    def __iter__(self) -> Iterator[Frame]:
        while True:
            item = self._take()
            if item is _END:
                break
            assert isinstance(item, Frame)
            self.stats.delivered += 1
            yield item
        if self.error is not None:
            if isinstance(self.error, StreamferError):
                raise self.error
            if isinstance(self.error, Exception):
                raise SourceError(
                    f"reading {self.reader.description} failed: {self.error}"
                ) from self.error
            raise self.error

    def close(self) -> None:
        self.stop.set()
        if self._thread.ident is not None:  # started (a failed start never started it)
            self._thread.join(timeout=5.0)
        self.reader.close()
