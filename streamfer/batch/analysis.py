"""Analysing one recording the way ``run`` would: the per-recording step of ``analyze``.

``analyze_recording`` records one input with the same ``Recorder`` (``session.lifecycle``)
and ``FramePipeline`` as ``run``: every frame, as fast as possible, no keyboard, no signals,
into its own log. It is what each engine (the local process pool in ``workers``, or any
other) calls per input; the driver-side bookkeeping (manifest, summary) is elsewhere
(``batch.manifest``, ``commands.analyze``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from streamfer.config.settings import Config
from streamfer.core.choices import Pace
from streamfer.core.errors import StreamferError
from streamfer.core.quiet import quiet_stderr
from streamfer.pipeline.results import StepResult
from streamfer.pipeline.stages import FramePipeline
from streamfer.session.lifecycle import Recorder
from streamfer.session.log import SessionLog
from streamfer.session.start_end import EndReason
from streamfer.sources.inputs import Input
from streamfer.sources.readers import open_recording


@dataclass(frozen=True)
class Task:
    """One input to analyse into ``log_path`` with ``config``; ``index`` is its place in the run."""

    index: int
    input: Input
    log_path: Path
    config: Config


@dataclass(frozen=True)
class Outcome:
    """How one input went. ``status``: ok, partial (read in part: cut short or damaged),
    failed or interrupted; ``reason`` says why."""

    index: int
    status: str
    frames: int
    reason: str
    wall_seconds: float


class _Progress:
    """Counts processed frames and reports each count to ``on_progress``."""

    def __init__(self, on_progress: Callable[[int], None]) -> None:
        self.frames = 0
        self.on_progress = on_progress

    def on_step(self, step: StepResult) -> None:
        self.frames += 1
        self.on_progress(self.frames)


def analyze_recording(
    task: Task, stop: threading.Event, on_progress: Callable[[int], None]
) -> Outcome:
    """Run the pipeline over every frame of ``task.input`` into a fresh log at ``task.log_path``.

    ``on_progress(frames_done)`` is called after every frame; setting ``stop`` ends the file
    early (status "interrupted"). A source that cannot be opened, or models that cannot be
    loaded, give a failed outcome and no log; a source that breaks mid-way gives a log that
    ends with a ``session_end`` naming the error. Never raises a StreamferError.
    """
    started = time.monotonic()

    def failed(reason: str) -> Outcome:
        return Outcome(task.index, "failed", 0, reason, time.monotonic() - started)

    try:
        task.log_path.unlink(missing_ok=True)
        with quiet_stderr():  # FFmpeg's own complaints about a corrupt file; ours follows
            reader = open_recording(task.input.path, task.config.source.max_pixels)
    except StreamferError as exc:
        return failed(exc.one_line())
    except OSError as exc:
        return failed(str(exc))
    config = task.config.for_pace(live=False)
    try:
        pipeline = FramePipeline(config)
    except StreamferError as exc:
        reader.close()
        return failed(exc.one_line())
    progress = _Progress(on_progress)
    try:
        log = SessionLog(task.log_path)
        recorder = Recorder(config, log, reader, pace=Pace.AS_FAST_AS_POSSIBLE, stop=stop)
        end = recorder.record(pipeline, [progress]).end
        reason = end.reason
        detail = end.reason_text
    except StreamferError as exc:
        reason, detail = EndReason.ERROR, f"error: {exc.one_line()}"
    except Exception as exc:  # a bug or a library fault: it is in the log; go on
        reason, detail = EndReason.ERROR, f"error: {type(exc).__name__}: {exc}"
    finally:
        reader.close()
        pipeline.close()
    if reason is EndReason.END_OF_SOURCE:
        status = "ok"
    elif reason is EndReason.SOURCE_INCOMPLETE:
        status = "partial"  # the log holds what could be read, and says what is missing
    elif reason is EndReason.STOPPED:
        status = "interrupted"
    else:
        status = "failed"
    return Outcome(task.index, status, progress.frames, detail, time.monotonic() - started)
