"""Emotion labels, the broad 3-label setting, and circumplex coordinates.

A model's emotions are the class names of its sidecar (FER2013's 7 or FER+'s 8, neutral
last). The broad setting follows the method (docs/method.md): negative = angry, disgust, fear,
sad (and contempt); positive = happy, surprise.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from streamfer.core.choices import LabelSet

#: FER2013's 7 emotions in its output order (the FER2013 Mini-Xception's classes).
EMOTIONS: Final = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
#: FER+'s 8 emotions (Barsoum et al. 2016) in the order streamfer's FER+ models give them.
EMOTIONS_8: Final = ("angry", "disgust", "fear", "happy", "sad", "surprise", "contempt", "neutral")
BROAD: Final = ("negative", "positive", "neutral")

#: Each emotion's broad label: contempt is negative (the method's broad setting, docs/method.md, extended).
BROAD_OF_NAME: Final = {
    "angry": 0,
    "disgust": 0,
    "fear": 0,
    "sad": 0,
    "contempt": 0,
    "happy": 1,
    "surprise": 1,
    "neutral": 2,
}

#: Valence and arousal (each -1..1) of each emotion on the circumplex. The seven of FER2013
#: are from Yin et al., Table 2 (anger, disgust, fear, joy, sadness, surprise, neutral).
#: Contempt is not in that table; its point is disgust's, moved by how far human ratings of
#: the word "contempt" lie from those of "disgust" in Warriner, Kuperman & Brysbaert (2013),
#: Behavior Research Methods 45:1191-1207 (valence 3.22 vs 3.32, arousal 4.61 vs 5.00 on
#: 1-9), scaled onto Yin's axes by the least-squares line through the seven emotions both
#: rate (slopes 0.211 and 0.404): -0.68 - 0.02 and 0.50 - 0.16. docs/method.md shows the sums.
CIRCUMPLEX_OF_NAME: Final = {
    "angry": (-0.40, 0.80),
    "disgust": (-0.68, 0.50),
    "fear": (-0.11, 0.79),
    "happy": (0.95, 0.12),
    "sad": (-0.50, -0.86),
    "surprise": (0.38, 0.92),
    "contempt": (-0.70, 0.34),
    "neutral": (0.00, 0.00),
}


def broad_of(emotions: tuple[str, ...]) -> npt.NDArray[np.int64]:
    """For each emotion of a model, its index in BROAD."""
    return np.array([BROAD_OF_NAME[e] for e in emotions], dtype=np.int64)


def circumplex(emotions: tuple[str, ...]) -> npt.NDArray[np.float64]:
    """(n, 2) valence and arousal of each emotion of a model, in its order."""
    return np.array([CIRCUMPLEX_OF_NAME[e] for e in emotions], dtype=np.float64)


#: For each of FER2013's 7 emotions, its index in BROAD.
BROAD_OF_EMOTION: Final = broad_of(EMOTIONS)
#: The circumplex of FER2013's 7 emotions, in EMOTIONS order.
CIRCUMPLEX: Final = circumplex(EMOTIONS)


def label_names(label_set: LabelSet | str, emotions: tuple[str, ...] = EMOTIONS) -> tuple[str, ...]:
    """The labels of a label set: the model's ``emotions`` or BROAD; neutral is last."""
    return emotions if LabelSet(label_set) is LabelSet.EMOTIONS else BROAD


def valence_arousal(
    probs: npt.ArrayLike, emotions: tuple[str, ...] | None = None
) -> tuple[float, float]:
    """Probability-weighted mean of the circumplex coordinates, each in -1..1.

    ``emotions`` names the model's outputs (default: FER2013's 7, or FER+'s 8 for 8 values).
    """
    p = np.asarray(probs, dtype=np.float64)
    total = float(p.sum())
    if total <= 0:
        return 0.0, 0.0
    if emotions is None:
        emotions = EMOTIONS_8 if len(p) == len(EMOTIONS_8) else EMOTIONS
    va = (p / total) @ circumplex(emotions)
    return float(va[0]), float(va[1])


_SYNONYMS: Final = {
    "angry": ("angry", "anger", "mad"),
    "disgust": ("disgust", "disgusted", "disgusting"),
    "fear": ("fear", "fearful", "afraid", "scared"),
    "happy": ("happy", "happiness", "joy", "joyful", "happiness/joy"),
    "sad": ("sad", "sadness"),
    "surprise": ("surprise", "surprised"),
    "contempt": ("contempt", "contemptuous", "scorn"),
    "neutral": ("neutral", "calm", "none"),
}
_CANONICAL: Final = {alias: name for name, aliases in _SYNONYMS.items() for alias in aliases}


def normalise_label(raw: str, emotions: tuple[str, ...] = EMOTIONS) -> str | None:
    """The canonical emotion for a dataset's label, or None when the model cannot output it.

    Case, surrounding space and ``-``/``_`` are ignored: ``"Happiness"`` -> ``"happy"``,
    ``"calm"`` -> ``"neutral"``; ``"contempt"`` -> None for FER2013's 7 ``emotions``,
    ``"contempt"`` for FER+'s 8.
    """
    key = raw.strip().lower().replace("_", " ").replace("-", " ")
    name = _CANONICAL.get(key)
    return name if name in emotions else None
