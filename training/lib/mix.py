"""Many sources in one training set, drawn in chosen shares (``training.steps.train --faces``).

FER+ and FER2013 have 57,000 faces, the KDEF training people 3,500, SFEW 700, the contempt
faces 3,100: drawn in proportion to their size, the small sources would hardly count. So each
source gets a share of every epoch's draws (``--mix``), and within a source a class is drawn
in proportion to ``count ** (1 - class_balance)``: 0 keeps the source's own mix, 1 draws
every class equally often. The per-face draw probabilities are the ``weights``; the trainer's
prior for the logit adjustment is the class mix those weights draw.

Nothing here imports TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from training.lib.data import CLASSES, FaceSet


def parse_mix(text: str) -> dict[str, float]:
    """``"ferplus:0.4,kdef:0.3"`` -> shares that sum to 1."""
    shares: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = part.partition(":")
        shares[name] = float(value)
    if not shares or min(shares.values()) <= 0:
        raise ValueError(f"--mix needs source:share pairs with positive shares, not {text!r}")
    total = sum(shares.values())
    return {k: v / total for k, v in shares.items()}


def mixed_training_set(
    cache: Path, mix: str, class_balance: float
) -> tuple[FaceSet, npt.NDArray[np.float64]]:
    """The cache's training faces of the sources in ``mix``, and each face's draw weight."""
    data = np.load(cache)
    shares = parse_mix(mix)
    source, split = data["source"], data["split"]
    unknown = set(shares) - set(source.tolist())
    if unknown:
        raise ValueError(f"{cache} has no faces of {sorted(unknown)}")
    keep = (split == "train") & np.isin(source, list(shares))
    images = data["images"][keep]
    targets = data["targets"][keep].astype(np.float32)
    source = source[keep]
    labels = targets.argmax(axis=1)
    weights = np.zeros(len(images))
    for name, share in shares.items():
        mine = source == name
        counts = np.bincount(labels[mine], minlength=len(CLASSES)).astype(np.float64)
        per_class = np.where(counts > 0, counts ** (1.0 - class_balance), 0.0)
        per_class /= per_class.sum()
        # each face of class c in this source: the class's share split among its faces
        w = per_class[labels[mine]] / counts[labels[mine]]
        weights[mine] = share * w
    weights /= weights.sum()
    name = "+".join(f"{k}:{v:.2f}" for k, v in shares.items())
    return FaceSet(f"mix:{name}", images, targets), weights


def dev_sets(cache: Path) -> list[FaceSet]:
    """The held-back faces: KDEF dev people (frontal, and every angle), SFEW dev, contempt dev,
    the Taiwanese and BU-3DFE dev people."""
    data = np.load(cache)
    split = data["split"]
    frontal = np.char.startswith(data["files"].astype(str), "kdef_frontal/")
    picks = {
        "kdefdevS": (split == "kdef_dev") & frontal,
        "kdefdevall": split == "kdef_dev",
        "sfewdev": split == "sfew_dev",
        "contemptdev": split == "contempt_dev",
        "taiwanesedev": split == "taiwanese_dev",
        "bu3dfedev": split == "bu3dfe_dev",
    }
    return [
        FaceSet(f"{name}:{cache.stem}", data["images"][m], data["targets"][m].astype(np.float32))
        for name, m in picks.items()
        if m.any()
    ]
