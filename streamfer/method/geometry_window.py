"""One person's face geometry over the emotion window: mean head pose and what moved.

Beside each person's emotion window (``aggregate.py``, which stays about labels) the pipeline
keeps their geometry samples (``[geometry] interval_seconds`` apart, fresh ones only: a
sample standing in for later frames is not counted again). Each verdict then carries

- the window's mean yaw, pitch and roll (degrees);
- the blendshapes that *moved most*: the largest ``|window mean - the person's median|``,
  the median taken over their samples of the last ``history_seconds`` (60 s, the window
  included), signed (positive: more of it than usual for this person). Against the person's
  own usual face rather than the raw scores, because at rest some blendshapes sit well above
  zero for everyone (``eyeSquint``, ``browDown``, ``_neutral`` near 1) and others for some
  faces only, as a rest face reads sad or angry to the emotion model. An expression held
  from the person's first frame to the last is their median and does not show as moved.
  ``_neutral`` (MediaPipe's no-expression score) is left out: it is not a movement.

Pure: no clock, no I/O; time comes from frame timestamps.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: How many of the blendshapes that moved most a verdict names.
TOP_MOVED = 4
#: Seconds of a person's samples their usual face (the median) is taken over.
HISTORY_SECONDS = 60.0


@dataclass(frozen=True)
class GeometrySummary:
    """A window's geometry: ``frames`` samples, mean angles, the blendshapes that moved most
    (name -> window mean minus the person's median, most moved first)."""

    frames: int
    yaw: float
    pitch: float
    roll: float
    moved: dict[str, float]


class GeometryWindow:
    """One person's geometry samples; ``summary(t)`` describes the window ending at ``t``."""

    def __init__(
        self,
        names: tuple[str, ...],
        window_seconds: float,
        history_seconds: float = HISTORY_SECONDS,
        top: int = TOP_MOVED,
    ) -> None:
        """``names``: the blendshapes' names in their order (``vision.blendshapes``)."""
        self.names = names
        self.window_seconds = window_seconds
        self.history_seconds = max(history_seconds, window_seconds)
        self.top = top
        self._movements = np.array([not n.startswith("_") for n in names])
        self._samples: deque[tuple[float, npt.NDArray[np.float32], tuple[float, float, float]]]
        self._samples = deque()

    def add(
        self, t: float, blendshapes: npt.NDArray[np.floating], pose: tuple[float, float, float]
    ) -> None:
        """One fresh sample at time ``t`` (frames in order)."""
        self._samples.append((t, np.asarray(blendshapes, np.float32), pose))
        while self._samples and self._samples[0][0] <= t - self.history_seconds:
            self._samples.popleft()

    def summary(self, t: float) -> GeometrySummary | None:
        """The window ``(t - window_seconds, t]``; None when it holds no sample."""
        start = t - self.window_seconds + 1e-9
        window = [s for s in self._samples if start < s[0] <= t]
        if not window:
            return None
        history = np.stack([s[1] for s in self._samples if s[0] <= t])
        mean = np.stack([s[1] for s in window]).mean(axis=0)
        moved = mean - np.median(history, axis=0)
        order = [i for i in np.argsort(-np.abs(moved), kind="stable") if self._movements[i]]
        pose = np.array([s[2] for s in window], np.float64).mean(axis=0)
        return GeometrySummary(
            frames=len(window),
            yaw=float(pose[0]),
            pitch=float(pose[1]),
            roll=float(pose[2]),
            moved={self.names[i]: float(moved[i]) for i in order[: self.top]},
        )
