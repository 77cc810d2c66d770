"""What an emotion model says about itself: the JSON sidecar beside each ``.tflite``.

``models/NAME.json`` next to ``models/NAME.tflite`` gives the model's name, its input (side,
channels, pixel scaling ``value = pixel * scale + offset``), its class names in output order
(neutral last) and the face crop it was chosen with; optionally the neutral reference for
each person's own baseline and a geometry head to fuse with it
(``"geometry": {"head": "NAME.json", "weight": 0.4}``). The classifier reads these, not
constants, so a model trained on other data or at another size needs no code change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from streamfer.core.errors import ModelError
from streamfer.core.labels import BROAD_OF_NAME

FORMAT = "streamfer-emotion-model/1"


@dataclass(frozen=True)
class CropSettings:
    """How a face is cut out for a model.

    ``margin``: the square side is the box's larger side times ``1 + margin``.
    ``align_eyes``: rotate so the eyes are level. ``flip_average``: average the
    probabilities of the crop and its mirror image (two model runs a face). ``also``: further
    crops of the face (other margins, eyes levelled or not) whose probabilities are averaged
    with this one's; each costs one more model run (two with flip averaging).
    """

    margin: float = 0.25
    align_eyes: bool = True
    flip_average: bool = False
    also: tuple[ExtraCrop, ...] = ()

    def __post_init__(self) -> None:
        _check_margin(self.margin)

    def all(self) -> tuple[ExtraCrop, ...]:
        """Every crop whose scores are averaged: this one first, then ``also``."""
        return (ExtraCrop(self.margin, self.align_eyes), *self.also)


@dataclass(frozen=True)
class ExtraCrop:
    """A further crop of the same face (test-time augmentation); its scores are averaged with
    the main crop's, flip-averaged too when the main crop is."""

    margin: float
    align_eyes: bool

    def __post_init__(self) -> None:
        _check_margin(self.margin)


def _check_margin(margin: float) -> None:
    if not 0.0 <= margin <= 1.0:
        raise ValueError(f"crop margin must be in [0, 1], not {margin}")


@dataclass(frozen=True)
class ModelCard:
    """An emotion model's sidecar, validated."""

    name: str
    size: int
    channels: int
    scale: float
    offset: float
    classes: tuple[str, ...]
    crop: CropSettings
    #: mean log-probabilities over neutral faces of people the model never trained on, the
    #: reference a person's own neutral is read against (``method/baseline.py``); None: the
    #: model cannot take baselines
    neutral_reference: tuple[float, ...] | None = None
    #: how much of a person's rest-face bias is removed, and how much an emotion's growth
    #: since the rest face counts (both chosen on held-out people)
    baseline_strength: float = 0.0
    baseline_gain: float = 0.0
    #: the gain term on neutral too (sidecar ``baseline.rule`` ``"every_class"``), else on the
    #: emotions alone (``"emotions"``, the rule before 2026-12-06)
    baseline_every_class: bool = False
    #: a blendshape classifier trained for this model (``vision/geometry_head.py``): its file
    #: name beside the sidecar, and the weight of its log-probabilities when fused with the
    #: model's; None: no head (``[geometry] enabled = "auto"`` is then off)
    geometry_head: str | None = None
    geometry_weight: float = 0.0
    #: a second expression model read on five-point-aligned colour faces
    #: (``vision/expression.py``): its ``.tflite`` file name beside the sidecar, the weight of
    #: its log-probabilities in the fusion and the temperature they are first divided by;
    #: it runs with the geometry stage (the landmarks give its five points)
    second_model: str | None = None
    second_weight: float = 0.0
    second_temperature: float = 1.0

    def __post_init__(self) -> None:
        if self.geometry_head is not None and (
            not self.geometry_head or "/" in self.geometry_head or "\\" in self.geometry_head
        ):
            raise ValueError(
                f"geometry.head {self.geometry_head!r}: a file name beside the sidecar"
            )
        if not 0.0 <= self.geometry_weight <= 1.0:
            raise ValueError(f"geometry.weight {self.geometry_weight} is not in [0, 1]")
        if self.second_model is not None and (
            not self.second_model.endswith(".tflite")
            or "/" in self.second_model
            or "\\" in self.second_model
        ):
            raise ValueError(
                f"second.model {self.second_model!r}: a .tflite file name beside the sidecar"
            )
        if not 0.0 <= self.second_weight <= 1.0 - self.geometry_weight:
            raise ValueError(
                f"second.weight {self.second_weight} is not in [0, 1 - geometry.weight]"
            )
        if not 0.0 < self.second_temperature <= 100.0:
            raise ValueError(f"second.temperature {self.second_temperature} is not in (0, 100]")
        if self.neutral_reference is not None and len(self.neutral_reference) != len(self.classes):
            raise ValueError("baseline.neutral_reference needs one value a class")
        unknown = [c for c in self.classes if c not in BROAD_OF_NAME]
        if unknown:
            raise ValueError(f"unknown class names {unknown}; known: {', '.join(BROAD_OF_NAME)}")
        if not self.classes or self.classes[-1] != "neutral":
            raise ValueError("the classes must end with neutral (it loses every tie)")
        if len(set(self.classes)) != len(self.classes):
            raise ValueError("the class names repeat")
        if self.size < 8 or self.channels != 1:
            raise ValueError(f"input {self.size}x{self.size}x{self.channels}: need >= 8, 1 channel")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelCard:
        inp = data["input"]
        crop = data.get("crop") or {}
        baseline = data.get("baseline") or {}
        reference = baseline.get("neutral_reference")
        geometry = data.get("geometry") or {}
        head = geometry.get("head")
        second = data.get("second") or {}
        second_model = second.get("model")
        if int(inp["height"]) != int(inp["width"]):
            raise ValueError("the input must be square")
        return cls(
            name=str(data["name"]),
            size=int(inp["height"]),
            channels=int(inp.get("channels", 1)),
            scale=float(inp["scale"]),
            offset=float(inp["offset"]),
            classes=tuple(str(c) for c in data["classes"]),
            crop=CropSettings(
                margin=float(crop.get("margin", 0.25)),
                align_eyes=bool(crop.get("align_eyes", True)),
                flip_average=bool(crop.get("flip_average", False)),
                also=tuple(
                    ExtraCrop(float(c["margin"]), bool(c.get("align_eyes", False)))
                    for c in crop.get("also", [])
                ),
            ),
            neutral_reference=None if reference is None else tuple(float(v) for v in reference),
            baseline_strength=float(baseline.get("strength", 0.0)),
            baseline_gain=float(baseline.get("gain", 0.0)),
            baseline_every_class=_baseline_rule(baseline.get("rule", "emotions")),
            geometry_head=None if head is None else str(head),
            geometry_weight=float(geometry.get("weight", 0.0)),
            second_model=None if second_model is None else str(second_model),
            second_weight=float(second.get("weight", 0.0)),
            second_temperature=float(second.get("temperature", 1.0)),
        )


def _baseline_rule(rule: object) -> bool:
    if rule not in ("emotions", "every_class"):
        raise ValueError(f'baseline.rule {rule!r}: "emotions" or "every_class"')
    return rule == "every_class"


def sidecar_path(model_path: Path) -> Path:
    return model_path.with_suffix(".json")


@lru_cache(maxsize=16)
def read_card(model_path: Path) -> ModelCard:
    """The sidecar of ``model_path``, or ModelError when it is missing or invalid."""
    if not model_path.is_file():
        raise ModelError(
            f"emotion model not found at {model_path}",
            "name a model in models/ (see models/README.md) or give a path to a .tflite file",
        )
    path = sidecar_path(model_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(
            f"emotion model {model_path} has no sidecar {path.name}",
            "each model needs NAME.json beside NAME.tflite (see models/README.md)",
        ) from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"sidecar {path} cannot be read: {exc}") from None
    try:
        return ModelCard.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"sidecar {path} is not valid: {exc}") from None
