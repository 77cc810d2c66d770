"""The values the sources and the detectors hand on: a frame, a box, a detected face."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

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
