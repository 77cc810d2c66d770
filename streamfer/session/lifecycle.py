"""One recording lifecycle, for every caller: ``run``, ``analyze`` and ``calibrate``.

``Recorder.record`` opens the capture of a source, runs the pipeline frame by frame, writes
the records of each frame, takes markers and stop requests (keyboard, signals, the caller),
and closes the log with exactly one ``SessionEnd`` whatever ended it: the end of the source,
a stop, a signal, a lost source, a full disk or any other error (which is then raised again
after the ``SessionEnd`` is written). Callers differ only in what they pass in: the log (or
``NullLog``), the pace, observers of each step (the dashboard, a progress bar, a collector
of predictions) and whether SIGINT/SIGTERM stop the session. Those parts, and the
``SessionSummary`` it returns, are ``session/sinks.py`` (re-exported here).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Sequence
from contextlib import nullcontext, suppress
from typing import Any

from streamfer import __version__
from streamfer.config.settings import Config
from streamfer.core.choices import Pace
from streamfer.core.errors import DiskFullError, StreamferError
from streamfer.core.stats import LatencyMeter, RateMeter
from streamfer.pipeline.results import StepResult
from streamfer.pipeline.run import AHEAD_FILE, AHEAD_LIVE, steps
from streamfer.pipeline.stages import FramePipeline
from streamfer.session.about import model_info
from streamfer.session.events import Marker, SourceBack, SourceLost
from streamfer.session.log import host_info
from streamfer.session.signals import on_signals
from streamfer.session.sinks import RecordSink, SessionSummary, StepObserver
from streamfer.session.start_end import EndReason, SessionEnd, SessionStart, error_reason
from streamfer.session.step_records import step_records
from streamfer.sources.capture import Capture
from streamfer.sources.readers import FrameReader
from streamfer.sources.reconnect import ReconnectingReader, SourceEvent
from streamfer.sources.videofile import ReadCheck

__all__ = [
    "Recorder",
]


class Recorder:
    """One session from its source's first frame to its ``SessionEnd``.

    ``stop`` may be shared with the caller: setting it ends the session with the reason given
    to ``request_stop`` (STOPPED when it was set directly).
    """

    def __init__(
        self,
        config: Config,
        log: RecordSink,
        reader: FrameReader,
        *,
        pace: Pace = Pace.AS_FAST_AS_POSSIBLE,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.log = log
        self.reader = reader
        self.source = reader.description
        self.stop = stop or threading.Event()
        self.clock = clock
        self.capture = Capture(
            reader,
            realtime=pace is Pace.REAL_TIME,
            queue_size=config.source.queue_size,
            stop=self.stop,
        )
        self.started = clock()
        self.processed = RateMeter()
        self.latency = LatencyMeter()
        self.frames_processed = 0
        self.last_t = 0.0
        self._stop_reason: tuple[EndReason, str] | None = None
        self._ended: SessionSummary | None = None
        self.read_check: ReadCheck | None = None
        self.end_written = False
        self.on_source_event: Callable[[SourceEvent], None] | None = None  # headless lines
        if isinstance(reader, ReconnectingReader):
            reader.on_event = self._source_event
            reader.stop = self.stop

    @property
    def summary(self) -> SessionSummary | None:
        """What the session came to, once its ``SessionEnd`` is written."""
        return self._ended

    def request_stop(self, reason: EndReason, detail: str = "") -> None:
        """End the session after the current frame; the first reason given is the one logged."""
        if self._stop_reason is None:
            self._stop_reason = (reason, detail)
        self.stop.set()

    def on_signal(self, name: str) -> None:
        """A stop signal (``"SIGTERM"``): the session ends with a ``session_end`` naming it."""
        self.request_stop(EndReason.SIGNAL, name)

    def add_marker(self, note: str) -> None:
        """Log an operator's note at the time of the last processed frame."""
        self.log.write(Marker(self.last_t, note))

    def record(
        self,
        pipeline: FramePipeline,
        observers: Sequence[StepObserver] = (),
        *,
        max_frames: int | None = None,
        models: dict[str, Any] | None = None,
        handle_signals: bool = False,
    ) -> SessionSummary:
        """Run the session to its end and write its one ``SessionEnd``; see the module doc.

        The pipeline stays the caller's to close; the capture (and so the reader) and the
        log are closed here.
        """
        session = self.session(
            pipeline, observers, max_frames=max_frames, models=models, handle_signals=handle_signals
        )
        while True:
            try:
                next(session)
            except StopIteration as end:
                return end.value  # type: ignore[no-any-return]

    def session(
        self,
        pipeline: FramePipeline,
        observers: Sequence[StepObserver] = (),
        *,
        max_frames: int | None = None,
        models: dict[str, Any] | None = None,
        handle_signals: bool = False,
    ) -> Generator[StepResult, None, SessionSummary]:
        """``record`` one frame at a time: yields each step once its records are written and
        its observers told, and returns the ``SessionSummary``.

        Closing the generator (a caller that stops asking: ``break``, an error, garbage
        collection) ends the session with the reason given to ``request_stop``, else
        STOPPED, and writes the ``SessionEnd`` before the close returns.
        """
        reason, detail = EndReason.ERROR, ""

        def on_step(step: StepResult) -> None:
            for record in step_records(step, self.config, pipeline.classes):
                self.log.write(record)
            now = self.clock()
            self.latency.add(now - step.frame.captured)
            self.processed.tick(now)
            self.frames_processed += 1
            self.last_t = step.frame.t
            for observer in observers:
                observer.on_step(step)

        disk_full: DiskFullError | None = None
        signals = on_signals(self.on_signal) if handle_signals else nullcontext()
        with signals:  # also while ending: the session_end is written whole
            try:
                self.log.write(
                    self._start(
                        models if models is not None else model_info(self.config),
                        pipeline.classes,
                        pipeline.config.geometry_threads(),
                    )
                )
                # the session's clock starts here, after session_start's observers (an LSL
                # output waiting for a recorder): a wait is not part of the frame rate
                self.started = self.clock()
                self.capture.start()
                ahead = AHEAD_LIVE if self.capture.realtime else AHEAD_FILE
                why = yield from _observed(
                    steps(self.capture, pipeline, self.stop, max_frames, ahead), on_step
                )
                if why == "stopped":
                    reason, detail = self._stop_reason or (EndReason.STOPPED, "")
                else:
                    reason = EndReason(why)
                if reason is EndReason.END_OF_SOURCE:
                    reason, detail = self._check_read()
            except GeneratorExit:  # the caller stopped asking for frames
                reason, detail = self._stop_reason or (EndReason.STOPPED, "")
                raise
            except DiskFullError as exc:  # raised again below, saying how the log ends
                reason, detail, disk_full = EndReason.DISK_FULL, exc.message, exc
            except StreamferError as exc:
                reason, detail = error_reason(exc), exc.one_line()
                raise
            except BaseException as exc:
                reason, detail = EndReason.ERROR, f"{type(exc).__name__}: {exc}"
                raise
            finally:
                self.capture.close()
                self._ended = self._end(reason, detail, pipeline)
        if disk_full is not None:
            if self.log.records == 0:
                raise disk_full  # not even session_start: the log was removed
            raise DiskFullError(self._disk_full_message(), disk_full.hint) from None
        return self._ended

    def _disk_full_message(self) -> str:
        where = self.log.path if self.log.path is not None else "the log"
        if self.end_written:
            return (
                f"the disk filled up: the session ended early, at {self.last_t:.1f} s; "
                f"the log is whole up to there and ends with session_end disk_full: {where}"
            )
        return (
            f"the disk filled up: the session ended early, at {self.last_t:.1f} s; "
            f"the log is whole up to its last line, but has no session_end: {where}"
        )

    def _check_read(self) -> tuple[EndReason, str]:
        """END_OF_SOURCE when a recording gave every frame its container promised (or says
        nothing), else SOURCE_INCOMPLETE with what was missing."""
        check = getattr(self.reader, "check", None)
        if check is None:
            return EndReason.END_OF_SOURCE, ""
        result = check()
        assert isinstance(result, ReadCheck)
        self.read_check = result
        if result.complete:
            return EndReason.END_OF_SOURCE, ""
        return EndReason.SOURCE_INCOMPLETE, f"{self.source}: {result.describe()}"

    def _source_event(self, event: SourceEvent) -> None:
        """A live source lost or back (from the capture thread): one record in the log."""
        if event.kind == "source_lost":
            self.log.write(SourceLost(self.last_t, event.detail))
        else:
            self.log.write(SourceBack(self.last_t, event.seconds, event.attempts))
        if self.on_source_event is not None:
            self.on_source_event(event)

    @property
    def source_state(self) -> str:
        """``live`` or ``lost`` (a live source being reopened), for the dashboard."""
        return str(getattr(self.reader, "state", "live"))

    def _start(
        self, models: dict[str, Any], emotions: tuple[str, ...], geometry_threads: int
    ) -> SessionStart:
        config = self.config.as_dict()
        # the threads the pipeline's geometry models run on ("auto" made a number)
        config["geometry"]["num_threads"] = geometry_threads
        return SessionStart(
            t=0.0,
            version=__version__,
            source=self.source,
            source_fps=self.reader.fps,
            live=self.reader.is_live,
            config=config,
            models=models,
            labels=emotions,
            host=host_info(),
        )

    def _end(self, reason: EndReason, detail: str, pipeline: FramePipeline) -> SessionSummary:
        """Write the ``SessionEnd`` and close the log (a full disk is not fatal here)."""
        elapsed = max(self.clock() - self.started, 1e-9)
        p50, p95 = self.latency.percentile(50), self.latency.percentile(95)
        end = SessionEnd(
            t=self.last_t,
            frames_read=self.capture.stats.read,
            frames_processed=self.frames_processed,
            frames_dropped=self.capture.stats.dropped,
            mean_fps=round(self.frames_processed / elapsed, 2),
            wall_seconds=round(elapsed, 3),
            latency_p50_ms=None if p50 is None else round(p50 * 1000, 2),
            latency_p95_ms=None if p95 is None else round(p95 * 1000, 2),
            reason=reason,
            detail=detail,
            frames_expected=None if self.read_check is None else self.read_check.frames_expected,
            geometry=pipeline.geometry_counts(),
        )
        with suppress(StreamferError):  # a full or lost disk: what was written stays readable
            self.log.write(end)
            self.end_written = True
        self.log.close()
        return SessionSummary(self.log.path, end, self.log.records)


def _observed(
    results: Generator[StepResult, None, str], on_step: Callable[[StepResult], None]
) -> Generator[StepResult, None, str]:
    """``results`` with ``on_step`` called on each before it is handed on; closed with it."""
    try:
        while True:
            try:
                step = next(results)
            except StopIteration as end:
                return str(end.value)
            on_step(step)
            yield step
    finally:
        results.close()
