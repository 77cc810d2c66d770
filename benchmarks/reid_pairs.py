"""The re-identification threshold's trade, on many draws of real photos. Prints; asserts nothing.

    python benchmarks/reid_pairs.py [--draws 2000] [--threshold 0.55 0.6 0.65 0.7 0.75]

Needs ../shared/data (London set, KDEF frontal). Every photo's largest face is found by the
shipped BlazeFace and described by ``FaceDescriber`` once (London: 102 people, a neutral and a
smiling photo; KDEF: 70 people, 7 expressions, session A only). Then each draw takes 2 to 4
people of one set as those who left, each remembered by one photo, and asks what
``reidentify.People`` would do with (a) each of them coming back with their other photo (KDEF:
``neutral+1``: the neutral photo and one other expression, in a random order; ``any2``: any two
of the 7 expressions), and (b) one more person of the set arriving for the first time. A
return is recognised when its most similar remembered person is itself at or above the
threshold; a merge is a return given someone else's number or a newcomer given anyone's.
The figures are counts over all draws: the fast way to see the whole trade, where
``reid_clips.py`` runs fewer draws through the whole pipeline.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from streamfer.config.load import load
from streamfer.vision.blazeface import BlazeFaceDetector
from streamfer.vision.describe import DESCRIBER_MODEL, FaceDescriber

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"


def photos() -> dict[str, dict[str, dict[str, Path]]]:
    """set -> person -> expression -> photo."""
    out: dict[str, dict[str, dict[str, Path]]] = {"London": {}, "KDEF": {}}
    for path in sorted((DATA / "london_faces").glob("*/*.jpg")):
        expression = "NE" if path.stem.endswith("_03") else "HA"
        out["London"].setdefault(path.name[:3], {})[expression] = path
    for path in sorted((DATA / "kdef_frontal").glob("*/A*.jpg")):
        out["KDEF"].setdefault(path.name[1:4], {})[path.name[4:6]] = path
    return out


def describe_all(sets: dict[str, dict[str, dict[str, Path]]]) -> dict[Path, np.ndarray]:
    config = load(None, ROOT)
    detector = BlazeFaceDetector(config.resolve_model(config.detector.model), 0.5, 1)
    describer = FaceDescriber(config.resolve_model(DESCRIBER_MODEL))
    out = {}
    for people in sets.values():
        for by_expression in people.values():
            for path in by_expression.values():
                image = cv2.imread(str(path))
                faces = detector.detect(image, 0.0)
                if not faces:
                    continue
                face = max(faces, key=lambda d: d.box.area)
                d = describer.describe(image, face)
                if d is not None:
                    out[path] = d
    return out


def draws(
    people: dict[str, dict[str, Path]],
    d: dict[Path, np.ndarray],
    mode: str,
    n_draws: int,
    thresholds: list[float],
    seed: int,
) -> dict[float, list[int]]:
    rng = np.random.default_rng(seed)
    names = sorted(p for p, e in people.items() if sum(path in d for path in e.values()) >= 2)
    result = {t: [0, 0, 0, 0] for t in thresholds}  # recognised, returns, merges, arrivals
    for _ in range(n_draws):
        n = int(rng.integers(2, 5))
        chosen = [names[i] for i in rng.choice(len(names), n + 1, replace=False)]
        pairs = []
        for name in chosen[:n]:
            by_expression = {k: v for k, v in people[name].items() if v in d}
            if mode == "neutral+1" and "NE" in by_expression:
                other = str(rng.choice(sorted(k for k in by_expression if k != "NE")))
                first, second = by_expression["NE"], by_expression[other]
                if rng.random() < 0.5:
                    first, second = second, first
            else:
                a, b = rng.choice(sorted(by_expression), 2, replace=False)
                first, second = by_expression[str(a)], by_expression[str(b)]
            pairs.append((d[first], d[second]))
        remembered = np.stack([first for first, _ in pairs])
        newcomer_photos = [v for v in people[chosen[n]].values() if v in d]
        newcomer = d[newcomer_photos[int(rng.integers(len(newcomer_photos)))]]
        for t in thresholds:
            counts = result[t]
            for i, (_, second) in enumerate(pairs):
                sims = remembered @ second
                best = int(np.argmax(sims))
                counts[1] += 1
                if sims[best] >= t:
                    counts[0 if best == i else 2] += 1
            counts[3] += 1
            if float((remembered @ newcomer).max()) >= t:
                counts[2] += 1
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--threshold", type=float, nargs="+", default=[0.55, 0.6, 0.65, 0.7, 0.75])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not (DATA / "london_faces").is_dir() or not (DATA / "kdef_frontal").is_dir():
        sys.exit(f"needs the London set and KDEF in {DATA}")
    sets = photos()
    d = describe_all(sets)
    total = sum(len(e) for people in sets.values() for e in people.values())
    print(f"described {len(d)} of {total} photos")
    for set_name, mode in (("London", "neutral+1"), ("KDEF", "neutral+1"), ("KDEF", "any2")):
        result = draws(sets[set_name], d, mode, args.draws, args.threshold, args.seed)
        for t, (ok, returns, merges, arrivals) in result.items():
            print(
                f"{set_name:6s} {mode:9s} threshold {t:.2f}: returns recognised {ok}/{returns} "
                f"({ok / returns:.1%}), merges {merges} in {returns + arrivals} arrivals "
                f"({merges / (returns + arrivals):.2%})"
            )


if __name__ == "__main__":
    main()
