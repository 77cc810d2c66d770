"""Emotion labels, the broad 3-label setting, and circumplex coordinates.

The model's 7 outputs come in FER2013 order. The broad setting follows the method
in DESIGN.md: negative = angry, disgust, fear, sad; positive = happy, surprise.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from streamfer.choices import LabelSet

EMOTIONS: Final = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
BROAD: Final = ("negative", "positive", "neutral")

#: For each of the 7 emotions, its index in BROAD.
BROAD_OF_EMOTION: Final = np.array([0, 0, 0, 1, 0, 1, 2], dtype=np.int64)

#: Valence and arousal of each emotion on the circumplex, from Yin et al., Table 2
#: (anger, disgust, fear, joy, sadness, surprise, neutral), in EMOTIONS order.
CIRCUMPLEX: Final = np.array(
    [
        [-0.40, 0.80],  # angry
        [-0.68, 0.50],  # disgust
        [-0.11, 0.79],  # fear
        [0.95, 0.12],  # happy (joy)
        [-0.50, -0.86],  # sad
        [0.38, 0.92],  # surprise
        [0.00, 0.00],  # neutral
    ],
    dtype=np.float64,
)

LABEL_SETS: Final = {"7": EMOTIONS, "3": BROAD}


def label_names(label_set: LabelSet | str) -> tuple[str, ...]:
    """The label names of a label set (``"7"`` or ``"3"``); the neutral label is last."""
    return LABEL_SETS[LabelSet(label_set).value]


def valence_arousal(probs: npt.ArrayLike) -> tuple[float, float]:
    """Probability-weighted mean of the circumplex coordinates, each in -1..1."""
    p = np.asarray(probs, dtype=np.float64)
    total = float(p.sum())
    if total <= 0:
        return 0.0, 0.0
    va = (p / total) @ CIRCUMPLEX
    return float(va[0]), float(va[1])


_SYNONYMS: Final = {
    "angry": ("angry", "anger", "mad"),
    "disgust": ("disgust", "disgusted", "disgusting"),
    "fear": ("fear", "fearful", "afraid", "scared"),
    "happy": ("happy", "happiness", "joy", "joyful", "happiness/joy"),
    "sad": ("sad", "sadness"),
    "surprise": ("surprise", "surprised"),
    "neutral": ("neutral", "calm", "none"),
}
_CANONICAL: Final = {alias: name for name, aliases in _SYNONYMS.items() for alias in aliases}


def normalise_label(raw: str) -> str | None:
    """The canonical emotion for a dataset's label, or None when the model cannot output it.

    Case, surrounding space and ``-``/``_`` are ignored: ``"Happiness"`` -> ``"happy"``,
    ``"calm"`` -> ``"neutral"``, ``"contempt"`` -> None.
    """
    key = raw.strip().lower().replace("_", " ").replace("-", " ")
    return _CANONICAL.get(key)
