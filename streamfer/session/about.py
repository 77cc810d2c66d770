"""What a ``session_start`` record says about the machine and the models it ran with."""

from __future__ import annotations

import dataclasses
from typing import Any

from streamfer.config.settings import Config
from streamfer.vision.models import describe

__all__ = [
    "model_info",
]


def model_info(config: Config) -> dict[str, Any]:
    """File and sha256 of the detector and classifier, for the ``session_start`` record.

    The classifier's entry adds the model's name, classes and the crop in use. With the
    geometry stage on, ``geometry`` names its two models and the head fused (or None).
    """
    card = config.emotion_model()
    info: dict[str, Any] = {
        "detector": describe(config.resolve_model(config.detector.model)),
        "classifier": {
            **describe(config.emotion_model_path()),
            "name": card.name,
            "classes": list(card.classes),
            "crop": dataclasses.asdict(config.crop()),
        },
    }
    if config.full_range_check():
        info["detector"]["full_range_check"] = {
            **describe(config.model_path("full_range")),
            "every_seconds": config.detector.full_range_check_seconds,
        }
    if config.geometry_on():
        head = config.geometry_head_path()
        info["geometry"] = {
            "landmarks": describe(config.model_path("landmarks")),
            "blendshapes": describe(config.model_path("blendshapes")),
            "head": None if head is None else {**describe(head), "weight": card.geometry_weight},
        }
        second = config.second_model_path()
        if second is not None:
            info["second"] = {
                **describe(second),
                "weight": card.second_weight,
                "temperature": card.second_temperature,
            }
    return info
