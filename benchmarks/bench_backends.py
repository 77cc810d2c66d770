"""The whole pipeline with each detector backend, runs interleaved. Prints figures; asserts nothing.

    python benchmarks/bench_backends.py [--rounds 7] [--seconds 10]

For a machine shared with other work: the LiteRT and MediaPipe backends (the latter needs the
mediapipe extra) and plain decoding take turns on the same 640x480 one-face clip, round after
round, and the best round of each is reported (the round least disturbed by other processes),
with the median beside it, and the CPU time each frame cost this process (all its threads:
decoding, detection, the rest), which other processes disturb much less than wall time. Every round is the full pipeline as ``run`` drives it on a file,
as fast as possible: capture thread, detection, tracking, crop, emotion model, aggregator.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import tempfile
import time
from pathlib import Path

import cv2
from bench_pipeline import make_clip
from machine import cpu_name

from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.pipeline.stages import FramePipeline
from streamfer.sources.capture import Capture
from streamfer.sources.readers import open_recording


def decode_fps(path: Path) -> tuple[float, float]:
    """(frames per second, CPU milliseconds per frame) of decoding alone."""
    capture = cv2.VideoCapture(str(path))
    count, start, cpu = 0, time.perf_counter(), time.process_time()
    while capture.read()[0]:
        count += 1
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    capture.release()
    return count / elapsed, 1000 * cpu / count


def pipeline_fps(path: Path, backend: str) -> tuple[float, float]:
    """(frames per second, CPU milliseconds per frame) of the whole pipeline."""
    pipeline = FramePipeline(with_overrides(Config(), {"detector.backend": backend}))
    capture = Capture(open_recording(path)).start()
    count, start, cpu = 0, time.perf_counter(), time.process_time()
    for frame in capture:
        pipeline.process(frame)
        count += 1
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    capture.close()
    pipeline.close()
    return count / elapsed, 1000 * cpu / count


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    backends = ["litert"]
    if importlib.util.find_spec("mediapipe") is not None:
        backends.append("mediapipe")
    print(f"machine: {cpu_name()}, OpenCV {cv2.__version__}; backends: {', '.join(backends)}")
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "one_face.mp4"
        make_clip(clip, 0.0, args.seconds)
        results: dict[str, list[tuple[float, float]]] = {"decode only": []}
        results.update({b: [] for b in backends})
        for _ in range(args.rounds):
            results["decode only"].append(decode_fps(clip))
            for backend in backends:
                results[backend].append(pipeline_fps(clip, backend))
    best_decode = max(f for f, _ in results["decode only"])
    cpu_decode = min(c for _, c in results["decode only"])
    for name, runs in results.items():
        fps = [f for f, _ in runs]
        cpu = min(c for _, c in runs)
        line = (
            f"{name:12s} best {max(fps):6.0f} fps, median {statistics.median(fps):6.0f} fps, "
            f"CPU {cpu:.2f} ms a frame"
        )
        if name != "decode only":
            line += (
                f"; cost vs decoding: {best_decode / max(fps):.1f}x (wall), "
                f"{cpu / cpu_decode:.1f}x (CPU)"
            )
        print(line)


if __name__ == "__main__":
    main()
