"""Every training and choosing source, cut by streamfer's own detector and crop code.

    .venv/bin/python -m training.steps.sources --out $STREAMFER_TRAIN_DIR/cache/faces64.npz

The live pipeline never sees a pre-cropped thumbnail: it sees a frame, BlazeFace finds the
face, and ``vision.align.face_crop`` squares it, levels the eyes and scales it to the model's
input. So every face a model learns from goes through the same two steps here:

- FER+ / FER2013 (48x48 thumbnails, tightly cut): scaled 3x and framed by replicating their
  border, so the detector sees a whole face; where it finds none (about 1 in 30) the
  thumbnail is kept as it is, scaled to the crop size, and marked ``detected = False``.
- KDEF (frontal and the four other angles), SFEW film frames, the contempt faces: the photo
  itself, or, where no face is found in it, the photo framed by a replicated border and
  scaled up (the aligned SFEW and contempt faces fill their frame); a photo without a face
  even then is left out and counted.

Splits, all written to the cache and described in ``training/splits.json``:
- KDEF **by person**: ``splits.json`` names the 20 people (10 women, 10 men) whose photos are
  only for choosing (``kdef_dev``); the other 50 people's photos, every angle, are training.
- SFEW: a seeded, class-stratified fifth is held back for choosing (``sfew_dev``).
- contempt: a seeded fifth is held back (``contempt_dev``), for contempt's recall.

The cache also keeps each face's detection (box, eye keypoints), so the geometry stage can be
run on the very face the crop came from.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from training.lib.cutting import Cutter, detection_row, framed
from training.lib.data import CLASSES, FERPLUS_COLUMN_TO_CLASS, fer2013, ferplus
from training.lib.paths import DATA, SPLITS
from training.lib.photos import KDEF_FOLDER_TO_CLASS, held_back, kdef_person, read_photo


@dataclass
class Collected:
    """Faces gathered so far, one entry a face, all lists in step."""

    crops: list[npt.NDArray[np.uint8]] = field(default_factory=list)
    targets: list[npt.NDArray[np.float32]] = field(default_factory=list)
    source: list[str] = field(default_factory=list)
    split: list[str] = field(default_factory=list)
    person: list[str] = field(default_factory=list)
    file: list[str] = field(default_factory=list)
    detected: list[bool] = field(default_factory=list)
    boxes: list[list[float]] = field(default_factory=list)  # x, y, w, h, rex, rey, lex, ley
    scale: list[float] = field(default_factory=list)  # how the photo was scaled for detection
    pad: list[int] = field(default_factory=list)  # border added before scaling
    missed: Counter[str] = field(default_factory=Counter)

    def add(self, **kw: object) -> None:
        for key, value in kw.items():
            getattr(self, key).append(value)


def add_photo(
    out: Collected,
    cutter: Cutter,
    image: npt.NDArray[np.uint8],
    label: str,
    *,
    source: str,
    split: str,
    person: str,
    name: str,
) -> None:
    """One photo: the face as the pipeline would cut it, or counted as missed."""
    target = np.eye(len(CLASSES), dtype=np.float32)[CLASSES.index(label)]
    for pad_share, min_side in ((0.0, 0), (0.3, 256)):
        view, scale, pad = framed(image, pad_share, min_side)
        d = cutter.find(view)
        if d is not None:
            out.add(
                crops=cutter.cut(view, d),
                targets=target,
                source=source,
                split=split,
                person=person,
                file=name,
                detected=True,
                boxes=detection_row(d),
                scale=scale,
                pad=pad,
            )
            return
    out.missed[source] += 1


def add_thumbnails(
    out: Collected,
    cutter: Cutter,
    images: npt.NDArray[np.uint8],
    targets: npt.NDArray[np.float32],
    source: str,
    names: list[str],
) -> None:
    """FER-style 48x48 thumbnails: framed 3x, detected and cut; else the thumbnail itself."""
    for image, target, name in zip(images, targets, names, strict=True):
        # bilinear 3x, as every cache so far was made (geometry_features frames them the same)
        view, scale, pad = framed(
            cv2.resize(image, (144, 144), interpolation=cv2.INTER_LINEAR), 1 / 3, 0
        )
        d = cutter.find(view)
        if d is not None:
            crop, box, found = cutter.cut(view, d), detection_row(d), True
        else:
            size = cutter.size
            crop = cv2.resize(image, (size, size), interpolation=cv2.INTER_LINEAR)
            box, found = [np.nan] * 8, False
        out.add(
            crops=np.asarray(crop, np.uint8),
            targets=target,
            source=source,
            split="train",
            person="",
            file=name,
            detected=found,
            boxes=box,
            scale=scale,
            pad=pad,
        )


def collect(data: Path, size: int, limit: int = 0) -> Collected:
    splits = json.loads(SPLITS.read_text())
    dev_people = set(splits["kdef"]["dev_people"])
    cutter = Cutter(size)
    out = Collected()
    t0 = time.perf_counter()

    # KDEF: every angle; the dev people only for choosing
    for folder in ("kdef_frontal", "kdef_angles"):
        for path in sorted((data / folder).glob("*/*.jpg"))[: limit or None]:
            person = kdef_person(path.stem)
            split = "kdef_dev" if person in dev_people else "train"
            image = read_photo(str(path))
            label = KDEF_FOLDER_TO_CLASS[path.parent.name]
            add_photo(
                out,
                cutter,
                image,
                label,
                source="kdef",
                split=split,
                person=person,
                name=f"{folder}/{path.parent.name}/{path.name}",
            )
    print(f"kdef done {time.perf_counter() - t0:.0f} s", flush=True)

    # the Taiwanese and BU-3DFE studios: their dev people only for choosing
    studios: tuple[tuple[str, str, Callable[[str], str]], ...] = (
        ("taiwanese", "taiwanese_dev", lambda stem: stem[:2]),
        ("bu3dfe", "bu3dfe_dev", lambda stem: stem.split("_")[0]),
    )
    for source, folder, person_of in studios:
        studio_dev = set(splits[source]["dev_people"])
        for path in sorted((data / folder).glob("*/*.jpg"))[: limit or None]:
            person = person_of(path.stem)
            add_photo(
                out,
                cutter,
                read_photo(str(path)),
                path.parent.name,
                source=source,
                split=f"{source}_dev" if person in studio_dev else "train",
                person=person,
                name=f"{folder}/{path.parent.name}/{path.name}",
            )
        print(f"{source} done {time.perf_counter() - t0:.0f} s", flush=True)

    for source, folder, share, seed in (
        ("sfew", "sfew_train", splits["sfew"]["dev_share"], splits["sfew"]["seed"]),
        ("contempt", "contempt_wild", splits["contempt"]["dev_share"], splits["contempt"]["seed"]),
    ):
        paths = sorted((data / folder).glob("*/*.jpg"))[: limit or None]
        keys = [f"{p.parent.name}/{p.name}" for p in paths]
        dev = held_back(keys, [p.parent.name for p in paths], share, seed)
        for path, key in zip(paths, keys, strict=True):
            image = read_photo(str(path))
            add_photo(
                out,
                cutter,
                image,
                path.parent.name,
                source=source,
                split=f"{source}_dev" if key in dev else "train",
                person="",
                name=f"{folder}/{key}",
            )
        print(f"{source} done {time.perf_counter() - t0:.0f} s", flush=True)

    fp = ferplus(data / "ferplus_train.npz", "majority")
    names = [str(f) for f in np.load(data / "ferplus_train.npz")["files"]]
    # ferplus() drops faces; keep the names of those kept (same rule, recomputed by index)
    kept = _ferplus_kept(data / "ferplus_train.npz")
    fp_names = [names[i] for i in np.flatnonzero(kept)]
    n = limit or len(fp.images)
    add_thumbnails(out, cutter, fp.images[:n], fp.targets[:n], "ferplus", fp_names[:n])
    print(f"ferplus done {time.perf_counter() - t0:.0f} s", flush=True)
    f13 = fer2013(data / "fer2013_train.npz")
    f13_names = [str(f) for f in np.load(data / "fer2013_train.npz")["files"]]
    n = limit or len(f13.images)
    add_thumbnails(out, cutter, f13.images[:n], f13.targets[:n], "fer2013", f13_names[:n])
    print(f"fer2013 done {time.perf_counter() - t0:.0f} s", flush=True)
    return out


def _ferplus_kept(path: Path) -> npt.NDArray[np.bool_]:
    """Which FER+ rows ``training.lib.data.ferplus`` keeps (the same test, to name them)."""
    data = np.load(path)
    columns = [str(c) for c in data["columns"]]
    votes = data["votes"].astype(np.float64)
    keep = np.isin(votes.argmax(axis=1), [columns.index(c) for c in FERPLUS_COLUMN_TO_CLASS])
    emotion = np.stack([votes[:, columns.index(c)] for c in FERPLUS_COLUMN_TO_CLASS], axis=1)
    return np.asarray(keep & (emotion.sum(axis=1) > 0))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--limit", type=int, default=0, help="N photos a folder (smoke test)")
    a = p.parse_args(argv)
    got = collect(a.data, a.size, a.limit)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        a.out,
        images=np.stack(got.crops),
        targets=np.stack(got.targets),
        source=np.array(got.source),
        split=np.array(got.split),
        person=np.array(got.person),
        files=np.array(got.file),
        detected=np.array(got.detected),
        boxes=np.array(got.boxes, np.float32),
        scale=np.array(got.scale, np.float32),
        pad=np.array(got.pad, np.int32),
        classes=np.array(CLASSES),
    )
    counts = Counter(zip(got.source, got.split, strict=True))
    print(json.dumps({f"{s}/{sp}": n for (s, sp), n in sorted(counts.items())}, indent=1))
    print("missed (no face found):", dict(got.missed))
    print("thumbnails kept uncut:", sum(not d for d in got.detected))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
