"""The LSL streams' layout, without pylsl (``streamfer.outputs.lsl_layout``): names, ids,
channels and samples with and without the geometry stage's values, and the clock map."""

from __future__ import annotations

import math

import numpy as np

from streamfer.api.results import HeadPose, face_of
from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.core.frames import Box, Detection
from streamfer.outputs import lsl_layout as layout
from streamfer.pipeline.results import FaceResult
from streamfer.vision.geometry import FaceGeometry


def test_stream_layout_without_pylsl() -> None:
    """Names, ids, channels and samples, with and without the geometry stage's values."""
    assert layout.source_id("lab-pc", "camera 0", 1) == layout.source_id("lab-pc", "camera 0", 1)
    assert layout.source_id("lab-pc", "camera 0", 1) != layout.source_id("lab-pc", "camera 0", 2)
    assert layout.source_id("lab-pc", "camera 0", None) != layout.source_id("pi", "camera 0", None)
    assert layout.stream_name("sf", "session-1", 2) == "sf session-1 person 2"
    assert layout.stream_name("sf", "session-1", None) == "sf session-1 markers"
    assert layout.geometry_on(Config()), '"auto", and the default model has a head'
    old = with_overrides(Config(), {"classifier.model": "emotion_mini_ferplus2"})
    assert not layout.geometry_on(old), '"auto", and this older model has none'
    assert layout.geometry_on(with_overrides(Config(), {"geometry.enabled": True}))
    channels = layout.face_channels(("happy", "neutral"), geometry=True)
    names = [c.label for c in channels]
    assert names[:4] == ["happy", "neutral", "valence", "arousal"] and len(names) == 4 + 52 + 3
    assert names[4] == "_neutral" and names[-3:] == ["yaw", "pitch", "roll"]
    assert [c.unit for c in channels][-3:] == ["degrees"] * 3
    face = FaceResult(1, Detection(Box(0, 0, 10, 10), 0.9), np.array([0.75, 0.25]), 0.5, 0.1)
    assert layout.face_sample(face, geometry=False) == [0.75, 0.25, 0.5, 0.1]
    without = layout.face_sample(face, geometry=True)
    assert without[:4] == [0.75, 0.25, 0.5, 0.1] and all(math.isnan(v) for v in without[4:])
    shapes = np.linspace(0, 1, 52, dtype=np.float32)
    geometry = FaceGeometry(np.zeros((478, 3), np.float32), shapes, 10.0, -5.0, 1.0, 0.99, None)  # type: ignore[arg-type]
    object.__setattr__(face, "geometry", geometry)  # as FaceResult will carry it
    sample = layout.face_sample(face, geometry=True)
    assert np.allclose(sample[4:-3], shapes) and sample[-3:] == [10.0, -5.0, 1.0]
    api_face = face_of(face, ("happy", "neutral"))  # the API's Face carries it too
    assert api_face.blendshapes == geometry.blendshape_dict() and len(api_face.blendshapes) == 52
    assert api_face.head_pose == HeadPose(10.0, -5.0, 1.0)


def test_the_clock_map_takes_the_offset_of_the_two_clocks() -> None:
    ticks = iter(range(100))
    clock = layout.ClockMap(lambda: 1000.0 + next(ticks) * 0.0, lambda: 5.0)
    assert clock.offset == 995.0 and clock.lsl_time(6.5) == 1001.5
