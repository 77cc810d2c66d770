"""Faces cut from photos by streamfer's own BlazeFace detector and ``face_crop``, as the live
pipeline cuts them (``training.steps.sources``, ``training.steps.geometry_features``)."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from streamfer.config.settings import Config
from streamfer.core.frames import Detection
from streamfer.vision.align import face_crop
from streamfer.vision.backends import make_detector


class Cutter:
    """BlazeFace and the pipeline's crop, with the default config's settings."""

    def __init__(self, size: int) -> None:
        config = Config()
        self.size = size
        self.detector = make_detector(
            "litert",
            config.resolve_model(config.detector.model),
            config.detector.min_confidence,
            1,
        )
        crop = config.crop()
        self.margin, self.align = crop.margin, crop.align_eyes

    def find(self, image: npt.NDArray[np.uint8]) -> Detection | None:
        faces = self.detector.detect(image, 0.0)
        return max(faces, key=lambda d: d.score) if faces else None

    def cut(self, image: npt.NDArray[np.uint8], detection: Detection) -> npt.NDArray[np.uint8]:
        return face_crop(image, detection, self.margin, self.align, self.size)


def framed(
    image: npt.NDArray[np.uint8], pad_share: float, min_side: int
) -> tuple[npt.NDArray[np.uint8], float, int]:
    """The photo with a replicated border (``pad_share`` of its larger side) scaled so its
    smaller side is at least ``min_side``; also the scale and the border, to map back."""
    if image.ndim == 2:
        image = np.asarray(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR), np.uint8)
    pad = int(round(max(image.shape[:2]) * pad_share))
    if pad:
        image = np.asarray(
            cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE), np.uint8
        )
    scale = max(1.0, min_side / min(image.shape[:2]))
    if scale > 1.0:
        image = np.asarray(
            cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC), np.uint8
        )
    return np.ascontiguousarray(image), scale, pad


def detection_row(d: Detection) -> list[float]:
    eyes = [*(d.right_eye or (np.nan, np.nan)), *(d.left_eye or (np.nan, np.nan))]
    return [d.box.x, d.box.y, d.box.w, d.box.h, *[float(v) for v in eyes]]
