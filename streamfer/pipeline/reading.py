"""Reading one face: what it shows, from every model that looks at it.

``FaceReader`` reads each face of a frame in two halves, each with its own state, so that
``DetectAhead`` can run the first on its own thread, ahead of the second (frames in order on
each; one thread gives the same results): ``measure``, the geometry stage's measurement when
the person is due one (``GeometryStage.measure``: landmarks, blendshapes, head pose), and
``read``, the emotion CNN on the face's crop, the fusion of its scores with the geometry
head's and the second model's (``GeometryStage.parts``) and the per-person smoothing;
``read`` without a measure takes it first. What a face carries, when it is dropped as no
face, and how the readings are fused: docs/geometry.md ("Where it runs", "What a face
carries", "Fusion with the emotion model", "False faces").
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from streamfer.config.settings import Config
from streamfer.core.errors import ModelError
from streamfer.core.frames import Detection, Frame, Image
from streamfer.pipeline.results import Detected, Tracked
from streamfer.vision.align import face_crop
from streamfer.vision.classify import EmotionClassifierBackend, TFLiteEmotionClassifier
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
from streamfer.vision.modelcard import CropSettings

#: Probabilities are floored here before the logarithm of the per-person smoothing.
SMOOTH_FLOOR = 1e-6

#: With ``drop_false_faces``, a new track is measured on each of its first this many frames.
CONFIRM_FRAMES = 2


@dataclass(frozen=True)
class FaceState:
    """What the geometry stage says of one face on one frame."""

    geometry: FaceGeometry | None = None
    fresh: bool = False
    rejected: bool = False


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
        model = AlignedExpressionModel(path, config.geometry_threads())
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
    """The sampler, the optional head and second model, and the counts."""

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
            num_threads=config.geometry_threads(),
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
        self.dropped = 0  # face-frames dropped as no face (presence)
        self._head_probs: dict[int, npt.NDArray[np.float64]] = {}
        self._second_probs: dict[int, npt.NDArray[np.float64]] = {}

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

    def measure(self, image: Image, t: float, track: int, detection: Detection) -> FaceState:
        """One face's state on the frame at ``t``, measured afresh when the track is due
        (each face once per frame, frames in order; ``sampler.forget`` after the frame's faces)."""
        self.sampler.sample(image, t, track, detection)
        attempt = self.sampler.last[track]
        if attempt.skipped == "presence" and self.drop_false_faces:
            self.dropped += 1
            return FaceState(rejected=True)
        if attempt.geometry is not None and t - attempt.t <= self.max_age + 1e-9:
            return FaceState(attempt.geometry, fresh=attempt.t == t)
        return FaceState()

    def parts(
        self, track: int, image: Image, state: FaceState
    ) -> tuple[tuple[npt.NDArray[np.float64], float], ...]:
        """What joins the CNN's probabilities in the fusion: the head's
        reading of the face's geometry and the second model's reading of the face aligned by
        it, each with its weight; none when the face has no geometry, or the stage has
        neither. Both readings are made once per geometry sample and kept with it."""
        g = state.geometry
        if g is None or (self.head is None and self.second is None):
            return ()
        parts: list[tuple[npt.NDArray[np.float64], float]] = []
        if self.head is not None:
            if state.fresh or track not in self._head_probs:
                pose = (g.yaw, g.pitch, g.roll)
                self._head_probs[track] = self.head.predict(g.blendshapes, pose)
            parts.append((self._head_probs[track], self.weight))
        if self.second is not None:
            if state.fresh or track not in self._second_probs:
                self._second_probs[track] = self.second.read(image, g)
            parts.append((self._second_probs[track], self.second.weight))
        return tuple(parts)

    def forget_readings(self, live: set[int]) -> None:
        """Forget the head's and the second model's readings of tracks the tracker no longer
        holds (the samples of tracks not in a frame: ``sampler.forget``)."""
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


@dataclass(frozen=True)
class Measure:
    """What the geometry stage measured of one face on one frame, before the emotion CNN
    (``FaceReader.measure``): its state and the seconds it took."""

    state: FaceState = FaceState()
    seconds: float = 0.0


@dataclass(frozen=True)
class Reading:
    """One face's reading on one frame: probabilities in the emotion model's class order
    (fused and smoothed), its geometry (``FaceState``) and the seconds the geometry stage took
    of it (measuring and the second model)."""

    scores: npt.NDArray[np.float32]
    geometry: FaceGeometry | None
    fresh: bool
    geometry_seconds: float


@dataclass(frozen=True)
class Measured:
    """A frame after ``FramePipeline.prepare``: its faces (detected or followed), their
    track ids, each face's ``Measure`` (in ``detected.faces`` order) and the seconds the
    measures took."""

    detected: Detected
    tracked: Tracked
    measures: tuple[Measure, ...]
    seconds: float


class FaceReader:
    """Everything that reads one face: crops, the emotion CNN, the geometry stage (None: off)
    and the per-person smoothing.

    Two halves, each with its own state, so that they may run on two threads (frames in
    order on each): ``measure`` (the geometry stage) and ``read`` (the CNN, the fusion, the
    smoothing)."""

    def __init__(
        self,
        classifier: EmotionClassifierBackend,
        crop: CropSettings,
        geometry: GeometryStage | None,
        smooth_seconds: float,
        alternate_flip: bool = False,
    ) -> None:
        self.classifier = classifier
        self.classes = classifier.classes
        self.geometry = geometry
        self.smooth_seconds = smooth_seconds
        self._crops = crop.all()
        self._recent: dict[int, deque[tuple[float, npt.NDArray[np.float64]]]] = {}
        # ``[classifier] alternate_flip``: a flip-averaging model's mirror image on every
        # other frame of a person, the smoothing averaging the two views over its window
        self._one_view = (
            classifier
            if alternate_flip
            and smooth_seconds > 0
            and isinstance(classifier, TFLiteEmotionClassifier)
            and classifier.flip_average
            else None
        )
        self._mirrored: dict[int, bool] = {}

    def measure(self, track: int, frame: Frame, detection: Detection) -> Measure:
        """The geometry stage's measure of one face (landmarks, blendshapes, head pose, when
        the person is due one; nothing when the stage is off)."""
        if self.geometry is None:
            return Measure()
        t0 = time.perf_counter()
        state = self.geometry.measure(frame.image, frame.t, track, detection)
        return Measure(state, time.perf_counter() - t0)

    def read(
        self, track: int, frame: Frame, detection: Detection, measure: Measure
    ) -> Reading | None:
        """The face's reading, or None when the landmark model says it is no face (only with
        ``[geometry] drop_false_faces``). ``measure``: this face's ``measure`` on this frame."""
        state = measure.state
        if state.rejected:
            return None
        scores = self.classify(frame.image, detection, self._view(track, frame.t))
        seconds = measure.seconds
        if self.geometry is not None:
            t0 = time.perf_counter()
            parts = self.geometry.parts(track, frame.image, state)
            if parts:
                cnn_weight = 1.0 - sum(w for _, w in parts)
                scores = fuse_parts([(scores, cnn_weight), *parts])
            seconds += time.perf_counter() - t0
        scores = self._smoothed(track, frame.t, scores)
        return Reading(scores, state.geometry, state.fresh, seconds)

    def end_measures(self, in_frame: set[int]) -> None:
        """After a frame's measures: the geometry sampler forgets the tracks not in it."""
        if self.geometry is not None:
            self.geometry.sampler.forget(in_frame)

    def end_frame(self, live: set[int]) -> None:
        """After a frame's readings: forget the smoothing, the head's and the second model's
        readings of tracks the tracker no longer holds."""
        for track in [t for t in self._recent if t not in live]:
            del self._recent[track]
        for track in [t for t in self._mirrored if t not in live]:
            del self._mirrored[track]
        if self.geometry is not None:
            self.geometry.forget_readings(live)

    def classify(
        self, image: Image, detection: Detection, mirrored: bool | None = None
    ) -> npt.NDArray[np.float32]:
        """The emotion model's scores for one face: its crop's, averaged over the model's
        further crops when its sidecar lists any (``CropSettings.also``). ``mirrored``: one
        run a crop, of the crop (False) or of its mirror image (True), in place of the
        model's own (both, with flip averaging); only with ``alternate_flip``."""
        size = self.classifier.input_size
        one_view = self._one_view if mirrored is not None else None
        crops = (
            face_crop(image, detection, crop.margin, crop.align_eyes, size) for crop in self._crops
        )
        if one_view is not None:
            scores = [one_view.classify_view(c, bool(mirrored)) for c in crops]
        else:
            scores = [self.classifier.classify(c) for c in crops]
        if len(scores) == 1:
            return scores[0]
        return np.asarray(np.mean(scores, axis=0), dtype=np.float32)

    def _view(self, track: int, t: float) -> bool | None:
        """Which view of the face the CNN reads on the frame at ``t`` with ``alternate_flip``:
        None (both, as the model's sidecar says) on a person's first frame and after a gap
        longer than the smoothing window, then the mirror image and the face itself in
        turn, so that the window holds both."""
        if self._one_view is None:
            return None
        recent = self._recent.get(track)
        if not recent or t - recent[-1][0] > self.smooth_seconds + 1e-9:
            self._mirrored[track] = False
            return None
        mirrored = not self._mirrored.get(track, False)
        self._mirrored[track] = mirrored
        return mirrored

    def _smoothed(
        self, track: int, t: float, probs: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float32]:
        """The mean of the track's log-probabilities over the last ``smooth_seconds`` of its
        frames (``[classifier] smooth_seconds``; this frame's alone when 0)."""
        seconds = self.smooth_seconds
        if seconds <= 0:
            return probs
        recent = self._recent.setdefault(track, deque())
        recent.append((t, np.log(np.maximum(probs.astype(np.float64), SMOOTH_FLOOR))))
        while t - recent[0][0] > seconds + 1e-9:
            recent.popleft()
        if len(recent) == 1:
            return probs
        z = np.mean([lp for _, lp in recent], axis=0)
        z -= z.max()
        e = np.exp(z)
        return np.asarray(e / e.sum(), np.float32)
