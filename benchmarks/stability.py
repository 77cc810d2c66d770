"""Does a still face keep its label when the frame moves by a pixel or two?

    python benchmarks/stability.py [--model NAME] [--sets kdef_dev,taiwanese_dev,...] [--every N]
        [--setting classifier.alternate_flip=false ...]

Needs ../shared/data. For each photo of the choosing sets (the studios' held-back people,
London, SFEW's held-back fifth; ``training/splits.json``) five versions are read: the photo
as it is, moved by (+2, 0), (0, +2) and (-2, -2) pixels (edges replicated) and scaled by 0.97.

- **photo by photo**: each version alone through ``streamfer.classify_image`` (the public API,
  a frame on its own, so no smoothing): the share of photos whose most confident face gets the
  same label in all five (a version without a face counts as a change);
- **as a still face in a clip**: the versions in a seeded random order as 30 frames at 30 fps
  through one ``FramePipeline`` (one person, the per-person smoothing of
  ``[classifier] smooth_seconds`` on): the share of photos whose label does not change after
  the smoothing window has filled.

Prints one table (set, photos, both shares, accuracy of the photo as it is) and the machine.
Speed is not measured here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
SPLITS = ROOT / "training" / "splits.json"
#: (dx, dy, scale) of each version; the first is the photo as it is.
VERSIONS = ((0, 0, 1.0), (2, 0, 1.0), (0, 2, 1.0), (-2, -2, 1.0), (0, 0, 0.97))
CLIP_FRAMES, CLIP_FPS = 30, 30.0


def moved(image: np.ndarray, dx: int, dy: int, scale: float) -> np.ndarray:
    if scale != 1.0:
        h, w = image.shape[:2]
        return cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    if dx == 0 and dy == 0:
        return image
    h, w = image.shape[:2]
    m = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]])
    return cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


def choosing_sets(data: Path) -> dict[str, list[tuple[Path, str]]]:
    """The held-back photos of each set, with their labels (folder names)."""
    splits = json.loads(SPLITS.read_text())
    kdef_dev = set(splits["kdef"]["dev_people"])
    tw_dev = set(splits["taiwanese"]["dev_people"])
    bu_dev = set(splits["bu3dfe"]["dev_people"])
    sets: dict[str, list[tuple[Path, str]]] = {
        "kdef_dev": [
            (p, p.parent.name)
            for p in sorted((data / "kdef_frontal").glob("*/*.jpg"))
            if p.stem[1:4] in kdef_dev
        ],
        "taiwanese_dev": [
            (p, p.parent.name)
            for p in sorted((data / "taiwanese_dev").glob("*/*.jpg"))
            if p.stem[:2] in tw_dev
        ],
        "bu3dfe_dev": [
            (p, p.parent.name)
            for p in sorted((data / "bu3dfe_dev").glob("*/*.jpg"))
            if p.stem.split("_")[0] in bu_dev
        ],
        "london": [
            (p, {"smiling": "happy"}.get(p.parent.name, p.parent.name))
            for p in sorted((data / "london_faces").glob("*/*.jpg"))
        ],
    }
    return sets


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--model", default=None, help="emotion model name (default: config's)")
    p.add_argument("--sets", default="kdef_dev,taiwanese_dev,bu3dfe_dev,london")
    p.add_argument("--every", type=int, default=1, help="every N-th photo of a set (quicker)")
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="a setting other than the default (repeatable; values as in config.toml), e.g.\n"
        "classifier.alternate_flip=false, detector.detect_every_frames=1",
    )
    a = p.parse_args(argv)
    if not a.data.is_dir():
        print(f"needs {a.data} (the shared face data)", file=sys.stderr)
        return 2
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from machine import cpu_name

    from streamfer.api.monitor import Monitor
    from streamfer.config.load import parse_toml, with_overrides
    from streamfer.config.settings import Config
    from streamfer.core.frames import Frame
    from streamfer.pipeline.stages import FramePipeline

    overrides: dict[str, object] = {}
    for item in a.setting:
        key, sep, value = item.partition("=")
        if not sep:
            print(f"--setting {item!r} is not SECTION.KEY=VALUE", file=sys.stderr)
            return 2
        overrides[key] = parse_toml(f"v = {value}", item)["v"]
    if a.model is not None:
        overrides["classifier.model"] = a.model
    config = with_overrides(Config(), overrides)
    rng = np.random.default_rng(0)
    sets = choosing_sets(a.data)
    import datetime
    import os
    import platform

    print(
        f"machine: {cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{datetime.date.today()}"
    )
    print(
        f"model {config.classifier.model}, smooth_seconds {config.classifier.smooth_seconds}, "
        f"settings other than the default: {overrides or 'none'}"
    )
    print(
        "| set | photos | same label, photo by photo | same label, still face in a clip | "
        "accuracy (photo as it is) |"
    )
    print("|---|---|---|---|---|")
    totals = np.zeros(4)
    window = round(config.classifier.smooth_seconds * CLIP_FPS) + 1
    with Monitor(config) as monitor:
        for name in a.sets.split(","):
            photos = sets[name][:: a.every]
            same_photo = same_clip = right = 0
            for path, label in photos:
                image = cv2.imread(str(path))
                versions = [moved(image, *v) for v in VERSIONS]
                labels = []
                for version in versions:
                    faces = monitor.classify_image(version)
                    best = max(faces, key=lambda f: f.score) if faces else None
                    labels.append(best.label if best else None)
                same_photo += len(set(labels)) == 1 and labels[0] is not None
                right += labels[0] == label
                pipeline = FramePipeline(config)
                try:
                    clip_labels = []
                    for i, k in enumerate(rng.integers(0, len(versions), CLIP_FRAMES)):
                        frame = Frame(i, i / CLIP_FPS, versions[int(k)], 0.0)
                        faces = pipeline.process(frame).frame.faces
                        clip_labels.append(
                            pipeline.classes[faces[0].emotion_index] if faces else None
                        )
                finally:
                    pipeline.close()
                settled = clip_labels[window:]
                same_clip += len(set(settled)) == 1 and settled[0] is not None
            n = len(photos)
            totals += (n, same_photo, same_clip, right)
            print(
                f"| {name} | {n} | {same_photo / n:.3f} | {same_clip / n:.3f} | {right / n:.3f} |",
                flush=True,
            )
    n = totals[0]
    print(f"| all | {int(n)} | {totals[1] / n:.3f} | {totals[2] / n:.3f} | {totals[3] / n:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
