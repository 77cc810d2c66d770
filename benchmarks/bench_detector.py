"""Per-frame cost of each face detector on the demo's 640x480 frames. Prints figures; asserts nothing.

    python benchmarks/bench_detector.py                # LiteRT short and full range, 1 and 2 threads
    python benchmarks/bench_detector.py --frames 600   # more frames

Compared in one run, on the same frames (the demo clip's one- and two-face stretches): streamfer's
BlazeFace on LiteRT (short range, full range sparse) split into letterbox, model and decoding,
and MediaPipe Tasks' FaceDetector in VIDEO mode (the ``mp.Image`` copy included) when the
mediapipe extra is installed. Median of ``--repeats`` passes; milliseconds per frame.
"""

from __future__ import annotations

import argparse
import importlib.util
import platform
import statistics
import time
from collections.abc import Callable

import cv2
import numpy as np
from machine import cpu_name

from streamfer.config.settings import Config
from streamfer.sources import demo
from streamfer.vision.blazeface import BlazeFaceDetector, letterbox

MODELS = {
    "short range": "models/blazeface_short_range.tflite",
    "full range sparse": "models/blazeface_full_range_sparse.tflite",
}


def frames(count: int, start: float) -> list[np.ndarray]:
    return [demo.demo_frame(start + (i / demo.FPS) % 5.0) for i in range(count)]


def per_frame_ms(
    work: Callable[[np.ndarray, int], object], images: list[np.ndarray], repeats: int
) -> float:
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for i, image in enumerate(images):
            work(image, i)
        runs.append((time.perf_counter() - t0) * 1000 / len(images))
    return statistics.median(runs)


def litert_rows(images: list[np.ndarray], threads: int, repeats: int) -> list[tuple[str, float]]:
    rows: list[tuple[str, float]] = []
    for name, path in MODELS.items():
        rows += _model_rows(name, path, images, threads, repeats)
    return rows


def _model_rows(
    name: str, path: str, images: list[np.ndarray], threads: int, repeats: int
) -> list[tuple[str, float]]:
    detector = BlazeFaceDetector(Config().resolve_model(path), num_threads=threads)
    size = detector.spec.input_size
    detector.detect(images[0])  # the first invoke sets XNNPACK up
    tensors = [letterbox(image, size)[0] for image in images]
    interpreter = detector._interpreter

    def model_only(_: np.ndarray, i: int) -> None:
        interpreter.set_tensor(detector._input, tensors[i])
        interpreter.invoke()

    total = per_frame_ms(lambda image, i: detector.detect(image), images, repeats)
    pre = per_frame_ms(lambda image, i: letterbox(image, size), images, repeats)
    model = per_frame_ms(model_only, images, repeats)
    return [
        (f"LiteRT {name}, {threads} thread(s): detect", total),
        (f"  letterbox {pre:.3f} + model {model:.3f} + decode/NMS", total - pre - model),
    ]


def mediapipe_row(images: list[np.ndarray], repeats: int) -> tuple[str, float] | None:
    if importlib.util.find_spec("mediapipe") is None:
        return None
    from streamfer.vision.detect import MediaPipeFaceDetector

    path = Config().resolve_model(MODELS["short range"])
    runs = []
    for _ in range(repeats):
        with MediaPipeFaceDetector(path) as detector:
            t0 = time.perf_counter()
            for i, image in enumerate(images):
                detector.detect(image, i / demo.FPS)
            runs.append((time.perf_counter() - t0) * 1000 / len(images))
    return (
        "MediaPipe Tasks short range (VIDEO mode, mp.Image copy included)",
        statistics.median(runs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    print(f"{cpu_name()}, {platform.python_version()}, OpenCV {cv2.__version__}")
    for label, start in (("one face", 0.0), ("two faces", 8.0)):
        images = frames(args.frames, start)
        print(f"\n640x480, {label}, {args.frames} frames, median of {args.repeats}: ms per frame")
        rows = litert_rows(images, 1, args.repeats) + litert_rows(images, 2, args.repeats)
        row = mediapipe_row(images, args.repeats)
        if row is not None:
            rows.append(row)
        for name, ms in rows:
            print(f"  {name:70s} {ms:7.3f}")


if __name__ == "__main__":
    main()
