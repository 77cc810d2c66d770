"""Model sidecars (``streamfer.vision.modelcard``): values read, not assumed; bad sidecars, and
a sidecar that disagrees with its model, refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from clips import ROOT

from streamfer.core.errors import ModelError
from streamfer.core.labels import (
    EMOTIONS_8,
)
from streamfer.vision.classify import TFLiteEmotionClassifier
from streamfer.vision.modelcard import ModelCard, read_card


def _card(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "m",
        "input": {"height": 48, "width": 48, "channels": 1, "scale": 0.5, "offset": -1.0},
        "classes": list(EMOTIONS_8),
        "crop": {"margin": 0.1, "align_eyes": False},
    }
    data.update(changes)
    return data


def test_sidecar_values_are_read_not_assumed() -> None:
    card = ModelCard.from_dict(_card())
    assert (card.size, card.scale, card.offset, card.classes) == (48, 0.5, -1.0, EMOTIONS_8)
    assert card.crop.margin == 0.1 and card.crop.align_eyes is False


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"classes": ["happy", "neutral", "sad"]}, "end with neutral"),
        ({"classes": ["happy", "pride", "neutral"]}, "unknown class"),
        ({"classes": ["happy", "happy", "neutral"]}, "repeat"),
        ({"input": {"height": 48, "width": 40, "scale": 1, "offset": 0}}, "square"),
        ({"crop": {"margin": 0.0, "also": [{"margin": 1.5, "align_eyes": False}]}}, "margin"),
        ({"crop": {"margin": 0.0, "also": [{"align_eyes": False}]}}, "margin"),
    ],
)
def test_bad_sidecars_are_refused(tmp_path: Path, changes: dict[str, object], message: str) -> None:
    model = tmp_path / "m.tflite"
    shutil.copy(ROOT / "models" / "emotion_mini_xception_f32.tflite", model)
    (tmp_path / "m.json").write_text(json.dumps(_card(**changes)))
    read_card.cache_clear()
    with pytest.raises(ModelError, match=message):
        read_card(model)


def test_a_sidecar_that_disagrees_with_the_model_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "m.tflite"
    shutil.copy(ROOT / "models" / "emotion_mini_xception_f32.tflite", model)
    (tmp_path / "m.json").write_text(json.dumps(_card()))  # 48x48, 8 classes: the file is 64, 7
    read_card.cache_clear()
    with pytest.raises(ModelError, match="sidecar says"):
        TFLiteEmotionClassifier(model)
