"""The streaming aggregator: one person's sliding window of classified frames.

Each window is judged by the threshold rule of ``streamfer.method.rule`` (implemented once,
with its tie rule). Frames with no face for this person do not count toward N.

This module is pure: no I/O and no clock. Time comes from frame timestamps.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from streamfer.core.choices import LabelSet, Method
from streamfer.core.labels import EMOTIONS, broad_of, label_names
from streamfer.method.geometry_window import GeometrySummary, GeometryWindow
from streamfer.method.rule import EPSILON, representative_index


@dataclass(frozen=True)
class AggregatorSettings:
    """How a track's window is built and judged.

    ``window_seconds``: length of the sliding window (seconds of source time).
    ``min_frames``: fewer classified frames than this in the window give no verdict.
    ``emit_interval_seconds``: how often a verdict is emitted per track.
    """

    method: Method = Method.THRESHOLD
    threshold: float = 0.20
    label_set: LabelSet = LabelSet.EMOTIONS
    window_seconds: float = 3.0
    min_frames: int = 5
    emit_interval_seconds: float = 1.0
    #: seconds of each person's first frames taken as their own neutral (0: none unless the
    #: operator asks; method/baseline.py)
    baseline_seconds: float = 0.0

    def __post_init__(self) -> None:
        # the words of config.toml are accepted too: Method("mode") raises ValueError
        object.__setattr__(self, "method", Method(self.method))
        object.__setattr__(self, "label_set", LabelSet(self.label_set))
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], not {self.threshold}")
        if self.window_seconds <= 0 or self.emit_interval_seconds <= 0 or self.min_frames < 1:
            raise ValueError("window_seconds, emit_interval_seconds > 0 and min_frames >= 1")
        if not 0.0 <= self.baseline_seconds <= 600.0:
            raise ValueError(f"baseline_seconds must be in [0, 600], not {self.baseline_seconds}")

    @property
    def effective_threshold(self) -> float:
        return 1.0 if self.method is Method.TOP1 else self.threshold


@dataclass(frozen=True)
class RepresentativeEmotion:
    """The verdict for one track's window ending at time ``t`` (seconds of source time)."""

    track: int
    t: float
    label: str
    counts: dict[str, int]
    n_frames: int
    valence: float
    arousal: float
    #: the same window's geometry (``geometry_window.py``) when the aggregator is given
    #: geometry samples (the geometry stage is on) and the window holds one
    geometry: GeometrySummary | None = None


class WindowAggregator:
    """One person's sliding window. ``update`` takes a frame's label (and, with the geometry
    stage, the frame's fresh geometry sample) and may return a verdict."""

    def __init__(
        self,
        track: int,
        settings: AggregatorSettings,
        emotions: tuple[str, ...] = EMOTIONS,
        blendshape_names: tuple[str, ...] = (),
    ) -> None:
        """``emotions``: the model's class names (its output order), neutral last.
        ``blendshape_names``: the geometry samples' blendshapes, in order (none: no samples)."""
        self.track = track
        self._blendshape_names = blendshape_names
        self.geometry: GeometryWindow | None = None
        self.settings = settings
        self._names = label_names(settings.label_set, emotions)
        self._broad = broad_of(emotions)
        # (t, label index in the label set, valence, arousal); bounded by time, trimmed on update
        self._window: deque[tuple[float, int, float, float]] = deque()
        self._last_emit: float | None = None

    def update(
        self,
        t: float,
        emotion_index: int,
        valence: float,
        arousal: float,
        sample: tuple[npt.NDArray[np.floating], tuple[float, float, float]] | None = None,
    ) -> RepresentativeEmotion | None:
        """Add one classified frame at time ``t`` and its fresh geometry ``sample``
        (blendshapes, head pose) if it has one; return a verdict when one is due."""
        if sample is not None and self._blendshape_names:
            if self.geometry is None:
                self.geometry = GeometryWindow(self._blendshape_names, self.settings.window_seconds)
            self.geometry.add(t, *sample)
        label = emotion_index
        if self.settings.label_set is LabelSet.BROAD:
            label = int(self._broad[emotion_index])
        self._window.append((t, label, valence, arousal))
        start = t - self.settings.window_seconds + EPSILON  # the window is (t - window, t]
        while self._window and self._window[0][0] <= start:
            self._window.popleft()
        if (
            self._last_emit is not None
            and t - self._last_emit < self.settings.emit_interval_seconds - EPSILON
        ):
            return None
        if len(self._window) < self.settings.min_frames:
            return None
        self._last_emit = t
        return self.current(t)

    def current(self, t: float) -> RepresentativeEmotion | None:
        """The verdict over the window as it stands, or None when it is empty."""
        if not self._window:
            return None
        labels = np.fromiter((w[1] for w in self._window), dtype=np.int64, count=len(self._window))
        counts = np.bincount(labels, minlength=len(self._names))
        index = representative_index(counts, self.settings.effective_threshold)
        va = np.array([(w[2], w[3]) for w in self._window]).mean(axis=0)
        return RepresentativeEmotion(
            track=self.track,
            t=t,
            label=self._names[index],
            counts={name: int(c) for name, c in zip(self._names, counts, strict=True)},
            n_frames=int(counts.sum()),
            valence=float(va[0]),
            arousal=float(va[1]),
            geometry=None if self.geometry is None else self.geometry.summary(t),
        )
