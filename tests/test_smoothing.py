"""Each person's reading is the mean of their last ``[classifier] smooth_seconds`` of frames.

A scripted detector (one face, always in the same place) and a scripted classifier (a reading
chosen per frame by the frame's brightness) drive the real pipeline.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.core.frames import Box, Detection, Frame, Image
from streamfer.core.labels import EMOTIONS
from streamfer.pipeline.stages import FramePipeline
from streamfer.vision.fusion import fuse_parts, tempered

HAPPY, SAD = EMOTIONS.index("happy"), EMOTIONS.index("sad")


class OneFace:
    def detect(self, image: Image, t: float) -> list[Detection]:
        return [Detection(Box(10, 10, 60, 60), 0.9)]

    def close(self) -> None:
        pass


class ByBrightness:
    """Happy (0.6) on a dark frame, sad (0.55) on a bright one."""

    classes = EMOTIONS
    input_size = 64

    def classify(self, crop: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        probs = np.full(7, 0.0, dtype=np.float32)
        if crop.mean() < 128:
            probs[:] = 0.4 / 6
            probs[HAPPY] = 0.6
        else:
            probs[:] = 0.45 / 6
            probs[SAD] = 0.55
        return probs


def frame(i: int, fps: float, bright: bool) -> Frame:
    return Frame(i, i / fps, np.full((80, 80, 3), 200 if bright else 20, np.uint8), 0.0)


def labels(seconds: float, pattern: list[bool], fps: float = 30.0) -> list[str]:
    config = with_overrides(Config(), {"classifier.smooth_seconds": seconds})
    pipeline = FramePipeline(config, detector=OneFace(), classifier=ByBrightness())
    try:
        out = []
        for i, bright in enumerate(pattern):
            face = pipeline.process(frame(i, fps, bright)).frame.faces[0]
            out.append(pipeline.classes[face.emotion_index])
        return out
    finally:
        pipeline.close()


def test_a_lone_flicker_does_not_change_the_label() -> None:
    pattern = [False] * 10 + [True] + [False] * 10
    assert labels(0.0, pattern)[10] == "sad", "unsmoothed, the flicker frame reads sad"
    assert set(labels(0.2, pattern)) == {"happy"}


def test_a_lasting_change_comes_through_after_the_window() -> None:
    got = labels(0.2, [False] * 10 + [True] * 20)
    assert got[:10] == ["happy"] * 10
    assert got[-1] == "sad"
    first_sad = got.index("sad")
    # 0.2 s at 30 fps: the new reading wins once it is most of the 7 frames averaged
    assert 10 < first_sad <= 10 + 7


def test_frames_farther_apart_than_the_window_are_read_alone() -> None:
    pattern = [False, True, False, True]
    assert labels(0.2, pattern, fps=1.0) == ["happy", "sad", "happy", "sad"]


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
