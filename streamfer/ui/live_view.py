"""What the live terminal shows of a session being recorded, and the two ways to show it.

``LiveView`` observes a ``Recorder`` (one ``on_step`` per frame) and keeps each person's
latest state; ``snapshot()`` turns it and the recorder's meters into the dashboard's
``Snapshot``. ``show_live`` runs a recording under a Rich ``Live`` dashboard, or headless
with a status line every few seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from rich.console import Console
from rich.live import Live

from streamfer.core import FaceResult
from streamfer.labels import label_names
from streamfer.pipeline import FramePipeline, StepResult
from streamfer.safetext import printable
from streamfer.session.lifecycle import Recorder, SessionSummary, StepObserver
from streamfer.sources.reconnect import SourceEvent
from streamfer.ui.dashboard import PersonView, Snapshot, render, status_line


class LiveView:
    """The dashboard's view of one recording; a ``StepObserver`` of its ``Recorder``."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.emotions = recorder.config.emotions()
        agg = recorder.config.aggregator
        count = len(label_names(agg.label_set, self.emotions))
        self._method = (
            f"{agg.method} {agg.effective_threshold:.2f} · {count} labels · "
            f"{agg.window_seconds:g} s"
        )
        self.geometry = recorder.config.geometry_on()
        self.people: dict[int, PersonView] = {}
        self.message = ""
        self._lock = threading.Lock()

    def on_step(self, step: StepResult) -> None:
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
                    emotions=self.emotions,
                    **_geometry(face, self.geometry),
                )
            # keep people the tracker still holds (grace period), shown as out of view
            for track, old in self.people.items():
                if track not in seen and track in step.live_tracks:
                    people[track] = replace(old, in_view=False)
            self.people = dict(sorted(people.items()))

    def add_marker(self, note: str) -> None:
        """Log a marker through the recorder and say so on screen."""
        self.recorder.add_marker(note)
        t = self.recorder.last_t
        self.message = f"marker added at {t:.1f} s" + (f": {printable(note, 200)}" if note else "")

    def snapshot(self) -> Snapshot:
        r = self.recorder
        now = r.clock()
        p50, p95 = r.latency.percentile(50), r.latency.percentile(95)
        with self._lock:
            people = tuple(self.people.values())
        return Snapshot(
            source=r.source,
            method=self._method,
            input_fps=r.capture.input_rate.rate(now),
            processed_fps=r.processed.rate(now),
            latency_p50_ms=None if p50 is None else p50 * 1000,
            latency_p95_ms=None if p95 is None else p95 * 1000,
            dropped=r.capture.stats.dropped,
            uptime_seconds=now - r.started,
            log_path=str(r.log.path),
            records=r.log.records,
            people=people,
            message=self.message,
            source_state=r.source_state,
        )


def _geometry(face: FaceResult, on: bool) -> dict[str, Any]:
    """The dashboard's geometry of a face: its head pose and three highest blendshapes."""
    g = face.geometry
    if g is None:
        return {"geometry": on}
    scores = [(k, v) for k, v in g.blendshape_dict().items() if not k.startswith("_")]
    top = sorted(scores, key=lambda kv: -kv[1])[:3]
    return {"geometry": on, "head_pose": (g.yaw, g.pitch, g.roll), "blendshapes": tuple(top)}


class _StatusLines:
    """Headless: a status line every ``interval`` seconds of the session's clock (which
    starts with the session, after any wait for an LSL recorder), and one at the end unless
    the last came less than ``FRESH_SECONDS`` before (it would say the same again)."""

    FRESH_SECONDS = 1.0

    def __init__(self, view: LiveView, console: Console, interval: float) -> None:
        self.view, self.console, self.interval = view, console, interval
        self.next: float | None = None
        self.printed: float | None = None

    def on_step(self, step: StepResult) -> None:
        recorder = self.view.recorder
        now = recorder.clock()
        if self.next is None:
            self.next = recorder.started + self.interval
        if now >= self.next:
            self.next = now + self.interval
            self.print()

    def finish(self) -> None:
        """The session's last status line, unless one was just printed."""
        now = self.view.recorder.clock()
        if self.printed is None or now - self.printed >= self.FRESH_SECONDS:
            self.print()

    def source_event(self, event: SourceEvent) -> None:
        if event.kind == "source_lost":
            text = f"source lost ({printable(event.detail, 300)}); reconnecting"
        else:
            text = f"source back after {event.seconds:.1f} s ({event.attempts} attempts)"
        self.console.print(text, highlight=False, soft_wrap=True, markup=False)

    def print(self) -> None:
        self.printed = self.view.recorder.clock()
        self.console.print(status_line(self.view.snapshot()), highlight=False, soft_wrap=True)


def show_live(
    recorder: Recorder,
    view: LiveView,
    pipeline: FramePipeline,
    console: Console,
    *,
    dashboard: bool,
    max_frames: int | None = None,
    observers: Sequence[StepObserver] = (),
) -> SessionSummary:
    """Record with the dashboard redrawn a few times a second, or headless with status lines;
    ``observers`` are told of each step after the view (LSL outlets)."""
    config = recorder.config
    if dashboard:
        with Live(
            get_renderable=lambda: render(view.snapshot()),
            console=console,
            refresh_per_second=config.dashboard.refresh_hz,
            transient=False,
        ):
            return recorder.record(
                pipeline, [view, *observers], max_frames=max_frames, handle_signals=True
            )
    status = _StatusLines(view, console, config.dashboard.status_interval_seconds)
    recorder.on_source_event = status.source_event
    summary = recorder.record(
        pipeline, [view, status, *observers], max_frames=max_frames, handle_signals=True
    )
    status.finish()
    return summary
