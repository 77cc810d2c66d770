"""The typed values that pass between stages: a frame, a detected face, a classified face."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:  # a type only: core imports nothing above the ground floor at run time
    from streamfer.vision.geometry import FaceGeometry

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Frame:
    """One decoded BGR frame.

    ``t``: seconds since the start of the source (file position, or a monotonic clock for live
    sources). ``index``: the frame's number in the source, counting dropped ones.
    ``captured``: ``time.monotonic()`` when the frame was read, for latency.
    """

    index: int
    t: float
    image: Image
    captured: float

    def __post_init__(self) -> None:
        if self.image.ndim != 3 or self.image.shape[2] != 3:
            raise ValueError(f"frame must be HxWx3 BGR, got shape {self.image.shape}")


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in pixels: top-left corner, width and height."""

    x: float
    y: float
    w: float
    h: float

    @property
    def area(self) -> float:
        return max(self.w, 0.0) * max(self.h, 0.0)

    def iou(self, other: Box) -> float:
        ix = max(0.0, min(self.x + self.w, other.x + other.w) - max(self.x, other.x))
        iy = max(0.0, min(self.y + self.h, other.y + other.h) - max(self.y, other.y))
        inter = ix * iy
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def as_list(self) -> list[int]:
        return [round(self.x), round(self.y), round(self.w), round(self.h)]


@dataclass(frozen=True)
class Detection:
    """A face found in a frame. Key points are in pixels; "right" is the person's right eye.

    ``nose`` (the tip) and ``mouth`` (its centre) come from BlazeFace's keypoints; they align
    the face for the second expression model when the landmarks are not at hand.
    """

    box: Box
    score: float
    right_eye: tuple[float, float] | None = None
    left_eye: tuple[float, float] | None = None
    nose: tuple[float, float] | None = None
    mouth: tuple[float, float] | None = None


@dataclass(frozen=True)
class FaceResult:
    """A tracked, classified face: the model's probabilities in its order, summing to about 1.

    ``geometry``: with the geometry stage on, the track's latest landmarks, blendshapes and
    head pose, if measured at most ``[geometry] max_age_seconds`` ago and not refused since
    (too small, cut by the edge); ``geometry_fresh``: measured on this very frame.
    """

    track: int
    detection: Detection
    probs: npt.NDArray[np.float32]
    valence: float
    arousal: float
    geometry: FaceGeometry | None = None
    geometry_fresh: bool = False

    def __post_init__(self) -> None:
        if self.probs.ndim != 1 or not 2 <= len(self.probs) <= 16:
            raise ValueError(f"probs must be one value a class, got shape {self.probs.shape}")

    @property
    def emotion_index(self) -> int:
        return int(np.argmax(self.probs))


@dataclass(frozen=True)
class FrameResult:
    """Everything the pipeline learned from one frame."""

    frame_index: int
    t: float
    captured: float
    faces: tuple[FaceResult, ...] = field(default_factory=tuple)
    detect_seconds: float = 0.0
    classify_seconds: float = 0.0  # every stage after detection, the geometry stage included
    geometry_seconds: float = 0.0
