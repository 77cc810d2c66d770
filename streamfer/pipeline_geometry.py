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

With a geometry head (the emotion model's sidecar), ``fuse`` reads a face's probabilities as
the CNN's fused with the head's reading of its geometry; faces without geometry keep the
CNN's. ``counts()`` is what ``session_end`` reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfer.config import Config
from streamfer.core import Detection, Image
from streamfer.errors import ModelError
from streamfer.method.geometry_window import GeometrySummary, GeometryWindow
from streamfer.vision.blendshapes import BLENDSHAPE_NAMES
from streamfer.vision.geometry import (
    BLENDSHAPE_MODEL,
    LANDMARK_MODEL,
    FaceGeometry,
    GeometryEstimator,
    GeometrySampler,
)
from streamfer.vision.geometry_head import GeometryHead, fuse
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


class GeometryStage:
    """The sampler, the optional head, each track's geometry window and the counts."""

    def __init__(self, config: Config, head: GeometryHead | None, weight: float) -> None:
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
        self.window_seconds = config.aggregator.window_seconds
        self.windows: dict[int, GeometryWindow] = {}
        self.dropped = 0  # face-frames dropped as no face (presence)
        self._head_probs: dict[int, tuple[float, npt.NDArray[np.float64]]] = {}

    @classmethod
    def from_config(cls, config: Config, with_head: bool = True) -> GeometryStage:
        """The stage ``config`` asks for, with the emotion model's head when its sidecar names
        one (``with_head`` False: a classifier passed in, whose sidecar is not at hand)."""
        path = config.geometry_head_path() if with_head else None
        if path is None:
            return cls(config, None, 0.0)
        head, card = GeometryHead.load(path), config.emotion_model()
        if head.classes != card.classes:
            raise ModelError(
                f"geometry head {path.name} reads {', '.join(head.classes)}, but the emotion "
                f"model {card.name} gives {', '.join(card.classes)}",
                "the sidecar must name a head trained for this model",
            )
        return cls(config, head, card.geometry_weight)

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

    def fuse(
        self, track: int, t: float, state: FaceState, probs: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float32]:
        """The CNN's ``probs`` fused with the head's reading of the face's geometry (the CNN's
        alone without a head or without geometry). The head's reading is kept per sample."""
        g = state.geometry
        if self.head is None or g is None:
            return probs
        if state.fresh or track not in self._head_probs:
            self._head_probs[track] = (
                t,
                self.head.predict(g.blendshapes, (g.yaw, g.pitch, g.roll)),
            )
        return fuse(probs, self._head_probs[track][1], self.weight)

    def observe(self, track: int, t: float, state: FaceState) -> None:
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
        for track in [k for k in self._head_probs if k not in live]:
            del self._head_probs[track]

    def counts(self) -> dict[str, Any]:
        """For ``session_end``: faces measured, attempts skipped by reason, frames dropped."""
        estimator = self.estimator
        return {
            "estimated": estimator.estimated,
            "skipped": dict(estimator.skipped),
            "dropped_faces": self.dropped,
        }
