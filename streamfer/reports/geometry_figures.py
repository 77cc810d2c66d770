"""The report's pictures of a track's face geometry (logs made with ``--geometry``): its
blendshapes over time as a heatmap and its head pose over time (``figures.track_figure``
adds both when the track was measured).

The heatmap shows the ``TOP`` blendshapes that varied most over the track (largest standard
deviation; ``_neutral`` left out), scores on one fixed 0..1 scale so that rows and reports
compare; each measurement is a column until the next, and a gap of more than a second (the
face out of view) stays blank. Head pose: yaw, pitch and roll in degrees, with yaw's
``TURNED`` bounds (the summary's ``turned_30_share``) dashed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from streamfer.reports.sessionstats import SessionStats, TrackStats
from streamfer.reports.summary import TURNED

#: Blendshapes shown in the heatmap.
TOP = 12
#: Seconds between measurements beyond which the face counts as out of view.
GAP = 1.0


def top_blendshapes(stats: SessionStats, track: TrackStats, top: int = TOP) -> list[int]:
    """The columns of the ``top`` blendshapes that varied most, most first."""
    spread = track.blendshapes.std(axis=0) if len(track.blendshapes) > 1 else None
    movements = [i for i, n in enumerate(stats.blendshape_names) if not n.startswith("_")]
    if spread is None:
        return movements[:top]
    return sorted(movements, key=lambda i: -float(spread[i]))[:top]


def _with_gaps(
    t: npt.NDArray[np.float64], values: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Times and rows with a NaN row after every gap longer than ``GAP``."""
    if len(t) < 2:
        return t, values
    gaps = np.flatnonzero(np.diff(t) > GAP) + 1
    step = float(np.median(np.diff(t)))
    t = np.insert(t, gaps, t[gaps - 1] + step)
    values = np.insert(values, gaps, np.nan, axis=0)
    return t, values


def blendshape_heatmap(fig: Figure, ax: Axes, stats: SessionStats, track: TrackStats) -> None:
    ax.set_xlim(0, max(stats.duration, 1e-3))
    columns = top_blendshapes(stats, track)
    t, values = _with_gaps(track.geometry_t, track.blendshapes[:, columns])
    step = float(np.median(np.diff(t))) if len(t) > 1 else 0.2
    edges = np.append(t, t[-1] + step)
    mesh = ax.pcolormesh(
        edges,
        np.arange(len(columns) + 1),
        np.ma.masked_invalid(values.T),
        cmap="magma",
        vmin=0.0,
        vmax=1.0,
        shading="flat",
    )
    ax.set_yticks(np.arange(len(columns)) + 0.5, [stats.blendshape_names[i] for i in columns])
    ax.tick_params(axis="y", labelsize=7)
    ax.invert_yaxis()
    ax.tick_params(labelbottom=False)
    ax.set_title(
        f"blendshapes: the {len(columns)} that varied most ({len(track.geometry_t)} measurements)",
        fontsize=9,
    )
    fig.colorbar(mesh, ax=ax, label="score", fraction=0.03, pad=0.01)


def head_pose_plot(ax: Axes, stats: SessionStats, track: TrackStats) -> None:
    ax.set_xlim(0, max(stats.duration, 1e-3))
    t, pose = _with_gaps(track.geometry_t, track.head_pose)
    for column, (name, colour) in enumerate(
        (("yaw", "#1f77b4"), ("pitch", "#ff7f0e"), ("roll", "#2ca02c"))
    ):
        ax.plot(
            t, pose[:, column], color=colour, linewidth=1.2, marker=".", markersize=3, label=name
        )
    for bound in (-TURNED, TURNED):
        ax.axhline(bound, color="#1f77b4", linestyle=":", linewidth=0.8)
    ax.axhline(0, color="#999999", linewidth=0.6)
    reach = float(np.nanmax(np.abs(pose))) if len(pose) else 0.0
    limit = max(45.0, reach + 5.0)
    ax.set_ylim(-limit, limit)
    ax.set_ylabel("head pose\n(degrees)", fontsize=9)
    turned = track.turned_share or 0.0
    ax.set_title(
        f"head pose: mean |yaw| {track.mean_abs_yaw or 0.0:.0f}°, turned beyond "
        f"{TURNED:.0f}° {turned:.0%} of the time (dotted)",
        fontsize=9,
    )
    ax.legend(loc="upper right", fontsize=7, ncol=3, frameon=False)
    ax.tick_params(labelbottom=False)
