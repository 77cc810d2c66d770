"""What a session log says, per person: for the analyze summary, the report and the terminal.

Time shares: each ``emotion`` record (verdict) of a track stands for the time until that
track's next verdict, at most one emit interval (``aggregator.emit_interval_seconds``), so a
track's shares are the fraction of its verdict time spent on each representative emotion.
A *change* is a verdict whose label differs from the track's previous verdict. The overall
representative emotion is the label with the largest share (ties: label order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np
import numpy.typing as npt

from streamfer.core.labels import EMOTIONS, label_names
from streamfer.reports.summary import TURNED
from streamfer.session.events import Emotion, FrameRecord, GroupEmotion, Marker
from streamfer.session.log import LogContents
from streamfer.session.records import is_complete
from streamfer.session.start_end import SessionEnd, SessionStart

__all__ = [
    "SessionStats",
    "TrackStats",
    "Verdict",
    "overall_words",
    "session_stats",
    "share_order",
]


@dataclass
class Verdict:
    t: float
    label: str
    valence: float | None
    arousal: float | None
    span: float = 0.0  # seconds this verdict stands for


@dataclass
class TrackStats:
    """One face track: its frames (if logged), its verdicts and what they add up to."""

    track: int
    t: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    probs: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 7)))
    valence: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    arousal: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    verdicts: list[Verdict] = field(default_factory=list)
    shares: dict[str, float] = field(default_factory=dict)
    changes: int = 0
    overall: str = ""
    #: the geometry stage's measurements (frame records with head_pose): when, the
    #: blendshapes (``SessionStats.blendshape_names`` order), yaw, pitch, roll
    geometry_t: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    blendshapes: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0)))
    head_pose: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 3)))

    @property
    def mean_abs_yaw(self) -> float | None:
        """Mean |yaw| of the measurements, degrees (None: none)."""
        return float(np.abs(self.head_pose[:, 0]).mean()) if len(self.head_pose) else None

    @property
    def turned_share(self) -> float | None:
        """Share of the measurements with the head turned more than ``TURNED`` degrees."""
        yaw = self.head_pose[:, 0]
        return float((np.abs(yaw) > TURNED).mean()) if len(yaw) else None

    @property
    def first_t(self) -> float:
        times = list(self.t[:1]) + [v.t for v in self.verdicts[:1]]
        return float(min(times)) if times else 0.0

    @property
    def last_t(self) -> float:
        times = list(self.t[-1:]) + [v.t for v in self.verdicts[-1:]]
        return float(max(times)) if times else 0.0

    @property
    def mean_valence(self) -> float | None:
        if len(self.valence):
            return float(self.valence.mean())
        values = [v.valence for v in self.verdicts if v.valence is not None]
        return float(np.mean(values)) if values else None

    @property
    def mean_arousal(self) -> float | None:
        if len(self.arousal):
            return float(self.arousal.mean())
        values = [v.arousal for v in self.verdicts if v.arousal is not None]
        return float(np.mean(values)) if values else None


@dataclass
class SessionStats:
    """A whole log: source, figures, tracks, group verdicts, markers and any cut line."""

    path: Path
    source: str
    labels: tuple[str, ...]
    emotions: tuple[str, ...]  # the model's classes: the columns of each frame's probs
    interval: float
    fps: float
    frames: int | None
    duration: float
    end: SessionEnd | None
    has_frames: bool
    tracks: dict[int, TrackStats]
    group: list[tuple[float, str, dict[str, float]]]
    markers: list[tuple[float, str]]
    truncated_line: int | None
    bad_lines: list[int]
    shares: dict[str, float]
    overall: str
    blendshape_names: tuple[str, ...] = ()  # the columns of each track's ``blendshapes``

    @property
    def has_geometry(self) -> bool:
        return any(len(t.geometry_t) for t in self.tracks.values())

    @property
    def end_reason(self) -> str | None:
        """The ``reason`` as logged, None when the log has no ``session_end``."""
        return self.end.reason_text if self.end is not None else None

    @property
    def complete(self) -> bool:
        return is_complete(self.end)


def share_order(shares: dict[str, float], labels: tuple[str, ...]) -> list[tuple[str, float]]:
    """The labels with a share above 0, largest first, equal shares in label order: the one
    order of the terminal's summary and the HTML page."""
    order = {name: i for i, name in enumerate(labels)}
    present = [(k, v) for k, v in shares.items() if v > 0]
    return sorted(present, key=lambda kv: (-round(kv[1], 9), order.get(kv[0], len(order)), kv[0]))


def overall_words(shares: dict[str, float], labels: tuple[str, ...]) -> str:
    """The label with the largest share, or every label that shares it when shares tie
    exactly (``"happy = sad = neutral"``): a tie is not read as one emotion."""
    ranked = share_order(shares, labels)
    if not ranked:
        return ""
    top = round(ranked[0][1], 9)
    return " = ".join(name for name, value in ranked if round(value, 9) == top)


def _shares(verdicts: list[Verdict], labels: tuple[str, ...]) -> tuple[dict[str, float], str]:
    total = sum(v.span for v in verdicts)
    shares = {name: 0.0 for name in labels}
    for v in verdicts:
        shares[v.label] = shares.get(v.label, 0.0) + (v.span / total if total > 0 else 0.0)
    order = {name: i for i, name in enumerate(labels)}
    overall = max(shares, key=lambda k: (round(shares[k], 9), -order.get(k, 99)))
    return shares, (overall if total > 0 else "")


def session_stats(contents: LogContents) -> SessionStats:
    """Everything the summary and the report need, from a log as ``read_log`` returns it."""
    starts, ends = contents.of_type(SessionStart), contents.of_type(SessionEnd)
    start = starts[0] if starts else None
    end = ends[-1] if ends else None
    aggregator = start.config.get("aggregator", {}) if start else {}
    emotions = tuple(start.labels) if start and start.labels else EMOTIONS
    labels = label_names(str(aggregator.get("label_set", "7")), emotions)
    interval = float(aggregator.get("emit_interval_seconds", 1.0))
    fps = float((start.source_fps if start else 0.0) or 30.0)
    frame_rows: dict[int, list[tuple[float, tuple[float, ...], float, float]]] = {}
    geometry_rows: dict[int, list[tuple[float, dict[str, float], dict[str, float]]]] = {}
    for record in contents.of_type(FrameRecord):
        for face in record.faces:
            frame_rows.setdefault(face.track, []).append(
                (record.t, face.probs, face.valence, face.arousal)
            )
            if face.head_pose is not None and face.blendshapes is not None:
                geometry_rows.setdefault(face.track, []).append(
                    (record.t, face.blendshapes, face.head_pose)
                )
    names = next((tuple(rows[0][1]) for rows in geometry_rows.values()), ())
    tracks: dict[int, TrackStats] = {}
    for track, rows in frame_rows.items():
        tracks[track] = TrackStats(
            track,
            t=np.array([r[0] for r in rows]),
            probs=np.array([r[1] for r in rows], dtype=np.float64).reshape(-1, len(emotions)),
            valence=np.array([r[2] for r in rows]),
            arousal=np.array([r[3] for r in rows]),
        )
    for track, measured in geometry_rows.items():
        stats = tracks[track]
        stats.geometry_t = np.array([r[0] for r in measured])
        stats.blendshapes = np.array([[r[1].get(n, 0.0) for n in names] for r in measured])
        angles = ("yaw", "pitch", "roll")
        stats.head_pose = np.array([[r[2].get(a, 0.0) for a in angles] for r in measured])
    group: list[tuple[float, str, dict[str, float]]] = []
    for g in contents.of_type(GroupEmotion):
        group.append((g.t, g.label, dict(g.shares)))
    for e in contents.of_type(Emotion):
        stats = tracks.setdefault(e.track, TrackStats(e.track))
        stats.verdicts.append(Verdict(e.t, e.label, e.valence, e.arousal))
    every: list[Verdict] = []
    for stats in tracks.values():
        for this, following in zip(stats.verdicts, [*stats.verdicts[1:], None], strict=False):
            this.span = interval if following is None else min(following.t - this.t, interval)
        stats.shares, stats.overall = _shares(stats.verdicts, labels)
        stats.changes = sum(a.label != b.label for a, b in pairwise(stats.verdicts))
        every.extend(stats.verdicts)
    shares, overall = _shares(every, labels)
    frames = end.frames_processed if end else None
    last_t = max((r.t for r in contents.records), default=0.0)
    return SessionStats(
        path=contents.path,
        source=start.source if start else "",
        labels=labels,
        emotions=emotions,
        interval=interval,
        fps=fps,
        frames=frames,
        duration=_duration(end, fps, last_t),
        end=end,
        has_frames=bool(frame_rows),
        tracks=dict(sorted(tracks.items())),
        group=group,
        markers=[(m.t, m.note) for m in contents.of_type(Marker)],
        truncated_line=contents.truncated_line,
        bad_lines=list(contents.bad_lines),
        shares=shares,
        overall=overall,
        blendshape_names=names,
    )


def _duration(end: SessionEnd | None, fps: float, last_t: float) -> float:
    """The clip's length: the last frame's time stamp plus one frame (the container's time,
    so a variable-frame-rate clip is measured right); without a session_end, the last record's
    time."""
    if end is None:
        return last_t
    if end.frames_processed == 0:
        return 0.0
    return end.t + 1.0 / fps
