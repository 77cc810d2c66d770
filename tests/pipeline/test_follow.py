"""Detecting less often (``[detector] detect_every_frames``): the schedule, following a face
from its landmarks, and, with the real models on the demo's frames, the same faces and people
as detection on every frame, a new face found within the stated number of frames, and the
same results on one thread as with the stages before the CNN on their own."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np
import pytest

from streamfer.config.settings import Config
from streamfer.core.frames import Box, Detection, Frame
from streamfer.pipeline.results import StepResult
from streamfer.pipeline.run import run
from streamfer.pipeline.stages import FramePipeline
from streamfer.sources import demo
from streamfer.vision.track import DetectionSchedule, moved_to


def face(x: float = 100.0, w: float = 100.0) -> Detection:
    return Detection(
        Box(x, 100.0, w, w),
        0.9,
        right_eye=(x + 0.3 * w, 140.0),
        left_eye=(x + 0.7 * w, 140.0),
        nose=(x + 0.5 * w, 160.0),
        mouth=(x + 0.5 * w, 180.0),
    )


def test_every_frame_is_detected_with_one() -> None:
    schedule = DetectionSchedule(1)
    for i in range(5):
        assert schedule.held(i / 30) is None
        schedule.detection((face(),))
    assert (schedule.detected, schedule.followed) == (5, 0)


def test_faces_are_followed_between_detections() -> None:
    schedule = DetectionSchedule(3)
    seen = []
    for i in range(7):
        held = schedule.held(i / 30)
        seen.append(held is None)
        if held is None:
            schedule.detection((face(),))
    assert seen == [True, False, False, True, False, False, True]


def test_an_empty_view_is_detected_every_frame() -> None:
    schedule = DetectionSchedule(5)
    for i in range(4):
        assert schedule.held(i / 30) is None
        schedule.detection(())
    schedule.detection((face(),))
    assert schedule.held(5 / 30) == (face(),)


def test_a_gone_face_or_a_new_input_makes_the_next_frame_detected() -> None:
    schedule = DetectionSchedule(5)
    assert schedule.held(0.0) is None
    schedule.detection((face(),))
    assert schedule.held(0.1) is not None
    schedule.detect_next()
    assert schedule.held(0.2) is None
    schedule.detection((face(),))
    assert schedule.held(0.3) is not None
    assert schedule.held(0.0) is None  # time went back: another input


def test_a_moved_face_is_followed_in_its_new_place() -> None:
    schedule = DetectionSchedule(4)
    schedule.held(0.0)
    schedule.detection((face(),))
    schedule.follow((face(x=150.0),))
    assert schedule.held(0.1) == (face(x=150.0),)
    assert schedule.held(0.2) == (face(x=150.0),)
    assert schedule.held(0.3) == (face(x=150.0),)
    assert schedule.held(0.4) is None  # the detection stays due after 4 frames


def test_moved_to_keeps_the_box_when_the_eyes_stayed() -> None:
    d = face()
    assert moved_to(d, (131.0, 141.0), (171.0, 139.0), 0.1) is None


def test_moved_to_moves_and_scales_the_box_with_the_eyes() -> None:
    d = face()
    moved = moved_to(d, (160.0, 150.0), (200.0, 150.0), 0.1)  # 30 px right, 10 down
    assert moved is not None
    assert (moved.box.x, moved.box.y, moved.box.w) == pytest.approx((130.0, 110.0, 100.0))
    assert moved.right_eye == pytest.approx((160.0, 150.0))
    bigger = moved_to(d, (120.0, 140.0), (180.0, 140.0), 0.1)  # eyes 1.5 times apart
    assert bigger is not None
    assert bigger.box.w == pytest.approx(150.0)
    assert bigger.box.x + bigger.box.w / 2 == pytest.approx(150.0)  # same centre
    no_eyes = Detection(Box(0, 0, 10, 10), 0.9)
    assert moved_to(no_eyes, (1.0, 1.0), (5.0, 1.0), 0.1) is None


def config(every: int, own_thread: bool = False) -> Config:
    c = Config()
    return dataclasses.replace(
        c,
        detector=dataclasses.replace(c.detector, detect_every_frames=every, own_thread=own_thread),
    )


def arrival_frames(count: int) -> Iterator[Frame]:
    """The demo from 5.5 s at 30 fps: one face, then (at 6.0 s) a second joins."""
    for i in range(count):
        t = 5.5 + i / 30
        yield Frame(i, t, demo.demo_frame(t), 0.0)


def steps_of(cfg: Config, count: int) -> list[StepResult]:
    pipeline = FramePipeline(cfg)
    steps: list[StepResult] = []
    try:
        processed, _ = run(arrival_frames(count), pipeline, steps.append)
    finally:
        pipeline.close()
    assert processed == count
    return steps


EVERY = 4
FRAMES = 30


@pytest.fixture(scope="module")
def every_frame() -> list[StepResult]:
    return steps_of(config(1), FRAMES)


def test_the_same_faces_and_people_as_detection_on_every_frame(
    every_frame: list[StepResult],
) -> None:
    followed = steps_of(config(EVERY), FRAMES)
    base_counts = [len(s.frame.faces) for s in every_frame]
    counts = [len(s.frame.faces) for s in followed]
    arrival = base_counts.index(2)
    assert 0 < arrival < FRAMES - EVERY, "the clip should show the second face arriving"
    late = counts.index(2) - arrival
    assert 0 <= late < EVERY  # found within the frames between detections
    assert counts[:arrival] == base_counts[:arrival]
    assert counts[arrival + late :] == base_counts[arrival + late :]
    people = {f.track for s in followed for f in s.frame.faces}
    assert people == {f.track for s in every_frame for f in s.frame.faces}
    # the boxes stay on the faces: every followed face overlaps its every-frame box
    for base, step in zip(every_frame[arrival + late :], followed[arrival + late :], strict=True):
        boxes = {f.track: f.detection.box for f in base.frame.faces}
        for f in step.frame.faces:
            assert f.detection.box.iou(boxes[f.track]) > 0.7
    labels = [
        (a.emotion_index == b.emotion_index)
        for s0, s1 in zip(every_frame, followed, strict=True)
        for a, b in zip(s0.frame.faces, s1.frame.faces, strict=False)
        if a.track == b.track
    ]
    assert np.mean(labels) > 0.9


def test_following_gives_the_same_results_on_one_thread_and_two() -> None:
    one = steps_of(config(EVERY, own_thread=False), 20)
    two = steps_of(config(EVERY, own_thread=True), 20)

    def rows(steps: list[StepResult]) -> list[object]:
        return [
            [(f.track, f.detection.box, tuple(np.round(f.probs, 6))) for f in s.frame.faces]
            for s in steps
        ]

    assert rows(one) == rows(two)


def test_a_box_that_no_longer_holds_its_face_is_detected_at_once() -> None:
    portrait = demo.demo_frame(1.0)
    blank = np.full_like(portrait, 128)
    schedule = DetectionSchedule(4)
    assert schedule.held(0.0, portrait) is None
    schedule.detection((face(x=250.0, w=150.0),), portrait)
    assert schedule.held(1 / 30, portrait) is not None  # still there: followed
    assert schedule.held(2 / 30, blank) is None  # gone: detected
    assert schedule.forced == 1


def test_a_frame_long_after_the_last_is_detected() -> None:
    schedule = DetectionSchedule(4)
    schedule.held(0.0)
    schedule.detection((face(),))
    assert schedule.held(1.0) is None  # a photo after a photo, a stalled source
