"""The one pipeline that live monitoring, file analysis and calibration all run.

``FramePipeline.process(frame)`` detects faces, tracks them, classifies each crop and feeds
each track's window aggregator. ``run`` drives it over a frame source until the source ends,
a frame limit is reached or the stop event is set.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from streamfer.config import Config
from streamfer.core import Detection, FaceResult, Frame, FrameResult
from streamfer.labels import label_names, valence_arousal
from streamfer.method.aggregate import RepresentativeEmotion, WindowAggregator
from streamfer.method.rule import first_most_frequent
from streamfer.vision.align import face_crop
from streamfer.vision.backends import make_detector
from streamfer.vision.classify import EmotionClassifierBackend, TFLiteEmotionClassifier
from streamfer.vision.detect import FaceDetectorBackend
from streamfer.vision.modelcard import CropSettings
from streamfer.vision.track import IouTracker


@dataclass(frozen=True)
class GroupConsensus:
    """Share of present tracks per representative emotion at time ``t`` (two or more people).

    ``label`` is the emotion most people show; ties by the rule's tie rule (label order).
    """

    t: float
    label: str
    shares: dict[str, float]
    tracks: tuple[int, ...]


@dataclass(frozen=True)
class StepResult:
    """What one frame produced: its faces and any verdicts that fell due."""

    frame: FrameResult
    emotions: tuple[RepresentativeEmotion, ...] = field(default_factory=tuple)
    group: GroupConsensus | None = None
    live_tracks: tuple[int, ...] = ()  # tracks the tracker still holds, in view or in grace


#: Why ``run`` stopped feeding frames.
EndOfFrames = Literal["end_of_source", "max_frames", "stopped"]


class FramePipeline:
    """Detector, tracker, classifier and one aggregator per track, built once from config."""

    def __init__(
        self,
        config: Config,
        detector: FaceDetectorBackend | None = None,
        classifier: EmotionClassifierBackend | None = None,
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
        self.aggregators: dict[int, WindowAggregator] = {}
        self.latest: dict[int, RepresentativeEmotion] = {}
        self._last_group_t: float | None = None

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
        """Every stage after detection: tracking, crops, the emotion model, the aggregators.

        Frames must come in order, each with its own ``detect(frame)`` result.
        """
        t1 = time.perf_counter()
        track_ids = self.tracker.update(detections)
        faces: list[FaceResult] = []
        emotions: list[RepresentativeEmotion] = []
        for track, detection in zip(track_ids, detections, strict=True):
            probs = self._classify(frame, detection)
            valence, arousal = valence_arousal(probs, self.emotions)
            face = FaceResult(track, detection, probs, valence, arousal)
            faces.append(face)
            aggregator = self.aggregators.get(track)
            if aggregator is None:
                aggregator = self.aggregators[track] = WindowAggregator(
                    track, self.config.aggregator, self.emotions
                )
            verdict = aggregator.update(frame.t, face.emotion_index, valence, arousal)
            if verdict is not None:
                emotions.append(verdict)
                self.latest[track] = verdict
        t2 = time.perf_counter()
        self._forget_lost_tracks()
        group = self._group(frame.t) if emotions else None
        result = FrameResult(
            frame_index=frame.index,
            t=frame.t,
            captured=frame.captured,
            faces=tuple(faces),
            detect_seconds=detect_seconds,
            classify_seconds=t2 - t1,
        )
        return StepResult(result, tuple(emotions), group, tuple(self.tracker.live_ids))

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

    def _forget_lost_tracks(self) -> None:
        live = set(self.tracker.live_ids)
        for track in [t for t in self.aggregators if t not in live]:
            del self.aggregators[track]
            self.latest.pop(track, None)

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


def _fake_crop(config: Config) -> CropSettings:
    """The crop for a classifier passed in (tests): config's values, else the defaults."""
    d = config.detector
    default = CropSettings()
    return CropSettings(
        margin=default.margin if d.crop_margin is None else d.crop_margin,
        align_eyes=default.align_eyes if d.align_eyes is None else d.align_eyes,
    )


def run(
    frames: Iterable[Frame],
    pipeline: FramePipeline,
    on_step: Callable[[StepResult], None],
    stop: threading.Event | None = None,
    max_frames: int | None = None,
) -> tuple[int, EndOfFrames]:
    """Feed ``frames`` through ``pipeline``, calling ``on_step`` after each.

    With ``[detector] own_thread`` the detector runs one frame ahead on its own thread
    (``DetectAhead``); results and their order are the same either way.
    Returns the number of frames processed and why it ended.
    """
    if not pipeline.config.detector.own_thread:
        return _run_steps(((f, None) for f in frames), pipeline, on_step, stop, max_frames)
    ahead = DetectAhead(frames, pipeline)
    try:
        return _run_steps(ahead, pipeline, on_step, stop, max_frames)
    finally:
        ahead.close()


def _run_steps(
    items: Iterable[tuple[Frame, tuple[list[Detection], float] | None]],
    pipeline: FramePipeline,
    on_step: Callable[[StepResult], None],
    stop: threading.Event | None,
    max_frames: int | None,
) -> tuple[int, EndOfFrames]:
    processed = 0
    for frame, detected in items:
        if stop is not None and stop.is_set():
            return processed, "stopped"
        if detected is None:
            on_step(pipeline.process(frame))
        else:
            on_step(pipeline.step(frame, *detected))
        processed += 1
        if max_frames is not None and processed >= max_frames:
            return processed, "max_frames"
    if stop is not None and stop.is_set():
        return processed, "stopped"
    return processed, "end_of_source"


_DONE = object()


class DetectAhead:
    """The detection stage on its own thread, one frame ahead of the rest of the pipeline.

    Iterate over it for ``(frame, (detections, detect_seconds))`` in the frames' order. The
    thread takes frames from ``frames`` (usually the capture thread), detects and hands each
    over through a queue of ``depth``; so the detector's model runs on one core while the
    emotion model runs on another. An error from the frames or the detector is raised in the
    iterating thread, as it would be without this stage. ``close`` stops the thread and
    returns only when the detector is no longer in use, so the pipeline may then be closed.
    """

    def __init__(self, frames: Iterable[Frame], pipeline: FramePipeline, depth: int = 2) -> None:
        self._frames = frames
        self._pipeline = pipeline
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._closing = threading.Event()
        self._busy = threading.Lock()  # held while the detector runs
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="streamfer-detect", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        try:
            for frame in self._frames:
                with self._busy:
                    if self._closing.is_set():
                        return
                    t0 = time.perf_counter()
                    detections = self._pipeline.detect(frame)
                    seconds = time.perf_counter() - t0
                if not self._put((frame, (detections, seconds))):
                    return
        except BaseException as exc:  # raised again in the iterating thread
            self._error = exc
        finally:
            self._put(_DONE)

    def _put(self, item: object) -> bool:
        while not self._closing.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[tuple[Frame, tuple[list[Detection], float]]]:
        while True:
            item = self._queue.get()
            if item is _DONE:
                break
            yield item  # type: ignore[misc]
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        self._closing.set()
        with self._busy:  # waits out a detection in progress; none starts after this
            pass
        self._thread.join(timeout=0.5)  # may still wait on a frame source; it is a daemon
