"""The frame pipeline (``streamfer.pipeline.stages.FramePipeline``): one real face found and
read; the group label's tie rule (label order, neutral last), with a scripted detector (two
faces, always in the same places) and a scripted classifier (a fixed emotion per face, told
apart by the crop's brightness); a returning person given their number back; a baseline asked
for with nobody in view."""

from __future__ import annotations

import time
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from clips import ROOT, portrait_frames

from streamfer.config.load import load, with_overrides
from streamfer.config.settings import Config
from streamfer.core.frames import Box, Detection, Frame, Image
from streamfer.core.labels import EMOTIONS
from streamfer.pipeline.stages import FramePipeline
from streamfer.sources.demo import grace_hopper

LEFT, RIGHT = Box(10, 10, 60, 60), Box(120, 10, 60, 60)
#: The FER2013 Mini-Xception, whatever the default model is (its figures: tests/test_accuracy.py)
CONFIG = with_overrides(Config(), {"classifier.model": "emotion_mini_xception_f32"})


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


def run_frames(pipeline: FramePipeline, frames: list[np.ndarray]) -> list[Any]:
    return [
        pipeline.process(Frame(i, i / 30, image, time.monotonic()))
        for i, image in enumerate(frames)
    ]


def test_the_pipeline_gives_a_returning_face_its_number_and_says_so() -> None:
    config = with_overrides(load(None, ROOT), {"geometry.enabled": False})
    a, b = portrait_frames()
    blank = np.full_like(a, 128)
    pipeline = FramePipeline(config)
    try:
        steps = run_frames(pipeline, [a] * 10 + [blank] * 30 + [b] * 10)
    finally:
        pipeline.close()
    tracks = [f.track for s in steps for f in s.frame.faces]
    assert set(tracks) == {1}
    returns = [r for s in steps for r in s.returns]
    assert [(r.track, round(r.after, 2)) for r in returns] == [(1, round(31 / 30, 2))]
    assert 1 in steps[30].remembered  # out of view, remembered
    off = with_overrides(config, {"tracker.reidentify": False})
    pipeline = FramePipeline(off)
    try:
        assert pipeline.describer is None
        steps = run_frames(pipeline, [a] * 10 + [blank] * 30 + [b] * 10)
    finally:
        pipeline.close()
    assert {f.track for s in steps for f in s.frame.faces} == {1, 2}  # as before: a new person


@pytest.mark.needs_shared_data
def test_a_different_person_gets_a_new_number(shared_data: Any) -> None:
    config = with_overrides(load(None, ROOT), {"geometry.enabled": False})
    london = shared_data("london_faces")
    frames = []
    for name in ("neutral/001_03.jpg", "neutral/002_03.jpg", "smiling/001_08.jpg"):
        photo = cv2.resize(cv2.imread(str(london / name)), (300, 300))
        frame = np.full((480, 640, 3), 128, np.uint8)
        frame[90:390, 170:470] = photo
        frames += [frame] * 8 + [np.full_like(frame, 128)] * 20
    pipeline = FramePipeline(config)
    try:
        steps = run_frames(pipeline, frames)
    finally:
        pipeline.close()
    firsts = [steps[k].frame.faces[0].track for k in (0, 28, 56)]
    assert firsts == [1, 2, 1]  # person 2 is new; person 1 comes back smiling


def test_pressing_b_with_nobody_in_view_is_said() -> None:
    pipeline = FramePipeline(with_overrides(Config(), {"geometry.enabled": False}))
    try:
        assert pipeline.request_baseline()
        step = pipeline.process(Frame(0, 0.0, np.full((480, 640, 3), 128, np.uint8), 0.0))
    finally:
        pipeline.close()
    assert [(m.track, m.reason) for m in step.baselines_missed] == [(None, "no face in view")]


def test_grace_hopper_one_face_level_eyes_neutral() -> None:
    pipeline = FramePipeline(CONFIG)
    try:
        step = pipeline.process(Frame(0, 0.0, grace_hopper(), time.monotonic()))
    finally:
        pipeline.close()
    assert len(step.frame.faces) == 1
    face = step.frame.faces[0]
    box = face.detection.box
    assert 150 < box.w < 260 and face.detection.score > 0.8
    assert face.probs.sum() == pytest.approx(1.0, abs=1e-4)
    assert EMOTIONS[face.emotion_index] == "neutral"
    assert abs(face.valence) < 0.3
