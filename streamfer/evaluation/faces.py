"""``streamfer evaluate --faces``: the emotion model alone on already-cropped, labelled faces.

DATA is a folder with one sub-folder per label (``happy/``, ``Sadness/``, ...) of face
images, or an ``.npz`` with ``images`` and either ``labels`` + ``classes`` or FER+ ``votes``
+ ``columns`` (majority vote; faces whose majority is unknown or not-a-face are left out).
Each face is converted to gray, resized to the model's input and classified with the
model's own scaling: no detection, no crop. Faces of a class the model cannot output (such
as contempt for FER2013's 7) are counted and left out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from streamfer.core.errors import DataError, OutputError, SourceError
from streamfer.core.labels import EMOTIONS_8, normalise_label
from streamfer.sources.media import DEFAULT_MAX_PIXELS, read_image
from streamfer.sources.videofile import IMAGE_SUFFIXES
from streamfer.vision.classify import EmotionClassifierBackend

FACES_HINT = (
    "give a folder with one sub-folder per label of face images, or an .npz with images and "
    "labels + classes (or FER+ votes + columns)"
)
#: FER+ vote columns that are not emotions: a majority there leaves the face out.
NOT_EMOTIONS = ("unknown", "nf", "not a face", "not_a_face")


@dataclass(frozen=True)
class LabelledFaces:
    """Gray face images with canonical labels, and the faces left out (reason -> count)."""

    source: Path
    images: tuple[npt.NDArray[np.uint8], ...]
    labels: tuple[str, ...]
    left_out: dict[str, int]


def _gray(image: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    elif a.ndim == 3:
        a = cv2.cvtColor(a.astype(np.uint8), cv2.COLOR_BGR2GRAY)
    if a.dtype != np.uint8:
        a = np.clip(a * 255.0 if a.max() <= 1.0 else a, 0, 255).astype(np.uint8)
    return np.asarray(a, dtype=np.uint8)


def load_faces(path: Path, emotions: tuple[str, ...]) -> LabelledFaces:
    """The faces of ``path`` whose label is one of the model's ``emotions``."""
    if not path.exists():
        raise DataError(f"face data {path} does not exist", FACES_HINT)
    faces = _from_folder(path, emotions) if path.is_dir() else _from_npz(path, emotions)
    if not faces.images:
        raise DataError.nothing_usable(path, "face", faces.left_out, emotions, FACES_HINT)
    return faces


def _keep(raw: str, emotions: tuple[str, ...], left_out: Counter[str], n: int = 1) -> str | None:
    label = normalise_label(raw, emotions)
    if label is None:
        known = normalise_label(raw, EMOTIONS_8)
        left_out[f"{known}: the model has no such class" if known else f"{raw}: unknown label"] += n
    return label


def _from_folder(root: Path, emotions: tuple[str, ...]) -> LabelledFaces:
    images: list[npt.NDArray[np.uint8]] = []
    labels: list[str] = []
    left_out: Counter[str] = Counter()
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(
            p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        )
        label = _keep(folder.name, emotions, left_out, len(files))
        if label is None:
            continue
        for file in files:
            try:  # any file name; a decompression bomb is refused before decoding
                image = read_image(file, DEFAULT_MAX_PIXELS, cv2.IMREAD_GRAYSCALE)
            except SourceError:
                image = None
            if image is None:
                left_out["unreadable image"] += 1
                continue
            images.append(np.asarray(image, dtype=np.uint8))
            labels.append(label)
    return LabelledFaces(root, tuple(images), tuple(labels), dict(left_out))


def _from_npz(path: Path, emotions: tuple[str, ...]) -> LabelledFaces:
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {path} as an .npz: {exc}", FACES_HINT) from None
    if "images" not in data:
        raise DataError(
            f"{path} has no 'images' array (it has {', '.join(data.files)})", FACES_HINT
        )
    raw_images = data["images"]
    if "votes" in data and "columns" in data:
        columns = [str(c) for c in data["columns"]]
        majority = np.asarray(data["votes"]).argmax(axis=1)
        raw_labels = [columns[i] for i in majority]
    elif "labels" in data and "classes" in data:
        classes = [str(c) for c in data["classes"]]
        raw_labels = [classes[int(i)] for i in data["labels"]]
    else:
        raise DataError(f"{path} has neither labels + classes nor votes + columns", FACES_HINT)
    images: list[npt.NDArray[np.uint8]] = []
    labels: list[str] = []
    left_out: Counter[str] = Counter()
    for image, raw in zip(raw_images, raw_labels, strict=True):
        if raw.strip().lower() in NOT_EMOTIONS:
            left_out[f"{raw}: majority vote is not an emotion"] += 1
            continue
        label = _keep(raw, emotions, left_out)
        if label is not None:
            images.append(_gray(image))
            labels.append(label)
    return LabelledFaces(path, tuple(images), tuple(labels), dict(left_out))


def classify_faces(
    classifier: EmotionClassifierBackend, images: tuple[npt.NDArray[np.uint8], ...]
) -> npt.NDArray[np.float32]:
    """(n, k) scores: each face resized to the model's input (area when shrinking)."""
    size = classifier.input_size
    out = np.empty((len(images), len(classifier.classes)), dtype=np.float32)
    for i, image in enumerate(images):
        face = image
        if image.shape != (size, size):
            shrink = min(image.shape) > size
            interpolation = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
            face = np.asarray(
                cv2.resize(image, (size, size), interpolation=interpolation), np.uint8
            )
        out[i] = classifier.classify(np.ascontiguousarray(face))
    return out


def face_scores(
    truth: tuple[str, ...], probs: npt.NDArray[np.float32], classes: tuple[str, ...]
) -> dict[str, Any]:
    """Accuracy, per-class recall and confusion (rows: true label, columns: predicted)."""
    predicted = [classes[int(i)] for i in probs.argmax(axis=1)]
    present = [c for c in classes if c in set(truth)]
    confusion = {t: dict.fromkeys(classes, 0) for t in present}
    for t, p in zip(truth, predicted, strict=True):
        confusion[t][p] += 1
    recall = {t: round(confusion[t][t] / sum(confusion[t].values()), 4) for t in present}
    correct = sum(t == p for t, p in zip(truth, predicted, strict=True))
    return {
        "n": len(truth),
        "accuracy": round(correct / len(truth), 4) if truth else 0.0,
        "recall": recall,
        "confusion": confusion,
    }


def confusion_png(scores: dict[str, Any], classes: tuple[str, ...], path: Path, title: str) -> None:
    """The confusion matrix as a PNG, each row normalised to the true label's faces."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = list(scores["confusion"])
    counts = np.array([[scores["confusion"][t][p] for p in classes] for t in rows], dtype=float)
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    figure = Figure(figsize=(1.0 + 0.75 * len(classes), 1.2 + 0.6 * len(rows)), dpi=100)
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in range(len(rows)):
        for j in range(len(classes)):
            colour = "white" if share[i, j] > 0.6 else "black"
            ax.text(
                j, i, f"{int(counts[i, j])}", ha="center", va="center", fontsize=7, color=colour
            )
    ax.set_title(title, fontsize=9)
    figure.tight_layout()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}") from None
