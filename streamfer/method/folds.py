"""Cross-validation folds that keep each subject's clips together and balance the labels."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


def stratified_group_folds(
    truth: npt.ArrayLike, groups: npt.ArrayLike, k: int, seed: int
) -> tuple[IntArray, int]:
    """Fold number of each clip and the number of folds, ``min(k, number of groups)``.

    All clips of a group (subject) go to one fold. Groups are taken in a seeded random order,
    larger groups first; each goes to the fold that needs its labels most: an empty fold
    first, then the smallest sum over the group's clips of (clips of that label already in
    the fold / clips of that label overall), then the fold with fewer clips, then the lower
    fold number. With one clip a group this deals each label's clips round the folds.
    """
    y = np.asarray(truth, dtype=np.int64)
    _, group_of_clip = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
    n_groups = int(group_of_clip.max()) + 1 if len(y) else 0
    n_folds = min(k, n_groups)
    if n_folds < 2:
        raise ValueError(f"cross-validation needs at least 2 subjects or clips, got {n_groups}")
    n_classes = int(y.max()) + 1
    per_group = np.zeros((n_groups, n_classes), dtype=np.int64)
    np.add.at(per_group, (group_of_clip, y), 1)
    weight = 1.0 / np.maximum(per_group.sum(axis=0), 1)
    rng = np.random.default_rng(seed)
    order = rng.permutation(n_groups)
    order = order[np.argsort(-per_group[order].sum(axis=1), kind="stable")]
    fold_counts = np.zeros((n_folds, n_classes), dtype=np.int64)
    fold_of_group = np.zeros(n_groups, dtype=np.int64)
    for g in order:
        need = fold_counts @ (per_group[g] * weight)
        sizes = fold_counts.sum(axis=1)
        best = np.lexsort((np.arange(n_folds), sizes, need, sizes > 0))[0]
        fold_of_group[g] = best
        fold_counts[best] += per_group[g]
    return fold_of_group[group_of_clip], n_folds
