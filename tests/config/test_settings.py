"""What a Config takes from the emotion model it names (``streamfer.config.settings``): the crop
(from the model's sidecar, or the config's own in its place) and the geometry stage's "auto",
which follows a sidecar that names a geometry head."""

from __future__ import annotations

import os
from pathlib import Path

from pipelines import MODELS, geometry, model_with_further_crop

from streamfer.config import load as cfg
from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.core.labels import (
    EMOTIONS,
)
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


def test_config_names_a_model_and_its_crop_comes_from_the_sidecar(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[classifier]\nmodel = "emotion_mini_xception_f32"\n')
    config = cfg.load(path)
    assert config.emotion_model_path().name == "emotion_mini_xception_f32.tflite"
    assert config.emotions() == EMOTIONS
    own = config.emotion_model().crop
    assert config.crop() == own
    path.write_text(
        '[classifier]\nmodel = "emotion_mini_xception_f32"\nflip_average = true\n'
        "[detector]\ncrop_margin = 0.4\nalign_eyes = false\n"
    )
    crop = cfg.load(path).crop()
    assert (crop.margin, crop.align_eyes, crop.flip_average) == (0.4, False, True)


def test_further_crops_come_from_the_sidecar_and_a_config_crop_replaces_them(
    tmp_path: Path,
) -> None:
    model = model_with_further_crop(tmp_path)
    path = tmp_path / "config.toml"
    path.write_text(f'[classifier]\nmodel = "{model}"\n')
    crop = cfg.load(path).crop()
    assert [(c.margin, c.align_eyes) for c in crop.all()] == [(0.0, True), (0.2, False)]
    path.write_text(f'[classifier]\nmodel = "{model}"\n[detector]\ncrop_margin = 0.1\n')
    crop = cfg.load(path).crop()
    assert [(c.margin, c.align_eyes) for c in crop.all()] == [(0.1, True)]


def test_auto_geometry_threads_are_two_live_and_one_for_a_file() -> None:
    """Live a measured frame's models use two cores; a file read as fast as possible keeps
    both cores busy with the threads before and after the emotion model (one a model)."""
    config = Config()
    assert config.geometry.num_threads == "auto"
    assert config.geometry_threads() == min(2, os.cpu_count() or 1)
    live = config.for_pace(live=True)
    assert live.geometry.num_threads == live.geometry_threads() == config.geometry_threads()
    assert config.for_pace(live=False).geometry_threads() == config.geometry_threads(False) == 1
    assert config.for_pace(live=False).geometry.num_threads == 1  # as session_start logs it
    three = with_overrides(config, {"geometry.num_threads": 3})
    assert three.for_pace(live=False).geometry_threads() == three.geometry_threads() == 3
