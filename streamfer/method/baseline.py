"""Reading each person against their own neutral face (participant calibration).

A face at rest does not read as neutral for everyone: heavy brows read as anger, a mouth
that turns down reads as sadness, and the model then reports that emotion all session. The
baseline removes that person's own bias. While a person's first ``seconds`` in view are
collected (or the seconds after the operator asks for it), the mean log-probabilities of
their frames are their baseline ``b``. Every later frame's log-probabilities ``l`` are read
as

    l' = l - strength * (b - r)

and renormalised, where ``r`` is the model's mean log-probabilities over neutral faces of
many people (its sidecar's ``neutral_reference``). A person whose rest face the model reads
just like the average neutral face (b = r) is left as they are; one whose rest face reads 30 %
sad has sadness lowered by exactly that excess. ``strength`` 1 removes it all; the shipped
value is chosen on held-out people (docs/accuracy.md, "Each person against their own neutral").

Pure: no clock, no I/O; time comes from frame timestamps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: Probabilities are floored here before the logarithm (a model may output exact zeros).
FLOOR = 1e-4


def log_probs(probs: npt.ArrayLike) -> npt.NDArray[np.float64]:
    return np.log(np.maximum(np.asarray(probs, np.float64), FLOOR))


def relative(
    probs: npt.ArrayLike,
    baseline: npt.ArrayLike,
    reference: npt.ArrayLike,
    strength: float,
) -> npt.NDArray[np.float32]:
    """``probs`` read against a baseline: ``softmax(log p - strength * (b - r))``.

    ``baseline`` and ``reference`` are mean log-probabilities (``Baseline.log_probs``, the
    sidecar's ``neutral_reference``), one value a class in the model's order.
    """
    z = log_probs(probs) - strength * (np.asarray(baseline) - np.asarray(reference))
    z -= z.max()
    e = np.exp(z)
    return np.asarray(e / e.sum(), np.float32)


@dataclass(frozen=True)
class Baseline:
    """One person's neutral: when it was taken, from how many frames, and its mean."""

    track: int
    t_start: float  # first and last frame used, seconds of source time
    t_end: float
    frames: int
    log_probs: tuple[float, ...]  # mean log-probabilities, the model's class order
    trigger: str  # "auto" (the first seconds in view) or "operator" (a key or an API call)

    @property
    def probs(self) -> npt.NDArray[np.float64]:
        """The baseline as a distribution (the normalised geometric mean of its frames)."""
        e = np.exp(np.asarray(self.log_probs) - max(self.log_probs))
        return np.asarray(e / e.sum())


@dataclass
class BaselineCollector:
    """Gathers one track's frames for ``seconds`` from its first frame, then gives the
    ``Baseline`` once. Fewer than ``min_frames`` frames by then: it keeps gathering until it
    has them, so a face seen in a few frames is not judged by a mean of one."""

    track: int
    seconds: float
    trigger: str = "auto"
    min_frames: int = 5
    _sum: npt.NDArray[np.float64] | None = None
    _frames: int = 0
    _t_start: float | None = None
    _t_end: float = 0.0
    done: bool = False

    def add(self, t: float, probs: Sequence[float] | npt.NDArray[np.floating]) -> Baseline | None:
        """Adds a frame; returns the ``Baseline`` on the frame that completes it."""
        if self.done:
            return None
        lp = log_probs(probs)
        if self._sum is None:
            self._sum = np.zeros_like(lp)
            self._t_start = t
        self._sum += lp
        self._frames += 1
        self._t_end = t
        assert self._t_start is not None
        if t - self._t_start < self.seconds or self._frames < self.min_frames:
            return None
        self.done = True
        mean = self._sum / self._frames
        return Baseline(
            self.track,
            round(self._t_start, 3),
            round(self._t_end, 3),
            self._frames,
            tuple(float(v) for v in mean),
            self.trigger,
        )
