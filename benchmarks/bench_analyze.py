"""Throughput of ``streamfer analyze`` with 1 and 2 workers, against the single-process pipeline.

Builds COPIES copies of a 640x480 one-face clip (the one-face part of the demo clip, Grace
Hopper's portrait, looped to SECONDS at 30 fps, mp4v), then measures, each REPEATS times
(median reported):

- decode only: OpenCV reading one copy, frames per second;
- single-process pipeline: ``FramePipeline`` driven by ``pipeline.run`` over one copy in this
  process, no log (what the live monitor does per frame, minus the dashboard);
- ``streamfer analyze`` as a real subprocess with ``--workers 1`` and ``--workers 2`` over all
  copies, wall time from start to exit (worker start-up and log writing included).

Usage:  python benchmarks/bench_analyze.py [--copies 6] [--seconds 20] [--repeats 3]
(against the installed streamfer: ``pip install -e .`` or the wheel; no PYTHONPATH needed)
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
from machine import cpu_name

from streamfer.config.settings import Config
from streamfer.pipeline.run import AHEAD_FILE, run
from streamfer.pipeline.stages import FramePipeline
from streamfer.sources import demo
from streamfer.sources.capture import Capture
from streamfer.sources.readers import open_recording


def write_one_face_clip(path: Path, seconds: float) -> int:
    """The demo's first 5.9 s (one face, moving), looped to ``seconds``; returns the frames."""
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter.fourcc(*"mp4v"), demo.FPS, (demo.WIDTH, demo.HEIGHT)
    )
    count = int(round(seconds * demo.FPS))
    for i in range(count):
        writer.write(demo.demo_frame((i / demo.FPS) % 5.9))
    writer.release()
    return count


def decode_fps(clip: Path) -> float:
    capture = cv2.VideoCapture(str(clip))
    start, frames = time.perf_counter(), 0
    while capture.read()[0]:
        frames += 1
    capture.release()
    return frames / (time.perf_counter() - start)


def pipeline_fps(clip: Path) -> float:
    # a file read as fast as possible, as analyze reads it: one thread a geometry model,
    # more frames prepared ahead
    pipeline = FramePipeline(Config().for_pace(live=False))
    capture = Capture(open_recording(clip)).start()
    start = time.perf_counter()
    frames, _ = run(capture, pipeline, lambda step: None, ahead=AHEAD_FILE)
    elapsed = time.perf_counter() - start
    capture.close()
    pipeline.close()
    return frames / elapsed


def analyze_seconds(clips: Path, out: Path, workers: int) -> float:
    env = dict(os.environ)
    command = [
        sys.executable,
        "-m",
        "streamfer",
        "analyze",
        str(clips),
        "--out",
        str(out),
        "--workers",
        str(workers),
        "--force",
    ]
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each clip")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clips = Path(tmp) / "clips"
        clips.mkdir()
        frames = write_one_face_clip(clips / "clip0.mp4", args.seconds)
        for i in range(1, args.copies):
            (clips / f"clip{i}.mp4").write_bytes((clips / "clip0.mp4").read_bytes())
        total = frames * args.copies
        print(f"machine: {cpu_name()}, {os.cpu_count()} cores; python {platform.python_version()}")
        print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        print(f"clips: {args.copies} x {frames} frames, 640x480, one face; {total} frames")
        one = clips / "clip0.mp4"
        decode = statistics.median(decode_fps(one) for _ in range(args.repeats))
        single = statistics.median(pipeline_fps(one) for _ in range(args.repeats))
        print(f"decode only, one clip:                  {decode:7.0f} fps")
        print(f"single-process pipeline, one clip:      {single:7.0f} fps")
        for workers in (1, 2):
            wall = statistics.median(
                analyze_seconds(clips, Path(tmp) / f"out{workers}", workers)
                for _ in range(args.repeats)
            )
            print(
                f"analyze --workers {workers}: {args.copies} files, {total} frames, "
                f"{wall:6.2f} s wall, {total / wall:7.0f} fps"
            )
        print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
