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

from streamfer.core.labels import label_names
from streamfer.core.safetext import printable
from streamfer.pipeline.results import FaceResult, StepResult
from streamfer.pipeline.stages import FramePipeline
from streamfer.session.lifecycle import Recorder
from streamfer.session.sinks import SessionSummary, StepObserver
from streamfer.sources.reconnect import SourceEvent
from streamfer.ui.dashboard import TREND_SECONDS, PersonView, Snapshot, render, status_line

#: seconds a result message (baseline taken or not, marker added) stays on screen
MESSAGE_SECONDS = 6.0
#: seconds past a requested baseline's length after which a person with no record is given up
PENDING_GRACE_SECONDS = 10.0


class LiveView:
    """The dashboard's view of one recording; a ``StepObserver`` of its ``Recorder``."""

    def __init__(self, recorder: Recorder, pipeline: FramePipeline | None = None) -> None:
        self.recorder = recorder
        self.pipeline = pipeline
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
        self.view = "plain"
        self._message_until: float | None = None  # None: stays (a prompt being typed)
        self._lock = threading.Lock()
        self._history: dict[int, list[tuple[float, str]]] = {}  # verdicts, per person
        self._since: dict[int, float] = {}  # when each person's current emotion began
        self._last_seen: dict[int, float] = {}
        self._pending: set[int] = set()  # people whose operator baseline is being taken
        self._pending_until = 0.0  # by then (wall clock) each should be written or given up
        self._baseline_done: list[str] = []
        self._baseline_missed: list[str] = []

    def say(self, text: str, seconds: float | None = MESSAGE_SECONDS) -> None:
        """Show ``text`` above the key line, for ``seconds`` (None: until replaced)."""
        self.message = text
        self._message_until = None if seconds is None else self.recorder.clock() + seconds

    def prompt(self, text: str) -> None:
        """The marker note being typed: it stays until Enter or Esc."""
        self.say(text, None)

    def toggle_view(self) -> None:
        """The d key: the plain view and the technical one."""
        self.view = "details" if self.view == "plain" else "plain"

    def baseline_requested(self, seconds: float) -> None:
        """The b key was pressed: say so until each person's baseline is written or given up."""
        with self._lock:
            self._pending = {t for t, p in self.people.items() if p.in_view}
            self._baseline_done, self._baseline_missed = [], []
        self._pending_until = self.recorder.clock() + seconds + PENDING_GRACE_SECONDS
        self.say(f"taking everyone's baseline over the next {seconds:g} s: relaxed faces", None)

    def on_step(self, step: StepResult) -> None:
        verdicts = {e.track: e for e in step.verdicts}
        seen = {f.track for f in step.frame.faces}
        t = step.frame.t
        for e in step.verdicts:
            history = self._history.setdefault(e.track, [])
            if not history or history[-1][1] != e.label:
                self._since[e.track] = e.t
            history.append((e.t, e.label))
            while len(history) > 1 and history[1][0] <= e.t - TREND_SECONDS:
                history.pop(0)  # keep the one in force at the strip's first second
        for track in seen:
            self._last_seen[track] = t
        keep = set(step.live_tracks) | set(step.remembered) | seen
        for book in (self._history, self._since, self._last_seen):
            for track in [k for k in book if k not in keep]:
                del book[track]
        self._baseline_feedback(step)
        with self._lock:
            people: dict[int, PersonView] = {}
            for face in step.frame.faces:
                old = self.people.get(face.track)
                verdict = verdicts.get(face.track)
                box = face.detection.box
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
                    **self._extras(face.track, t),
                    face_pixels=min(box.w, box.h),
                )
            # keep people the tracker still holds (grace period) and those remembered while
            # away (they keep their number), shown as out of view
            for track, old in self.people.items():
                if track not in seen and (track in step.live_tracks or track in step.remembered):
                    unseen = t - self._last_seen.get(track, t)
                    people[track] = replace(
                        old, in_view=False, unseen=unseen, **self._extras(track, t)
                    )
            self.people = dict(sorted(people.items()))

    def _extras(self, track: int, t: float) -> dict[str, Any]:
        """A person's plain-view fields: since when, the trend, their baseline's state."""
        since = self._since.get(track)
        return {
            "since": None if since is None else max(t - since, 0.0),
            "trend": self._trend(track, t),
            "baseline": self._baseline_state(track),
        }

    def _trend(self, track: int, t: float) -> tuple[str, ...]:
        """One label a second for the last TREND_SECONDS, up to the first verdict: the
        verdict in force at that second, "" where the last one is older than two intervals
        (the person was away)."""
        history = self._history.get(track, [])
        if not history:
            return ()
        stale = 2 * self.recorder.config.aggregator.emit_interval_seconds + 0.5
        out: list[str] = []
        k = 0
        for second in range(TREND_SECONDS - 1, -1, -1):
            moment = t - second
            if moment < history[0][0] - 1e-9:
                continue
            while k + 1 < len(history) and history[k + 1][0] <= moment + 1e-9:
                k += 1
            when, label = history[k]
            out.append(label if moment - when <= stale else "")
        return tuple(out)

    def _baseline_state(self, track: int) -> str:
        pipeline = self.pipeline
        if pipeline is None or pipeline.baselines.reference is None:
            return "off"
        if pipeline.baselines.collecting(track):
            return "taking"
        return "taken" if pipeline.baselines.taken(track) is not None else "none"

    def _baseline_feedback(self, step: StepResult) -> None:
        """After b: the banner ends when each person's baseline is written or given up, and
        says which were taken and why any were not."""
        for b in step.baselines:
            if b.trigger == "operator" and b.track in self._pending:
                self._pending.discard(b.track)
                self._baseline_done.append(f"person {b.track}")
        for missed in step.baselines_missed:
            if missed.trigger != "operator":
                continue
            if missed.track is None:
                self.say("no baseline taken: no face in view (press b when faces are seen)")
                self._pending.clear()
                return
            self._pending.discard(missed.track)
            self._baseline_missed.append(
                f"person {missed.track} ({missed.reason} after {missed.frames} frames)"
            )
        if self._pending and self.recorder.clock() > self._pending_until:
            # the face was gone on the frame the request was applied to: nothing was taken
            self._baseline_missed += [f"person {t} (not in view)" for t in sorted(self._pending)]
            self._pending.clear()
        if self._pending or not (self._baseline_done or self._baseline_missed):
            return
        parts = []
        if self._baseline_done:
            parts.append("baseline taken: " + ", ".join(self._baseline_done))
        if self._baseline_missed:
            parts.append("none for " + ", ".join(self._baseline_missed) + ": press b again")
        self.say("; ".join(parts))
        self._baseline_done, self._baseline_missed = [], []

    def add_marker(self, note: str) -> None:
        """Log a marker through the recorder and say so on screen."""
        self.recorder.add_marker(note)
        t = self.recorder.last_t
        self.say(f"marker added at {t:.1f} s" + (f": {printable(note, 200)}" if note else ""))

    def snapshot(self) -> Snapshot:
        r = self.recorder
        now = r.clock()
        p50, p95 = r.latency.percentile(50), r.latency.percentile(95)
        with self._lock:
            people = tuple(self.people.values())
        if self._message_until is not None and now >= self._message_until:
            self.message, self._message_until = "", None
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
            view=self.view,
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
