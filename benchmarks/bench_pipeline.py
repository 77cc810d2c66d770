"""Speed of the live monitor's pipeline on a video, stage by stage. Prints figures; asserts nothing.

    python benchmarks/bench_pipeline.py                      # generated 640x480 clips, 1 and 2 faces
    python benchmarks/bench_pipeline.py --video my.mp4       # your own clip
    python benchmarks/bench_pipeline.py --realtime           # also real-time playback: latency, drops
    python benchmarks/bench_pipeline.py --memory             # also peak memory of `streamfer run`
    python benchmarks/bench_pipeline.py --detector mediapipe # the MediaPipe Tasks backend (extra)
    python benchmarks/bench_pipeline.py --model NAME         # another emotion model in models/

Measured in one run on the same file: decode-only fps; decode + detection fps; the full
pipeline as fast as possible (capture thread, detection, tracking, crops, emotion model,
aggregator, JSONL log), with the time per stage; and with ``--realtime`` the end-to-end
latency (frame read -> verdict logged) at the file's own frame rate, and dropped frames.
With ``--memory``, the peak resident memory of a real ``streamfer run`` process on the clip
(real time, headless, as a kiosk runs it). Each figure is the median of ``--repeats`` runs.
Runs against the installed streamfer (``pip install -e .`` or the wheel); no PYTHONPATH needed.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from machine import cpu_name

from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.core.choices import Pace
from streamfer.pipeline.results import StepResult
from streamfer.pipeline.stages import FramePipeline
from streamfer.session.lifecycle import Recorder
from streamfer.session.log import SessionLog
from streamfer.session.records import Record
from streamfer.sources import demo
from streamfer.sources.readers import open_recording
from streamfer.vision.backends import make_detector


def make_clip(path: Path, start: float, seconds: float) -> None:
    """640x480 mp4v clip from the demo's timeline (0-5 s one face, 7-13 s two faces)."""
    fps = demo.FPS
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (640, 480))
    for i in range(int(seconds * fps)):
        writer.write(demo.demo_frame(start + (i / fps) % 5.0))
    writer.release()


def decode_only(path: Path) -> tuple[float, int]:
    capture = cv2.VideoCapture(str(path))
    count, start = 0, time.perf_counter()
    while True:
        ok, _ = capture.read()
        if not ok:
            break
        count += 1
    elapsed = time.perf_counter() - start
    capture.release()
    return count / elapsed, count


def decode_and_detect(path: Path, config: Config) -> tuple[float, float]:
    capture = cv2.VideoCapture(str(path))
    settings = config.detector
    detector = make_detector(
        settings.backend,
        config.resolve_model(settings.model),
        settings.min_confidence,
        settings.num_threads,
    )
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    count, faces, start = 0, 0, time.perf_counter()
    while True:
        ok, image = capture.read()
        if not ok:
            break
        faces += len(detector.detect(image, count / fps))
        count += 1
    elapsed = time.perf_counter() - start
    detector.close()
    capture.release()
    return count / elapsed, faces / max(count, 1)


class TimedLog:
    """The session log, timing its writes."""

    def __init__(self, log: SessionLog) -> None:
        self.log = log
        self.seconds = 0.0

    @property
    def path(self) -> Path:
        return self.log.path

    @property
    def records(self) -> int:
        return self.log.records

    def write(self, record: Record) -> None:
        t0 = time.perf_counter()
        self.log.write(record)
        self.seconds += time.perf_counter() - t0

    def close(self) -> None:
        self.log.close()


class StageTimes:
    def __init__(self) -> None:
        self.detect: list[float] = []
        self.track: list[float] = []
        self.read: list[float] = []
        self.geometry: list[float] = []
        self.aggregate: list[float] = []

    def on_step(self, step: StepResult) -> None:
        frame = step.frame
        self.detect.append(frame.detect_seconds)
        self.track.append(frame.track_seconds)
        self.read.append(frame.read_seconds)
        self.geometry.append(frame.geometry_seconds)
        self.aggregate.append(frame.aggregate_seconds)


def full_pipeline(path: Path, config: Config, realtime: bool, log_dir: Path) -> dict[str, float]:
    config = config.for_pace(live=realtime)  # as streamfer run does
    pipeline = FramePipeline(config)
    log = TimedLog(SessionLog(log_dir / f"bench-{time.monotonic_ns()}.jsonl"))
    recorder = Recorder(config, log, open_recording(path), pace=Pace.of(realtime))
    times = StageTimes()
    start = time.perf_counter()
    end = recorder.record(pipeline, [times], models={}).end
    elapsed = time.perf_counter() - start
    pipeline.close()
    processed = end.frames_processed
    p50, p95 = recorder.latency.percentile(50), recorder.latency.percentile(95)
    return {
        "fps": processed / elapsed,
        "detect_ms": 1000 * float(np.mean(times.detect)),
        "track_ms": 1000 * float(np.mean(times.track)),
        "read_ms": 1000 * float(np.mean(times.read)),
        "geometry_ms": 1000 * float(np.mean(times.geometry)),
        "aggregate_ms": 1000 * float(np.mean(times.aggregate)),
        "log_ms": 1000 * log.seconds / max(processed, 1),
        "p50_ms": 1000 * (p50 or 0.0),
        "p95_ms": 1000 * (p95 or 0.0),
        "dropped": float(end.frames_dropped),
        "frames": float(processed),
    }


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def bench(
    name: str, path: Path, config: Config, repeats: int, realtime: bool, log_dir: Path
) -> None:
    decode = [decode_only(path)[0] for _ in range(repeats)]
    detect = [decode_and_detect(path, config) for _ in range(repeats)]
    fast = median_of([full_pipeline(path, config, False, log_dir) for _ in range(repeats)])
    frames = int(fast["frames"])
    print(f"\n## {name}: {path.name}, {frames} frames, {detect[0][1]:.2f} faces/frame")
    print(f"decode only              {statistics.median(decode):8.0f} fps")
    print(f"decode + detection       {statistics.median(d[0] for d in detect):8.0f} fps")
    print(
        f"full pipeline, fast      {fast['fps']:8.0f} fps "
        f"({fast['fps'] / statistics.median(decode):.2f} of decode-only: "
        f"{statistics.median(decode) / fast['fps']:.1f}x the cost of decoding alone)"
    )
    print(
        f"  per frame: detection {fast['detect_ms']:.2f} ms, tracking {fast['track_ms']:.2f} ms, "
        f"reading {fast['read_ms']:.2f} ms (of it the geometry stage {fast['geometry_ms']:.2f}), "
        f"aggregation {fast['aggregate_ms']:.3f} ms, log {fast['log_ms']:.3f} ms"
    )
    if realtime:
        live = median_of([full_pipeline(path, config, True, log_dir) for _ in range(repeats)])
        print(
            f"real time ({demo.FPS:.0f} fps)       latency p50 {live['p50_ms']:.1f} ms, "
            f"p95 {live['p95_ms']:.1f} ms, dropped {live['dropped']:.0f} of {live['frames'] + live['dropped']:.0f}"
        )


def peak_memory_of_run(path: Path, log_dir: Path) -> float:
    """Peak resident memory (MiB) of ``streamfer run`` on ``path`` in real time, headless."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(
        [
            sys.executable,
            "-m",
            "streamfer",
            "run",
            "--source",
            str(path),
            "--realtime",
            "--no-dashboard",
            "--log-dir",
            str(log_dir),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    if peak <= before:
        print("  (peak memory not separable from an earlier, larger child)")
    return peak / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--video", type=Path, action="append", help="a clip to measure (repeatable)"
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="length of generated clips")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--realtime", action="store_true", help="also measure real-time playback")
    parser.add_argument("--memory", action="store_true", help="also peak memory of streamfer run")
    parser.add_argument("--detector", choices=["litert", "mediapipe"], help="detector backend")
    parser.add_argument(
        "--detector-model",
        help="face detector model, e.g. models/blazeface_full_range_sparse.tflite",
    )
    parser.add_argument("--model", help="emotion model by name (default: config.toml's default)")
    args = parser.parse_args()
    config = with_overrides(
        Config(),
        {
            "detector.backend": args.detector,
            "detector.model": args.detector_model,
            "classifier.model": args.model,
        },
    )
    print(f"emotion model: {config.emotion_model().name}, crop {config.crop()}")
    cv2.setNumThreads(1)  # as FramePipeline sets it: decode-only is measured the same way
    print(
        f"machine: {cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"OpenCV {cv2.__version__}"
    )
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"detector: {config.detector.backend}, {config.detector.model}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clips = [(p.name, p) for p in args.video or []]
        if not clips:
            for name, start in (("one face, 640x480", 0.0), ("two faces, 640x480", 8.0)):
                path = folder / f"{name.split(',')[0].replace(' ', '_')}.mp4"
                make_clip(path, start, args.seconds)
                clips.append((name, path))
        for name, path in clips:
            bench(name, path, config, args.repeats, args.realtime, folder)
        if args.memory:
            peak = peak_memory_of_run(clips[0][1], folder)
            print(f"\npeak memory of `streamfer run` ({clips[0][0]}, real time): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
