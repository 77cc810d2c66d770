"""Cross-validation folds (``streamfer.method.folds``): stratified, grouped by subject, seeded."""

from __future__ import annotations

import numpy as np
import pytest

from streamfer.method.folds import stratified_group_folds


def test_folds_are_stratified_grouped_and_seeded() -> None:
    rng = np.random.default_rng(5)
    truth = rng.integers(0, 4, size=103)
    folds, n = stratified_group_folds(truth, np.arange(103), 5, seed=11)
    assert n == 5
    for c in range(4):
        per_fold = np.bincount(folds[truth == c], minlength=5)
        assert per_fold.max() - per_fold.min() <= 1
    again, _ = stratified_group_folds(truth, np.arange(103), 5, seed=11)
    other, _ = stratified_group_folds(truth, np.arange(103), 5, seed=12)
    np.testing.assert_array_equal(folds, again)
    assert (folds != other).any()
    subjects = rng.integers(0, 20, size=103)
    folds, n = stratified_group_folds(truth, subjects, 5, seed=0)
    for s in np.unique(subjects):
        assert len(set(folds[subjects == s])) == 1  # a subject never spans folds
    assert (np.bincount(folds, minlength=5) > 0).all()
    folds, n = stratified_group_folds(truth, subjects % 3, 5, seed=0)
    assert n == 3  # fewer subjects than folds: one fold a subject
    with pytest.raises(ValueError):
        stratified_group_folds(truth, np.zeros(103), 5, seed=0)
