"""Face crops (``streamfer.vision.align``): the eyes levelled, the crop's shape and
normalisation."""

from __future__ import annotations

import numpy as np

from streamfer.core.frames import Box, Detection
from streamfer.vision.align import face_crop, normalise


def test_crop_levels_tilted_eyes() -> None:
    """Two bright dots on a tilted line end up on one row of the crop."""
    image = np.zeros((200, 200, 3), dtype=np.uint8)
    right_eye, left_eye = (80.0, 90.0), (120.0, 110.0)  # tilted by atan(20/40) = 26.6 degrees
    for x, y in (right_eye, left_eye):
        image[int(y) - 2 : int(y) + 3, int(x) - 2 : int(x) + 3] = 255
    detection = Detection(Box(60, 60, 80, 80), 0.9, right_eye, left_eye)
    crop = face_crop(image, detection, margin=0.0, align_eyes=True)
    ys, xs = np.nonzero(crop > 100)
    left_blob, right_blob = ys[xs < 32], ys[xs >= 32]
    assert len(left_blob) and len(right_blob)
    assert abs(left_blob.mean() - right_blob.mean()) < 1.0
    unaligned = face_crop(image, detection, margin=0.0, align_eyes=False)
    ys, xs = np.nonzero(unaligned > 100)
    assert ys[xs >= 32].mean() - ys[xs < 32].mean() > 5  # tilted without alignment


def test_crop_shape_and_normalisation() -> None:
    image = np.full((100, 100, 3), 255, dtype=np.uint8)
    crop = face_crop(image, Detection(Box(-20, -20, 50, 50), 0.5), 0.25, True)
    assert crop.shape == (64, 64) and crop.dtype == np.uint8
    x = normalise(crop)
    assert x.shape == (1, 64, 64, 1) and np.allclose(x, 1.0)
    assert np.allclose(normalise(np.zeros((64, 64), np.uint8)), -1.0)
