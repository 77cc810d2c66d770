"""The threshold rule, implemented once, and the one tie rule.

The rule (Yang, Lee & Park; docs/method.md): in a window of N classified frames let e* be the
most frequent label other than neutral and n(e*) its count. If n(e*) >= threshold * N the
representative label is e*; otherwise it is the most frequent label overall (Top-1, which
may be neutral). Threshold 1.0 is plain Top-1. The comparison allows 1e-9 for floating-point
error, so 0.15 * 20 counts as 3.

Tie rule, for people and for the group alike: among equal counts the label that comes first
in the label set's order wins (``EMOTIONS``: angry, disgust, fear, happy, sad, surprise,
neutral; ``BROAD``: negative, positive, neutral). Neutral is last, so it loses every tie.

``representative_labels`` is vectorised over windows (clips) and thresholds for the
calibration sweep; the streaming aggregator calls it with one window and one threshold.
Pure numpy: no I/O, no clock.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

#: The label of an empty window (no classified frame).
NO_LABEL = -1
#: Slack in ``n(e*) >= threshold * N`` for floating-point error.
EPSILON = 1e-9


def first_most_frequent(counts: npt.ArrayLike) -> IntArray:
    """Index of the largest count along the last axis; ties go to the earliest label."""
    index: IntArray = np.argmax(np.asarray(counts), axis=-1).astype(np.int64)  # first of equals
    return index


def representative_labels(counts: npt.ArrayLike, thresholds: npt.ArrayLike) -> IntArray:
    """The rule for every window and threshold: an (n_thresholds, n_windows) label index array.

    ``counts`` is (n_windows, k) frames per label, neutral last; ``thresholds`` are shares
    0..1 of a window's frames. An empty window gets NO_LABEL.
    """
    c = np.atleast_2d(np.asarray(counts, dtype=np.int64))
    t = np.asarray(thresholds, dtype=np.float64).reshape(-1, 1)
    n = c.sum(axis=1)
    neutral = c.shape[1] - 1
    best_other = first_most_frequent(c[:, :neutral])
    c_best = np.take_along_axis(c, best_other[:, None], axis=1)[:, 0]
    passes = (c_best > 0) & (c_best >= t * n - EPSILON)
    labels: IntArray = np.where(passes, best_other, first_most_frequent(c)).astype(np.int64)
    labels[:, n == 0] = NO_LABEL
    return labels


def representative_index(counts: npt.ArrayLike, threshold: float) -> int:
    """The rule for one window's per-label ``counts`` (neutral last); NO_LABEL when empty."""
    return int(representative_labels(np.asarray(counts)[None, :], [threshold])[0, 0])
