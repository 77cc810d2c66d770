"""Live sources that come back: a stream that drops, a USB camera pulled out and put back.

``ReconnectingReader`` wraps a live reader. When a read fails for good (the wrapped reader
raises SourceError after its own short retries), it reports ``source_lost``, closes the
reader and opens the source again with back-off (0.5 s, doubling up to 5 s) until it answers
(``source_back``) or ``give_up_seconds`` have passed since the loss; 0 means keep trying
forever (kiosks). A stop request ends the wait at once, as the end of the source.

The reports go to ``on_event`` (the session logs them as records in the same log and the
dashboard shows the state); the reader has no clock of its own beyond the one passed in.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from streamfer.core.errors import SourceError
from streamfer.core.frames import Image

FIRST_DELAY_SECONDS = 0.5
MAX_DELAY_SECONDS = 5.0
DEFAULT_GIVE_UP_SECONDS = 60.0


class LiveReader(Protocol):
    description: str
    is_live: bool
    fps: float

    def read(self) -> Image | None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class SourceEvent:
    """``kind``: ``source_lost`` or ``source_back``. ``seconds``: how long it was gone (back),
    ``attempts``: reopen attempts so far, ``detail``: the error that was seen."""

    kind: str
    detail: str
    attempts: int = 0
    seconds: float = 0.0


class ReconnectingReader:
    """A live reader that reopens its source after a loss (see the module's docstring).

    ``state`` is ``"live"`` or ``"lost"``, for the dashboard. Raises SourceError when the
    source stays away longer than ``give_up_seconds``.
    """

    is_live = True

    def __init__(
        self,
        reader: LiveReader,
        reopen: Callable[[], LiveReader],
        *,
        give_up_seconds: float = DEFAULT_GIVE_UP_SECONDS,
        on_event: Callable[[SourceEvent], None] = lambda event: None,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
        first_delay_seconds: float = FIRST_DELAY_SECONDS,
    ) -> None:
        if give_up_seconds < 0:
            raise ValueError("give_up_seconds must be 0 (forever) or more")
        self._reader: LiveReader | None = reader
        self._reopen = reopen
        self.description = reader.description
        self.fps = reader.fps
        self.give_up_seconds = give_up_seconds
        self.on_event = on_event
        self.stop = stop or threading.Event()
        self._clock = clock
        self._first_delay = first_delay_seconds
        self.state = "live"
        self.losses = 0

    def read(self) -> Image | None:
        while not self.stop.is_set():
            if self._reader is None:
                return None
            try:
                image = self._reader.read()
            except SourceError as exc:
                self._reconnect(exc.message)
                continue
            if image is None:  # a live source that says it ended: treat as a loss too
                self._reconnect("the source ended")
                continue
            return image
        return None

    def _reconnect(self, detail: str) -> None:
        self.state = "lost"
        self.losses += 1
        lost_at = self._clock()
        self.on_event(SourceEvent("source_lost", detail))
        self._close_reader()
        delay = self._first_delay
        attempts = 0
        while not self.stop.is_set():
            left = self.give_up_seconds - (self._clock() - lost_at)
            if self.give_up_seconds and left <= 0:
                raise SourceError(
                    f"{self.description} was lost and did not come back within "
                    f"{self.give_up_seconds:g} s ({attempts} attempts; last error: {detail})",
                    "check the cable or the network; source.reconnect_seconds = 0 waits forever",
                )
            if self.stop.wait(min(delay, left) if self.give_up_seconds else delay):
                return
            attempts += 1
            try:
                self._reader = self._reopen()
            except SourceError as exc:
                detail = exc.message
                delay = min(delay * 2, MAX_DELAY_SECONDS)
                continue
            self.state = "live"
            self.on_event(
                SourceEvent("source_back", detail, attempts, round(self._clock() - lost_at, 3))
            )
            return

    def _close_reader(self) -> None:
        if self._reader is not None:
            try:
                self._reader.close()
            finally:
                self._reader = None

    def close(self) -> None:
        self._close_reader()
