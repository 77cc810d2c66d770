"""How well per-clip labels match the truth: accuracy, F1, PN accuracy, confusion matrices.

Pure numpy. Predictions hold label indices, NO_LABEL (-1) for a clip with no classified frame
(a miss for every score). Functions taking ``pred`` work along its last axis, so a whole
threshold sweep (n_thresholds, n_clips) is scored at once.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from streamfer.core.choices import LabelSet
from streamfer.core.labels import EMOTIONS, broad_of
from streamfer.method.rule import NO_LABEL

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def mean_prob_predictions(mean_probs: npt.ArrayLike, n_frames: npt.ArrayLike) -> IntArray:
    """Argmax of each clip's mean probability; NO_LABEL where the clip has no frames."""
    pred: IntArray = np.argmax(np.asarray(mean_probs), axis=1).astype(np.int64)
    pred[np.asarray(n_frames) == 0] = NO_LABEL
    return pred


def f1_per_class(pred: npt.ArrayLike, truth: npt.ArrayLike, k: int) -> FloatArray:
    """F1 of each of ``k`` classes along the last axis of ``pred`` (..., n_clips).

    NaN for a class that is neither true nor predicted anywhere.
    """
    p = np.asarray(pred)
    y = np.asarray(truth)
    classes = np.arange(k)
    is_pred = p[..., None] == classes  # (..., n, k)
    is_true = y[:, None] == classes  # (n, k)
    tp = (is_pred & is_true).sum(axis=-2)
    denom = is_pred.sum(axis=-2) + is_true.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, 2.0 * tp / denom, np.nan)


def macro_f1(pred: npt.ArrayLike, truth: npt.ArrayLike, k: int) -> FloatArray:
    """Mean F1 over the classes present in ``truth``, along the last axis of ``pred``."""
    present = np.bincount(np.asarray(truth), minlength=k) > 0
    return np.asarray(f1_per_class(pred, truth, k)[..., present].mean(axis=-1))


def accuracy(pred: npt.ArrayLike, truth: npt.ArrayLike) -> FloatArray:
    """Share of clips whose prediction equals the truth, along the last axis of ``pred``."""
    return np.asarray((np.asarray(pred) == np.asarray(truth)).mean(axis=-1))


def pn_accuracy(
    pred: npt.ArrayLike,
    truth: npt.ArrayLike,
    label_set: LabelSet,
    emotions: tuple[str, ...] = EMOTIONS,
) -> float:
    """Agreement on negative / positive / neutral (Yin et al.); NO_LABEL is a miss."""
    p = np.asarray(pred)
    y = np.asarray(truth)
    if LabelSet(label_set) is LabelSet.EMOTIONS:
        broad = broad_of(emotions)
        p = np.where(p >= 0, broad[np.maximum(p, 0)], NO_LABEL)
        y = broad[y]
    return float(accuracy(p, y))


def confusion(pred: npt.ArrayLike, truth: npt.ArrayLike, k: int) -> IntArray:
    """(k, k + 1) counts: rows true label, columns predicted label, last column no label."""
    p = np.where(np.asarray(pred) >= 0, pred, k)
    out = np.zeros((k, k + 1), dtype=np.int64)
    np.add.at(out, (np.asarray(truth), p), 1)
    return out
