"""The short-range detector, checked now and then by the full-range one (``[detector]
full_range_check_seconds``; the measurements behind it: docs/detector.md).

BlazeFace short range misses faces smaller than about an eighth of the frame's longer side:
people farther than about 2 m, a group photo. The full-range model finds them but costs two
and a half to three times as much, and finds fewer of the large faces of a close-up. So the
short-range model runs on every frame, and the full-range one too on an input's first frame
and then once every ``every_seconds`` of the source's time. When a check finds a face the
short-range model did not (its centre outside every short-range box, at least ``min_pixels``
wide), that frame gets both models' faces, and so does every later frame of the input: the
two models together from then on. A still image is one first frame, so it always gets both.

An input starts again (a new file, the next photo given to the API) when a frame's time is
not after the last one's: the check and the choice start afresh.
"""

from __future__ import annotations

from typing import Any

from streamfer.core.frames import Detection, Image


class FullRangeCheck:
    """``detect(image, t)`` as the short-range detector, with the full-range check above."""

    def __init__(
        self, short: Any, full: Any, every_seconds: float, min_pixels: float = 0.0
    ) -> None:
        self.short, self.full = short, full
        self.every_seconds = every_seconds
        self.min_pixels = min_pixels
        self.both = False  # both models on every frame of this input
        self.both_since: float | None = None  # the input's time of the switch
        self.checks = 0  # full-range runs while it was only checking, this input
        self._next_check: float | None = None
        self._last_t: float | None = None

    @property
    def spec(self) -> Any:
        return self.short.spec

    def detect(self, image: Image, t: float = 0.0) -> list[Detection]:
        if self._last_t is not None and t <= self._last_t:
            self._restart()
        self._last_t = t
        faces: list[Detection] = self.short.detect(image, t)
        if not self.both and self._next_check is not None and t < self._next_check:
            return faces
        if not self.both:
            self.checks += 1
            self._next_check = t + self.every_seconds
        extra = self._missed(faces, self.full.detect(image, t))
        if extra and not self.both:
            self.both, self.both_since = True, t
        return sorted(faces + extra, key=lambda face: -face.score) if extra else faces

    def _missed(self, short: list[Detection], full: list[Detection]) -> list[Detection]:
        """The full-range faces whose centre lies in no short-range box."""

        def inside(face: Detection, other: Detection) -> bool:
            cx, cy = face.box.x + face.box.w / 2, face.box.y + face.box.h / 2
            box = other.box
            return box.x <= cx <= box.x + box.w and box.y <= cy <= box.y + box.h

        return [
            face
            for face in full
            if max(face.box.w, face.box.h) >= self.min_pixels
            and not any(inside(face, other) for other in short)
        ]

    def _restart(self) -> None:
        self.both, self.both_since, self.checks = False, None, 0
        self._next_check = None

    def close(self) -> None:
        self.short.close()
        self.full.close()
