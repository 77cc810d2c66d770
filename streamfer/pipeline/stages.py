"""The one pipeline that live monitoring, file analysis and calibration all run."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import replace
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from streamfer.config.settings import Config
from streamfer.core.errors import ConfigError
from streamfer.core.frames import Detection, Frame
from streamfer.core.labels import label_names, valence_arousal
from streamfer.method.aggregate import RepresentativeEmotion, WindowAggregator
from streamfer.method.baseline import Baseline, BaselineMissed, Baselines
from streamfer.method.rule import first_most_frequent
from streamfer.pipeline.reading import FaceState, GeometryStage, Tracked
from streamfer.pipeline.results import FaceResult, FrameResult, GroupConsensus, StepResult
from streamfer.vision.align import face_crop
from streamfer.vision.backends import make_detector
from streamfer.vision.classify import EmotionClassifierBackend, TFLiteEmotionClassifier
from streamfer.vision.describe import DESCRIBER_MODEL, FaceDescriber
from streamfer.vision.detect import FaceDetectorBackend
from streamfer.vision.modelcard import CropSettings
from streamfer.vision.reidentify import People, Return
from streamfer.vision.track import IouTracker

#: Probabilities are floored here before the logarithm of the per-person smoothing.
SMOOTH_FLOOR = 1e-6

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
        self.emotions = self.classifier.classes
        self._crops = self.crop.all()
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
        self._recent: dict[int, deque[tuple[float, npt.NDArray[np.float64]]]] = {}
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
        t0 = time.perf_counter()
        detections = self.detect(frame)
        return self.step(frame, detections, time.perf_counter() - t0)

    def detect(self, frame: Frame) -> list[Detection]:
        """The faces in a frame large enough to read (the detection stage alone)."""
        smallest = self.config.detector.min_face_pixels
        return [
            d
            for d in self.detector.detect(frame.image, frame.t)
            if min(d.box.w, d.box.h) >= smallest
        ]

    def step(self, frame: Frame, detections: list[Detection], detect_seconds: float) -> StepResult:
        """Every stage after detection: tracking and geometry (``track``), then ``finish``.

        Frames must come in order, each with its own ``detect(frame)`` result.
        """
        return self.finish(frame, detections, self.track(frame, detections), detect_seconds)

    def track(self, frame: Frame, detections: list[Detection]) -> Tracked:
        """Track ids for a frame's detections, and their geometry when that stage is on."""
        t0 = time.perf_counter()
        track_ids = self.tracker.update(detections)
        live = tuple(self.tracker.live_ids)
        returns: tuple[Return, ...] = ()
        remembered: tuple[int, ...] = ()
        if self.people is not None:
            describer = self.describer
            assert describer is not None

            def describe(i: int) -> npt.NDArray[np.float32] | None:
                return describer.describe(frame.image, detections[i])

            track_ids, back, drop = self.people.update(frame.t, track_ids, set(live), describe)
            for raw in drop:
                self.tracker.drop(raw)
            returns, live = tuple(back), tuple(self.people.live)
            remembered = tuple(self.people.remembered)
        t1 = time.perf_counter()
        states = None
        if self.geometry is not None:
            states = self.geometry.update(frame.image, frame.t, track_ids, detections)
        t2 = time.perf_counter()
        return Tracked(track_ids, live, states, t2 - t0, t2 - t1, returns, remembered)

    def finish(
        self, frame: Frame, detections: list[Detection], tracked: Tracked, detect_seconds: float
    ) -> StepResult:
        """Crops, the emotion model (fused with the geometry head's reading when there is
        one), the baselines and the aggregators, for a frame's ``track`` result."""
        t1 = time.perf_counter()
        track_ids, states = tracked.ids, tracked.states
        missed: list[BaselineMissed] = []
        if self._baseline_requested:
            self._baseline_requested = False
            self.baselines.request(set(track_ids))
            if not track_ids:
                missed.append(BaselineMissed(None, "operator", 0, "no face in view"))
        faces: list[FaceResult] = []
        emotions: list[RepresentativeEmotion] = []
        baselines: list[Baseline] = []
        for i, (track, detection) in enumerate(zip(track_ids, detections, strict=True)):
            state = states[i] if states is not None else FaceState()
            if state.rejected:  # the landmark model says: no face (pipeline_geometry.py)
                assert self.geometry is not None
                self.geometry.dropped += 1
                continue
            scores = self._classify(frame, detection)
            if self.geometry is not None:
                scores = self.geometry.read(track, frame.t, frame.image, state, scores)
            scores = self._smoothed(track, frame.t, scores)
            probs, baseline, _ = self.baselines.read(track, frame.t, scores)
            if baseline is not None:
                baselines.append(baseline)
            valence, arousal = valence_arousal(probs, self.emotions)
            face = FaceResult(
                track, detection, probs, valence, arousal, state.geometry, state.fresh
            )
            faces.append(face)
            aggregator = self.aggregators.get(track)
            if aggregator is None:
                aggregator = self.aggregators[track] = WindowAggregator(
                    track, self.config.aggregator, self.emotions
                )
            verdict = aggregator.update(frame.t, face.emotion_index, valence, arousal)
            if verdict is not None:
                if self.geometry is not None:
                    verdict = replace(verdict, geometry=self.geometry.summary(track, frame.t))
                emotions.append(verdict)
                self.latest[track] = verdict
        t2 = time.perf_counter()
        missed += self._forget_lost_tracks(set(tracked.live), set(tracked.remembered))
        group = self._group(frame.t) if emotions else None
        result = FrameResult(
            frame_index=frame.index,
            t=frame.t,
            captured=frame.captured,
            faces=tuple(faces),
            detect_seconds=detect_seconds,
            classify_seconds=t2 - t1 + tracked.seconds,
            geometry_seconds=tracked.geometry_seconds,
        )
        return StepResult(
            result,
            tuple(emotions),
            group,
            tracked.live,
            tuple(baselines),
            tracked.returns,
            tracked.remembered,
            tuple(missed),
        )

    def geometry_counts(self) -> dict[str, Any] | None:
        """What the geometry stage measured, skipped and dropped (None when it is off)."""
        return None if self.geometry is None else self.geometry.counts()

    def _classify(self, frame: Frame, detection: Detection) -> npt.NDArray[np.float32]:
        """The emotion model's scores for one face: its crop's, averaged over the model's
        further crops when its sidecar lists any (``CropSettings.also``)."""
        size = self.classifier.input_size
        scores = [
            self.classifier.classify(
                face_crop(frame.image, detection, crop.margin, crop.align_eyes, size)
            )
            for crop in self._crops
        ]
        if len(scores) == 1:
            return scores[0]
        return np.asarray(np.mean(scores, axis=0), dtype=np.float32)

    def _smoothed(
        self, track: int, t: float, probs: npt.NDArray[np.float32]
    ) -> npt.NDArray[np.float32]:
        """The mean of the track's log-probabilities over the last ``smooth_seconds`` of its
        frames (``[classifier] smooth_seconds``; this frame's alone when 0)."""
        seconds = self.config.classifier.smooth_seconds
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

    def _forget_lost_tracks(self, live: set[int], remembered: set[int]) -> list[BaselineMissed]:
        for track in [t for t in self._recent if t not in live]:
            del self._recent[track]
        for track in [t for t in self.aggregators if t not in live]:
            del self.aggregators[track]
            self.latest.pop(track, None)
        missed = self.baselines.forget(live, remembered)
        if self.geometry is not None:
            self.geometry.forget(live)
        return missed

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
        names = label_names(self.config.aggregator.label_set, self.emotions)
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
