"""What each stage of the default pipeline costs, per face and per frame, on one core; with a
Raspberry Pi 4 estimate. Prints a Markdown table; asserts nothing.

    python benchmarks/stage_costs.py                         # the table (4-8 minutes)
    python benchmarks/stage_costs.py --markdown out.md --json out.json
    python benchmarks/stage_costs.py --quick                 # a smoke run of a few seconds

The default of ``config.toml`` is measured: BlazeFace short range with its full-range check,
the emotion model (``emotion_mix3``, flip-averaged), the geometry stage (landmarks,
blendshapes, head pose), its geometry head, the second model (``expression_mobilefacenet``),
tracking with re-identification, smoothing, baselines, aggregation and the JSONL log.

1. **Per call** (one core: the process pinned with ``os.sched_setaffinity``, one LiteRT and
   one OpenCV thread), each face stage on real faces: frames of ``bench_pipeline.py``'s
   640x480 one-face clip, the demo portrait and, when ``../shared/data`` is there, London-set
   photos; every stage run on every face ``--repeats`` times, each call timed alone: median
   and 95th percentile, in CPU time; the model's ``invoke`` is timed inside each call (its
   share; the rest is cropping, conversions and Python).
2. **Per frame, at the default rates**: the whole pipeline on the one-face clip (as
   ``streamfer run`` on a file as fast as possible: capture thread, detector one frame ahead,
   ``Recorder``), on one core, with every stage's function wrapped to count its calls and
   time them (time spent in a wrapped function called from another is counted once, in the
   inner one). So the calls a frame are what the defaults do (geometry and the second model
   every ``[geometry] interval_seconds`` a person, the full-range check every
   ``full_range_check_seconds``, re-identification's descriptions when a track starts and
   then at 1 s, 3 s and every 10 s), and ms a frame is the measured time over the frames.
   Tracking, aggregation and logging are timed only there (their cost is a frame's, not a
   face model's).
3. **The whole**: decoding the clip alone and the pipeline unwrapped, the way
   ``bench_pipeline.py`` measures them (median of ``--repeats``), on one core and on all
   cores: the stages' sum against the pipeline, and the pipeline in decodes.
4. **Threads**: each model's ``invoke`` with 1, 2 and 4 LiteRT threads, all cores free.

The Raspberry Pi 4 figures are estimates, not measurements (no Pi was at hand): a model's
multiply-accumulates (``model_ops.py``) divided by 1.7-1.9 GMAC/s for one Cortex-A72 core,
the rate XNNPACK's own published benchmark implies (MobileNet v1 and v2, 569 M and 300 M MACs,
75 and 44 ms with 4 threads on a Raspberry Pi 4, BCM2711, google/XNNPACK README, February
2020), divided by four (perfect scaling over the four cores: a conservative, slow estimate);
the rest of a call (crops, conversions, Python) is this machine's time multiplied by the
ratio between the Pi estimate and this machine's measured time for the face describer, whose
567.7 M MACs make it the size of the MobileNet v1 in that benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"

#: One Cortex-A72 core's sustained rate, GMAC/s (the module docstring says where from).
PI4_GMACS = (1.7, 1.9)
PI4_SOURCE = (
    "XNNPACK's published Raspberry Pi 4 benchmark (google/XNNPACK README, February 2020: "
    "MobileNet v1 75 ms, v2 44 ms with 4 threads), divided by 4 cores"
)

#: (key, the table's name for the stage, its model file's name or None).
STAGES: tuple[tuple[str, str, str | None], ...] = (
    (
        "detect_short",
        "detector: BlazeFace short range (letterbox, model, boxes)",
        "blazeface_short_range",
    ),
    (
        "detect_full",
        "detector: full-range check (BlazeFace full range)",
        "blazeface_full_range_sparse",
    ),
    ("crop", "emotion crop (face_crop: 64x64 gray, eyes level)", None),
    (
        "cnn_one",
        "emotion CNN, one run (on video: the face and its mirror in turn, the default)",
        "emotion_mix3",
    ),
    (
        "cnn",
        "emotion CNN with its flip average (2 runs: a photo, a person's first frame)",
        "emotion_mix3",
    ),
    ("landmarks", "landmarks (crop 256x256, model, back to frame)", "face_landmarks_detector"),
    ("blendshapes", "blendshapes", "face_blendshapes"),
    ("head_pose", "head pose (solvePnP)", None),
    ("geometry_head", "geometry head (MLP on blendshapes + pose)", None),
    ("second", "second model (5-point alignment 112x112, model)", "expression_mobilefacenet"),
    ("fusion", "fusion (three readings in log space)", None),
    ("tracking", "tracking (IouTracker.update)", None),
    ("people", "re-identification bookkeeping (People.update, descriptions apart)", None),
    ("describe", "re-identification: describe (eye crop 224x224, model)", "face_describer"),
    ("aggregation", "aggregation (smoothing, baselines, valence, WindowAggregator.update)", None),
    ("logging", "logging (step_records, JSON line written)", None),
)
NAMES = {key: name for key, name, _ in STAGES}
MODEL_OF = {key: model for key, _, model in STAGES}
#: Runs of the model a call makes.
RUNS = {"cnn": 2}
#: Measured per call on faces (part 1); the others only in the pipeline run (part 2).
FACE_STAGES = (
    "detect_short", "detect_full", "crop", "cnn_one", "cnn", "landmarks", "blendshapes",
    "head_pose", "geometry_head", "second", "fusion", "describe",
)  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q / 100.0
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(samples_s: list[float]) -> dict[str, float]:
    ms = [1000.0 * s for s in samples_s]
    return {
        "median_ms": statistics.median(ms) if ms else float("nan"),
        "p95_ms": percentile(ms, 95),
        "mean_ms": statistics.fmean(ms) if ms else float("nan"),
        "n": float(len(ms)),
    }


# --- 1. per call, on faces ------------------------------------------------------------------


class Face:
    """A frame and one of its faces, with the geometry and crop the later stages need."""

    def __init__(self, image: Any, detection: Any, source: str) -> None:
        self.image, self.detection, self.source = image, detection, source
        self.geometry: Any = None
        self.crop: Any = None


def clip_frames(path: Path, every: int) -> list[Any]:
    import cv2

    capture = cv2.VideoCapture(str(path))
    frames, i = [], 0
    while True:
        ok, image = capture.read()
        if not ok:
            break
        if i % every == 0:
            frames.append(image)
        i += 1
    capture.release()
    return frames


def london_photos(limit: int) -> list[Any]:
    import cv2

    folder = DATA / "london_faces"
    if not folder.is_dir():
        return []
    paths = sorted(folder.glob("*/*.jpg"))
    step = max(1, len(paths) // max(limit, 1))
    images = [cv2.imread(str(p)) for p in paths[::step][:limit]]
    return [im for im in images if im is not None]


def gather_faces(clip: Path, count: int, config: Any) -> list[Face]:
    """Up to ``count`` faces: half from the clip's frames, one the demo portrait, the rest
    London photos (when ../shared/data has them, else more clip frames)."""
    from streamfer.sources.demo import grace_hopper
    from streamfer.vision.blazeface import BlazeFaceDetector

    detector = BlazeFaceDetector(config.resolve_model(config.detector.model))
    london = london_photos(count // 2)
    wanted_clip = max(1, count - 1 - len(london))
    frames = clip_frames(clip, 1)
    every = max(1, len(frames) // wanted_clip)
    sources = [(im, "clip") for im in frames[::every][:wanted_clip]]
    sources += [(grace_hopper(), "portrait")] + [(im, "london") for im in london]
    faces = []
    for image, source in sources:
        found = detector.detect(image)
        if found:
            faces.append(Face(image, found[0], source))
    return faces


#: Stages are timed in CPU seconds of the calling thread: what a call costs, whatever else the
#: machine runs (a busy machine preempts a call; its wall time then counts the others' work).
#: With one thread, LiteRT (XNNPACK) runs a model on the calling thread.
CLOCK = time.thread_time


class TimedInterpreter:
    """A LiteRT interpreter whose ``invoke`` adds its CPU seconds to ``seconds`` (so a call's
    model share is measured inside the call itself); everything else passes through."""

    seconds = 0.0  # shared by every instance: one call runs at most one model at a time

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def invoke(self) -> None:
        start = CLOCK()
        self._inner.invoke()
        TimedInterpreter.seconds += CLOCK() - start

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def timed_model(model: Any) -> Any:
    """``model`` (a streamfer model object) with its interpreter's invokes timed."""
    model._interpreter = TimedInterpreter(model._interpreter)
    return model


def time_calls(
    run: Callable[[Face], object], faces: list[Face], repeats: int
) -> tuple[list[float], list[float]]:
    """Each call's CPU seconds, and the part of them in a model's invoke, every face
    ``repeats`` times (after one untimed pass)."""
    for face in faces:
        run(face)
    samples, invoked = [], []
    for _ in range(repeats):
        for face in faces:
            TimedInterpreter.seconds = 0.0
            start = CLOCK()
            run(face)
            samples.append(CLOCK() - start)
            invoked.append(TimedInterpreter.seconds)
    return samples, invoked


def interpreter_for(path: Path, threads: int) -> Any:
    from streamfer.vision.litert import open_interpreter

    return open_interpreter(path, "benchmark", threads)


def ready_interpreter(path: Path, threads: int) -> Any:
    """An interpreter with a fixed input set and three invokes done (float models: the
    values do not change the work)."""
    import numpy as np

    interpreter = interpreter_for(path, threads)
    for detail in interpreter.get_input_details():
        shape = tuple(int(v) for v in detail["shape"])
        data = np.random.default_rng(0).random(shape, dtype=np.float32)
        interpreter.set_tensor(detail["index"], data.astype(detail["dtype"]))
    for _ in range(3):
        interpreter.invoke()
    return interpreter


def invoke_times(interpreter: Any, runs: int, clock: Callable[[], float] = CLOCK) -> list[float]:
    """Seconds of ``invoke`` alone."""
    samples = []
    for _ in range(runs):
        start = clock()
        interpreter.invoke()
        samples.append(clock() - start)
    return samples


def per_call(config: Any, faces: list[Face], repeats: int) -> dict[str, dict[str, float]]:
    """Every face stage's calls, one thread each, on ``faces``."""
    import numpy as np

    from streamfer.pipeline.reading import GeometryStage
    from streamfer.vision.align import face_crop
    from streamfer.vision.blazeface import BlazeFaceDetector
    from streamfer.vision.classify import TFLiteEmotionClassifier
    from streamfer.vision.describe import DESCRIBER_MODEL, FaceDescriber
    from streamfer.vision.fusion import fuse_parts
    from streamfer.vision.head_pose import head_pose
    from streamfer.vision.landmarks import FaceRoi

    short = timed_model(BlazeFaceDetector(config.resolve_model(config.detector.model)))
    checks = config.full_range_check()
    full = timed_model(BlazeFaceDetector(checks["full_range"], config.detector.min_confidence))
    crop = config.crop()
    model = config.emotion_model_path()
    one = timed_model(TFLiteEmotionClassifier(model, 1, flip_average=False))
    flipped = timed_model(TFLiteEmotionClassifier(model, 1, flip_average=crop.flip_average))
    stage = GeometryStage.from_config(config)
    estimator = stage.estimator
    head, second = stage.head, stage.second
    assert head is not None and second is not None, "the default has a head and a second model"
    for part in (estimator.landmark_model, estimator.blendshape_model, second.model):
        timed_model(part)
    describer = timed_model(FaceDescriber(config.resolve_model(DESCRIBER_MODEL)))
    size = one.input_size
    for face in faces:
        face.geometry = estimator.estimate(face.image, face.detection)
        face.crop = face_crop(face.image, face.detection, crop.margin, crop.align_eyes, size)
    measured = [f for f in faces if f.geometry is not None]
    cnn = one.classify(faces[0].crop)
    readings = [(cnn.astype(np.float64), 0.6), (cnn.astype(np.float64), 0.2), (cnn, 0.2)]

    def geometry_of(face: Face) -> Any:
        return face.geometry

    runs: dict[str, tuple[Callable[[Face], object], list[Face]]] = {
        "detect_short": (lambda f: short.detect(f.image), faces),
        "detect_full": (lambda f: full.detect(f.image), faces),
        "crop": (
            lambda f: face_crop(f.image, f.detection, crop.margin, crop.align_eyes, size),
            faces,
        ),
        "cnn_one": (lambda f: one.classify(f.crop), faces),
        "cnn": (lambda f: flipped.classify(f.crop), faces),
        "landmarks": (
            lambda f: estimator.landmark_model.run(f.image, FaceRoi.from_detection(f.detection)),
            faces,
        ),
        "blendshapes": (
            lambda f: estimator.blendshape_model.run(geometry_of(f).landmarks),
            measured,
        ),
        "head_pose": (
            lambda f: head_pose(
                geometry_of(f).landmarks,
                estimator.canonical,
                (f.image.shape[1], f.image.shape[0]),
            ),
            measured,
        ),
        "geometry_head": (
            lambda f: head.predict(
                geometry_of(f).blendshapes,
                (geometry_of(f).yaw, geometry_of(f).pitch, geometry_of(f).roll),
            ),
            measured,
        ),
        "second": (lambda f: second.read(f.image, geometry_of(f)), measured),
        "fusion": (lambda f: fuse_parts(readings), faces),
        "describe": (lambda f: describer.describe(f.image, f.detection), faces),
    }
    out: dict[str, dict[str, float]] = {}
    for key in FACE_STAGES:
        run, on = runs[key]
        total, invoked = time_calls(run, on, repeats)
        out[key] = summary(total)
        out[key]["model_median_ms"] = 1000.0 * statistics.median(invoked)
        out[key]["rest_median_ms"] = 1000.0 * statistics.median(
            t - i for t, i in zip(total, invoked, strict=True)
        )
    return out


# --- 2. per frame, in the pipeline ----------------------------------------------------------


class Probes:
    """Wraps functions so that their calls are counted and timed; a wrapped function called
    inside another wrapped one has its time counted in its own stage only (per thread)."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self.samples: dict[str, list[float]] = {}
        self._local = threading.local()
        self._lock = threading.Lock()

    def wrap(self, key: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            stack = getattr(self._local, "stack", None)
            if stack is None:
                stack = self._local.stack = []
            stack.append(0.0)  # time spent in wrapped callees
            start = CLOCK()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = CLOCK() - start
                inner = stack.pop()
                if stack:
                    stack[-1] += elapsed
                own = elapsed - inner
                with self._lock:
                    self.calls[key] = self.calls.get(key, 0) + 1
                    self.seconds[key] = self.seconds.get(key, 0.0) + own
                    self.samples.setdefault(key, []).append(own)

        return timed

    def add_to_last(self, key: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` timed into ``key``'s last call (a write belongs to the step before it)."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = CLOCK()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = CLOCK() - start
                with self._lock:
                    self.seconds[key] = self.seconds.get(key, 0.0) + elapsed
                    if self.samples.get(key):
                        self.samples[key][-1] += elapsed

        return timed


@contextmanager
def patched(target: Any, name: str, value: Any) -> Iterator[None]:
    """``target.name`` set to ``value`` for the block (frozen dataclasses included)."""
    old = getattr(target, name)
    object.__setattr__(target, name, value)
    try:
        yield
    finally:
        object.__setattr__(target, name, old)


class WrappedLog:
    """A SessionLog whose writes go through a probe."""

    def __init__(self, log: Any, write: Callable[[Any], None]) -> None:
        self.log = log
        self.write = write

    @property
    def path(self) -> Path:
        return Path(self.log.path)

    @property
    def records(self) -> int:
        return int(self.log.records)

    def close(self) -> None:
        self.log.close()


#: Probes whose times make up each row of the table.
ROW_PROBES = {
    "detect_short": ("detect_short",),
    "detect_full": ("detect_full",),
    "crop": ("crop",),
    "cnn_one": ("cnn_one",),
    "cnn": ("cnn",),
    "landmarks": ("landmarks",),
    "blendshapes": ("blendshapes",),
    "head_pose": ("head_pose",),
    "geometry_head": ("geometry_head",),
    "second": ("second",),
    "fusion": ("fusion",),
    "tracking": ("tracking",),
    "people": ("people",),
    "describe": ("describe",),
    "aggregation": ("smoothing", "baselines", "valence", "aggregator"),
    "logging": ("logging",),
}


def pipeline_run(config: Any, clip: Path, folder: Path) -> dict[str, Any]:
    """The pipeline on ``clip`` with every stage probed: calls and ms a frame per row."""
    import streamfer.pipeline.reading as reading_module
    import streamfer.pipeline.stages as pipeline_module
    import streamfer.session.lifecycle as lifecycle
    import streamfer.vision.geometry as geometry
    from streamfer.pipeline.stages import FramePipeline
    from streamfer.session.lifecycle import Recorder
    from streamfer.session.log import SessionLog
    from streamfer.sources.readers import open_recording

    probes = Probes()
    pipeline = FramePipeline(config)
    detector, stage = pipeline.detector, pipeline.geometry
    assert stage is not None and stage.head is not None and stage.second is not None
    assert pipeline.people is not None and pipeline.describer is not None
    wrap = probes.wrap
    aggregator_class = pipeline_module.WindowAggregator

    class ProbedAggregator(aggregator_class):  # type: ignore[misc, valid-type]
        update = wrap("aggregator", aggregator_class.update)

    log = SessionLog(folder / f"stages-{time.monotonic_ns()}.jsonl")
    steps = 0

    class Count:
        def on_step(self, step: Any) -> None:
            nonlocal steps
            steps += 1

    patches = [
        (detector.short, "detect", wrap("detect_short", detector.short.detect)),
        (detector.full, "detect", wrap("detect_full", detector.full.detect)),
        (reading_module, "face_crop", wrap("crop", reading_module.face_crop)),
        (pipeline.classifier, "classify", wrap("cnn", pipeline.classifier.classify)),
        (pipeline.classifier, "classify_view", wrap("cnn_one", pipeline.classifier.classify_view)),
        (stage.estimator.landmark_model, "run", wrap("landmarks", stage.estimator.landmark_model.run)),
        (stage.estimator.blendshape_model, "run", wrap("blendshapes", stage.estimator.blendshape_model.run)),
        (geometry, "head_pose", wrap("head_pose", geometry.head_pose)),
        (stage.head, "predict", wrap("geometry_head", stage.head.predict)),
        (stage.second, "read", wrap("second", stage.second.read)),
        (reading_module, "fuse_parts", wrap("fusion", reading_module.fuse_parts)),
        (pipeline.tracker, "update", wrap("tracking", pipeline.tracker.update)),
        (pipeline.people, "update", wrap("people", pipeline.people.update)),
        (pipeline.describer, "describe", wrap("describe", pipeline.describer.describe)),
        (pipeline.reader, "_smoothed", wrap("smoothing", pipeline.reader._smoothed)),
        (pipeline.baselines, "read", wrap("baselines", pipeline.baselines.read)),
        (pipeline_module, "valence_arousal", wrap("valence", pipeline_module.valence_arousal)),
        (pipeline_module, "WindowAggregator", ProbedAggregator),
        (lifecycle, "step_records", wrap("logging", lifecycle.step_records)),
    ]  # fmt: skip
    sink = WrappedLog(log, probes.add_to_last("logging", log.write))
    recorder = Recorder(config, sink, open_recording(clip))
    with _all_patched(patches):
        start = time.perf_counter()
        recorder.record(pipeline, [Count()], models={})
        elapsed = time.perf_counter() - start
    pipeline.close()
    rows: dict[str, dict[str, float]] = {}
    for row, keys in ROW_PROBES.items():
        calls = sum(probes.calls.get(k, 0) for k in keys[-1:])  # the row's main call
        seconds = sum(probes.seconds.get(k, 0.0) for k in keys)
        per_call = (
            summary(_merged(probes, keys))
            if len(keys) > 1
            else summary(probes.samples.get(keys[0], []))
        )
        rows[row] = {
            "calls_per_frame": calls / max(steps, 1),
            "ms_per_frame": 1000.0 * seconds / max(steps, 1),
            **{f"run_{k}": v for k, v in per_call.items()},
        }
    return {"frames": steps, "seconds": elapsed, "rows": rows}


def _merged(probes: Probes, keys: tuple[str, ...]) -> list[float]:
    """A row of several probes, one sample a frame: their times added call by call (each is
    called once a face-frame, in order)."""
    lists = [probes.samples.get(k, []) for k in keys]
    n = min((len(x) for x in lists), default=0)
    return [sum(x[i] for x in lists) for i in range(n)]


@contextmanager
def _all_patched(patches: list[tuple[Any, str, Any]]) -> Iterator[None]:
    if not patches:
        yield
        return
    target, name, value = patches[0]
    with patched(target, name, value), _all_patched(patches[1:]):
        yield


# --- 3. the whole, 4. threads ---------------------------------------------------------------


def decode_run(clip: Path) -> dict[str, float]:
    """``bench_pipeline.py``'s decode-only loop: frames a second, and CPU ms a frame (the
    process's, every thread: the decoder may use its own)."""
    from bench_pipeline import decode_only

    cpu = time.process_time()
    fps, frames = decode_only(clip)
    return {"fps": fps, "cpu_ms": 1000.0 * (time.process_time() - cpu) / max(frames, 1)}


def pipeline_whole(config: Any, clip: Path, folder: Path) -> dict[str, float]:
    """``bench_pipeline.py``'s full pipeline (capture thread, detector thread, ``Recorder``,
    the JSONL log): frames a second, and CPU ms a frame (the process's, every thread)."""
    from bench_pipeline import TimedLog

    from streamfer.pipeline.stages import FramePipeline
    from streamfer.session.lifecycle import Recorder
    from streamfer.session.log import SessionLog
    from streamfer.sources.readers import open_recording

    pipeline = FramePipeline(config)
    log = TimedLog(SessionLog(folder / f"whole-{time.monotonic_ns()}.jsonl"))
    recorder = Recorder(config, log, open_recording(clip))
    cpu, start = time.process_time(), time.perf_counter()
    end = recorder.record(pipeline, [], models={}).end
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    pipeline.close()
    frames = max(end.frames_processed, 1)
    return {"fps": frames / elapsed, "cpu_ms": 1000.0 * cpu / frames}


def whole(config: Any, clip: Path, folder: Path, repeats: int) -> dict[str, float]:
    """Decoding alone and the unprobed pipeline, each the median of ``repeats`` runs."""
    decode = [decode_run(clip) for _ in range(repeats)]
    runs = [pipeline_whole(config, clip, folder) for _ in range(repeats)]
    return {
        "decode_fps": statistics.median(d["fps"] for d in decode),
        "decode_cpu_ms": statistics.median(d["cpu_ms"] for d in decode),
        "pipeline_fps": statistics.median(r["fps"] for r in runs),
        "pipeline_cpu_ms": statistics.median(r["cpu_ms"] for r in runs),
    }


def threads(config: Any, runs: int, counts: tuple[int, ...]) -> dict[str, dict[str, float]]:
    """Each model's invoke in wall ms with each thread count, the counts taking turns in
    rounds of 10 invokes so that a busy machine loads them alike."""
    out: dict[str, dict[str, float]] = {}
    for model in sorted({m for m in MODEL_OF.values() if m}):
        path = config.resolve_model(f"models/{model}.tflite")
        ready = {n: ready_interpreter(path, n) for n in counts}
        samples: dict[int, list[float]] = {n: [] for n in counts}
        for _ in range(max(1, runs // 10)):
            for n in counts:
                samples[n] += invoke_times(ready[n], 10, time.perf_counter)
        out[model] = {str(n): 1000.0 * statistics.median(samples[n]) for n in counts}
    return out


# --- Raspberry Pi 4 estimate ------------------------------------------------------------------


def model_macs(config: Any) -> dict[str, float]:
    from model_ops import macs

    return {
        model: float(sum(macs(config.resolve_model(f"models/{model}.tflite")).values()))
        for model in sorted({m for m in MODEL_OF.values() if m})
    }


def pi4_estimates(data: dict[str, Any]) -> dict[str, Any]:
    """Per stage, (low, high) ms a call and a frame on one Pi 4 core (module docstring)."""
    macs, calls = data["macs"], data["per_call"]
    here = calls["describe"]["model_median_ms"]
    reference = "face_describer"
    pi_ref = [macs[reference] / (rate * 1e6) for rate in reversed(PI4_GMACS)]  # ms, (lo, hi)
    ratio = (pi_ref[0] / here, pi_ref[1] / here)
    rows = {}
    for key in NAMES:
        stats = calls.get(key) or _run_stats(data, key)
        if stats is None:
            continue
        model = MODEL_OF[key]
        runs = RUNS.get(key, 1)
        if model is None:
            rest, lo_model, hi_model = stats["median_ms"], 0.0, 0.0
        else:
            rest = stats["rest_median_ms"]
            lo_model = runs * macs[model] / (PI4_GMACS[1] * 1e6)
            hi_model = runs * macs[model] / (PI4_GMACS[0] * 1e6)
        call = (lo_model + rest * ratio[0], hi_model + rest * ratio[1])
        per_frame = data["run"]["rows"].get(key)
        n = per_frame["calls_per_frame"] if per_frame else 0.0
        rows[key] = {
            "call_ms": call,
            "frame_ms": (call[0] * n, call[1] * n),
            "model_frame_ms": (lo_model * n, hi_model * n),
        }
    return {"ratio": ratio, "reference_ms": here, "rows": rows}


def _run_stats(data: dict[str, Any], key: str) -> dict[str, float] | None:
    row = data["run"]["rows"].get(key)
    if row is None:
        return None
    return {k[4:]: v for k, v in row.items() if k.startswith("run_")}


# --- the table --------------------------------------------------------------------------------


def _ms(value: float) -> str:
    if value != value:  # NaN
        return "-"
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _range(pair: tuple[float, float] | list[float]) -> str:
    lo, hi = pair
    if hi < 0.05:
        a, b = _ms(lo), _ms(hi)
    elif hi < 100:
        a, b = f"{lo:.1f}", f"{hi:.1f}"
    else:
        a, b = f"{lo:.0f}", f"{hi:.0f}"
    return a if a == b else f"{a}-{b}"


def markdown(data: dict[str, Any]) -> str:
    """The table and the lines under it, from ``collect``'s data."""
    run, pi = data["run"], data["pi4"]
    lines = [
        f"Measured on {data['machine']}, {data['date']} (load average {data['load']:.1f} "
        f"before), Python {data['python']}: `{data['command']}`. One core (the process pinned "
        f"to CPU {data['core']}, one LiteRT and one OpenCV thread); the default "
        f"`{data['model']}` with geometry and the second model. Per call: "
        f"{data['faces']} real faces ({data['face_sources']}) x {data['repeats']}; per frame: "
        f"the probed pipeline on the {run['frames']}-frame one-face 640x480 clip. Every ms is "
        "CPU time (the calling thread's for a stage; the process's, every thread, for "
        "decoding and the whole), so other work on the machine does not count in it.",
        "",
        "| stage | ms a call, median / p95 | of which the model | calls a frame | ms a frame "
        "| share | Pi 4 ms a call (estimate) | Pi 4 ms a frame (estimate) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    total = sum(r["ms_per_frame"] for r in run["rows"].values())
    pi_total, pi_models = [0.0, 0.0], [0.0, 0.0]
    for key, name in NAMES.items():
        stats = data["per_call"].get(key) or _run_stats(data, key)
        row = run["rows"].get(key)
        if stats is None:
            continue
        est = pi["rows"].get(key)
        assert row is not None
        calls = f"{row['calls_per_frame']:.3f}".rstrip("0").rstrip(".")
        frame = _ms(row["ms_per_frame"])
        share = f"{100 * row['ms_per_frame'] / total:.0f} %"
        pi_call = _range(est["call_ms"]) if est else "-"
        pi_frame = _range(est["frame_ms"]) if est else "-"
        if est:
            for i in (0, 1):
                pi_total[i] += est["frame_ms"][i]
                pi_models[i] += est["model_frame_ms"][i]
        where = "" if key in data["per_call"] else " (in the run)"
        invoke = _ms(stats["model_median_ms"]) if MODEL_OF[key] else "-"
        lines.append(
            f"| {name} | {_ms(stats['median_ms'])} / {_ms(stats['p95_ms'])}{where} | {invoke} "
            f"| {calls} | {frame} | {share} | {pi_call} | {pi_frame} |"
        )
    whole = data["whole"]
    one, both = whole["one core"], whole["all cores"]
    decode_ms = one["decode_cpu_ms"]
    pipe_ms = one["pipeline_cpu_ms"]
    rest = pipe_ms - total - decode_ms
    lines += [
        f"| **the stages, summed** | | | | **{_ms(total)}** | 100 % | | **{_range(pi_total)}** |",
        f"| decoding the clip (OpenCV, mp4v) | | | 1 | {_ms(decode_ms)} | | | |",
        f"| **the whole pipeline, one core** (`bench_pipeline.py`'s way) | | | | "
        f"**{_ms(pipe_ms)}** ({one['pipeline_fps']:.0f} fps) | | | |",
        f"| the rest (threads, queues, frames, Python between stages) | | | | {_ms(rest)}"
        f"{' (within the noise: the runs are minutes apart)' if rest < 0 else ''} | | | |",
        "",
    ]
    top = sorted(run["rows"].items(), key=lambda kv: -kv[1]["ms_per_frame"])[:4]
    top_text = ", ".join(
        f"{NAMES[k].split(' (')[0]} {100 * r['ms_per_frame'] / total:.0f} %" for k, r in top
    )
    lines.append(
        f"Largest per frame: {top_text}. In CPU time the whole costs "
        f"{pipe_ms / decode_ms:.1f} decodes of the clip (the issue's bar: 5, which leaves "
        f"{5 * decode_ms:.2f} ms a frame for everything, decoding included). In wall time, "
        f"on all {data['cores']} cores as `bench_pipeline.py` runs it: "
        f"{both['pipeline_fps']:.0f} fps against {both['decode_fps']:.0f} fps decoding alone, "
        f"{both['decode_fps'] / both['pipeline_fps']:.1f} decodes ({both['pipeline_cpu_ms']:.2f} "
        f"and {both['decode_cpu_ms']:.2f} CPU ms a frame); 400 fps on two cores is 5 CPU ms a "
        "frame with both cores busy all the time."
    )
    lines += [
        "",
        f"Pi 4 (estimates, not measurements): a model's multiply-accumulates at "
        f"{PI4_GMACS[0]}-{PI4_GMACS[1]} GMAC/s a core ({PI4_SOURCE}); the rest of a call "
        f"(crops, conversions, Python) at this machine's CPU time x {pi['ratio'][0]:.0f}-"
        f"{pi['ratio'][1]:.0f}, the ratio of the Pi estimate to this machine's "
        f"{pi['reference_ms']:.2f} ms for the face describer's model (567.7 M MACs, the size "
        "of that MobileNet v1). That ratio is a wide SIMD unit's against NEON; Python and "
        "small OpenCV calls probably lose less on a Pi, so the rest is an upper estimate. "
        f"Per frame with one face: the models alone {_range(pi_models)} ms, with the rest so "
        f"scaled {_range(pi_total)} ms: at 30 fps {_range([30 * v / 1000 for v in pi_models])}"
        f" to {_range([30 * v / 1000 for v in pi_total])} cores' worth of time (of the Pi's four), "
        "decoding apart.",
    ]
    if data["load"] > (data["cores"] or 1):
        lines += [
            "",
            f"**The machine was busy** (load average {data['load']:.1f} on {data['cores']} "
            "cores, other people's work): the CPU times above hold up better than wall times, "
            "but they still moved by up to a quarter between runs (caches and memory shared with "
            "that work); the frame rates here and the threads table below (wall time) are "
            "shares of a contended machine, not its speed.",
        ]
    if data.get("threads"):
        counts = list(next(iter(data["threads"].values())))
        lines += [
            "",
            "Each model's invoke alone, wall ms (median), by LiteRT threads, the process on all "
            f"{data['cores']} cores:",
            "",
            "| model | MACs | " + " | ".join(f"{n} thread{'s' if n != '1' else ''}" for n in counts) + " |",
            "|---|---|" + "---|" * len(counts),
        ]  # fmt: skip
        for model, by in data["threads"].items():
            cells = " | ".join(_ms(by[n]) for n in counts)
            lines.append(f"| `{model}` | {data['macs'][model] / 1e6:.1f} M | {cells} |")
    return "\n".join(
        line if line.startswith("|") or not line else textwrap.fill(line, 95) for line in lines
    )


# --- main -------------------------------------------------------------------------------------


def _measuring(argv: list[str]) -> list[str]:
    """The arguments that change what is measured (not where it is written)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--json", "--markdown"):
            skip = True
        elif not arg.startswith(("--json=", "--markdown=")):
            out.append(arg)
    return out


@contextmanager
def pinned(core: int | None) -> Iterator[None]:
    """The process (and threads it starts) on one CPU; all CPUs again afterwards."""
    if core is None or not hasattr(os, "sched_setaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def collect(args: argparse.Namespace) -> dict[str, Any]:
    import cv2
    from bench_pipeline import make_clip
    from machine import cpu_name

    from streamfer.config.settings import Config

    cv2.setNumThreads(1)
    # as bench_pipeline.py and streamfer run read a file as fast as possible: "auto" geometry
    # threads are one a model (two on the pinned core would wait on each other)
    config = Config().for_pace(live=False)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [0]
    core = cores[-1] if args.core is None else args.core
    data: dict[str, Any] = {
        "machine": cpu_name(),
        "cores": os.cpu_count(),
        "core": core,
        "date": f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        "load": load,
        "python": platform.python_version(),
        "command": " ".join(["python", "benchmarks/stage_costs.py", *_measuring(sys.argv[1:])]),
        "model": config.classifier.model,
        "repeats": args.repeats,
    }
    with tempfile.TemporaryDirectory(prefix="streamfer-stages-") as tmp:
        folder = Path(tmp)
        clip = folder / "one_face.mp4"
        make_clip(clip, 0.0, args.seconds)
        with pinned(core):
            faces = gather_faces(clip, args.faces, config)
            sources: dict[str, int] = {}
            for face in faces:
                sources[face.source] = sources.get(face.source, 0) + 1
            data["faces"] = len(faces)
            data["face_sources"] = ", ".join(f"{n} {s}" for s, n in sources.items())
            print(f"per call on {len(faces)} faces ({data['face_sources']})", file=sys.stderr)
            data["per_call"] = per_call(config, faces, args.repeats)
            print("the probed pipeline", file=sys.stderr)
            data["run"] = pipeline_run(config, clip, folder)
            print("the whole, one core", file=sys.stderr)
            one = whole(config, clip, folder, args.repeats_whole)
        print("the whole, all cores", file=sys.stderr)
        data["whole"] = {
            "one core": one,
            "all cores": whole(config, clip, folder, args.repeats_whole),
        }
        if args.threads:
            print("threads", file=sys.stderr)
            data["threads"] = threads(config, args.invokes, tuple(args.threads))
    data["macs"] = model_macs(config)
    data["pi4"] = pi4_estimates(data)
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--faces", type=int, default=60, help="faces for the per-call figures")
    parser.add_argument("--repeats", type=int, default=5, help="passes over the faces")
    parser.add_argument("--invokes", type=int, default=100, help="invokes a model, alone")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the clip")
    parser.add_argument("--repeats-whole", type=int, default=3, help="runs of the whole")
    parser.add_argument(
        "--threads", type=int, nargs="*", default=[1, 2, 4], help="LiteRT threads to try"
    )
    parser.add_argument("--core", type=int, help="the CPU to pin to (default: the last)")
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--markdown", type=Path, help="also write the table")
    args = parser.parse_args(argv)
    if args.quick:
        args.faces, args.repeats, args.invokes, args.seconds = 4, 1, 3, 2.0
        args.repeats_whole, args.threads = 1, []
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    data = collect(args)
    table = markdown(data)
    print(table)
    if args.json:
        args.json.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    if args.markdown:
        args.markdown.write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
