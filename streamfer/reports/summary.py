"""The summary table of session logs: one row per input and one per face track, as
``analyze`` writes it to ``summary.csv`` and ``report`` shows it (``docs/analyze-report.md``
names every column)."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

import numpy as np

from streamfer.core.labels import BROAD, EMOTIONS_8
from streamfer.core.safetext import utf8_safe

if TYPE_CHECKING:  # sessionstats re-exports this module
    from streamfer.reports.sessionstats import SessionStats

#: Degrees of yaw beyond which a head counts as turned away (``turned_30_share``).
TURNED = 30.0


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
    "mean_abs_yaw",
    "turned_30_share",
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
    # head pose: all measurements of all tracks, each counted once
    poses = [t.head_pose for t in stats.tracks.values() if len(t.head_pose)]
    yaw = np.abs(np.concatenate(poses)[:, 0]) if poses else None
    rows = [
        {
            **common,
            "track": "all",
            "track_seconds": _fmt(verdict_seconds, 2),
            "overall_emotion": stats.overall,
            "changes": str(sum(t.changes for t in stats.tracks.values())),
            "mean_valence": _fmt(float(np.mean(valences)) if valences else None),
            "mean_arousal": _fmt(float(np.mean(arousals)) if arousals else None),
            "mean_abs_yaw": _fmt(None if yaw is None else float(yaw.mean()), 1),
            "turned_30_share": _fmt(None if yaw is None else float((yaw > TURNED).mean())),
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
                "mean_abs_yaw": _fmt(track.mean_abs_yaw, 1),
                "turned_30_share": _fmt(track.turned_share),
                **{f"share_{k}": _fmt(v) for k, v in track.shares.items()},
            }
        )
    return rows


def summary_csv(rows: list[dict[str, str]]) -> str:
    """The rows as CSV text: the fixed columns, then ``share_<label>`` in label order.

    A file name that is not UTF-8 (its bytes read as lone surrogates) is written with those
    bytes as ``\\xff`` escapes, so the file stays UTF-8 for every reader."""
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
    return utf8_safe(out.getvalue())
