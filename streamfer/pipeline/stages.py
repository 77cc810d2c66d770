"""The one pipeline that live monitoring, file analysis and calibration all run."""

from __future__ import annotations

import time
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from streamfer.config.settings import Config
from streamfer.core.errors import ConfigError
from streamfer.core.frames import Frame
from streamfer.core.labels import label_names, valence_arousal
from streamfer.method.aggregate import RepresentativeEmotion, WindowAggregator
from streamfer.method.baseline import Baseline, BaselineMissed, Baselines
from streamfer.method.rule import first_most_frequent
from streamfer.pipeline.reading import FaceReader, GeometryStage, Measured
from streamfer.pipeline.results import (
    Detected,
    FaceResult,
    FrameResult,
    GroupConsensus,
    StepResult,
    Tracked,
)
from streamfer.vision.backends import make_detector
from streamfer.vision.blendshapes import BLENDSHAPE_NAMES
from streamfer.vision.classify import EmotionClassifierBackend, TFLiteEmotionClassifier
from streamfer.vision.describe import DESCRIBER_MODEL, FaceDescriber
from streamfer.vision.detect import FaceDetectorBackend
from streamfer.vision.expression import points_from_landmarks
from streamfer.vision.modelcard import CropSettings
from streamfer.vision.reidentify import People, Return
from streamfer.vision.track import DetectionSchedule, IouTracker, moved_to

__all__ = ["FramePipeline"]


class FramePipeline:
    """Detector, tracker, classifier and one aggregator per track, built once from config."""

    def __init__(
        self,
        config: Config,
        detector: FaceDetectorBackend | None = None,
        classifier: EmotionClassifierBackend | None = None,
        describer: FaceDescriber | None = None,
    ) -> None:
        self.config = config
        # OpenCV's own thread pool only adds overhead for 640x480 frames beside the capture
        # thread and LiteRT (measured: 7.6 % less wall time, 24 % less CPU time in the pipeline).
        cv2.setNumThreads(1)
        self.detector = detector or make_detector(
            config.detector.backend,
            config.resolve_model(config.detector.model),
            config.detector.min_confidence,
            config.detector.num_threads,
            **config.full_range_check(),
        )
        try:
            real = classifier is None or isinstance(classifier, TFLiteEmotionClassifier)
            self.crop = config.crop() if real else _fake_crop(config)
            self.classifier = classifier or TFLiteEmotionClassifier(
                config.emotion_model_path(), config.classifier.num_threads, self.crop.flip_average
            )
        except BaseException:
            self.detector.close()
            raise
        self.classes = self.classifier.classes
        self.tracker = IouTracker(config.tracker.iou_threshold, config.tracker.max_missed_frames)
        self.people: People | None = None
        self.describer: FaceDescriber | None = None
        tracker = config.tracker
        if tracker.reidentify and tracker.memory_seconds > 0:
            try:
                self.describer = describer or FaceDescriber(config.resolve_model(DESCRIBER_MODEL))
            except BaseException:
                self.detector.close()
                raise
            self.people = People(tracker.memory_seconds, tracker.match_threshold)
        self.aggregators: dict[int, WindowAggregator] = {}
        self.latest: dict[int, RepresentativeEmotion] = {}
        self._last_group_t: float | None = None
        self.baselines = self._baselines(real)
        self._baseline_requested = False
        self.geometry: GeometryStage | None = None
        if config.geometry_on():
            try:
                self.geometry = GeometryStage.from_config(config, with_head=real)
            except BaseException:
                self.detector.close()
                raise
        self._blendshape_names = BLENDSHAPE_NAMES if self.geometry is not None else ()
        self.reader = FaceReader(
            self.classifier,
            self.crop,
            self.geometry,
            config.classifier.smooth_seconds,
            config.classifier.alternate_flip,
        )
        # Detecting less often (``[detector] detect_every_frames``): belongs to ``prepare``.
        self.schedule = DetectionSchedule(config.detector.detect_every_frames)

    def _baselines(self, real_classifier: bool) -> Baselines:
        """Each person's own neutral (``[aggregator] baseline_seconds``, the ``b`` key)."""
        seconds = self.config.aggregator.baseline_seconds
        card = self.config.emotion_model() if real_classifier else None
        reference = card.neutral_reference if card is not None else None
        if seconds > 0 and reference is None:
            self.detector.close()
            raise ConfigError(
                f"the emotion model {self.config.classifier.model} has no neutral reference, "
                "so it cannot read people against their own neutral",
                "use a model whose sidecar has one (the default does) or set "
                "[aggregator] baseline_seconds = 0",
            )
        if card is None:
            return Baselines(seconds, None, 0.0)
        return Baselines(
            seconds,
            reference,
            card.baseline_strength,
            card.baseline_gain,
            every_class=card.baseline_every_class,
        )

    def request_baseline(self) -> bool:
        """Take everyone in view's neutral afresh from their next seconds (the operator's
        ``b`` key, from any thread: applied at the next frame). False, and nothing done, for
        a model without a neutral reference."""
        if self.baselines.reference is None:
            return False
        self._baseline_requested = True
        return True

    def process(self, frame: Frame) -> StepResult:
        """Run every stage on one frame."""
        return self.step(self.prepare(frame))

    def prepare(self, frame: Frame) -> Measured:
        """The stages before the emotion CNN: detection (or the faces followed,
        ``[detector] detect_every_frames``), tracking and the geometry stage's measures.
        ``DetectAhead`` runs them on their own thread, frames in order; their state (the
        detector's, the tracker's, the geometry sampler's) belongs to that thread."""
        detected = self.detect(frame)
        tracked = self.track(detected)
        t0 = time.perf_counter()
        measures = tuple(
            self.reader.measure(track, frame, detection)
            for track, detection in zip(tracked.ids, detected.faces, strict=True)
        )
        self.reader.end_measures(set(tracked.ids))
        self._check_followed(detected, tracked)
        return Measured(detected, tracked, measures, time.perf_counter() - t0)

    def detect(self, frame: Frame) -> Detected:
        """The faces in a frame large enough to read (the detection stage alone): the
        detector's, or on a frame it does not look at the faces followed."""
        held = self.schedule.held(frame.t, frame.image)
        if held is not None:
            return Detected(frame, held, 0.0, followed=True)
        t0 = time.perf_counter()
        smallest = self.config.detector.min_face_pixels
        faces = tuple(
            d
            for d in self.detector.detect(frame.image, frame.t)
            if min(d.box.w, d.box.h) >= smallest
        )
        self.schedule.detection(faces, frame.image)
        return Detected(frame, faces, time.perf_counter() - t0)

    def step(self, measured: Measured) -> StepResult:
        """Every stage after ``prepare``: read each face (the CNN, fusion, smoothing),
        aggregate.

        Frames must come in order, each with its own ``prepare(frame)`` result.
        """
        detected, tracked = measured.detected, measured.tracked
        t0 = time.perf_counter()
        missed = self._baseline_request(tracked.ids)
        faces, baselines, geometry_seconds = self.read(measured)
        t1 = time.perf_counter()
        verdicts, group, lost = self.aggregate(detected.frame, faces, tracked)
        t2 = time.perf_counter()
        frame = detected.frame
        result = FrameResult(
            frame_index=frame.index,
            t=frame.t,
            captured=frame.captured,
            faces=tuple(faces),
            detect_seconds=detected.seconds,
            track_seconds=tracked.seconds,
            read_seconds=t1 - t0 + measured.seconds,
            geometry_seconds=geometry_seconds,
            aggregate_seconds=t2 - t1,
        )
        return StepResult(
            result,
            verdicts,
            group,
            tracked.live,
            baselines,
            tracked.returns,
            tracked.remembered,
            missed + lost,
        )

    def _check_followed(self, detected: Detected, tracked: Tracked) -> None:
        """With detection every few frames, what this frame's landmarks say of the faces
        followed to the next one: a face the landmark model no longer sees (presence under
        ``[geometry] min_presence``) makes the next frame detected; one whose eyes moved more
        than ``[detector] follow_max_shift`` of its box's width (or whose eye distance
        changed by that share) is followed in its new place (``moved_to``)."""
        if self.schedule.every <= 1 or self.geometry is None:
            return
        sampler, t = self.geometry.sampler, detected.frame.t
        min_presence = self.geometry.estimator.min_presence
        faces = list(detected.faces)
        changed = False
        for i, (track, detection) in enumerate(zip(tracked.ids, detected.faces, strict=True)):
            attempt = sampler.last.get(track)
            if attempt is None or attempt.t != t:
                continue
            if attempt.presence is not None and attempt.presence < min_presence:
                self.schedule.detect_next()
                continue
            if attempt.geometry is None:
                continue
            points = points_from_landmarks(attempt.geometry.landmarks)
            right = (float(points[0, 0]), float(points[0, 1]))
            left = (float(points[1, 0]), float(points[1, 1]))
            moved = moved_to(detection, right, left, self.config.detector.follow_max_shift)
            if moved is not None:
                faces[i], changed = moved, True
        if changed:
            self.schedule.follow(tuple(faces), detected.frame.image)

    def track(self, detected: Detected) -> Tracked:
        """Each face's track id; with re-identification, a returning person's old number."""
        t0 = time.perf_counter()
        frame, faces = detected.frame, detected.faces
        track_ids = self.tracker.update(list(faces))
        live = tuple(self.tracker.live_ids)
        returns: tuple[Return, ...] = ()
        remembered: tuple[int, ...] = ()
        if self.people is not None:
            describer = self.describer
            assert describer is not None

            def describe(i: int) -> npt.NDArray[np.float32] | None:
                return describer.describe(frame.image, faces[i])

            track_ids, back, drop = self.people.update(frame.t, track_ids, set(live), describe)
            for raw in drop:
                self.tracker.drop(raw)
            returns, live = tuple(back), tuple(self.people.live)
            remembered = tuple(self.people.remembered)
        seconds = time.perf_counter() - t0
        return Tracked(tuple(track_ids), live, seconds, returns, remembered)

    def read(
        self, measured: Measured
    ) -> tuple[tuple[FaceResult, ...], tuple[Baseline, ...], float]:
        """Each face's reading (``FaceReader.read``: the crops, the CNN, the fusion with the
        face's measure, smoothing), read against the person's own neutral when one is taken;
        the baselines completed on this frame; the seconds of the geometry stage. A face the
        landmark model says is no face is left out."""
        detected, tracked = measured.detected, measured.tracked
        frame = detected.frame
        faces: list[FaceResult] = []
        completed: list[Baseline] = []
        geometry_seconds = 0.0
        for track, detection, measure in zip(
            tracked.ids, detected.faces, measured.measures, strict=True
        ):
            reading = self.reader.read(track, frame, detection, measure)
            if reading is None:
                continue
            geometry_seconds += reading.geometry_seconds
            probs, baseline, _ = self.baselines.read(track, frame.t, reading.scores)
            if baseline is not None:
                completed.append(baseline)
            valence, arousal = valence_arousal(probs, self.classes)
            faces.append(
                FaceResult(
                    track, detection, probs, valence, arousal, reading.geometry, reading.fresh
                )
            )
        self.reader.end_frame(set(tracked.live))
        return tuple(faces), tuple(completed), geometry_seconds

    def aggregate(
        self, frame: Frame, faces: tuple[FaceResult, ...], tracked: Tracked
    ) -> tuple[
        tuple[RepresentativeEmotion, ...], GroupConsensus | None, tuple[BaselineMissed, ...]
    ]:
        """Each person's window and the verdicts that fell due, the group's when two or more
        people have one, and the baselines given up on (people who left before theirs was
        taken, or an operator's request with nobody in view)."""
        verdicts: list[RepresentativeEmotion] = []
        for face in faces:
            aggregator = self.aggregators.get(face.track)
            if aggregator is None:
                aggregator = self.aggregators[face.track] = WindowAggregator(
                    face.track, self.config.aggregator, self.classes, self._blendshape_names
                )
            g = face.geometry
            sample = (
                (g.blendshapes, (g.yaw, g.pitch, g.roll)) if face.geometry_fresh and g else None
            )
            verdict = aggregator.update(
                frame.t, face.emotion_index, face.valence, face.arousal, sample
            )
            if verdict is not None:
                verdicts.append(verdict)
                self.latest[face.track] = verdict
        missed = self._forget_lost_tracks(set(tracked.live), set(tracked.remembered))
        group = self._group(frame.t) if verdicts else None
        return tuple(verdicts), group, tuple(missed)

    def _baseline_request(self, tracks: tuple[int, ...]) -> tuple[BaselineMissed, ...]:
        """The operator's ``b`` (``request_baseline``), applied to everyone in this frame."""
        if not self._baseline_requested:
            return ()
        self._baseline_requested = False
        self.baselines.request(set(tracks))
        if not tracks:
            return (BaselineMissed(None, "operator", 0, "no face in view"),)
        return ()

    def geometry_counts(self) -> dict[str, Any] | None:
        """What the geometry stage measured, skipped and dropped (None when it is off)."""
        return None if self.geometry is None else self.geometry.counts()

    def _forget_lost_tracks(
        self, live: set[int], remembered: set[int]
    ) -> tuple[BaselineMissed, ...]:
        for track in [t for t in self.aggregators if t not in live]:
            del self.aggregators[track]
            self.latest.pop(track, None)
        return tuple(self.baselines.forget(live, remembered))

    def _group(self, t: float) -> GroupConsensus | None:
        interval = self.config.aggregator.emit_interval_seconds
        if len(self.latest) < 2:
            return None
        if self._last_group_t is not None and t - self._last_group_t < interval - 1e-9:
            return None
        self._last_group_t = t
        tracks = tuple(sorted(self.latest))
        shares: dict[str, float] = {}
        for track in tracks:
            label = self.latest[track].label
            shares[label] = shares.get(label, 0.0) + 1.0 / len(tracks)
        names = label_names(self.config.aggregator.label_set, self.classes)
        people = [sum(self.latest[k].label == name for k in tracks) for name in names]
        label = names[int(first_most_frequent(people))]
        return GroupConsensus(t, label, dict(sorted(shares.items())), tracks)

    def close(self) -> None:
        self.detector.close()
        if self.geometry is not None:
            self.geometry.estimator.close()


def _fake_crop(config: Config) -> CropSettings:
    """The crop for a classifier passed in (tests): config's values, else the defaults."""
    d = config.detector
    default = CropSettings()
    return CropSettings(
        margin=default.margin if d.crop_margin is None else d.crop_margin,
        align_eyes=default.align_eyes if d.align_eyes is None else d.align_eyes,
    )
