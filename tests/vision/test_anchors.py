"""BlazeFace's anchors and decoding (``streamfer.vision.anchors``): the anchor layouts, boxes
relative to their anchor, clipped sigmoid scores, weighted NMS."""

from __future__ import annotations

import numpy as np
import pytest

from streamfer.vision.anchors import (
    FULL_RANGE,
    SHORT_RANGE,
    decode,
    sigmoid_scores,
    ssd_anchor_centres,
    weighted_nms,
)


@pytest.mark.parametrize(
    ("spec", "count", "first", "last"),
    [
        (SHORT_RANGE, 896, (0.5 / 16, 0.5 / 16), (7.5 / 8, 7.5 / 8)),
        (FULL_RANGE, 2304, (0.5 / 48, 0.5 / 48), (47.5 / 48, 47.5 / 48)),
    ],
)
def test_anchor_layout(spec, count, first, last) -> None:  # type: ignore[no-untyped-def]
    anchors = ssd_anchor_centres(spec)
    assert anchors.shape == (count, 2)
    assert tuple(anchors[0]) == pytest.approx(first)
    assert tuple(anchors[-1]) == pytest.approx(last)
    if spec is SHORT_RANGE:
        # 16x16 cells with 2 anchors each, then 8x8 cells with 6 (three stride-16 layers, 2 each)
        assert tuple(anchors[1]) == tuple(anchors[0])
        assert tuple(anchors[2]) == pytest.approx((1.5 / 16, 0.5 / 16))
        assert tuple(anchors[512]) == pytest.approx((0.5 / 8, 0.5 / 8))
        assert (anchors[512:518] == anchors[512]).all()


def test_decode_is_relative_to_the_anchor_and_x_first() -> None:
    anchors = np.array([[0.25, 0.75]], np.float32)
    raw = np.zeros((1, 16), np.float32)
    raw[0, :4] = [12.8, -6.4, 32.0, 64.0]  # centre +0.1 x, -0.05 y; 0.25 wide, 0.5 tall
    raw[0, 4:6] = [-12.8, 0.0]  # first keypoint 0.1 left of the anchor
    out = decode(raw, anchors, 128)
    assert out[0, :4] == pytest.approx([0.225, 0.45, 0.475, 0.95])
    assert out[0, 4:6] == pytest.approx([0.15, 0.75])
    assert out[0, 6:8] == pytest.approx([0.25, 0.75])


def test_scores_are_clipped_sigmoids() -> None:
    scores = sigmoid_scores(np.array([0.0, 1000.0, -1000.0, 2.0], np.float32), 100.0)
    assert scores == pytest.approx([0.5, 1.0, 0.0, 1 / (1 + np.exp(-2.0))])


def test_weighted_nms_merges_overlaps_by_score_and_keeps_the_best_score() -> None:
    rows = np.zeros((3, 16), np.float32)
    rows[0, :4] = [0.0, 0.0, 1.0, 1.0]
    rows[1, :4] = [0.1, 0.0, 1.1, 1.0]  # IoU 0.82 with the first: merged
    rows[2, :4] = [2.0, 2.0, 3.0, 3.0]  # apart: its own face
    rows[:, 4] = [0.0, 1.0, 5.0]
    faces = weighted_nms(rows, np.array([0.9, 0.6, 0.7], np.float32), 0.3)
    assert [round(score, 3) for _, score in faces] == [0.9, 0.7]
    merged = faces[0][0]
    assert merged[0] == pytest.approx(0.1 * 0.6 / 1.5)
    assert merged[4] == pytest.approx(0.6 / 1.5)  # keypoints are averaged the same way
    assert faces[1][0][0] == pytest.approx(2.0)


def test_weighted_nms_keeps_touching_boxes_apart() -> None:
    rows = np.zeros((2, 16), np.float32)
    rows[0, :4] = [0.0, 0.0, 1.0, 1.0]
    rows[1, :4] = [0.6, 0.0, 1.6, 1.0]  # IoU 0.25 <= 0.3
    assert len(weighted_nms(rows, np.array([0.8, 0.7], np.float32), 0.3)) == 2
