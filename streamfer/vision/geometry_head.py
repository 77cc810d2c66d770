"""Expression geometry as evidence: a small classifier on a face's 52 blendshapes, and its
fusion with the emotion CNN.

The CNN reads a 64x64 gray texture; the geometry stage's blendshapes measure how far brows,
lids, cheeks and lips have moved, which carries over between studios, cameras and faces
differently (docs/accuracy.md). An emotion model's sidecar may name a head trained for it
(``"geometry": {"head": "NAME.json", "weight": w}``); the pipeline then reads each face as

    log p = (1 - w) * log p_cnn + w * log p_geometry      (renormalised)

whenever the face has fresh geometry, and as the CNN alone otherwise. ``w`` was chosen on
held-out people (``training/steps/geometry_head.py``).

The head file (``streamfer-geometry-head/1``, written by ``training/steps/geometry_head.py``):
``classes`` (the CNN's order), ``features`` (``blendshapes``, or ``blendshapes+pose``: |yaw|,
pitch and roll in radians after them), the standardisation ``mean`` and ``scale``, and
``layers`` (each ``weights`` in x out, ``bias``; ReLU between layers, softmax at the end).
Only numpy runs it: no scikit-learn at run time.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from streamfer.core.errors import ModelError
from streamfer.vision.fusion import fuse_parts

FORMAT = "streamfer-geometry-head/1"
FLOOR = 1e-4


@dataclass(frozen=True)
class GeometryHead:
    """A trained head: standardise, then dense layers (ReLU between), then softmax."""

    classes: tuple[str, ...]
    with_pose: bool
    mean: npt.NDArray[np.float64]
    scale: npt.NDArray[np.float64]
    layers: tuple[tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]], ...]

    @classmethod
    def load(cls, path: Path) -> GeometryHead:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError(f"format is {data.get('format')!r}, not {FORMAT}")
            layers = tuple(
                (np.asarray(layer["weights"], np.float64), np.asarray(layer["bias"], np.float64))
                for layer in data["layers"]
            )
            head = cls(
                classes=tuple(str(c) for c in data["classes"]),
                with_pose=data["features"] == "blendshapes+pose",
                mean=np.asarray(data["mean"], np.float64),
                scale=np.asarray(data["scale"], np.float64),
                layers=layers,
            )
        except FileNotFoundError:
            raise ModelError(
                f"geometry head {path} not found",
                "the emotion model's sidecar names a head that is not beside it",
            ) from None
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"geometry head {path} is not valid: {exc}") from None
        head.check()
        return head

    def check(self) -> None:
        width = 52 + (3 if self.with_pose else 0)
        if self.mean.shape != (width,) or self.scale.shape != (width,):
            raise ModelError(f"geometry head: mean and scale need {width} values")
        for weights, bias in self.layers:
            if weights.shape[0] != width or weights.shape[1:] != bias.shape:
                raise ModelError("geometry head: layer shapes do not chain")
            width = weights.shape[1]
        if width != len(self.classes):
            raise ModelError(f"geometry head: {width} outputs for {len(self.classes)} classes")

    def predict(
        self, blendshapes: npt.NDArray[np.floating], pose: tuple[float, float, float]
    ) -> npt.NDArray[np.float64]:
        """Class probabilities for one face's blendshapes (and yaw, pitch, roll in degrees)."""
        x = np.asarray(blendshapes, np.float64)
        if self.with_pose:
            yaw, pitch, roll = (math.radians(v) for v in pose)
            x = np.r_[x, abs(yaw), pitch, roll]
        z = (x - self.mean) / self.scale
        for i, (weights, bias) in enumerate(self.layers):
            z = z @ weights + bias
            if i < len(self.layers) - 1:
                z = np.maximum(z, 0.0)
        z -= z.max()
        e = np.exp(z)
        return np.asarray(e / e.sum())


def fuse(
    cnn: npt.NDArray[np.float32], geometry: npt.NDArray[np.float64], weight: float
) -> npt.NDArray[np.float32]:
    """``softmax((1 - w) log p_cnn + w log p_geometry)``, both in the same class order."""
    return fuse_parts([(cnn, 1.0 - weight), (geometry, weight)])
