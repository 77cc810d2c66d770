"""Offline fusion of the parts' readings, as the pipeline fuses them: weighted means of
log-probabilities (``training.steps.fusion``, ``reference``, ``choose``, ``ship``).

``combine`` (Recognition II): one weight a part, renormalised per face over the parts that read
it. ``fuse`` (Recognition III): the same per class, so a part that lacks a class (the second
model has no contempt) leaves that class to the others.
"""

from __future__ import annotations

import numpy as np

from streamfer.vision.geometry_head import GeometryHead

FLOOR = 1e-4


def geometry_probs(d: dict[str, np.ndarray], head: GeometryHead) -> np.ndarray:
    out = np.full_like(d["probs"], np.nan)
    for i in np.flatnonzero(~np.isnan(d["presence"])):
        yaw, pitch, roll = (float(v) for v in d["pose"][i])
        out[i] = head.predict(d["blendshapes"][i], (yaw, pitch, roll))
    return out


def combine(parts: list[np.ndarray], weights: tuple[float, ...]) -> np.ndarray:
    z = np.zeros_like(parts[0])
    total = np.zeros((len(parts[0]), 1))
    for p, w in zip(parts, weights, strict=True):
        ok = ~np.isnan(p).any(axis=1, keepdims=True)
        z += np.where(ok, w * np.log(np.maximum(np.nan_to_num(p, nan=1.0), FLOOR)), 0.0)
        total += np.where(ok, w, 0.0)
    return z / np.maximum(total, 1e-9)


def head_probs(d: dict[str, np.ndarray], head: GeometryHead) -> np.ndarray:
    """The geometry head's reading of every photo and version (NaN without geometry)."""
    bs, pose = d["blendshapes"], d["pose"]
    out = np.full((*bs.shape[:2], len(head.classes)), np.nan)
    for i, v in zip(*np.nonzero(~np.isnan(bs[:, :, 0])), strict=True):
        yaw, pitch, roll = (float(x) for x in pose[i, v])
        out[i, v] = head.predict(bs[i, v], (yaw, pitch, roll))
    return out


def to_cnn_order(second: np.ndarray, second_classes: list[str], classes: list[str]) -> np.ndarray:
    """The second model's probabilities in the CNN's class order; NaN for classes it lacks."""
    out = np.full((*second.shape[:-1], len(classes)), np.nan)
    for j, c in enumerate(classes):
        if c in second_classes:
            out[..., j] = second[..., second_classes.index(c)]
    return out


def fuse(parts: list[tuple[np.ndarray, float]]) -> np.ndarray:
    """Weighted mean of log-probabilities, per class over the parts that read it."""
    z = np.zeros(parts[0][0].shape)
    total = np.zeros(parts[0][0].shape)
    for p, w in parts:
        ok = ~np.isnan(p)
        z += np.where(ok, w * np.log(np.maximum(np.nan_to_num(p, nan=1.0), FLOOR)), 0.0)
        total += np.where(ok, w, 0.0)
    return np.where(total > 0, z / np.maximum(total, 1e-9), np.log(FLOOR) - 1.0)
