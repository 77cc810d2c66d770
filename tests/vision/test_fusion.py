"""Fusing readings (``streamfer.vision.fusion``): abstaining per class, and a temperature
above one that softens."""

from __future__ import annotations

import numpy as np
import pytest

from streamfer.vision.fusion import fuse_parts, tempered


def test_fusion_abstains_per_class() -> None:
    cnn = np.array([0.1, 0.2, 0.7])
    second = np.array([0.5, 0.5, np.nan])  # knows no third class
    fused = fuse_parts([(cnn, 0.5), (second, 0.5)])
    z = np.array(
        [0.5 * np.log(0.1) + 0.5 * np.log(0.5), 0.5 * np.log(0.2) + 0.5 * np.log(0.5), np.log(0.7)]
    )
    expected = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    assert fused == pytest.approx(expected, abs=1e-6)
    assert fuse_parts([(cnn, 1.0)]) == pytest.approx(cnn, abs=1e-6)


def test_a_temperature_above_one_softens() -> None:
    p = np.array([0.9, 0.09, 0.01])
    soft = tempered(p, 2.0)
    assert soft.sum() == pytest.approx(1.0)
    assert soft.argmax() == 0 and soft[0] < p[0] and soft[2] > p[2]
    assert tempered(p, 1.0) is not None and tempered(p, 1.0) == pytest.approx(p)
