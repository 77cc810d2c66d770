"""Calibration scores (``streamfer.method.scores``) worked by hand: F1 per class, macro F1,
positive/negative accuracy, the confusion matrix."""

from __future__ import annotations

import numpy as np
import pytest

from streamfer.method.rule import NO_LABEL
from streamfer.method.scores import confusion, f1_per_class, macro_f1, pn_accuracy

A, D, F, H, S, U, N = range(7)


def test_metrics_by_hand() -> None:
    truth = np.array([H, H, H, N, N, S])
    pred = np.array([H, H, N, N, S, NO_LABEL])
    f1 = f1_per_class(pred, truth, 7)
    assert f1[H] == pytest.approx(2 * 2 / (2 + 3))  # tp 2, predicted 2, true 3
    assert f1[N] == pytest.approx(2 * 1 / (2 + 2))
    assert f1[S] == pytest.approx(0.0)
    assert float(macro_f1(pred, truth, 7)) == pytest.approx((0.8 + 0.5 + 0.0) / 3)
    # PN: happy->positive, neutral->neutral, sad->negative; the miss stays a miss
    assert pn_accuracy(pred, truth, "7") == pytest.approx(3 / 6)
    assert pn_accuracy(np.array([A, D, U]), np.array([S, F, H]), "7") == pytest.approx(1.0)
    cm = confusion(pred, truth, 7)
    assert cm.shape == (7, 8) and cm[H, N] == 1 and cm[S, 7] == 1 and cm.sum() == 6
