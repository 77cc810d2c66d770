"""Training and validation faces from ../shared/data, as arrays in the model's class order.

Every target is a probability vector over ``CLASSES`` (8 emotions, contempt included):
- FER+ (Barsoum et al. 2016): the ten annotators' votes. Faces whose most-voted column is
  "unknown" or "NF" (not a face) are dropped, as in the paper; single votes are dropped as
  outliers when other votes remain (the FERPlus repository's ``_process_data`` does the same).
  ``soft`` keeps the vote distribution, ``majority`` the one-hot of its arg-max.
- FER2013 (Goodfellow et al. 2013): the original single label as one-hot (contempt 0).

Nothing here imports TensorFlow, so the evaluation harness can reuse it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

#: The model's output order. Neutral is last, as in streamfer's label sets.
CLASSES: tuple[str, ...] = (
    "angry",
    "disgust",
    "fear",
    "happy",
    "sad",
    "surprise",
    "contempt",
    "neutral",
)

#: FER+ vote column -> our class name (unknown and NF have none).
FERPLUS_COLUMN_TO_CLASS = {
    "neutral": "neutral",
    "happiness": "happy",
    "surprise": "surprise",
    "sadness": "sad",
    "anger": "angry",
    "disgust": "disgust",
    "fear": "fear",
    "contempt": "contempt",
}


@dataclass(frozen=True)
class FaceSet:
    """48x48 uint8 grayscale faces and their target distributions over ``CLASSES``."""

    name: str
    images: npt.NDArray[np.uint8]  # (N, 48, 48)
    targets: npt.NDArray[np.float32]  # (N, len(CLASSES)), rows sum to 1

    def __post_init__(self) -> None:
        if len(self.images) != len(self.targets):
            raise ValueError(f"{self.name}: {len(self.images)} images, {len(self.targets)} targets")

    @property
    def labels(self) -> npt.NDArray[np.int64]:
        """Arg-max class of each target (the majority vote for FER+)."""
        return np.asarray(self.targets.argmax(axis=1), dtype=np.int64)


def ferplus(path: Path, target: str = "soft") -> FaceSet:
    """A FER+ split with vote targets; ``target`` is ``"soft"`` or ``"majority"``."""
    data = np.load(path)
    columns = [str(c) for c in data["columns"]]
    votes = data["votes"].astype(np.float64)
    keep = np.isin(votes.argmax(axis=1), [columns.index(c) for c in FERPLUS_COLUMN_TO_CLASS])
    emotion_votes = np.zeros((len(votes), len(CLASSES)))
    for column, name in FERPLUS_COLUMN_TO_CLASS.items():
        emotion_votes[:, CLASSES.index(name)] = votes[:, columns.index(column)]
    keep &= emotion_votes.sum(axis=1) > 0
    pruned = np.where(emotion_votes > 1, emotion_votes, 0.0)
    has_more = pruned.sum(axis=1) > 0
    emotion_votes[has_more] = pruned[has_more]
    emotion_votes = emotion_votes[keep]
    if target == "soft":
        targets = emotion_votes / emotion_votes.sum(axis=1, keepdims=True)
    elif target == "majority":
        targets = np.eye(len(CLASSES))[emotion_votes.argmax(axis=1)]
    else:
        raise ValueError(f"FER+ target must be soft or majority, not {target!r}")
    return FaceSet(
        f"ferplus:{path.stem}", data["images"][keep].astype(np.uint8), targets.astype(np.float32)
    )


def fer2013(path: Path) -> FaceSet:
    """A FER2013 split with its original labels as one-hot targets."""
    data = np.load(path)
    classes = [str(c) for c in data["classes"]]
    order = np.array([CLASSES.index(c) for c in classes])
    labels = order[data["labels"].astype(np.int64)]
    targets = np.eye(len(CLASSES), dtype=np.float32)[labels]
    return FaceSet(f"fer2013:{path.stem}", data["images"].astype(np.uint8), targets)


def training_set(data_dir: Path, sources: list[str], ferplus_target: str) -> FaceSet:
    """The named training sources (``ferplus``, ``fer2013``) concatenated."""
    parts = []
    for source in sources:
        if source == "ferplus":
            parts.append(ferplus(data_dir / "ferplus_train.npz", ferplus_target))
        elif source == "fer2013":
            parts.append(fer2013(data_dir / "fer2013_train.npz"))
        else:
            raise ValueError(f"unknown training source {source!r} (ferplus, fer2013)")
    return FaceSet(
        "+".join(p.name for p in parts),
        np.concatenate([p.images for p in parts]),
        np.concatenate([p.targets for p in parts]),
    )


def validation_sets(data_dir: Path) -> list[FaceSet]:
    """FER+ valid (majority vote) and FER2013 PublicTest (original labels): the same faces."""
    return [
        ferplus(data_dir / "ferplus_valid.npz", "majority"),
        fer2013(data_dir / "fer2013_publictest.npz"),
    ]
