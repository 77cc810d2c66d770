"""The shipped model files (``streamfer.vision.models``) are the recorded ones."""

from __future__ import annotations

from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.vision.models import KNOWN_SHA256, sha256_of

CONFIG = with_overrides(Config(), {"classifier.model": "emotion_mini_xception_f32"})


def test_shipped_models_are_the_recorded_files() -> None:
    for name, digest in KNOWN_SHA256.items():
        assert sha256_of(CONFIG.resolve_model(f"models/{name}")) == digest
