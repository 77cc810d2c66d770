"""The geometry stage in the pipeline: sampling and max age, fusion with a geometry head
(before each person's baseline), false faces dropped by the landmark model's presence score,
small and cut faces kept without geometry, and what reaches the log."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from pipelines import MODELS, frames, geometry, run_steps, write_head

from streamfer.batch.manifest import settings_hash
from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.core.errors import ConfigError, ModelError
from streamfer.core.frames import Box, Detection, Frame, Image
from streamfer.evaluation.predictions import settings_digest
from streamfer.method.geometry_window import GeometryWindow
from streamfer.pipeline.results import StepResult
from streamfer.pipeline.stages import FramePipeline
from streamfer.session.events import GEOMETRY_FIELDS, Emotion, FrameRecord
from streamfer.session.step_records import step_records
from streamfer.sources import demo
from streamfer.vision.blazeface import BlazeFaceDetector
from streamfer.vision.geometry_head import GeometryHead, fuse
from streamfer.vision.modelcard import read_card


def test_the_sidecar_names_the_head_and_auto_follows_it(model_with_head: Path) -> None:
    card = read_card(model_with_head)
    assert (card.geometry_head, card.geometry_weight) == ("tiny_head.json", 0.4)
    assert read_card(MODELS / "emotion_mini_ferplus2.tflite").geometry_head is None
    config = with_overrides(Config(), {"classifier.model": str(model_with_head)})
    assert config.geometry.enabled == "auto" and config.geometry_on()
    assert Config().geometry_on(), "the default model has a head: auto is on"
    old = with_overrides(Config(), {"classifier.model": "emotion_mini_ferplus2"})
    assert not old.geometry_on(), "an older model without a head: auto is off"
    assert not geometry(config, enabled=False).geometry_on()
    assert geometry(Config(), enabled=True).geometry_on()


def test_a_bad_enabled_value_is_a_one_line_error() -> None:
    with pytest.raises(
        ConfigError, match=r"geometry.enabled = 'yes' is not true, false or \"auto\""
    ):
        with_overrides(Config(), {"geometry.enabled": "yes"})
    with pytest.raises(ConfigError, match=r"geometry\.interval_seconds"):
        with_overrides(Config(), {"geometry.interval_seconds": -0.1})


def test_a_head_for_other_classes_is_refused(model_with_head: Path) -> None:
    write_head(model_with_head.parent, ("angry", "disgust", "fear", "happy", "sad", "neutral"))
    config = with_overrides(Config(), {"classifier.model": str(model_with_head)})
    with pytest.raises(ModelError, match="but the emotion model emotion_mini_ferplus2 gives"):
        FramePipeline(config)


def test_the_head_is_fused_before_the_baseline(model_with_head: Path) -> None:
    config = with_overrides(
        Config(), {"classifier.model": str(model_with_head), "classifier.smooth_seconds": 0.0}
    )
    alone = run_steps(FramePipeline(geometry(config, enabled=False)), frames(10))
    pipeline = FramePipeline(config)
    head = GeometryHead.load(model_with_head.parent / "tiny_head.json")
    read_inputs: list[npt.NDArray[np.float32]] = []
    original = pipeline.baselines.read

    def spy(track: int, t: float, probs: npt.NDArray[np.float32]) -> Any:
        read_inputs.append(probs)
        return original(track, t, probs)

    pipeline.baselines.read = spy  # type: ignore[method-assign]
    fused = run_steps(pipeline, frames(10))
    checked = 0
    for before, after, given in zip(alone, fused, read_inputs, strict=True):
        cnn, face = before.frame.faces[0], after.frame.faces[0]
        g = face.geometry
        assert g is not None, "a 150-pixel face has geometry on every frame"
        expected = fuse(cnn.probs, head.predict(g.blendshapes, (g.yaw, g.pitch, g.roll)), 0.4)
        assert np.allclose(given, expected, atol=1e-6) and np.allclose(face.probs, expected)
        assert not np.allclose(face.probs, cnn.probs, atol=1e-3)
        checked += 1
    assert checked == 10 and len(alone) == 10


def test_samples_are_fresh_on_their_frames_and_stand_for_the_next() -> None:
    steps = run_steps(FramePipeline(geometry(Config(), enabled=True)), frames(20))
    fresh = [s.frame.frame_index for s in steps if s.frame.faces[0].geometry_fresh]
    assert fresh == [0, 6, 12, 18], "every 0.2 s"
    assert all(s.frame.faces[0].geometry is not None for s in steps)
    assert steps[3].frame.faces[0].geometry is steps[1].frame.faces[0].geometry
    young = run_steps(
        FramePipeline(geometry(Config(), enabled=True, max_age_seconds=0.0)), frames(8)
    )
    assert [s.frame.faces[0].geometry is not None for s in young] == [
        True, False, False, False, False, False, True, False
    ]  # fmt: skip


def test_off_means_no_geometry_anywhere() -> None:
    pipeline = FramePipeline(geometry(Config(), enabled=False))
    steps = run_steps(pipeline, frames(3))
    assert pipeline.geometry is None and pipeline.geometry_counts() is None
    assert all(f.geometry is None and not f.geometry_fresh for s in steps for f in s.frame.faces)


class Scripted:
    """The same detections on every frame."""

    def __init__(self, detections: list[Detection]) -> None:
        self.detections = detections

    def detect(self, image: Image, t: float) -> list[Detection]:
        return list(self.detections)

    def close(self) -> None:
        pass


class Fixed:
    classes: tuple[str, ...] = ("happy", "neutral")
    input_size = 64

    def classify(self, crop: object) -> np.ndarray:
        return np.array([0.8, 0.2], dtype=np.float32)


@pytest.fixture(scope="module")
def scene() -> tuple[Image, Detection]:
    """A 640x480 frame: the portrait's face on the left, camera noise on the right."""
    canvas = np.random.default_rng(3).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    face = cv2.resize(demo.grace_hopper(), (300, 352))
    canvas[64:416, 0:300] = face
    found = BlazeFaceDetector(MODELS / "blazeface_short_range.tflite").detect(canvas)
    assert len(found) == 1 and found[0].box.x < 300
    return canvas, found[0]


def scripted_steps(
    scene: tuple[Image, Detection], extra: list[Detection], count: int = 12, drop: bool = False
) -> tuple[FramePipeline, list[StepResult]]:
    image, real = scene
    config = geometry(Config(), enabled=True, drop_false_faces=drop)
    pipeline = FramePipeline(config, detector=Scripted([real, *extra]), classifier=Fixed())
    steps = run_steps(pipeline, [Frame(i, i / 30.0, image, 0.0) for i in range(count)])
    return pipeline, steps


def test_a_false_face_is_dropped_and_counted_the_real_one_kept(
    scene: tuple[Image, Detection],
) -> None:
    noise = Detection(Box(400, 150, 160, 160), 0.6, (440.0, 200.0), (520.0, 200.0))
    pipeline, steps = scripted_steps(scene, [noise], drop=True)
    assert all([f.track for f in s.frame.faces] == [1] for s in steps), "only the real face"
    assert all(s.live_tracks == (1, 2) for s in steps), "the tracker still holds the false one"
    counts = pipeline.geometry_counts()
    assert counts is not None and counts["dropped_faces"] == 12
    assert counts["skipped"]["presence"] == 3, "tried on frames 0 and 1 (confirm), then 7"
    logged = dataclasses.replace(Config(), log=dataclasses.replace(Config().log, frames=True))
    record = step_records(steps[0], logged, Fixed.classes)[0]
    assert isinstance(record, FrameRecord) and [f.track for f in record.faces] == [1]


def test_by_default_a_face_the_landmark_model_rejects_keeps_its_emotion(
    scene: tuple[Image, Detection],
) -> None:
    noise = Detection(Box(400, 150, 160, 160), 0.6, (440.0, 200.0), (520.0, 200.0))
    pipeline, steps = scripted_steps(scene, [noise])
    assert all([f.geometry is None for f in s.frame.faces] == [False, True] for s in steps)
    counts = pipeline.geometry_counts()
    assert counts is not None and counts["dropped_faces"] == 0
    assert counts["skipped"]["presence"] == 2, "tried at 0 and 0.2 s"


def test_small_and_cut_faces_are_kept_without_geometry(scene: tuple[Image, Detection]) -> None:
    image, real = scene
    small = Detection(Box(330, 20, 40, 40), 0.7, (340.0, 35.0), (360.0, 35.0))
    # the real face's box moved so that 40 % of it lies beyond the left edge
    b = real.box
    cut = Detection(
        Box(-0.4 * b.w, b.y, b.w, b.h), 0.8, (0.0, b.y + 0.4 * b.h), (0.3 * b.w, b.y + 0.4 * b.h)
    )
    pipeline, steps = scripted_steps(scene, [small], count=3)
    assert [f.geometry is None for f in steps[-1].frame.faces] == [False, True]
    counts = pipeline.geometry_counts()
    assert counts is not None and counts["skipped"]["small"] == 1 and counts["dropped_faces"] == 0
    canvas = np.ascontiguousarray(np.roll(image, -int(0.4 * b.w + b.x), axis=1))
    config = geometry(Config(), enabled=True, drop_false_faces=True)  # its presence is judged
    pipeline = FramePipeline(config, detector=Scripted([cut]), classifier=Fixed())
    steps = run_steps(pipeline, [Frame(i, i / 30.0, canvas, 0.0) for i in range(2)])
    assert [[f.geometry for f in s.frame.faces] for s in steps] == [[None], [None]]
    counts = pipeline.geometry_counts()
    assert counts is not None and counts["skipped"]["edge"] == 2, "a face still, not dropped"


def test_the_log_carries_fresh_geometry_and_window_summaries() -> None:
    config = geometry(Config(), enabled=True, log_landmarks=True)
    config = dataclasses.replace(config, log=dataclasses.replace(config.log, frames=True))
    steps = run_steps(FramePipeline(config), frames(40))
    emotions = config.emotions()
    records = [r for s in steps for r in step_records(s, config, emotions)]
    faces = [r.faces[0] for r in records if isinstance(r, FrameRecord)]
    measured = [f for f in faces if f.head_pose is not None]
    assert len(measured) == 7 and len(faces) == 40
    face = measured[0].to_json()
    assert list(face)[-4:] == ["blendshapes", "head_pose", "presence", "landmarks"]
    assert len(face["blendshapes"]) == 52 and set(face["head_pose"]) == {"yaw", "pitch", "roll"}
    assert len(face["landmarks"]) == 478 and len(face["landmarks"][0]) == 3
    assert set(faces[3].to_json()).isdisjoint(GEOMETRY_FIELDS), "frame 3 was not measured"
    verdicts = [r for r in records if isinstance(r, Emotion)]
    assert verdicts, "40 frames fill a window"
    line = verdicts[-1].to_json()
    assert line["geometry_frames"] == 6 and set(line["head_pose"]) == {"yaw", "pitch", "roll"}
    assert len(line["blendshapes_moved"]) == 4 and "_neutral" not in line["blendshapes_moved"]


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


def test_geometry_changes_the_cache_key_and_the_analysis_hash(model_with_head: Path) -> None:
    plain = with_overrides(Config(), {"classifier.model": "emotion_mini_ferplus2"})
    on = geometry(plain, enabled=True)
    assert settings_digest(geometry(plain, enabled=False)) == settings_digest(plain)
    assert settings_digest(on) != settings_digest(plain)
    assert settings_hash(on) != settings_hash(plain)
    with_head = with_overrides(Config(), {"classifier.model": str(model_with_head)})
    before = settings_digest(with_head)
    write_head(model_with_head.parent, tuple(with_head.emotions()[::-1]))  # another head
    assert settings_digest(with_head) != before
