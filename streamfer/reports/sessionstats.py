"""What a session log says, per person: for the analyze summary, the report and the terminal.

Time shares: each ``emotion`` record (verdict) of a track stands for the time until that
track's next verdict, at most one emit interval (``aggregator.emit_interval_seconds``), so a
track's shares are the fraction of its verdict time spent on each representative emotion.
A *change* is a verdict whose label differs from the track's previous verdict. The overall
representative emotion is the label with the largest share (ties: label order).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np
import numpy.typing as npt

from streamfer.labels import BROAD, EMOTIONS, EMOTIONS_8, label_names
from streamfer.session.log import LogContents
from streamfer.session.records import (
    Emotion,
    FrameRecord,
    GroupEmotion,
    Marker,
    SessionEnd,
    SessionStart,
    is_complete,
)


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

    @property
    def end_reason(self) -> str | None:
        """The ``reason`` as logged, None when the log has no ``session_end``."""
        return self.end.reason_text if self.end is not None else None

    @property
    def complete(self) -> bool:
        return is_complete(self.end)


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
    for record in contents.of_type(FrameRecord):
        for face in record.faces:
            frame_rows.setdefault(face.track, []).append(
                (record.t, face.probs, face.valence, face.arousal)
            )
    tracks: dict[int, TrackStats] = {}
    for track, rows in frame_rows.items():
        tracks[track] = TrackStats(
            track,
            t=np.array([r[0] for r in rows]),
            probs=np.array([r[1] for r in rows], dtype=np.float64).reshape(-1, len(emotions)),
            valence=np.array([r[2] for r in rows]),
            arousal=np.array([r[3] for r in rows]),
        )
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


def _covered(spans: list[tuple[float, float]]) -> float:
    """Total length of the union of ``(start, end)`` spans, in seconds."""
    total, reach = 0.0, float("-inf")
    for start, stop in sorted(spans):
        if stop > reach:
            total += stop - max(start, reach)
            reach = stop
    return total


SUMMARY_COLUMNS = (
    "input",
    "log",
    "status",
    "note",
    "duration_s",
    "frames",
    "faces_seen",
    "track",
    "track_seconds",
    "overall_emotion",
    "changes",
    "mean_valence",
    "mean_arousal",
)


def _fmt(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def summary_rows(
    input_name: str, log_name: str, status: str, note: str, stats: SessionStats | None
) -> list[dict[str, str]]:
    """One row for the input (``track`` = ``all``), then one per face track."""
    base = {"input": input_name, "log": log_name, "status": status, "note": note}
    if stats is None:
        return [{**base, "track": "all"}]
    common = {
        **base,
        "duration_s": _fmt(stats.duration, 2),
        "frames": "" if stats.frames is None else str(stats.frames),
        "faces_seen": str(len(stats.tracks)),
    }
    valences = [t.mean_valence for t in stats.tracks.values() if t.mean_valence is not None]
    arousals = [t.mean_arousal for t in stats.tracks.values() if t.mean_arousal is not None]
    if stats.has_frames:  # weight each track by its frames
        all_v = np.concatenate([t.valence for t in stats.tracks.values()])
        all_a = np.concatenate([t.arousal for t in stats.tracks.values()])
        valences, arousals = [float(all_v.mean())], [float(all_a.mean())]
    # time covered by at least one person's verdict: with two people at once it is counted
    # once, so it never exceeds the clip
    verdict_seconds = min(
        _covered([(v.t, v.t + v.span) for t in stats.tracks.values() for v in t.verdicts]),
        stats.duration,
    )
    rows = [
        {
            **common,
            "track": "all",
            "track_seconds": _fmt(verdict_seconds, 2),
            "overall_emotion": stats.overall,
            "changes": str(sum(t.changes for t in stats.tracks.values())),
            "mean_valence": _fmt(float(np.mean(valences)) if valences else None),
            "mean_arousal": _fmt(float(np.mean(arousals)) if arousals else None),
            **{f"share_{k}": _fmt(v) for k, v in stats.shares.items()},
        }
    ]
    for track in stats.tracks.values():
        rows.append(
            {
                **common,
                "track": str(track.track),
                "track_seconds": _fmt(
                    min(track.last_t - track.first_t + 1.0 / stats.fps, stats.duration), 2
                ),
                "overall_emotion": track.overall,
                "changes": str(track.changes),
                "mean_valence": _fmt(track.mean_valence),
                "mean_arousal": _fmt(track.mean_arousal),
                **{f"share_{k}": _fmt(v) for k, v in track.shares.items()},
            }
        )
    return rows


def summary_csv(rows: list[dict[str, str]]) -> str:
    """The rows as CSV text: the fixed columns, then ``share_<label>`` in label order."""
    share_columns: list[str] = []
    for row in rows:
        share_columns += [k for k in row if k.startswith("share_") and k not in share_columns]
    names = EMOTIONS_8[:-1] + BROAD  # the emotions and the 3 broad labels, neutral last
    order = {f"share_{name}": i for i, name in enumerate(names)}
    share_columns.sort(key=lambda k: order.get(k, 99))
    out = io.StringIO()
    columns = [*SUMMARY_COLUMNS, *share_columns]
    writer = csv.DictWriter(out, columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
