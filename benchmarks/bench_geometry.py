"""Cost of the geometry stage per face, and the pipeline's speed with it. Prints; asserts nothing.

    python benchmarks/bench_geometry.py [--faces 300] [--repeats 5] [--seconds 10]
    python benchmarks/bench_geometry.py --no-pipeline      # the per-face figures only
    python benchmarks/bench_geometry.py --pipeline-only    # the pipeline's speed only

1. Per face, one thread, on the demo portrait's face (its detection shifted a pixel per run,
   so no two runs see the same crop): the crop, the landmark model, the blendshape model,
   the head pose and the whole ``GeometryEstimator.estimate``; the median over ``--repeats``
   of the mean over ``--faces``.
2. LiteRT's handling of the float16 weights: the landmark model as shipped against a copy
   whose float16 weights were turned into float32 beforehand (the ``DEQUANTIZE`` ops folded
   away), both through XNNPACK on one thread, and whether their outputs differ.
3. The full pipeline (capture thread, detection one frame ahead, tracking, emotion model,
   aggregator, JSONL log) on bench_pipeline's generated 640x480 clips, without geometry and
   with it (``[geometry] enabled = true``): on the calling thread after tracking, as
   ``FramePipeline`` runs it, at ``interval_seconds`` 0.2 (the default), 0.1 and 0 (every
   frame). (Until 2026-12-06 a variant also ran the stage on the detector's thread; since the
   pipeline reads each face in one call (``pipeline/reading.py``) that split is gone; its
   figures stay in docs/geometry.md.) The variants run round by round, interleaved, so a machine shared with other
   work loads them alike; each round's speed is divided by that round's speed without
   geometry, and the median of those ratios is the figure to read.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from bench_pipeline import make_clip
from machine import cpu_name

from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.core.choices import Pace
from streamfer.core.frames import Box, Detection
from streamfer.pipeline.results import StepResult
from streamfer.pipeline.stages import FramePipeline
from streamfer.session.lifecycle import Recorder
from streamfer.session.log import SessionLog
from streamfer.sources.demo import grace_hopper
from streamfer.sources.readers import open_recording
from streamfer.vision.blazeface import BlazeFaceDetector
from streamfer.vision.geometry import GeometryEstimator
from streamfer.vision.head_pose import head_pose
from streamfer.vision.landmarks import FaceRoi

ROOT = Path(__file__).resolve().parent.parent


def shifted(detection: Detection, n: int) -> list[Detection]:
    out = []
    for i in range(n):
        dx, dy = float(i % 7 - 3), float((i // 7) % 7 - 3)
        b = detection.box
        assert detection.right_eye is not None and detection.left_eye is not None
        out.append(
            Detection(
                Box(b.x + dx, b.y + dy, b.w, b.h),
                detection.score,
                (detection.right_eye[0] + dx, detection.right_eye[1] + dy),
                (detection.left_eye[0] + dx, detection.left_eye[1] + dy),
            )
        )
    return out


def per_face_ms(run: Callable[[Detection], object], faces: list[Detection], repeats: int) -> float:
    for face in faces[:20]:
        run(face)
    means = []
    for _ in range(repeats):
        start = time.perf_counter()
        for face in faces:
            run(face)
        means.append((time.perf_counter() - start) / len(faces) * 1000.0)
    return statistics.median(means)


def stage_costs(faces: int, repeats: int) -> None:
    image = grace_hopper()
    detection = BlazeFaceDetector(ROOT / "models" / "blazeface_short_range.tflite").detect(image)[0]
    estimator = GeometryEstimator.default()
    landmarks = estimator.landmark_model
    height, width = image.shape[:2]
    points, _ = landmarks.run(image, FaceRoi.from_detection(detection))
    canonical = estimator.canonical
    runs = shifted(detection, faces)
    rows = [
        ("crop (warp + RGB 0..1)", lambda d: landmarks.crop(image, FaceRoi.from_detection(d))),
        ("crop + landmark model", lambda d: landmarks.run(image, FaceRoi.from_detection(d))),
        ("blendshape model", lambda d: estimator.blendshape_model.run(points)),
        ("head pose (SQPnP + LM)", lambda d: head_pose(points, canonical, (width, height))),
        ("whole estimate()", lambda d: estimator.estimate(image, d)),
    ]
    print(f"\n## Per face, one thread ({faces} faces, median of {repeats})\n")
    print("| step | ms/face |\n|---|---|")
    for name, run in rows:
        print(f"| {name} | {per_face_ms(run, runs, repeats):.3f} |", flush=True)


def fp16_check(repeats: int) -> None:
    """The shipped float16-weight landmark model against a float32-weight copy, same inputs."""
    from ai_edge_litert.interpreter import Interpreter

    shipped = ROOT / "models" / "face_landmarks_detector.tflite"
    with tempfile.TemporaryDirectory() as tmp:
        widened = Path(tmp) / "fp32.tflite"
        folded = float32_copy(shipped, widened)
        x = np.random.default_rng(0).random((1, 256, 256, 3), dtype=np.float32)
        interpreters = []
        for path in (shipped, widened):
            interpreter = Interpreter(model_path=str(path), num_threads=1)
            interpreter.allocate_tensors()
            interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
            interpreter.invoke()
            interpreters.append(interpreter)
        times: list[list[float]] = [[], []]
        for _ in range(repeats * 20):  # interleaved, so both see the same load
            for i, interpreter in enumerate(interpreters):
                start = time.perf_counter()
                interpreter.invoke()
                times[i].append((time.perf_counter() - start) * 1000.0)
        outs = [it.get_tensor(it.get_output_details()[0]["index"]) for it in interpreters]
        diff = float(np.abs(outs[0] - outs[1]).max())
        size = widened.stat().st_size
    print(f"\n## Float16 weights ({folded} DEQUANTIZE ops folded into float32 constants)\n")
    print(
        f"landmark model invoke, median: as shipped (float16 weights, "
        f"{shipped.stat().st_size / 2**20:.1f} MiB) {statistics.median(times[0]):.2f} ms; "
        f"float32 weights ({size / 2**20:.1f} MiB) {statistics.median(times[1]):.2f} ms; "
        f"largest output difference {diff:.2e}"
    )


def float32_copy(source: Path, target: Path) -> int:
    """Write ``source`` with each float16 constant's DEQUANTIZE replaced by a float32 constant."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(bytearray(source.read_bytes()), 0)
    dequantize = {
        i
        for i, code in enumerate(model.operatorCodes)
        if max(code.builtinCode, code.deprecatedBuiltinCode) == schema.BuiltinOperator.DEQUANTIZE
    }
    folded = 0
    for graph in model.subgraphs:
        kept = []
        for op in graph.operators:
            src, dst = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
            data = model.buffers[src.buffer].data if op.opcodeIndex in dequantize else None
            if data is None or src.type != schema.TensorType.FLOAT16:
                kept.append(op)
                continue
            weights = np.frombuffer(bytes(bytearray(data)), dtype=np.float16).astype(np.float32)
            buffer = schema.BufferT()
            buffer.data = np.frombuffer(weights.tobytes(), dtype=np.uint8)
            model.buffers.append(buffer)
            dst.buffer = len(model.buffers) - 1
            folded += 1
        graph.operators = kept
    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    target.write_bytes(builder.Output())
    return folded


#: (name, interval or None for off, on the detector's thread)
VARIANTS: tuple[tuple[str, float | None, bool], ...] = (
    ("off", None, False),
    ("on, calling thread (as shipped), interval 0.2 s", 0.2, False),
    ("on, calling thread, interval 0.1 s", 0.1, False),
    ("on, calling thread, every frame (interval 0)", 0.0, False),
)


class Timing:
    def __init__(self) -> None:
        self.geometry = 0.0

    def on_step(self, step: StepResult) -> None:
        self.geometry += step.frame.geometry_seconds


def pipeline_fps(
    path: Path, interval: float | None, detector_thread: bool, log_dir: Path
) -> tuple[float, float, float]:
    """(fps, geometry ms per frame, measurements per frame) of one run."""
    config = Config()
    if interval is not None:
        config = with_overrides(
            config, {"geometry.enabled": True, "geometry.interval_seconds": interval}
        )
    pipeline = FramePipeline(config)
    log = SessionLog(log_dir / f"bench-{time.monotonic_ns()}.jsonl")
    recorder = Recorder(config, log, open_recording(path), pace=Pace.of(False))
    timing = Timing()
    start = time.perf_counter()
    frames = recorder.record(pipeline, [timing], models={}).end.frames_processed
    elapsed = time.perf_counter() - start
    pipeline.close()
    counts = pipeline.geometry_counts()
    measured = 0 if counts is None else counts["estimated"]
    return frames / elapsed, 1000.0 * timing.geometry / frames, measured / frames


def pipeline_speed(seconds: float, repeats: int, variants: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, start in (("one face", 0.0), ("two faces", 8.0)):
            clip = folder / f"{name.replace(' ', '_')}.mp4"
            make_clip(clip, start, seconds)
            chosen = VARIANTS[:variants]
            runs: dict[str, list[tuple[float, float, float]]] = {v[0]: [] for v in chosen}
            ratios: dict[str, list[float]] = {v[0]: [] for v in chosen}
            for _ in range(repeats):  # round by round, so every variant sees the same load
                for label, interval, detector_thread in chosen:
                    runs[label].append(pipeline_fps(clip, interval, detector_thread, folder))
                for label in runs:
                    ratios[label].append(runs[label][-1][0] / runs["off"][-1][0])
            print(f"\n## Pipeline, {name}, 640x480, {seconds:.0f} s at 30 fps\n")
            print(
                "| geometry | fps | of the speed without (median of each round's ratio) |", end=""
            )
            print(" ratio range | geometry ms/frame | measured/frame |")
            print("|---|---|---|---|---|---|")
            for label, _, _ in chosen:
                fps = statistics.median(r[0] for r in runs[label])
                ms = statistics.median(r[1] for r in runs[label])
                per = statistics.median(r[2] for r in runs[label])
                lo, hi = min(ratios[label]), max(ratios[label])
                print(
                    f"| {label} | {fps:.0f} | {statistics.median(ratios[label]):.2f} | "
                    f"{lo:.2f}-{hi:.2f} | {ms:.2f} | {per:.2f} |",
                    flush=True,
                )
            print(f"load average now {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--faces", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of generated clips")
    parser.add_argument("--no-pipeline", action="store_true", help="per-face figures only")
    parser.add_argument("--pipeline-only", action="store_true", help="the pipeline's speed only")
    parser.add_argument(
        "--variants", type=int, default=len(VARIANTS), help="the first N pipeline variants only"
    )
    args = parser.parse_args()
    cv2.setNumThreads(1)  # as FramePipeline sets it
    print(
        f"machine: {cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"OpenCV {cv2.__version__}, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    if not args.pipeline_only:
        stage_costs(args.faces, args.repeats)
        fp16_check(args.repeats)
    if not args.no_pipeline:
        pipeline_speed(args.seconds, args.repeats, args.variants)


if __name__ == "__main__":
    main()
