"""The real detector and classifier on real faces, against recorded figures.

Recorded on the development machine (see docs/accuracy.md): FER2013 PublicTest accuracy
0.652 (3,589 faces); London set, one photo per person, with the default crop: smiling photos
classified happy 52/102, neutral photos classified neutral 98/102.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.core.errors import ModelError
from streamfer.core.frames import Frame
from streamfer.core.labels import EMOTIONS
from streamfer.pipeline.stages import FramePipeline
from streamfer.sources.demo import grace_hopper
from streamfer.vision.blazeface import BlazeFaceDetector
from streamfer.vision.classify import TFLiteEmotionClassifier
from streamfer.vision.models import KNOWN_SHA256, sha256_of

#: The FER2013 Mini-Xception, whatever the default model is: its recorded figures below.
CONFIG = with_overrides(Config(), {"classifier.model": "emotion_mini_xception_f32"})


@pytest.fixture(scope="module")
def classifier() -> TFLiteEmotionClassifier:
    return TFLiteEmotionClassifier(CONFIG.emotion_model_path())


def test_shipped_models_are_the_recorded_files() -> None:
    for name, digest in KNOWN_SHA256.items():
        assert sha256_of(CONFIG.resolve_model(f"models/{name}")) == digest


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


def test_detector_finds_nothing_in_an_empty_frame() -> None:
    with BlazeFaceDetector(CONFIG.resolve_model(CONFIG.detector.model)) as detector:
        assert detector.detect(np.full((240, 320, 3), 90, np.uint8), 0.0) == []


@pytest.mark.parametrize("content", [b"", b"not a model at all, just text"])
def test_corrupt_model_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(content)
    with pytest.raises(ModelError, match="not a TFLite file"):
        TFLiteEmotionClassifier(bad)
    with pytest.raises(ModelError, match="not a TFLite file"):
        BlazeFaceDetector(bad)
    with pytest.raises(ModelError, match="not found"):
        TFLiteEmotionClassifier(tmp_path / "missing.tflite")


@pytest.mark.needs_shared_data
def test_fer2013_publictest_accuracy(
    classifier: TFLiteEmotionClassifier, shared_data: Callable[..., Path]
) -> None:
    data = np.load(shared_data("fer2013_publictest.npz"))
    images, labels = data["images"], data["labels"]
    predictions = np.array(
        [classifier.classify(cv2.resize(im, (64, 64))).argmax() for im in images]
    )
    accuracy = float((predictions == labels).mean())
    assert len(labels) == 3589
    assert accuracy == pytest.approx(0.652, abs=0.005)


@pytest.mark.needs_shared_data
def test_london_smiling_and_neutral_rates(shared_data: Callable[..., Path]) -> None:
    root = shared_data("london_faces")
    rates = {}
    for folder, expected in (("smiling", "happy"), ("neutral", "neutral")):
        hits = total = 0
        for path in sorted((root / folder).glob("*.jpg")):
            pipeline = FramePipeline(CONFIG)  # a fresh tracker for each still
            try:
                faces = pipeline.process(Frame(0, 0.0, cv2.imread(str(path)), 0.0)).frame.faces
            finally:
                pipeline.close()
            total += 1
            hits += bool(faces) and EMOTIONS[faces[0].emotion_index] == expected
        rates[folder] = hits / total
    assert rates["smiling"] == pytest.approx(52 / 102, abs=0.06)
    assert rates["neutral"] == pytest.approx(98 / 102, abs=0.04)
