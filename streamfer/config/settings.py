"""The typed settings of ``config.toml``: one frozen dataclass per section, and ``Config``,
which holds them all and turns their paths into files (models, the log folder).

Reading, validating and overriding them is ``config/load.py``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from streamfer import assets
from streamfer.core.choices import Pace
from streamfer.method.aggregate import AggregatorSettings
from streamfer.vision.modelcard import CropSettings, ModelCard, read_card

#: The geometry stage's model kinds (``Config.model_path``; the files: ``vision/geometry.py``).
GEOMETRY_MODELS = ("landmarks", "blendshapes")
#: the model that checks the short-range detector (``Config.full_range_check``)
FULL_RANGE_MODEL = "models/blazeface_full_range_sparse.tflite"
#: The emotion model used when config.toml names none (see docs/accuracy.md for the choice).
DEFAULT_EMOTION_MODEL = "emotion_mix3"


@dataclass(frozen=True)
class DetectorSettings:
    """``crop_margin`` and ``align_eyes``: None takes the emotion model's own (its sidecar)."""

    backend: str = "litert"
    model: str = "models/blazeface_short_range.tflite"
    min_confidence: float = 0.5
    crop_margin: float | None = None
    align_eyes: bool | None = None
    min_face_pixels: int = 24
    num_threads: int = 1
    own_thread: bool = True
    full_range_check_seconds: float = 1.0
    detect_every_frames: int = 4
    follow_max_shift: float = 0.1


@dataclass(frozen=True)
class ClassifierSettings:
    """``model``: a name in ``models/`` (``NAME.tflite`` with ``NAME.json``) or a path.

    ``flip_average``: None takes the model's sidecar setting. ``alternate_flip``: on video,
    with flip averaging and smoothing, a person's frames are read from the crop and its
    mirror image in turn (one model run a frame) instead of both on every frame.
    ``smooth_seconds``: each person's reading is the mean of their fused log-probabilities
    over this many seconds of frames (the frame itself included); 0 reads every frame alone.
    """

    model: str = DEFAULT_EMOTION_MODEL
    num_threads: int = 1
    flip_average: bool | None = None
    alternate_flip: bool = True
    smooth_seconds: float = 0.2


@dataclass(frozen=True)
class TrackerSettings:
    iou_threshold: float = 0.3
    max_missed_frames: int = 15
    reidentify: bool = True
    memory_seconds: float = 60.0
    match_threshold: float = 0.65


@dataclass(frozen=True)
class LogSettings:
    dir: str = "logs"
    frames: bool = False


@dataclass(frozen=True)
class DashboardSettings:
    refresh_hz: float = 4.0
    status_interval_seconds: float = 5.0


@dataclass(frozen=True)
class LslSettings:
    """Lab Streaming Layer outlets (``streamfer.outputs.lsl``; ``run --lsl`` turns them on).

    ``name``: the first word of every stream's name. ``wait_for_recorder``: seconds a session
    waits at its start for a recorder to connect to the markers stream (0: no wait).
    """

    enabled: bool = False
    name: str = "streamfer"
    wait_for_recorder: float = 0.0


@dataclass(frozen=True)
class SourceSettings:
    default: str = "0"
    realtime: bool = False
    queue_size: int = 8
    reconnect_seconds: float = 60.0
    max_pixels: int = 50_000_000  # sources.media.DEFAULT_MAX_PIXELS (kept free of OpenCV)

    @property
    def pace(self) -> Pace:
        """How a recorded file is read by default (``realtime`` in config.toml)."""
        return Pace.of(self.realtime)


#: ``[geometry] enabled``: on, off, or "auto" (on exactly when the emotion model's sidecar
#: names a geometry head to fuse with it)
GeometrySwitch = bool | str
#: ``[geometry] num_threads``: a count, or "auto" (``Config.geometry_threads``).
GeometryThreads = int | str
#: "auto" geometry threads where a frame's latency counts (live): a measured frame's models
#: use two cores while the other thread waits (fewer on a one-core machine).
LIVE_GEOMETRY_THREADS = 2


@dataclass(frozen=True)
class GeometrySettings:
    """The geometry stage (landmarks, blendshapes, head pose; docs/geometry.md).

    ``enabled``: true, false or ``"auto"`` (``Config.geometry_on``). The thresholds are
    ``GeometryEstimator``'s; ``max_age_seconds``: how long a track's last geometry stands for
    its later frames (between samples), so a face carries geometry on every frame.
    ``drop_false_faces``: drop faces whose presence score is under ``min_presence`` from the
    frame (off: such faces keep their emotion, without geometry; ``pipeline/reading.py``).
    ``num_threads``: each geometry model's CPU threads, or "auto" (``Config.geometry_threads``).
    """

    enabled: GeometrySwitch = "auto"
    interval_seconds: float = 0.2
    max_age_seconds: float = 0.5
    min_face_pixels: float = 48.0
    max_outside: float = 0.2
    min_presence: float = 0.5
    drop_false_faces: bool = False
    num_threads: GeometryThreads = "auto"
    log_landmarks: bool = False


@dataclass(frozen=True)
class Config:
    """Every setting of a streamfer session, validated."""

    source: SourceSettings = field(default_factory=SourceSettings)
    detector: DetectorSettings = field(default_factory=DetectorSettings)
    classifier: ClassifierSettings = field(default_factory=ClassifierSettings)
    tracker: TrackerSettings = field(default_factory=TrackerSettings)
    aggregator: AggregatorSettings = field(default_factory=AggregatorSettings)
    log: LogSettings = field(default_factory=LogSettings)
    dashboard: DashboardSettings = field(default_factory=DashboardSettings)
    geometry: GeometrySettings = field(default_factory=GeometrySettings)
    lsl: LslSettings = field(default_factory=LslSettings)
    #: the folder relative paths are taken from (None: the current folder at the time of use)
    base_dir: Path | None = None

    def resolve(self, path: str) -> Path:
        """A path from the config; relative ones are taken from ``base_dir`` (ConfigSource)."""
        p = Path(path).expanduser()
        if p.is_absolute():
            return p
        return (self.base_dir if self.base_dir is not None else Path.cwd()) / p

    def resolve_model(self, path: str) -> Path:
        """A model path: relative to the config's folder if the file is there, else the copy
        streamfer ships (inside the installed package, or ``models/`` in a checkout)."""
        near = self.resolve(path)
        if near.exists() or Path(path).is_absolute():
            return near
        shipped = assets.bundled(path)
        return shipped if shipped is not None else near

    def emotion_model_path(self) -> Path:
        """The emotion model's file: ``classifier.model`` as a name in ``models/`` or a path."""
        name = self.classifier.model
        if name.endswith(".tflite") or "/" in name or "\\" in name:
            return self.resolve_model(name)
        return self.resolve_model(f"models/{name}.tflite")

    def model_path(self, kind: str) -> Path:
        """The file of the ``"detector"`` or the ``"classifier"`` model, of the geometry
        stage's ``"landmarks"`` or ``"blendshapes"`` model, or of the ``"second"`` expression
        model the classifier's sidecar names."""
        if kind == "classifier":
            return self.emotion_model_path()
        if kind == "second":
            path = self.second_model_path()
            if path is None:
                raise ValueError("the emotion model names no second model")
            return path
        if kind == "full_range":
            return self.resolve_model(FULL_RANGE_MODEL)
        if kind in GEOMETRY_MODELS:  # imported here: vision.geometry loads OpenCV
            from streamfer.vision.geometry import BLENDSHAPE_MODEL, LANDMARK_MODEL

            return self.resolve_model(LANDMARK_MODEL if kind == "landmarks" else BLENDSHAPE_MODEL)
        return self.resolve_model(self.detector.model)

    def model_kinds(self) -> tuple[str, ...]:
        """The models a session with these settings loads (``model_path``'s kinds)."""
        checked = ("full_range",) if self.full_range_check() else ()
        if not self.geometry_on():
            return ("detector", *checked, "classifier")
        second = ("second",) if self.second_model_path() is not None else ()
        return ("detector", *checked, "classifier", *GEOMETRY_MODELS, *second)

    def full_range_check(self) -> dict[str, Any]:
        """``make_detector``'s arguments for checking the short-range detector with the
        full-range one (``[detector] full_range_check_seconds``); none when that is 0, the
        backend is not LiteRT or the model is the full-range one already."""
        d = self.detector
        if d.full_range_check_seconds <= 0 or d.backend != "litert" or d.model == FULL_RANGE_MODEL:
            return {}
        return {
            "full_range": self.resolve_model(FULL_RANGE_MODEL),
            "check_seconds": d.full_range_check_seconds,
            "min_pixels": float(d.min_face_pixels),
        }

    def emotion_model(self) -> ModelCard:
        """The emotion model's sidecar (ModelError when it is missing or invalid)."""
        return read_card(self.emotion_model_path())

    def crop(self) -> CropSettings:
        """The face crop in use: the model's sidecar, with any value config.toml sets.

        Setting ``crop_margin`` or ``align_eyes`` also drops the sidecar's further crops
        (``also``): the crop config.toml describes is then the only one.
        """
        own = self.emotion_model().crop
        overridden = self.detector.crop_margin is not None or self.detector.align_eyes is not None
        return CropSettings(
            margin=own.margin if self.detector.crop_margin is None else self.detector.crop_margin,
            align_eyes=own.align_eyes
            if self.detector.align_eyes is None
            else self.detector.align_eyes,
            flip_average=(
                own.flip_average
                if self.classifier.flip_average is None
                else self.classifier.flip_average
            ),
            # a crop set in config.toml is the one crop used: the model's further crops go
            also=() if overridden else own.also,
        )

    def geometry_threads(self, live: bool = True) -> int:
        """The geometry models' CPU threads: ``[geometry] num_threads``, where "auto" is two
        ``live`` (a measured frame's models use both cores while the other thread waits;
        fewer on a one-core machine) and one for a file read as fast as possible, where the
        threads before and after the emotion model already keep the cores busy and a model's
        second thread would only add CPU time (docs/benchmarks.md, "Issue 29's bar")."""
        threads = self.geometry.num_threads
        if isinstance(threads, int):
            return threads
        return max(1, min(LIVE_GEOMETRY_THREADS, os.cpu_count() or 1)) if live else 1

    def for_pace(self, live: bool) -> Config:
        """These settings for a session that is ``live`` (a camera, a stream, a file played
        in real time) or reads a file as fast as possible: "auto" geometry threads made the
        number ``geometry_threads(live)`` gives, for the pipeline built from them."""
        if self.geometry.num_threads != "auto":
            return self
        threads = self.geometry_threads(live)
        return replace(self, geometry=replace(self.geometry, num_threads=threads))

    def geometry_on(self) -> bool:
        """Whether the geometry stage runs: ``[geometry] enabled``, where ``"auto"`` is on
        exactly when the emotion model's sidecar names a geometry head."""
        enabled = self.geometry.enabled
        if isinstance(enabled, bool):
            return enabled
        return self.emotion_model().geometry_head is not None

    def geometry_head_path(self) -> Path | None:
        """The geometry head the emotion model's sidecar names (beside the sidecar), if any."""
        name = self.emotion_model().geometry_head
        return None if name is None else self.emotion_model_path().parent / name

    def second_model_path(self) -> Path | None:
        """The second expression model the emotion model's sidecar names, if any; it runs
        only with the geometry stage, whose landmarks align the face for it."""
        name = self.emotion_model().second_model
        return None if name is None else self.emotion_model_path().parent / name

    def emotions(self) -> tuple[str, ...]:
        """The emotion model's class names in its output order (neutral last)."""
        return self.emotion_model().classes

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """The settings as plain data, for the session_start log record."""
        out: dict[str, dict[str, Any]] = {}
        for section in SECTION_TYPES:
            obj = getattr(self, section)
            out[section] = {f.name: getattr(obj, f.name) for f in fields(obj)}
        return out


#: section of config.toml -> its settings type, in the order of ``Config``'s fields
SECTION_TYPES: dict[str, type] = {
    "source": SourceSettings,
    "detector": DetectorSettings,
    "classifier": ClassifierSettings,
    "tracker": TrackerSettings,
    "aggregator": AggregatorSettings,
    "log": LogSettings,
    "dashboard": DashboardSettings,
    "geometry": GeometrySettings,
    "lsl": LslSettings,
}
