"""What calibration's scoring (``method/calibration.py``) gives: each method's scores on one
label set (``MethodResult``), every method's with the threshold sweep (``LabelSetResult``,
with its JSON form), and the sweep's thresholds (``THRESHOLDS``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfer.core.choices import LabelSet
from streamfer.method.scores import accuracy

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

#: The paper's sweep: 0.05 to 1.00 in steps of 0.05.
THRESHOLDS: FloatArray = np.round(np.arange(1, 21) * 0.05, 2)


@dataclass
class MethodResult:
    """One method's scores on one label set.

    ``fold_accuracy`` / ``fold_macro_f1``: per held-out fold (one entry for a fixed
    evaluation over all clips). ``predictions``: each clip's held-out label (NO_LABEL if none).
    ``threshold``: the threshold used (threshold method; chosen on all clips when
    cross-validated); ``fold_thresholds``: the one chosen for each fold's training clips.
    """

    fold_accuracy: list[float]
    fold_macro_f1: list[float]
    predictions: IntArray
    pn_accuracy: float
    f1: FloatArray
    confusion: IntArray
    threshold: float | None = None
    fold_thresholds: list[float] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.fold_accuracy))

    @property
    def macro_f1(self) -> float:
        return float(np.mean(self.fold_macro_f1))


@dataclass
class LabelSetResult:
    """Every method's scores on one label set, and the full threshold sweep on all clips.

    ``n_folds`` is 0 for a fixed evaluation (no cross-validation). ``sweep_accuracy`` and
    ``sweep_macro_f1`` are the rule's scores on all clips at each of ``THRESHOLDS``.
    ``truth``: each clip's true label in this label set.
    """

    label_set: LabelSet
    names: tuple[str, ...]
    truth: IntArray
    n_clips: int
    n_empty: int
    n_folds: int
    methods: dict[str, MethodResult]
    sweep_accuracy: FloatArray
    sweep_macro_f1: FloatArray

    def pooled_accuracy(self, method: str) -> float:
        """Share of all clips a method got right (held-out predictions when cross-validated)."""
        return float(accuracy(self.methods[method].predictions, self.truth))

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the JSON report."""
        out: dict[str, Any] = {
            "labels": list(self.names),
            "n_clips": self.n_clips,
            "n_clips_without_face": self.n_empty,
            "cv_folds": self.n_folds or None,
            "sweep": {
                "thresholds": THRESHOLDS.tolist(),
                "accuracy": self.sweep_accuracy.tolist(),
                "macro_f1": self.sweep_macro_f1.tolist(),
            },
        }
        for name, m in self.methods.items():
            entry: dict[str, Any] = {
                "accuracy": m.accuracy,
                "accuracy_std": float(np.std(m.fold_accuracy)),
                "macro_f1": m.macro_f1,
                "macro_f1_std": float(np.std(m.fold_macro_f1)),
                "fold_accuracy": m.fold_accuracy,
                "fold_macro_f1": m.fold_macro_f1,
                "pn_accuracy": m.pn_accuracy,
                "f1_per_class": {
                    n: (None if np.isnan(v) else float(v))
                    for n, v in zip(self.names, m.f1, strict=True)
                },
                "confusion": {
                    "rows_true": list(self.names),
                    "columns_predicted": [*self.names, "no_face"],
                    "counts": m.confusion.tolist(),
                },
            }
            if m.threshold is not None:
                entry["threshold"] = m.threshold
                entry["fold_thresholds"] = m.fold_thresholds
            out[name] = entry
        return out
