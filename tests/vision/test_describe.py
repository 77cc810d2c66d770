"""The face describer of re-identification (``streamfer.vision.describe``) with its real model:
unit-length descriptions that match the same face elsewhere in the frame."""

from __future__ import annotations

import dataclasses

import numpy as np
from clips import ROOT, portrait_frames

from streamfer.config.load import load, with_overrides
from streamfer.core.frames import Frame
from streamfer.pipeline.stages import FramePipeline
from streamfer.vision.describe import DESCRIBER_MODEL, FaceDescriber, eye_crop


def test_the_describer_gives_unit_descriptions_that_match_the_same_face() -> None:
    config = load(None, ROOT)
    describer = FaceDescriber(config.resolve_model(DESCRIBER_MODEL))
    pipeline = FramePipeline(with_overrides(config, {"geometry.enabled": False}))
    try:
        a, b = portrait_frames()
        da, db = (pipeline.detect(Frame(0, 0.0, f, 0.0)).faces[0] for f in (a, b))
        crop = eye_crop(a, da, describer.input_size)
        assert crop is not None and crop.shape == (224, 224, 3)
        va, vb = describer.describe(a, da), describer.describe(b, db)
        assert va is not None and vb is not None and va.shape == (1024,)
        assert abs(float(np.linalg.norm(va)) - 1) < 1e-4
        assert float(va @ vb) > 0.9  # the same face elsewhere in the frame
        no_eyes = dataclasses.replace(da, right_eye=None)
        assert describer.describe(a, no_eyes) is None
    finally:
        pipeline.close()
