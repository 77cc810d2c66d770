"""Reading each person against their own neutral face (participant calibration).

A face at rest does not read as neutral for everyone: heavy brows read as anger, a mouth
that turns down reads as sadness, a face turned a little reads as anger; and a child's sad
face may differ from their rest face by less than the model's idea of "sad" wants. While a
person's first ``seconds`` in view are collected (or the seconds after the operator asks),
the mean log-probabilities of their frames are their baseline ``b``. Every later frame's
log-probabilities ``l`` are read as

    l'_c = l_c - strength * (b_c - r_c) + gain * (l_c - b_c)     (gain term: c not neutral)

and renormalised, where ``r`` is the model's mean log-probabilities over neutral faces of
many people (its sidecar's ``neutral_reference``). The strength term removes that person's
rest-face bias (b = r: nothing to remove); the gain term rewards an emotion for having
*grown* since their rest face, which is what an expression is. Both are chosen on held-out
people: each KDEF dev person's neutral photo of one session as the baseline for their
photos of the other session (docs/accuracy.md, "Each person against their own neutral").

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
    gain: float = 0.0,
    every_class: bool = False,
) -> npt.NDArray[np.float32]:
    """``probs`` read against a baseline (the module's formula), renormalised.

    ``baseline`` and ``reference`` are mean log-probabilities (``Baseline.log_probs``, the
    sidecar's ``neutral_reference``), one value a class in the model's order, neutral last.
    ``every_class``: the gain term on neutral too (``l + g (l - b)`` for every class, so a
    face that has left its rest face also loses neutral), else on the emotions alone.
    """
    lp = log_probs(probs)
    b = np.asarray(baseline, np.float64)
    z = lp - strength * (b - np.asarray(reference))
    grown = slice(None) if every_class else slice(None, -1)
    z[grown] += gain * (lp[grown] - b[grown])
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


@dataclass(frozen=True)
class BaselineMissed:
    """A baseline that was being taken and was given up: whose, why, after how many frames."""

    track: int | None  # None: nobody was in view to take one of
    trigger: str
    frames: int
    reason: str  # "face left", "no face in view"


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

    @property
    def frames(self) -> int:
        """Frames gathered so far."""
        return self._frames

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


class Baselines:
    """Every person's baseline in one session: collected, then applied to their frames.

    ``seconds`` > 0 takes each person's baseline from their first ``seconds`` in view
    (trigger ``auto``); 0 takes none by itself. ``request`` (the operator's key, or the API)
    starts a new baseline of every person in view, from their next ``request_seconds``
    (trigger ``operator``); until it completes, the old one (if any) still applies. A person
    who leaves and comes back as a new track is collected again in ``auto`` mode only; one who
    keeps their number (re-identified, ``vision/reidentify.py``) keeps their baseline, and
    one who left before theirs was complete has it taken again on their return.
    Without a ``reference`` (a model whose sidecar has none) nothing is ever taken.
    """

    def __init__(
        self,
        seconds: float,
        reference: tuple[float, ...] | None,
        strength: float,
        gain: float = 0.0,
        request_seconds: float = 3.0,
        every_class: bool = False,
    ) -> None:
        self.seconds = seconds
        self.every_class = every_class
        self.reference = None if reference is None else np.asarray(reference, np.float64)
        self.strength = strength
        self.gain = gain
        self.request_seconds = seconds if seconds > 0 else request_seconds
        self._collecting: dict[int, BaselineCollector] = {}
        self._taken: dict[int, Baseline] = {}
        self._seen: set[int] = set()

    def request(self, tracks: set[int]) -> None:
        """A new baseline of each of ``tracks`` (those in view) from their next frames."""
        for track in tracks:
            self._collecting[track] = BaselineCollector(track, self.request_seconds, "operator")

    def read(
        self, track: int, t: float, probs: npt.NDArray[np.float32]
    ) -> tuple[npt.NDArray[np.float32], Baseline | None, bool]:
        """The frame's probabilities read against this person's baseline (when they have
        one), the baseline completed on this frame (or None), and whether one was applied."""
        if self.reference is None:
            return probs, None, False
        first = track not in self._seen
        self._seen.add(track)
        if self.seconds > 0 and (
            first or (track not in self._taken and not self.collecting(track))
        ):
            # a person's first frame, or their return after leaving before it was complete
            self._collecting[track] = BaselineCollector(track, self.seconds, "auto")
        new = None
        collector = self._collecting.get(track)
        if collector is not None:
            new = collector.add(t, probs)
            if new is not None:
                self._taken[track] = new
                del self._collecting[track]
        taken = self._taken.get(track)
        if taken is None:
            return probs, new, False
        read = relative(
            probs, taken.log_probs, self.reference, self.strength, self.gain, self.every_class
        )
        return read, new, True

    def forget(self, live: set[int], keep: set[int] | None = None) -> list[BaselineMissed]:
        """Drop the baselines of tracks the tracker has let go, except those of ``keep``
        (people remembered while out of view, who keep their number and their baseline).
        A baseline still being taken of a track that left is given up: returned, so that
        the screen can say why there is none."""
        missed = [
            BaselineMissed(c.track, c.trigger, c.frames, "face left")
            for c in self._collecting.values()
            if c.track not in live
        ]
        for track in [t for t in self._collecting if t not in live]:
            del self._collecting[track]
        kept = live | (keep or set())
        for track in [t for t in self._taken if t not in kept]:
            del self._taken[track]
        return missed

    def collecting(self, track: int) -> bool:
        """Whether this person's baseline is being taken now."""
        return track in self._collecting

    def taken(self, track: int) -> Baseline | None:
        """This person's baseline, when one is taken (their frames are read against it)."""
        return self._taken.get(track)


def clip_relative(
    probs: npt.NDArray[np.float32],
    t: npt.NDArray[np.floating],
    seconds: float,
    reference: tuple[float, ...],
    strength: float,
    gain: float,
    min_frames: int = 5,
    every_class: bool = False,
) -> npt.NDArray[np.float32]:
    """One clip's per-frame readings with its first ``seconds`` of face frames as the
    baseline, as ``run --baseline`` would read one person: the frames up to and including
    the one that completes the baseline stay as they are, the later ones are read against it.
    A clip too short to complete a baseline is returned unchanged."""
    collector = BaselineCollector(0, seconds, min_frames=min_frames)
    out = np.array(probs, dtype=np.float32, copy=True)
    baseline: Baseline | None = None
    for i, (p, ti) in enumerate(zip(probs, t, strict=True)):
        if baseline is not None:
            out[i] = relative(p, baseline.log_probs, reference, strength, gain, every_class)
        else:
            baseline = collector.add(float(ti), p)
    return out
