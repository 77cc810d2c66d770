"""Image sizes read from the file's header (``streamfer.sources.media``), before any decoding, for
every format OpenCV writes. Decompression bombs refused through the CLI:
``tests/test_hostile.py``."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("suffix", "params"),
    [
        (".png", []),
        (".jpg", []),
        (".jpg", [1, 95, 2, 1]),  # IMWRITE_JPEG_QUALITY 95, IMWRITE_JPEG_PROGRESSIVE 1
        (".bmp", []),
        (".webp", [64, 80]),  # IMWRITE_WEBP_QUALITY 80: lossy (VP8)
        (".webp", [64, 101]),  # above 100: lossless (VP8L)
        (".tiff", []),
        (".gif", []),
    ],
)
def test_image_sizes_are_read_from_headers(suffix: str, params: list[int], tmp_path: Path) -> None:
    import cv2
    import numpy as np

    from streamfer.sources.media import image_size

    image = np.random.default_rng(0).integers(0, 255, (23, 37, 3), dtype=np.uint8)
    ok, data = cv2.imencode(suffix, image, params)
    assert ok
    path = tmp_path / f"image{suffix}"
    path.write_bytes(data.tobytes())
    assert image_size(path) == (37, 23)
