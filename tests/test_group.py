"""The group label follows the same tie rule as a person's window (label order, neutral last).

The pipeline runs with a scripted detector (two faces, always in the same places) and a
scripted classifier (a fixed emotion per face, told apart by the crop's brightness).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from streamfer.config.settings import Config
from streamfer.core.frames import Box, Detection, Frame, Image
from streamfer.core.labels import EMOTIONS
from streamfer.pipeline.stages import FramePipeline

LEFT, RIGHT = Box(10, 10, 60, 60), Box(120, 10, 60, 60)


class TwoFaces:
    def detect(self, image: Image, t: float) -> list[Detection]:
        return [Detection(LEFT, 0.9), Detection(RIGHT, 0.9)]

    def close(self) -> None:
        pass


class ByBrightness:
    """The left face (dark) shows ``left``, the right face (bright) shows ``right``."""

    classes = EMOTIONS
    input_size = 64

    def __init__(self, left: str, right: str) -> None:
        self.left, self.right = EMOTIONS.index(left), EMOTIONS.index(right)

    def classify(self, crop: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        probs = np.full(7, 0.05, dtype=np.float32)
        probs[self.left if crop.mean() < 128 else self.right] = 0.7
        return probs


def image() -> Image:
    frame = np.zeros((80, 200, 3), dtype=np.uint8)
    frame[:, 100:] = 255
    return frame


@pytest.mark.parametrize(
    ("left", "right", "group"),
    [
        ("neutral", "happy", "happy"),  # schema 1 gave neutral here
        ("sad", "happy", "happy"),  # happy comes before sad
        ("angry", "sad", "angry"),
        ("neutral", "neutral", "neutral"),
    ],
)
def test_group_ties_go_to_label_order(left: str, right: str, group: str) -> None:
    config = Config()
    pipeline = FramePipeline(config, detector=TwoFaces(), classifier=ByBrightness(left, right))
    groups = []
    for i in range(40):
        step = pipeline.process(Frame(i, i / 10, image(), 0.0))
        if step.group is not None:
            groups.append(step.group)
    assert groups
    for g in groups:
        assert g.label == group and g.tracks == (1, 2)
        assert sum(g.shares.values()) == pytest.approx(1.0)
