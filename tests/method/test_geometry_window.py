"""Each person's geometry window (``streamfer.method.geometry_window``): the blendshapes that
moved against the person's own median, and the mean head pose."""

from __future__ import annotations

import numpy as np
import pytest

from streamfer.method.geometry_window import GeometryWindow


def test_the_geometry_window_names_what_moved_against_the_persons_median() -> None:
    names = ("_neutral", "a", "b", "c", "d", "e")
    window = GeometryWindow(names, window_seconds=1.0, top=2)
    for i in range(50):  # 10 s of rest: a at 0.3 (their usual), the rest at 0
        window.add(i * 0.2, np.array([1.0, 0.3, 0, 0, 0, 0]), (10.0, 0.0, 0.0))
    for i in range(50, 55):  # then b rises, a falls, _neutral drops most of all
        window.add(i * 0.2, np.array([0.0, 0.1, 0.6, 0, 0, 0]), (20.0, 4.0, -2.0))
    summary = window.summary(54 * 0.2)
    assert summary is not None and summary.frames == 5
    assert list(summary.moved) == ["b", "a"]
    assert summary.moved["b"] == pytest.approx(0.6) and summary.moved["a"] == pytest.approx(-0.2)
    assert (summary.yaw, summary.pitch, summary.roll) == pytest.approx((20.0, 4.0, -2.0))
    assert window.summary(100.0) is None, "no sample in that window"
