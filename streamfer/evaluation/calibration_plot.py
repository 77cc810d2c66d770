"""The calibration plot: accuracy against threshold for both label sets, Top-1 as lines."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from streamfer.core.choices import LabelSet
from streamfer.core.durable import write_atomic
from streamfer.core.errors import OutputError
from streamfer.method.calibration_results import THRESHOLDS, LabelSetResult

_NAMES = {
    LabelSet.EMOTIONS: "emotions",
    LabelSet.BROAD: "3 broad labels (negative, positive, neutral)",
}


def plot_sweep(results: dict[LabelSet, LabelSetResult], path: Path, title: str) -> None:
    """Write a PNG with one panel a label set: the rule's accuracy on all clips at each
    threshold (0.05 to 1.00), Top-1 (dashed line), mean_prob (dotted line) and the threshold
    in use (calibrate: chosen on all clips; evaluate: the configured one) as a star.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9.0, 3.8), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(results), sharey=True, squeeze=False)[0]
    for ax, (label_set, result) in zip(axes, results.items(), strict=True):
        ax.plot(
            THRESHOLDS,
            result.sweep_accuracy,
            "-o",
            color="#1f77b4",
            ms=3.5,
            lw=1.6,
            label="threshold rule",
        )
        top1 = float(result.sweep_accuracy[-1])  # threshold 1.0 is Top-1
        ax.axhline(top1, color="#d62728", ls="--", lw=1.2, label=f"Top-1 ({top1:.3f})")
        mean_prob = result.pooled_accuracy("mean_prob")  # mean_prob fits nothing
        ax.axhline(mean_prob, color="#2ca02c", ls=":", lw=1.4, label=f"mean_prob ({mean_prob:.3f})")
        chosen = result.methods["threshold"].threshold
        if chosen is not None:
            at = float(np.interp(chosen, THRESHOLDS, result.sweep_accuracy))
            ax.plot(
                [chosen],
                [at],
                "*",
                color="#ff7f0e",
                ms=15,
                mec="black",
                mew=0.6,
                label=f"threshold {chosen:.2f} ({at:.3f})",
            )
        ax.set_xlim(0.0, 1.03)
        ax.set_xticks(np.round(np.arange(0.0, 1.01, 0.2), 1))
        ax.set_xticks(THRESHOLDS, minor=True)
        ax.set_xlabel("threshold (share of the clip's classified frames)")
        name = _NAMES[label_set]
        if label_set is LabelSet.EMOTIONS:
            name = f"{len(result.names)} emotions"
        ax.set_title(f"{name}, {result.n_clips} clips", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best", framealpha=0.85)
    axes[0].set_ylabel("accuracy on all clips")
    figure.suptitle(title, fontsize=11)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write the plot {path}: {exc.strerror}") from None
    write_atomic(path, buffer.getvalue())
