"""The geometry stage inside the pipeline: which faces are measured, what they carry, what is
fused and what is counted (``FramePipeline`` builds one when ``Config.geometry_on()``).

Per frame, after tracking, ``GeometryStage.update`` runs ``GeometrySampler`` (each track at
most every ``[geometry] interval_seconds``) and gives each face a ``FaceState``:

- ``geometry``: the track's last attempt's geometry when that attempt succeeded at most
  ``max_age_seconds`` ago; ``fresh`` when it was this frame's. A track whose last attempt
  gave none (too small, cut by the edge, not confirmed as a face, no pose) carries none until
  one succeeds again: an old pose is never shown for a face that has since become
  unmeasurable. Such a face keeps its emotion, read by the CNN alone.
- ``rejected``: only with ``[geometry] drop_false_faces``: the last attempt's presence score
  was under ``min_presence``, the landmark model says the detection is no face. The pipeline
  then drops the face from the frame before the emotion model (not classified, not in the
  log's faces, not fed to the aggregator or a baseline) and counts the face-frames in
  ``dropped``. Off by default: the presence score also rejects a real face behind sunglasses
  (``docs/geometry.md``, "False faces"). When on, faces cut by the edge are judged too (their
  presence is measured though they get no geometry), and a new track is measured on each of
  its first two frames, which catches false faces the model passes once.

With a geometry head (the emotion model's sidecar), ``read`` gives a face's probabilities as
the CNN's fused with the head's reading of its geometry; faces without geometry keep the
CNN's. With a second expression model (the sidecar's ``second``), each fresh geometry sample
also runs that model on the face aligned by five of its landmarks, and its reading joins the
fusion (``vision/fusion.py``) for as long as the sample is not older than ``max_age_seconds``:
a face's first verdict therefore waits for nothing more than it did, and the second opinion
is at most ``interval_seconds`` old when the face is measurable. ``counts()`` is what
``session_end`` reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfer.config.settings import Config
from streamfer.core.errors import ModelError
from streamfer.core.frames import Detection, Image
from streamfer.method.geometry_window import GeometrySummary, GeometryWindow
from streamfer.vision.blendshapes import BLENDSHAPE_NAMES
from streamfer.vision.expression import AlignedExpressionModel, points_from_landmarks
from streamfer.vision.fusion import fuse_parts, tempered
from streamfer.vision.geometry import (
    BLENDSHAPE_MODEL,
    LANDMARK_MODEL,
    FaceGeometry,
    GeometryEstimator,
    GeometrySampler,
)
from streamfer.vision.geometry_head import GeometryHead
from streamfer.vision.reidentify import Return

#: With ``drop_false_faces``, a new track is measured on each of its first this many frames.
CONFIRM_FRAMES = 2


@dataclass(frozen=True)
class FaceState:
    """What the geometry stage says of one face on one frame."""

    geometry: FaceGeometry | None = None
    fresh: bool = False
    rejected: bool = False


@dataclass(frozen=True)
class Tracked:
    """One frame after tracking: each detection's track id, the tracks the tracker holds (in
    view or in grace), each face's geometry state (None: the stage is off), the seconds;
    with re-identification the returns and the people remembered."""

    ids: list[int]
    live: tuple[int, ...]
    states: list[FaceState] | None
    seconds: float
    geometry_seconds: float
    returns: tuple[Return, ...] = ()  # people given their old number back on this frame
    remembered: tuple[int, ...] = ()  # people out of view who keep their number (memory)


@dataclass(frozen=True)
class SecondOpinion:
    """The second expression model, its weight and temperature, and the classes it reads in
    the emotion model's order (``index[i]``: its output for the CNN's class i, or -1)."""

    model: AlignedExpressionModel
    weight: float
    temperature: float
    index: tuple[int, ...]

    @classmethod
    def load(cls, config: Config) -> SecondOpinion | None:
        path = config.second_model_path()
        if path is None:
            return None
        card = config.emotion_model()
        model = AlignedExpressionModel(path, config.geometry.num_threads)
        index = tuple(model.classes.index(c) if c in model.classes else -1 for c in card.classes)
        if sum(i >= 0 for i in index) < 2:
            raise ModelError(
                f"second model {path.name} reads {', '.join(model.classes)}, which shares "
                f"fewer than two classes with {card.name}"
            )
        return cls(model, card.second_weight, card.second_temperature, index)

    def read(self, image: Image, geometry: FaceGeometry) -> npt.NDArray[np.float64]:
        """Its probabilities for one face, in the CNN's order, NaN where it has no class."""
        own = tempered(
            self.model.classify(image, points_from_landmarks(geometry.landmarks)),
            self.temperature,
        )
        return np.array([own[i] if i >= 0 else np.nan for i in self.index])


class GeometryStage:
    """The sampler, the optional head and second model, each track's geometry window and the
    counts."""

    def __init__(
        self,
        config: Config,
        head: GeometryHead | None,
        weight: float,
        second: SecondOpinion | None = None,
    ) -> None:
        g = config.geometry
        estimator = GeometryEstimator(
            config.resolve_model(LANDMARK_MODEL),
            config.resolve_model(BLENDSHAPE_MODEL),
            num_threads=g.num_threads,
            min_face_pixels=g.min_face_pixels,
            max_outside=g.max_outside,
            min_presence=g.min_presence,
            check_edge_presence=g.drop_false_faces,
        )
        confirm = CONFIRM_FRAMES if g.drop_false_faces else 1
        self.sampler = GeometrySampler(estimator, g.interval_seconds, confirm=confirm)
        self.drop_false_faces = g.drop_false_faces
        self.max_age = g.max_age_seconds
        self.head = head
        self.weight = weight
        self.second = second
        self.window_seconds = config.aggregator.window_seconds
        self.windows: dict[int, GeometryWindow] = {}
        self.dropped = 0  # face-frames dropped as no face (presence)
        self._head_probs: dict[int, tuple[float, npt.NDArray[np.float64]]] = {}
        self._second_probs: dict[int, tuple[float, npt.NDArray[np.float64]]] = {}

    @classmethod
    def from_config(cls, config: Config, with_head: bool = True) -> GeometryStage:
        """The stage ``config`` asks for, with the emotion model's head when its sidecar names
        one (``with_head`` False: a classifier passed in, whose sidecar is not at hand)."""
        path = config.geometry_head_path() if with_head else None
        second = SecondOpinion.load(config) if with_head else None
        if path is None:
            return cls(config, None, 0.0, second)
        head, card = GeometryHead.load(path), config.emotion_model()
        if head.classes != card.classes:
            raise ModelError(
                f"geometry head {path.name} reads {', '.join(head.classes)}, but the emotion "
                f"model {card.name} gives {', '.join(card.classes)}",
                "the sidecar must name a head trained for this model",
            )
        return cls(config, head, card.geometry_weight, second)

    @property
    def estimator(self) -> GeometryEstimator:
        return self.sampler.estimator

    def update(
        self, image: Image, t: float, tracks: list[int], detections: list[Detection]
    ) -> list[FaceState]:
        """Each face's state on the frame at ``t`` (call once per frame, in order)."""
        self.sampler.update(image, t, zip(tracks, detections, strict=True))
        states = []
        for track in tracks:
            attempt = self.sampler.last[track]
            if attempt.skipped == "presence" and self.drop_false_faces:
                states.append(FaceState(rejected=True))
            elif attempt.geometry is not None and t - attempt.t <= self.max_age + 1e-9:
                states.append(FaceState(attempt.geometry, fresh=attempt.t == t))
            else:
                states.append(FaceState())
        return states

    def read(
        self, track: int, t: float, image: Image, state: FaceState, probs: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float32]:
        """One face's reading: the CNN's ``probs`` fused with the head's reading of its
        geometry and the second model's reading of the face aligned by it (the CNN's alone
        when the face has no geometry, or the stage has neither). Both readings are made once
        per geometry sample and kept with it; the face's geometry window gets the sample."""
        g = state.geometry
        self._observe(track, t, state)
        if g is None or (self.head is None and self.second is None):
            return probs
        parts: list[tuple[npt.NDArray[np.floating], float]] = []
        if self.head is not None:
            if state.fresh or track not in self._head_probs:
                pose = (g.yaw, g.pitch, g.roll)
                self._head_probs[track] = (t, self.head.predict(g.blendshapes, pose))
            parts.append((self._head_probs[track][1], self.weight))
        if self.second is not None:
            if state.fresh or track not in self._second_probs:
                self._second_probs[track] = (t, self.second.read(image, g))
            parts.append((self._second_probs[track][1], self.second.weight))
        cnn_weight = 1.0 - sum(w for _, w in parts)
        return fuse_parts([(probs, cnn_weight), *parts])

    def _observe(self, track: int, t: float, state: FaceState) -> None:
        """Add a fresh sample to the track's geometry window."""
        if not state.fresh or state.geometry is None:
            return
        window = self.windows.get(track)
        if window is None:
            window = self.windows[track] = GeometryWindow(BLENDSHAPE_NAMES, self.window_seconds)
        g = state.geometry
        window.add(t, g.blendshapes, (g.yaw, g.pitch, g.roll))

    def summary(self, track: int, t: float) -> GeometrySummary | None:
        window = self.windows.get(track)
        return None if window is None else window.summary(t)

    def forget(self, live: set[int]) -> None:
        for track in [k for k in self.windows if k not in live]:
            del self.windows[track]
        for book in (self._head_probs, self._second_probs):
            for track in [k for k in book if k not in live]:
                del book[track]

    def counts(self) -> dict[str, Any]:
        """For ``session_end``: faces measured, attempts skipped by reason, frames dropped."""
        estimator = self.estimator
        return {
            "estimated": estimator.estimated,
            "skipped": dict(estimator.skipped),
            "dropped_faces": self.dropped,
        }
