"""Test helpers for the real pipeline: the demo's frames through it, configs with other
geometry settings, and model files a test edits (a sidecar naming a geometry head, a sidecar
with a second crop), made in the test's own folder from the shipped models."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from clips import ROOT

from streamfer.config.settings import Config
from streamfer.core.frames import Frame
from streamfer.pipeline.results import StepResult
from streamfer.pipeline.stages import FramePipeline
from streamfer.sources import demo
from streamfer.vision.blendshapes import BLENDSHAPE_NAMES

MODELS = ROOT / "models"


def frames(count: int, start: float = 0.0) -> list[Frame]:
    """The demo's first seconds (one face) at 30 fps."""
    return [
        Frame(i, start + i / 30.0, demo.demo_frame(start + i / 30.0), 0.0) for i in range(count)
    ]


def geometry(config: Config, **values: Any) -> Config:
    """``config`` with these ``[geometry]`` values."""
    return dataclasses.replace(config, geometry=dataclasses.replace(config.geometry, **values))


def run_steps(pipeline: FramePipeline, items: list[Frame]) -> list[StepResult]:
    """Every frame through ``pipeline``, which is closed after."""
    try:
        return [pipeline.process(frame) for frame in items]
    finally:
        pipeline.close()


def write_head(folder: Path, classes: tuple[str, ...]) -> Path:
    """A hand-written head: smiling reads happy, lowered brows angry, the rest a little."""
    weights = np.zeros((52, len(classes)))
    weights[BLENDSHAPE_NAMES.index("mouthSmileLeft"), classes.index("happy")] = 8.0
    weights[BLENDSHAPE_NAMES.index("browDownLeft"), classes.index("angry")] = 6.0
    weights[BLENDSHAPE_NAMES.index("eyeBlinkLeft"), classes.index("sad")] = 3.0
    head = {
        "format": "streamfer-geometry-head/1",
        "classes": list(classes),
        "features": "blendshapes",
        "mean": [0.0] * 52,
        "scale": [1.0] * 52,
        "layers": [{"weights": weights.tolist(), "bias": [0.0] * len(classes)}],
    }
    path = folder / "tiny_head.json"
    path.write_text(json.dumps(head))
    return path


def copied_model(folder: Path, model: str, stem: str, /, **card: object) -> Path:
    """The shipped emotion model ``model`` copied into ``folder`` as ``stem``.tflite, with its
    sidecar's values replaced by ``card``'s."""
    source = MODELS / model
    target = folder / f"{stem}.tflite"
    shutil.copyfile(source.with_suffix(".tflite"), target)
    sidecar = json.loads(source.with_suffix(".json").read_text()) | card
    target.with_suffix(".json").write_text(json.dumps(sidecar))
    return target


def model_with_head(folder: Path) -> Path:
    """The default emotion model, copied with a sidecar that names a geometry head."""
    target = copied_model(
        folder,
        "emotion_mini_ferplus2",
        "with_head",
        geometry={"head": "tiny_head.json", "weight": 0.4},
    )
    write_head(folder, tuple(json.loads(target.with_suffix(".json").read_text())["classes"]))
    return target


def model_with_further_crop(folder: Path) -> Path:
    """A copy of the default model whose sidecar adds a second crop (margin 0.2, not levelled)."""
    crop = {"margin": 0.0, "align_eyes": True, "flip_average": True}
    crop["also"] = [{"margin": 0.2, "align_eyes": False}]
    return copied_model(folder, "emotion_mini_ferplus", "two_crops", name="two_crops", crop=crop)
