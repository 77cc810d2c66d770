"""The report's pictures of a session, drawn with matplotlib (no pyplot, no display needed).

Per track: the representative-emotion timeline (coloured bands: each verdict from its time
until the track's next verdict, at most one emit interval, as the dashboard showed it) over
a stacked area of the per-frame probabilities; the valence-arousal trajectory coloured by
time over the circumplex reference points (Yin et al.); the time share of each emotion with
the number of changes. Per session: an overview with one row per track and one for the
group. Markers are dashed vertical lines with their notes. Times are seconds of video. A
track measured by the geometry stage also gets its blendshapes and head pose over time
(``geometry_figures.py``).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Patch

from streamfer.core.durable import write_atomic
from streamfer.core.labels import circumplex
from streamfer.core.safetext import printable
from streamfer.reports.sessionstats import SessionStats, TrackStats

#: the most characters of a marker's note drawn on a figure (the HTML's table has more)
FIGURE_NOTE_LIMIT = 60

COLOURS = {
    "angry": "#d62728",
    "disgust": "#2ca02c",
    "fear": "#9467bd",
    "happy": "#f2b701",
    "sad": "#1f77b4",
    "surprise": "#ff7f0e",
    "contempt": "#8c564b",
    "neutral": "#c7c7c7",
    "negative": "#d62728",
    "positive": "#f2b701",
}
DPI = 80


def _legend(ax: Axes, labels: tuple[str, ...]) -> None:
    handles = [Patch(facecolor=COLOURS[name], label=name) for name in labels]
    ax.legend(
        handles=handles,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=len(labels),
        fontsize=8,
        frameon=False,
        handlelength=1.2,
        columnspacing=1.0,
    )


def _markers(ax: Axes, stats: SessionStats, notes: bool) -> None:
    for t, note in stats.markers:
        ax.axvline(t, color="black", linestyle="--", linewidth=1)
        if notes:
            ax.text(
                t,
                0.5,
                f" {printable(note, FIGURE_NOTE_LIMIT) or 'marker'}",
                fontsize=8,
                va="center",
                ha="left",
                transform=ax.get_xaxis_transform(),
                clip_on=True,
                bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1},
            )


def _bands(ax: Axes, y: float, verdicts: list[tuple[float, float, str]]) -> None:
    for t, span, label in verdicts:
        ax.broken_barh([(t, span)], (y - 0.4, 0.8), facecolors=COLOURS.get(label, "white"))


def _timeline(ax: Axes, stats: SessionStats, track: TrackStats) -> None:
    _bands(ax, 0.0, [(v.t, v.span, v.label) for v in track.verdicts])
    ax.set_ylim(-0.5, 0.5)
    ax.set_yticks([])
    ax.set_ylabel("verdict", rotation=0, ha="right", va="center", fontsize=9)
    ax.set_xlim(0, max(stats.duration, 1e-3))
    ax.tick_params(labelbottom=False)
    _markers(ax, stats, notes=True)
    _legend(ax, stats.labels)
    if not track.verdicts:
        ax.text(
            0.5,
            0.0,
            "no verdict: seen for fewer frames than the window needs",
            transform=ax.get_yaxis_transform(),
            ha="center",
            va="center",
            fontsize=9,
        )


#: the per-frame panel of a log without frame records (run logs them with --log-frames;
#: analyze does unless --no-frames)
NO_FRAME_RECORDS = (
    "no per-frame records in this log (run --log-frames; analyze without --no-frames)"
)


def _probabilities(ax: Axes, stats: SessionStats, track: TrackStats) -> None:
    ax.set_xlim(0, max(stats.duration, 1e-3))
    ax.set_ylim(0, 1)
    ax.set_ylabel("per-frame\nprobability", fontsize=9)
    ax.set_xlabel("time (s)")
    _markers(ax, stats, notes=False)
    if not len(track.t):
        message = NO_FRAME_RECORDS if not stats.has_frames else "no frames of this track in the log"
        ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", fontsize=9)
        return
    # break the area where the face was out of view for more than a few frames
    breaks = np.flatnonzero(np.diff(track.t) > 3.0 / stats.fps) + 1
    for segment in np.split(np.arange(len(track.t)), breaks):
        t = track.t[segment]
        if len(t) == 1:
            t = np.array([t[0], t[0] + 1.0 / stats.fps])
            segment = np.repeat(segment, 2)
        ax.stackplot(
            t, track.probs[segment].T, colors=[COLOURS[e] for e in stats.emotions], linewidth=0
        )


def _trajectory(fig: Figure, ax: Axes, stats: SessionStats, track: TrackStats) -> None:
    ax.add_patch(Circle((0, 0), 1.0, fill=False, color="#999999", linewidth=0.8))
    ax.axhline(0, color="#999999", linewidth=0.6)
    ax.axvline(0, color="#999999", linewidth=0.6)
    for name, (v, a) in zip(stats.emotions, circumplex(stats.emotions), strict=True):
        ax.scatter([v], [a], s=60, color=COLOURS[name], edgecolor="black", zorder=3)
        ax.annotate(name, (v, a), textcoords="offset points", xytext=(6, 4), fontsize=8)
    span = (0.0, max(stats.duration, 1e-3))
    if len(track.t):
        ax.scatter(
            track.valence,
            track.arousal,
            c=track.t,
            cmap="viridis",
            vmin=span[0],
            vmax=span[1],
            s=6,
            alpha=0.35,
            linewidths=0,
        )
    points = np.array([(v.valence, v.arousal) for v in track.verdicts if v.valence is not None])
    times = np.array([v.t for v in track.verdicts if v.valence is not None])
    if len(points) >= 2:
        segments = np.stack([points[:-1], points[1:]], axis=1)
        line = LineCollection(list(segments), cmap="viridis", linewidths=2.2, zorder=4)
        line.set_array(times[:-1])
        line.set_clim(*span)
        ax.add_collection(line)
        fig.colorbar(line, ax=ax, label="time (s)", fraction=0.046, pad=0.04)
    if len(points):
        ax.annotate("start", points[0], fontsize=8, xytext=(-8, -12), textcoords="offset points")
        ax.plot(*points[-1], marker="o", color="black", markersize=4, zorder=5)
    ax.set_xlim(-1.1, 1.1)
    ax.set_ylim(-1.1, 1.1)
    ax.set_aspect("equal")
    ax.set_xlabel("valence")
    ax.set_ylabel("arousal")
    ax.set_title("valence-arousal (line: window means; dots: frames)", fontsize=9)


def _shares(ax: Axes, stats: SessionStats, track: TrackStats) -> None:
    labels = list(stats.labels)
    values = [track.shares.get(name, 0.0) * 100 for name in labels]
    ax.barh(labels, values, color=[COLOURS[name] for name in labels], edgecolor="#555555")
    for y, value in enumerate(values):
        ax.text(value + 1, y, f"{value:.0f}%", va="center", fontsize=8)
    ax.set_xlim(0, 115)
    ax.invert_yaxis()
    ax.set_xlabel("share of the track's verdict time (%)")
    ax.set_title(
        f"time share; {track.changes} change{'s' * (track.changes != 1)} of verdict", fontsize=9
    )


def track_figure(stats: SessionStats, track: TrackStats, path: Path) -> None:
    """Timeline over probabilities (then, when the track was measured, its blendshapes and
    head pose over time), trajectory and shares of one track, as a PNG."""
    geometry = len(track.geometry_t) > 0
    ratios = [0.45, 1.5, *([1.9, 1.1] if geometry else []), 2.8]
    fig = Figure(figsize=(10, 11.5 if geometry else 8), dpi=DPI, layout="constrained")
    grid = fig.add_gridspec(len(ratios), 2, height_ratios=ratios, width_ratios=[1.35, 1])
    timeline = fig.add_subplot(grid[0, :])
    _timeline(timeline, stats, track)
    probabilities = fig.add_subplot(grid[1, :], sharex=timeline)
    _probabilities(probabilities, stats, track)
    if geometry:
        from streamfer.reports.geometry_figures import blendshape_heatmap, head_pose_plot

        probabilities.set_xlabel("")
        probabilities.tick_params(labelbottom=False)
        blendshape_heatmap(fig, fig.add_subplot(grid[2, :], sharex=timeline), stats, track)
        pose = fig.add_subplot(grid[3, :], sharex=timeline)
        head_pose_plot(pose, stats, track)
        pose.tick_params(labelbottom=True)
        pose.set_xlabel("time (s)")
    _trajectory(fig, fig.add_subplot(grid[-1, 0]), stats, track)
    _shares(fig.add_subplot(grid[-1, 1]), stats, track)
    mean_v = track.mean_valence
    fig.suptitle(
        f"{printable(stats.path.stem, 80)}: track {track.track}, seen {track.first_t:.1f}-"
        f"{track.last_t:.1f} s; mostly {printable(track.overall or '-', 40)}"
        + (f"; mean valence {mean_v:+.2f}" if mean_v is not None else ""),
        fontsize=11,
    )
    _save(fig, path)


def overview_figure(stats: SessionStats, path: Path) -> None:
    """One row per track (and one for the group) of verdict bands over the whole session."""
    rows = [
        (f"track {t.track}", [(v.t, v.span, v.label) for v in t.verdicts])
        for t in stats.tracks.values()
    ]
    if stats.group:
        rows.append(("group", [(t, stats.interval, label) for t, label, _ in stats.group]))
    fig = Figure(figsize=(10, 1.3 + 0.42 * max(len(rows), 1)), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    for y, (_, verdicts) in enumerate(rows):
        _bands(ax, float(y), verdicts)
    ax.set_yticks(range(len(rows)), [name for name, _ in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, max(stats.duration, 1e-3))
    ax.set_xlabel("time (s)")
    _markers(ax, stats, notes=True)
    _legend(ax, stats.labels)
    if not rows:
        ax.text(0.5, 0.5, "no face in this session", transform=ax.transAxes, ha="center")
    fig.suptitle(f"{printable(stats.path.stem, 80)}: who showed what, when", fontsize=11)
    _save(fig, path)


def _save(fig: Figure, path: Path) -> None:
    """PNG bytes written whole (``durable.write_atomic``, 0600)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, dpi=DPI, format="png")
    write_atomic(path, buffer.getvalue())
