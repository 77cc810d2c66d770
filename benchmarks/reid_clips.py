"""Re-identification measured on clips composed from real photos. Prints; asserts nothing.

    python benchmarks/reid_clips.py [--trials 40] [--threshold 0.6 0.55 ...] [--seed 1]
    python benchmarks/reid_clips.py --cost-only        # the cost per face only

Needs ../shared/data (London set and KDEF frontal; docs/reidentify.md). Each trial takes 2 to
4 people of one set and two photos of each from one sitting: London's neutral and smiling
photo, KDEF's neutral photo of session A and one other expression of that session (drawn once
per person); which of the two is shown first is drawn per clip. The clip (640x480, 10 frames a
second, grey background) shows the people in turn, each for 1 s with their first photo at a
random place and size, drifting a little, with 2 s of empty frames between appearances (more
than the tracker's grace period, so every appearance starts a new track); then each comes
back, in a shuffled order, with their second photo. Every frame goes through ``FramePipeline``
(detector, tracker, re-identification, emotion model) with the default config.

Counted per trial: a *return* is recognised when the person's faces in the return segment
carry the number they had in their first appearance; a *merge* is two different people who
ever carried the same number. Then the cost: ``FaceDescriber.describe`` timed on the demo
portrait's face (crop and model, one thread), the median over repeats of the mean of 50 runs,
and how many descriptions the pipeline ran per appearance.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import cv2
import numpy as np

from streamfer.config.load import load, with_overrides
from streamfer.core.frames import Frame
from streamfer.pipeline.stages import FramePipeline
from streamfer.vision.describe import DESCRIBER_MODEL, FaceDescriber

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
W, H, FPS = 640, 480, 10.0
SHOW, GAP = 1.0, 2.0


def people_london() -> list[tuple[Path, Path]]:
    folder = DATA / "london_faces"
    out = []
    for neutral in sorted((folder / "neutral").glob("*_03.jpg")):
        smiling = folder / "smiling" / (neutral.name[:3] + "_08.jpg")
        if smiling.is_file():
            out.append((neutral, smiling))
    return out


def people_kdef(rng: random.Random) -> list[tuple[Path, Path]]:
    """Each KDEF person's neutral photo of session A and one other expression of it, drawn
    (as London gives one neutral and one smiling photo of one sitting)."""
    by_person: dict[str, list[Path]] = {}
    for path in sorted((DATA / "kdef_frontal").glob("*/A*.jpg")):  # session A only
        by_person.setdefault(path.name[1:4], []).append(path)
    out = []
    for photos in by_person.values():
        neutral = [p for p in photos if p.name[4:6] == "NE"]
        others = [p for p in photos if p.name[4:6] != "NE"]
        if neutral and others:
            out.append((neutral[0], rng.choice(others)))
    return out


def place(photo: np.ndarray, rng: random.Random) -> tuple[np.ndarray, float, float, float]:
    """The photo scaled so that its height is 200-330 px, and a start position."""
    scale = rng.uniform(200, 330) / photo.shape[0]
    img = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    x = rng.uniform(0, W - img.shape[1])
    y = rng.uniform(0, H - img.shape[0])
    return img, x, y, rng.uniform(-15, 15)


def frames_of(img: np.ndarray, x: float, y: float, drift: float, n: int) -> list[np.ndarray]:
    out = []
    for k in range(n):
        canvas = np.full((H, W, 3), 128, np.uint8)
        xx = int(min(max(x + drift * k / n, 0), W - img.shape[1]))
        yy = int(y)
        canvas[yy : yy + img.shape[0], xx : xx + img.shape[1]] = img
        out.append(canvas)
    return out


def trial(pipeline: FramePipeline, people: list[tuple[Path, Path]], rng: random.Random) -> dict:
    """One clip: who appears when, and what number each appearance got."""
    n = rng.randint(2, 4)
    chosen = rng.sample(people, n)
    photos = [rng.sample(list(p), 2) for p in chosen]
    order = [(i, 0) for i in range(n)]
    back = list(range(n))
    rng.shuffle(back)
    order += [(i, 1) for i in back]
    blank = np.full((H, W, 3), 128, np.uint8)
    index = 0
    got: list[tuple[int, int, Counter[int]]] = []  # (person, appearance, numbers seen)
    for person, which in order:
        img, x, y, drift = place(cv2.imread(str(photos[person][which])), rng)
        seen: Counter[int] = Counter()
        for image in frames_of(img, x, y, drift, int(SHOW * FPS)) + [blank] * int(GAP * FPS):
            step = pipeline.process(Frame(index, index / FPS, image, time.monotonic()))
            index += 1
            seen.update(f.track for f in step.frame.faces)
        got.append((person, which, seen))
    first = {p: s.most_common(1)[0][0] for p, w, s in got if w == 0 and s}
    recognised = sum(
        1 for p, w, s in got if w == 1 and s and p in first and s.most_common(1)[0][0] == first[p]
    )
    returns = sum(1 for p, w, s in got if w == 1 and p in first)
    owners: dict[int, set[int]] = {}
    for p, _, s in got:
        for number in s:
            owners.setdefault(number, set()).add(p)
    merges = sum(1 for who in owners.values() if len(who) > 1)
    missed = sum(1 for _, _, s in got if not s)
    return {"returns": returns, "recognised": recognised, "merges": merges, "missed": missed}


def run_set(name: str, people: list, trials: int, threshold: float, seed: int) -> None:
    config = with_overrides(
        load(None, ROOT),
        {"tracker.match_threshold": threshold, "geometry.enabled": False},
    )
    rng = random.Random(seed)
    totals: Counter[str] = Counter()
    clips_with_merge = 0
    described = 0
    appearances = 0
    for _ in range(trials):
        pipeline = FramePipeline(config)  # a fresh session per clip
        result = trial(pipeline, people, rng)
        assert pipeline.people is not None
        described += pipeline.people.described
        appearances += 2 * result["returns"]
        pipeline.close()
        totals.update(result)
        clips_with_merge += result["merges"] > 0
    share = totals["recognised"] / max(totals["returns"], 1)
    print(
        f"{name:7s} threshold {threshold:.2f}: {trials} clips, returns recognised "
        f"{totals['recognised']}/{totals['returns']} ({share:.1%}), people merged "
        f"{totals['merges']} (in {clips_with_merge} clips), appearances without a face "
        f"found {totals['missed']}, descriptions per appearance "
        f"{described / max(appearances, 1):.1f}"
    )


def cost(repeats: int = 5) -> None:
    from streamfer.assets import DEMO_PORTRAIT
    from streamfer.vision.blazeface import BlazeFaceDetector

    config = load(None, ROOT)
    describer = FaceDescriber(config.resolve_model(DESCRIBER_MODEL))
    detector = BlazeFaceDetector(config.resolve_model(config.detector.model), 0.5, 1)
    image = cv2.imread(str(DEMO_PORTRAIT))
    detection = detector.detect(image, 0.0)[0]
    means = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(50):
            describer.describe(image, detection)
        means.append((time.perf_counter() - t0) / 50)
    print(
        f"describe one face (crop + model, 1 thread): median of {repeats} means "
        f"{statistics.median(means) * 1000:.1f} ms "
        f"(model {Path(config.resolve_model(DESCRIBER_MODEL)).stat().st_size / 1e6:.1f} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=40, help="clips per photo set")
    parser.add_argument("--threshold", type=float, nargs="+", default=[0.65])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cost-only", action="store_true")
    args = parser.parse_args()
    cost()
    if args.cost_only:
        return
    if not (DATA / "london_faces").is_dir() or not (DATA / "kdef_frontal").is_dir():
        sys.exit(f"needs the London set and KDEF in {DATA}")
    for threshold in args.threshold:
        run_set("London", people_london(), args.trials, threshold, args.seed)
        run_set("KDEF", people_kdef(random.Random(args.seed)), args.trials, threshold, args.seed)


if __name__ == "__main__":
    main()
