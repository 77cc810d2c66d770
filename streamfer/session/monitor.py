"""A monitoring session: capture thread -> pipeline -> JSONL log, with a dashboard beside it.

``Session`` holds what the dashboard shows and writes the log; ``run_session`` wires a
source, the pipeline, the log, the dashboard (or headless status lines), the keyboard and the
signals together, and always ends the log with a ``session_end`` record.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.live import Live

from streamfer import __version__
from streamfer.config import Config
from streamfer.errors import StreamferError
from streamfer.labels import EMOTIONS
from streamfer.pipeline import FramePipeline, StepResult, run
from streamfer.session.log import SessionLog, host_info
from streamfer.sources.capture import Capture, FrameReader
from streamfer.stats import LatencyMeter, RateMeter
from streamfer.ui.dashboard import PersonView, Snapshot, render, status_line
from streamfer.ui.keyboard import KeyReader
from streamfer.vision.models import describe


@dataclass(frozen=True)
class RunOptions:
    """How a session runs: the dashboard or not, a frame limit, real-time playback."""

    dashboard: bool = True
    max_frames: int | None = None
    realtime: bool = False


@dataclass(frozen=True)
class SessionSummary:
    log_path: Path
    frames_read: int
    frames_processed: int
    dropped: int
    mean_fps: float
    reason: str
    records: int


class Session:
    """Turns pipeline steps into log records and keeps the figures the dashboard shows."""

    def __init__(
        self,
        config: Config,
        log: SessionLog,
        source: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.log = log
        self.source = source
        self.clock = clock
        self.started = clock()
        self.processed = RateMeter()
        self.frames_processed = 0
        self.latency = LatencyMeter()
        self.people: dict[int, PersonView] = {}
        self.last_t = 0.0
        self.message = ""
        self._lock = threading.Lock()
        self.capture: Capture | None = None

    def start(self, models: dict[str, Any], reader: FrameReader) -> None:
        self.log.write(
            "session_start",
            0.0,
            version=__version__,
            source=self.source,
            source_fps=reader.fps,
            live=reader.is_live,
            config=self.config.as_dict(),
            models=models,
            labels=list(EMOTIONS),
            host=host_info(),
        )

    def on_step(self, step: StepResult) -> None:
        """Log one frame's results and update the dashboard's view of it."""
        agg = self.config.aggregator
        frame = step.frame
        self.last_t = frame.t
        if self.config.log.frames and frame.faces:
            self.log.write(
                "frame",
                frame.t,
                frame=frame.frame_index,
                faces=[
                    {
                        "track": f.track,
                        "box": f.detection.box.as_list(),
                        "score": round(f.detection.score, 3),
                        "probs": [round(float(p), 4) for p in f.probs],
                        "label": EMOTIONS[f.emotion_index],
                        "valence": round(f.valence, 4),
                        "arousal": round(f.arousal, 4),
                    }
                    for f in frame.faces
                ],
            )
        for e in step.emotions:
            self.log.write(
                "emotion",
                e.t,
                track=e.track,
                label=e.label,
                method=agg.method,
                threshold=agg.effective_threshold,
                label_set=agg.label_set,
                window_s=agg.window_seconds,
                n_frames=e.n_frames,
                counts=e.counts,
                valence=round(e.valence, 4),
                arousal=round(e.arousal, 4),
            )
        if step.group is not None:
            g = step.group
            self.log.write(
                "emotion",
                g.t,
                track="group",
                label=max(g.shares, key=lambda k: (g.shares[k], k == "neutral")),
                shares={k: round(v, 4) for k, v in g.shares.items()},
                tracks=list(g.tracks),
                method=agg.method,
                threshold=agg.effective_threshold,
                label_set=agg.label_set,
                window_s=agg.window_seconds,
            )
        now = self.clock()
        self.latency.add(now - frame.captured)
        self.processed.tick(now)
        self.frames_processed += 1
        self._update_people(step)

    def _update_people(self, step: StepResult) -> None:
        verdicts = {e.track: e for e in step.emotions}
        seen = {f.track for f in step.frame.faces}
        with self._lock:
            people: dict[int, PersonView] = {}
            for face in step.frame.faces:
                old = self.people.get(face.track)
                verdict = verdicts.get(face.track)
                people[face.track] = PersonView(
                    track=face.track,
                    label=verdict.label if verdict else (old.label if old else None),
                    counts=verdict.counts if verdict else (old.counts if old else {}),
                    probs=tuple(float(p) for p in face.probs),
                    valence=face.valence,
                    arousal=face.arousal,
                    in_view=True,
                )
            # keep people the tracker still holds (grace period), shown as out of view
            for track, old in self.people.items():
                if track not in seen and track in step.live_tracks:
                    people[track] = replace(old, in_view=False)
            self.people = dict(sorted(people.items()))

    def add_marker(self, note: str) -> None:
        self.log.write("marker", self.last_t, note=note)
        self.message = f"marker added at {self.last_t:.1f} s" + (f": {note}" if note else "")

    def end(self, capture: Capture, reason: str) -> SessionSummary:
        """Write the ``session_end`` record and close the log (a full disk is not fatal here)."""
        elapsed = max(self.clock() - self.started, 1e-9)
        summary = SessionSummary(
            log_path=self.log.path,
            frames_read=capture.stats.read,
            frames_processed=self.frames_processed,
            dropped=capture.stats.dropped,
            mean_fps=self.frames_processed / elapsed,
            reason=reason,
            records=self.log.records + 1,
        )
        p50, p95 = self.latency.percentile(50), self.latency.percentile(95)
        with suppress(StreamferError):  # a full or lost disk: what was written stays readable
            self.log.write(
                "session_end",
                self.last_t,
                frames_read=summary.frames_read,
                frames_processed=summary.frames_processed,
                frames_dropped=summary.dropped,
                mean_fps=round(summary.mean_fps, 2),
                wall_seconds=round(elapsed, 3),
                latency_p50_ms=None if p50 is None else round(p50 * 1000, 2),
                latency_p95_ms=None if p95 is None else round(p95 * 1000, 2),
                reason=reason,
            )
        self.log.close()
        return summary

    def snapshot(self) -> Snapshot:
        now = self.clock()
        capture = self.capture
        p50, p95 = self.latency.percentile(50), self.latency.percentile(95)
        with self._lock:
            people = tuple(self.people.values())
        agg = self.config.aggregator
        method = (
            f"{agg.method} {agg.effective_threshold:.2f} · {agg.label_set} labels · "
            f"{agg.window_seconds:g} s"
        )
        return Snapshot(
            source=self.source,
            method=method,
            input_fps=capture.input_rate.rate(now) if capture else 0.0,
            processed_fps=self.processed.rate(now),
            latency_p50_ms=None if p50 is None else p50 * 1000,
            latency_p95_ms=None if p95 is None else p95 * 1000,
            dropped=capture.stats.dropped if capture else 0,
            uptime_seconds=now - self.started,
            log_path=str(self.log.path),
            records=self.log.records,
            people=people,
            message=self.message,
        )


def model_info(config: Config) -> dict[str, Any]:
    """Name and sha256 of the detector and classifier files, for the ``session_start`` record."""
    return {
        "detector": describe(config.resolve_model(config.detector.model)),
        "classifier": describe(config.resolve_model(config.classifier.model)),
    }


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[dict[str, str]]:
    """SIGINT and SIGTERM set ``stop`` (the session then ends cleanly) instead of killing."""
    reason: dict[str, str] = {}

    def handler(signum: int, _frame: object) -> None:
        reason["reason"] = signal.Signals(signum).name
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield reason
        return
    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield reason
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def run_session(
    config: Config,
    reader: FrameReader,
    log: SessionLog,
    options: RunOptions,
    console: Console,
    stop: threading.Event | None = None,
    pipeline: FramePipeline | None = None,
) -> SessionSummary:
    """Monitor ``reader`` until it ends, ``max_frames`` are done, ``q``, SIGINT or SIGTERM.

    The log always ends with a ``session_end`` record, also after an error (whose message is
    then recorded as the reason before the error propagates).
    """
    stop = stop or threading.Event()
    pipeline = pipeline or FramePipeline(config)
    session = Session(config, log, reader.description)
    capture = Capture(
        reader, realtime=options.realtime, queue_size=config.source.queue_size, stop=stop
    )
    session.capture = capture
    reason = "error"
    keys: KeyReader | None = None
    try:
        session.start(model_info(config), reader)
        with stop_on_signals(stop) as signalled:

            def quit_by_key() -> None:
                signalled.setdefault("reason", "user_quit")
                stop.set()

            keys = KeyReader(  # reads keys only when stdin is a terminal
                on_quit=quit_by_key,
                on_marker=session.add_marker,
                on_prompt=lambda text: setattr(session, "message", text),
            ).start()
            capture.start()
            if options.dashboard:
                with Live(
                    get_renderable=lambda: render(session.snapshot()),
                    console=console,
                    refresh_per_second=config.dashboard.refresh_hz,
                    transient=False,
                ):
                    _, reason = run(capture, pipeline, session.on_step, stop, options.max_frames)
            else:
                reason = _run_headless(session, capture, pipeline, stop, options, console)
            if reason == "stopped":
                reason = signalled.get("reason", "stopped")
    except StreamferError as exc:
        reason = f"error: {exc.message}"
        raise
    except BaseException as exc:
        reason = f"error: {type(exc).__name__}: {exc}"
        raise
    finally:
        if keys is not None:
            keys.close()
        capture.close()
        pipeline.close()
        summary = session.end(capture, reason)
    return summary


def _run_headless(
    session: Session,
    capture: Capture,
    pipeline: FramePipeline,
    stop: threading.Event,
    options: RunOptions,
    console: Console,
) -> str:
    """Run without a dashboard, printing a status line every few seconds."""
    interval = session.config.dashboard.status_interval_seconds
    next_status = [session.clock() + interval]

    def on_step(step: StepResult) -> None:
        session.on_step(step)
        now = session.clock()
        if now >= next_status[0]:
            next_status[0] = now + interval
            console.print(status_line(session.snapshot()), highlight=False, soft_wrap=True)

    _, reason = run(capture, pipeline, on_step, stop, options.max_frames)
    console.print(status_line(session.snapshot()), highlight=False, soft_wrap=True)
    return reason
