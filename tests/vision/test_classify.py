"""The emotion classifier (``streamfer.vision.classify``): every shipped model runs as its
sidecar says; a model without a sidecar, or not a TFLite file, is a clear error."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from clips import ROOT

from streamfer.core.errors import ModelError
from streamfer.vision.blazeface import BlazeFaceDetector
from streamfer.vision.classify import TFLiteEmotionClassifier

SHIPPED = sorted((ROOT / "models").glob("emotion_*.json"))


@pytest.mark.parametrize("sidecar", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_model_matches_its_sidecar(sidecar: Path) -> None:
    classifier = TFLiteEmotionClassifier(sidecar.with_suffix(".tflite"))
    card = classifier.card
    assert card.name == sidecar.stem
    assert classifier.classes[-1] == "neutral" and len(classifier.classes) in (7, 8)
    crop = np.full((card.size, card.size), 128, np.uint8)
    probs = classifier.classify(crop)
    assert probs.shape == (len(card.classes),) and probs.sum() == pytest.approx(1.0, abs=1e-4)


def test_the_fer2013_model_and_a_newer_one_are_shipped() -> None:
    names = {p.stem for p in SHIPPED}
    assert "emotion_mini_xception_f32" in names  # kept so older logs reproduce
    assert len(names) >= 2


def test_a_model_without_sidecar_is_a_clear_error(tmp_path: Path) -> None:
    model = tmp_path / "lonely.tflite"
    shutil.copy(ROOT / "models" / "emotion_mini_xception_f32.tflite", model)
    with pytest.raises(ModelError, match=r"no sidecar lonely\.json"):
        TFLiteEmotionClassifier(model)


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
