"""The real detector and classifier on real faces, against recorded figures.

Recorded on the development machine (see docs/accuracy.md): FER2013 PublicTest accuracy
0.652 (3,589 faces); London set, one photo per person, with the default crop: smiling photos
classified happy 52/102, neutral photos classified neutral 98/102."""

from __future__ import annotations

from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.vision.models import KNOWN_SHA256, sha256_of

#: The FER2013 Mini-Xception, whatever the default model is: its recorded figures below.
CONFIG = with_overrides(Config(), {"classifier.model": "emotion_mini_xception_f32"})


def test_shipped_models_are_the_recorded_files() -> None:
    for name, digest in KNOWN_SHA256.items():
        assert sha256_of(CONFIG.resolve_model(f"models/{name}")) == digest
