"""Predicting: the per-frame predictions of every labelled clip, cached on disk.

(The paper's "Part A"; scoring the rules on them, its "Part B", is ``method.calibration``.)
Each clip is recorded by the same ``Recorder`` and ``FramePipeline`` as ``streamfer run``
(MediaPipe detection, tracker, crop, Mini-Xception), every frame, in order, with no log. For each frame with a face the largest
face's 7 probabilities are kept (frames with no face do not count). The result is stored in
a cache folder as ``<key>.npz``, the key being the sha256 of

- the clip's content: the video file's bytes, or the bytes of a frame folder's image files
  in name order (names and dates do not matter, so a copied data set hits the cache);
- both model files' sha256, and the detector, crop and tracker settings; with the geometry
  stage on (``--geometry``), its settings and the geometry head's sha256 (its presence check
  drops false faces, and a head changes the probabilities);
- ``CACHE_VERSION``, bumped whenever what is stored changes.

A second run over the same clips with the same models and settings decodes nothing.
"""

from __future__ import annotations

import dataclasses
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.core.choices import Pace
from streamfer.core.durable import private_dir, sha256_file, sha256_text, write_atomic
from streamfer.core.errors import OutputError, SourceError
from streamfer.evaluation.datasets import Clip
from streamfer.pipeline.results import StepResult
from streamfer.pipeline.stages import FramePipeline
from streamfer.session.lifecycle import Recorder
from streamfer.session.sinks import NullLog
from streamfer.sources.inputs import recording_sha256
from streamfer.sources.readers import open_recording
from streamfer.vision.backends import make_detector
from streamfer.vision.classify import TFLiteEmotionClassifier
from streamfer.vision.detect import FaceDetectorBackend
from streamfer.vision.models import read_model

CACHE_VERSION = 2  # 2: each row's time t; predictions are always without a baseline
DEFAULT_CACHE_DIR = Path(".streamfer-cache")


@dataclass(frozen=True)
class ClipPredictions:
    """One clip's per-frame predictions, one row per frame with a face.

    ``probs``: (n, k) float32, the largest face's probabilities in the model's class order.
    ``frame_index``: (n,) the frame's number in the clip. ``track``: (n,) that face's track id.
    ``frames_read``: frames decoded in the clip, with or without a face. ``t``: (n,) the
    frame's time in seconds. The probabilities are the plain reading, never against a
    baseline: ``method.baseline.clip_relative`` makes that reading from them.
    """

    probs: npt.NDArray[np.float32]
    frame_index: npt.NDArray[np.int32]
    track: npt.NDArray[np.int32]
    frames_read: int
    t: npt.NDArray[np.float32]


@dataclass
class PredictionResult:
    """``predictions`` holds one entry per clip, None for a clip that could not be read."""

    predictions: list[ClipPredictions | None]
    failures: list[tuple[Clip, str]] = field(default_factory=list)
    from_cache: int = 0
    frames_decoded: int = 0
    seconds: float = 0.0


class PredictionProgress(Protocol):
    """What predicting reports while it works (the CLI draws a progress bar from it)."""

    def clip_started(self, clip: Clip, frame_count: int | None) -> None: ...

    def frame_done(self) -> None: ...

    def clip_done(self, clip: Clip, from_cache: bool) -> None: ...


class PredictionCache:
    """``.npz`` files in a folder, one a clip, named by the key; unreadable entries are misses."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get(self, key: str) -> ClipPredictions | None:
        path = self.folder / f"{key}.npz"
        if not path.is_file():
            return None
        try:
            with np.load(path) as data:
                return ClipPredictions(
                    probs=data["probs"].astype(np.float32),
                    frame_index=data["frame_index"].astype(np.int32),
                    track=data["track"].astype(np.int32),
                    frames_read=int(data["frames_read"]),
                    t=data["t"].astype(np.float32),
                )
        except (OSError, ValueError, KeyError):
            return None

    def put(self, key: str, predictions: ClipPredictions) -> None:
        """Write atomically, so an interrupted run never leaves a half-written entry."""
        buffer = io.BytesIO()
        np.savez(
            buffer,
            probs=predictions.probs,
            frame_index=predictions.frame_index,
            track=predictions.track,
            frames_read=np.int64(predictions.frames_read),
            t=predictions.t,
        )
        try:
            private_dir(self.folder)
        except OSError as exc:
            raise OutputError(
                f"cannot write the prediction cache in {self.folder}: {exc.strerror}",
                "pass --cache DIR with a writable folder",
            ) from None
        write_atomic(self.folder / f"{key}.npz", buffer.getvalue())


def settings_digest(config: Config) -> str:
    """sha256 of everything besides the clip that changes the stored predictions."""
    detector, tracker = config.detector, config.tracker
    settings: dict[str, Any] = {
        "version": CACHE_VERSION,
        "detector_backend": detector.backend,
        "detector_model": _model_sha256(config.resolve_model(detector.model), "face detector"),
        "classifier_model": _model_sha256(config.emotion_model_path(), "emotion"),
        "min_confidence": detector.min_confidence,
        "crop": dataclasses.asdict(config.crop()),
        "full_range_check_seconds": detector.full_range_check_seconds,
        "detect_every_frames": detector.detect_every_frames,
        "follow_max_shift": detector.follow_max_shift,
        "min_face_pixels": detector.min_face_pixels,
        "iou_threshold": tracker.iou_threshold,
        "max_missed_frames": tracker.max_missed_frames,
        "smooth_seconds": config.classifier.smooth_seconds,
        "alternate_flip": config.classifier.alternate_flip,
    }
    if config.geometry_on():  # only then: caches made without geometry stay valid
        head = config.geometry_head_path()
        settings["geometry"] = {
            **dataclasses.asdict(config.geometry),
            "enabled": True,
            "head": None if head is None else sha256_file(head),
            "weight": config.emotion_model().geometry_weight,
        }
        second = config.second_model_path()
        if second is not None:  # only then: caches of models without one stay valid
            card = config.emotion_model()
            settings["geometry"]["second"] = {
                "model": sha256_file(second),
                "weight": card.second_weight,
                "temperature": card.second_temperature,
            }
    return sha256_text(json.dumps(settings, sort_keys=True))


def _model_sha256(path: Path, what: str) -> str:
    """sha256 of a model file; ModelError when it is missing or not a TFLite file."""
    read_model(path, what)  # ModelError when missing or not TFLite
    return sha256_file(path)


def clip_key(clip: Clip, settings: str) -> str:
    """The cache key of a clip: its content's sha256 combined with ``settings_digest``."""
    if not clip.path.exists():
        raise FileNotFoundError(f"{clip.path} does not exist")
    return recording_sha256(clip.path, salt=settings)


def predict_clip(
    clip: Clip,
    config: Config,
    detector: FaceDetectorBackend,
    classifier: TFLiteEmotionClassifier,
    progress: PredictionProgress,
) -> ClipPredictions:
    """Decode one clip and run the pipeline on every frame, with a fresh tracker.

    The detector and classifier are shared between clips: building a MediaPipe detector per
    clip cost about 40 ms a clip and gave identical probabilities (measured on 204 clips).
    The LiteRT detector keeps no state; the MediaPipe one keeps its VIDEO-mode timestamps
    increasing across clips by itself.
    """
    # the plain reading, as fast as the file decodes
    config = with_overrides(config, {"aggregator.baseline_seconds": 0.0}).for_pace(live=False)
    reader = open_recording(clip.path)
    progress.clip_started(clip, getattr(reader, "frame_count", None))
    pipeline = FramePipeline(config, detector=detector, classifier=classifier)
    recorder = Recorder(config, NullLog(), reader, pace=Pace.AS_FAST_AS_POSSIBLE)
    largest = _LargestFaces(progress)
    end = recorder.record(pipeline, [largest], models={}).end
    return ClipPredictions(
        probs=np.array(largest.rows, dtype=np.float32).reshape(-1, len(classifier.classes)),
        frame_index=np.array(largest.frame_index, dtype=np.int32),
        track=np.array(largest.track, dtype=np.int32),
        frames_read=end.frames_processed,
        t=np.array(largest.t, dtype=np.float32),
    )


class _LargestFaces:
    """Keeps the largest face's probabilities of every frame that has a face."""

    def __init__(self, progress: PredictionProgress) -> None:
        self.progress = progress
        self.rows: list[npt.NDArray[np.float32]] = []
        self.frame_index: list[int] = []
        self.track: list[int] = []
        self.t: list[float] = []

    def on_step(self, step: StepResult) -> None:
        self.progress.frame_done()
        faces = step.frame.faces
        if faces:
            largest = max(faces, key=lambda face: face.detection.box.area)
            self.rows.append(largest.probs)
            self.frame_index.append(step.frame.frame_index)
            self.track.append(largest.track)
            self.t.append(step.frame.t)


def predict_clips(
    clips: list[Clip], config: Config, cache: PredictionCache | None, progress: PredictionProgress
) -> PredictionResult:
    """Predictions for every clip. A clip that cannot be read is recorded in ``failures``.

    The models are loaded on first need, so a fully cached run loads none. Model and
    cache-writing errors stop the run (ModelError, OutputError).
    """
    start = time.perf_counter()
    settings = settings_digest(config)
    models: tuple[FaceDetectorBackend, TFLiteEmotionClassifier] | None = None
    result = PredictionResult(predictions=[])
    try:
        for clip in clips:
            predictions: ClipPredictions | None = None
            try:
                key = clip_key(clip, settings)
                predictions = cache.get(key) if cache is not None else None
                from_cache = predictions is not None
                if predictions is None:
                    models = models or _load_models(config)
                    predictions = predict_clip(clip, config, *models, progress)
                    result.frames_decoded += predictions.frames_read
                    if cache is not None:
                        cache.put(key, predictions)
            except (SourceError, OSError) as exc:
                reason = exc.message if isinstance(exc, SourceError) else str(exc)
                result.failures.append((clip, reason))
                predictions, from_cache = None, False
            result.predictions.append(predictions)
            result.from_cache += from_cache
            progress.clip_done(clip, from_cache)
    finally:
        if models is not None:
            models[0].close()
    result.seconds = time.perf_counter() - start
    return result


def _load_models(config: Config) -> tuple[FaceDetectorBackend, TFLiteEmotionClassifier]:
    detector = make_detector(
        config.detector.backend,
        config.resolve_model(config.detector.model),
        config.detector.min_confidence,
        config.detector.num_threads,
        **config.full_range_check(),
    )
    classifier = TFLiteEmotionClassifier(
        config.emotion_model_path(), config.classifier.num_threads, config.crop().flip_average
    )
    return detector, classifier
