"""One session of the Python API, as an iterator: ``Watch``.

A ``Watch`` runs the same session as ``streamfer run`` (the ``Recorder`` of
``session/lifecycle.py``: the capture and detection threads, the pipeline, the records, the
one ``session_end``), but hands each frame's ``Result`` to the caller instead of a dashboard,
and prints nothing. The log is written only when a ``log_dir`` is given, with the records
``run`` writes; ``[lsl] enabled`` opens the LSL streams of ``run --lsl``.

Nothing is opened before the first result is asked for. Whatever ends the iteration closes
the source and its threads before the next line of the caller runs: the source's end,
``max_frames``, the ``stop`` event, an error, ``break`` or the ``Watch`` going out of scope
(its generator is closed), ``close()`` or the end of a ``with`` block. The log then ends with
its ``session_end`` (``stopped`` for a ``break`` or a close).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Generator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from streamfer.api.results import Result, result_of
from streamfer.config.settings import Config
from streamfer.core.choices import Pace
from streamfer.core.errors import ConfigError
from streamfer.outputs.lsl import LslOutput
from streamfer.pipeline.stages import FramePipeline
from streamfer.session.lifecycle import Recorder
from streamfer.session.log import dated_log
from streamfer.session.sinks import NullLog, ObservedLog, RecordSink, SessionSummary
from streamfer.sources.readers import open_reader

#: What ``source`` accepts: a camera index, or a file, folder, URL, ``"demo"``, ``"picamera"``.
Source = int | str | os.PathLike[str]


@dataclass(frozen=True)
class WatchRequest:
    """What the caller asked of one session, checked before anything is opened."""

    source: str
    max_frames: int | None = None
    realtime: bool | None = None
    log_dir: Path | None = None
    stream_timeout: float = 10.0
    stop: threading.Event | None = None

    def __post_init__(self) -> None:
        if self.max_frames is not None and self.max_frames < 1:
            raise ConfigError(f"max_frames = {self.max_frames} is not a positive number")
        if not self.stream_timeout > 0:
            raise ConfigError(f"stream_timeout = {self.stream_timeout:g} is not a positive number")

    @staticmethod
    def source_text(source: Source) -> str:
        """The CLI's ``--source`` text of ``source`` (a camera index becomes ``"0"``)."""
        return str(source) if isinstance(source, int) else os.fspath(source)

    def pace(self, config: Config) -> Pace:
        """As ``run`` does: ``realtime`` when given, the demo in real time, else config's."""
        if self.realtime is not None:
            return Pace.of(self.realtime)
        return Pace.REAL_TIME if self.source == "demo" else config.source.pace


@dataclass
class SessionInfo:
    """Filled in as the session goes: where its log is, and how it ended."""

    log_path: Path | None = None
    summary: SessionSummary | None = None


class Watch(Iterator[Result]):
    """The results of one session, frame by frame (see the module doc).

    ``log_path`` is the session's log once the first result came (None without
    ``log_dir``); ``reason`` says how it ended (``end_of_source``, ``max_frames``,
    ``stopped``...) once it has.
    """

    def __init__(self, results: Generator[Result, None, None], info: SessionInfo) -> None:
        self._results = results
        self._info = info

    def __iter__(self) -> Watch:
        return self

    def __next__(self) -> Result:
        return next(self._results)

    def close(self) -> None:
        """End the session now (the log ends ``stopped``); idempotent."""
        self._results.close()

    def __enter__(self) -> Watch:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def log_path(self) -> Path | None:
        return self._info.log_path

    @property
    def reason(self) -> str | None:
        summary = self._info.summary
        return None if summary is None else summary.reason


def session_results(
    config: Config, pipeline: FramePipeline, request: WatchRequest, info: SessionInfo
) -> Generator[Result, None, None]:
    """The session's results; the pipeline (and its models) stay the caller's."""
    with ExitStack() as cleanup:  # on an error, close whatever was opened before it
        reader = open_reader(
            request.source,
            request.stream_timeout,
            config.source.reconnect_seconds,
            config.source.max_pixels,
        )
        cleanup.callback(reader.close)
        inner: RecordSink = NullLog()
        if request.log_dir is not None:
            inner = dated_log(request.log_dir)
        log = ObservedLog(inner, [])
        cleanup.callback(log.close)
        recorder = Recorder(config, log, reader, pace=request.pace(config), stop=request.stop)
        lsl = LslOutput(recorder) if config.lsl.enabled else None
        if lsl is not None:
            cleanup.callback(lsl.close)
            log.observers.append(lsl)
        session = recorder.session(
            pipeline, [lsl] if lsl is not None else [], max_frames=request.max_frames
        )
        info.log_path = log.path
        cleanup.pop_all()  # from its first step on, the session closes the reader and the log
    try:
        while True:
            try:
                step = next(session)
            except StopIteration:
                return
            yield result_of(step, pipeline.classes)
    finally:
        session.close()  # a session left early ends here: session_end "stopped"
        if lsl is not None:
            lsl.close()
        info.summary = recorder.summary
