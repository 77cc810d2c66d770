"""Part B of calibration: score the representative-emotion rules on per-clip predictions.

Pure numpy, no I/O, deterministic for a given seed. The input is one table per clip of the
model's per-frame probabilities (frames with a face only; shape ``(n_frames, 7)``, EMOTIONS
order) and the clip's true label. Each clip gets one label per method, over all its frames
(the paper applies the rule to the whole clip):

- ``top1``: the most frequent per-frame label (the rule at threshold 1.0);
- ``threshold``: the rule of ``streamfer.method.rule`` at a threshold (share 0-1 of the
  clip's frames): the same function the streaming aggregator calls;
- ``mean_prob``: the argmax of the clip's mean probability. In the broad setting the
  probability of a broad label is the sum of its emotions' probabilities.

Ties go to the label that comes first in label order (neutral is last): the rule's tie rule.
A clip with no classified frame (no face found) gets no label: it counts as a miss for every
method, so all methods are scored on the same clips.

Metrics: accuracy; macro-F1 = the mean F1 over the classes that occur in the true labels of
the clips scored (a predicted class that never occurs there lowers recall of the true class,
it is not averaged as a class of its own); PN accuracy (Yin et al.) = agreement after mapping
truth and prediction to negative / positive / neutral.

Cross-validation (``cross_validate``): clips are split into folds, stratified by label and
grouped by subject (see ``stratified_group_folds``). On each fold the threshold is chosen on
the other folds by accuracy (ties: the larger threshold, the one closer to Top-1) and scored
on the held-out fold; Top-1 and mean_prob have nothing to fit and are scored on the same
held-out folds. Accuracy and macro-F1 are reported as the mean and standard deviation
(ddof=0) over folds; per-class F1, PN accuracy and confusion matrices pool every clip's
held-out prediction. The threshold to use is chosen by the same rule on all clips.

The result types and ``THRESHOLDS`` are ``method/calibration_results.py``, re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfer.core.choices import LabelSet
from streamfer.core.labels import EMOTIONS, broad_of, label_names
from streamfer.method.calibration_results import (
    THRESHOLDS,
    FloatArray,
    IntArray,
    LabelSetResult,
    MethodResult,
)
from streamfer.method.folds import stratified_group_folds
from streamfer.method.rule import representative_labels
from streamfer.method.scores import (
    accuracy,
    confusion,
    f1_per_class,
    macro_f1,
    mean_prob_predictions,
    pn_accuracy,
)

__all__ = [
    "METHOD_NAMES",
    "ClipTable",
    "choose_threshold",
    "cross_validate",
    "evaluate_fixed",
]

METHOD_NAMES = ("top1", "threshold", "mean_prob")


@dataclass(frozen=True)
class ClipTable:
    """Per-clip summaries of the frame predictions, in the model's emotion space.

    ``counts``: (n_clips, k) per-frame argmax labels counted over each clip.
    ``mean_probs``: (n_clips, k) mean probability over each clip's frames (zeros if none).
    ``truth``: (n_clips,) true label, index into ``emotions``.
    ``groups``: (n_clips,) subject of each clip; clips of one subject stay in one fold.
    ``emotions``: the model's k class names (7 for FER2013, 8 for FER+), neutral last.
    """

    counts: IntArray
    mean_probs: FloatArray
    truth: IntArray
    groups: npt.NDArray[Any]
    emotions: tuple[str, ...] = EMOTIONS

    @classmethod
    def from_probs(
        cls,
        probs: Sequence[npt.ArrayLike],
        truth: Sequence[int],
        groups: Sequence[object] | None = None,
        emotions: tuple[str, ...] = EMOTIONS,
    ) -> ClipTable:
        """Summarise each clip's (n_frames, k) probability table; ``groups`` None = one a clip."""
        n = len(probs)
        if len(truth) != n or (groups is not None and len(groups) != n):
            raise ValueError("probs, truth and groups must have one entry per clip")
        k = len(emotions)
        counts = np.zeros((n, k), dtype=np.int64)
        mean_probs = np.zeros((n, k), dtype=np.float64)
        for i, p in enumerate(probs):
            table = np.asarray(p, dtype=np.float64).reshape(-1, k)
            if len(table):
                counts[i] = np.bincount(np.argmax(table, axis=1), minlength=k)
                mean_probs[i] = table.mean(axis=0)
        group_array = np.arange(n) if groups is None else np.asarray(groups, dtype=object)
        return cls(counts, mean_probs, np.asarray(truth, dtype=np.int64), group_array, emotions)

    def __len__(self) -> int:
        return len(self.truth)

    def in_label_set(self, label_set: LabelSet) -> tuple[IntArray, FloatArray, IntArray]:
        """(counts, mean_probs, truth) in the label set: the model's emotions or the 3 broad."""
        if LabelSet(label_set) is LabelSet.EMOTIONS:
            return self.counts, self.mean_probs, self.truth
        broad = broad_of(self.emotions)
        k = len(label_names(LabelSet.BROAD))
        to_broad = np.zeros((len(self.emotions), k))
        to_broad[np.arange(len(self.emotions)), broad] = 1.0
        counts = (self.counts @ to_broad.astype(np.int64)).astype(np.int64)
        return counts, self.mean_probs @ to_broad, broad[self.truth]


def choose_threshold(scores: npt.ArrayLike) -> int:
    """Index of the best score over THRESHOLDS; ties go to the larger threshold."""
    s = np.asarray(scores)
    return int(len(s) - 1 - np.argmax(s[::-1]))


def _predict_all(
    table: ClipTable, label_set: LabelSet
) -> tuple[IntArray, IntArray, IntArray, IntArray, int]:
    """(rule predictions over THRESHOLDS, top1, mean_prob, truth, k) in a label set."""
    counts, mean_probs, truth = table.in_label_set(label_set)
    sweep = representative_labels(counts, THRESHOLDS)
    top1 = representative_labels(counts, [1.0])[0]
    mean_prob = mean_prob_predictions(mean_probs, counts.sum(axis=1))
    return sweep, top1, mean_prob, truth, counts.shape[1]


def _method(
    pred: IntArray,
    truth: IntArray,
    folds: IntArray,
    n_folds: int,
    k: int,
    label_set: LabelSet,
    emotions: tuple[str, ...] = EMOTIONS,
) -> MethodResult:
    parts = [folds == f for f in range(max(n_folds, 1))]
    return MethodResult(
        fold_accuracy=[float(accuracy(pred[m], truth[m])) for m in parts],
        fold_macro_f1=[float(macro_f1(pred[m], truth[m], k)) for m in parts],
        predictions=pred,
        pn_accuracy=pn_accuracy(pred, truth, label_set, emotions),
        f1=f1_per_class(pred, truth, k),
        confusion=confusion(pred, truth, k),
    )


def cross_validate(
    table: ClipTable, label_set: LabelSet, k: int = 5, seed: int = 0
) -> LabelSetResult:
    """Top-1, the threshold rule (threshold fitted per fold) and mean_prob, k-fold."""
    label_set = LabelSet(label_set)
    sweep, top1, mean_prob, truth, n_classes = _predict_all(table, label_set)
    folds, n_folds = stratified_group_folds(table.truth, table.groups, k, seed)
    held_out = np.empty_like(truth)
    fold_thresholds: list[float] = []
    for f in range(n_folds):
        test = folds == f
        best = choose_threshold(accuracy(sweep[:, ~test], truth[~test]))
        fold_thresholds.append(float(THRESHOLDS[best]))
        held_out[test] = sweep[best, test]
    sweep_accuracy = accuracy(sweep, truth)
    rule = _method(held_out, truth, folds, n_folds, n_classes, label_set, table.emotions)
    rule.threshold = float(THRESHOLDS[choose_threshold(sweep_accuracy)])
    rule.fold_thresholds = fold_thresholds
    return _result(table, label_set, truth, folds, n_folds, rule, top1, mean_prob, sweep)


def evaluate_fixed(table: ClipTable, label_set: LabelSet, threshold: float) -> LabelSetResult:
    """The three methods on all clips at a fixed threshold: no search, no cross-validation."""
    label_set = LabelSet(label_set)
    sweep, top1, mean_prob, truth, n_classes = _predict_all(table, label_set)
    counts, _, _ = table.in_label_set(label_set)
    everything = np.zeros(len(truth), dtype=np.int64)
    rule = _method(
        representative_labels(counts, [threshold])[0],
        truth,
        everything,
        0,
        n_classes,
        label_set,
        table.emotions,
    )
    rule.threshold = threshold
    return _result(table, label_set, truth, everything, 0, rule, top1, mean_prob, sweep)


def _result(
    table: ClipTable,
    label_set: LabelSet,
    truth: IntArray,
    folds: IntArray,
    n_folds: int,
    rule: MethodResult,
    top1: IntArray,
    mean_prob: IntArray,
    sweep: IntArray,
) -> LabelSetResult:
    """Put the three methods' results for one label set together (n_folds 0: no CV)."""
    names = label_names(label_set, table.emotions)
    n_classes = len(names)
    e = table.emotions
    return LabelSetResult(
        label_set=label_set,
        names=names,
        truth=truth,
        n_clips=len(table),
        n_empty=int((table.counts.sum(axis=1) == 0).sum()),
        n_folds=n_folds,
        methods={
            "top1": _method(top1, truth, folds, n_folds, n_classes, label_set, e),
            "threshold": rule,
            "mean_prob": _method(mean_prob, truth, folds, n_folds, n_classes, label_set, e),
        },
        sweep_accuracy=accuracy(sweep, truth),
        sweep_macro_f1=macro_f1(sweep, truth, n_classes),
    )
