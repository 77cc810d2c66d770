"""Emotion labels (``streamfer.core.labels``): data sets' words normalised, valence and arousal
as the weighted mean of the circumplex points, label sets that follow a model's classes, and
contempt's point derived from word ratings as docs/method.md says."""

from __future__ import annotations

import numpy as np
import pytest

from streamfer.core.choices import LabelSet
from streamfer.core.labels import (
    CIRCUMPLEX,
    CIRCUMPLEX_OF_NAME,
    EMOTIONS,
    EMOTIONS_8,
    broad_of,
    circumplex,
    label_names,
    normalise_label,
    valence_arousal,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Happiness", "happy"),
        (" joy ", "happy"),
        ("calm", "neutral"),
        ("Afraid", "fear"),
        ("surprised", "surprise"),
        ("anger", "angry"),
        ("disgusted", "disgust"),
        ("contempt", None),
        ("pride", None),
    ],
)
def test_label_normalisation(raw: str, expected: str | None) -> None:
    assert normalise_label(raw) == expected


def test_valence_arousal_is_the_weighted_mean() -> None:
    one_hot = np.eye(7)
    for i in range(7):
        assert valence_arousal(one_hot[i]) == pytest.approx(tuple(CIRCUMPLEX[i]))
    half = np.zeros(7)
    half[EMOTIONS.index("happy")] = half[EMOTIONS.index("sad")] = 0.5
    assert valence_arousal(half) == pytest.approx((0.225, -0.37))


def test_label_sets_follow_the_model() -> None:
    assert label_names(LabelSet.EMOTIONS, EMOTIONS_8) == EMOTIONS_8
    assert label_names("7") == EMOTIONS
    assert label_names(LabelSet.BROAD, EMOTIONS_8) == ("negative", "positive", "neutral")
    assert broad_of(EMOTIONS_8)[EMOTIONS_8.index("contempt")] == 0  # contempt is negative
    assert normalise_label("Contemptuous", EMOTIONS_8) == "contempt"
    assert normalise_label("contempt", EMOTIONS) is None
    assert circumplex(EMOTIONS_8).shape == (8, 2)
    one_hot = np.eye(8)[EMOTIONS_8.index("contempt")]
    v, _ = valence_arousal(one_hot, EMOTIONS_8)
    assert v < 0  # contempt is unpleasant
    assert valence_arousal(np.eye(8)[EMOTIONS_8.index("happy")], EMOTIONS_8)[0] > 0.9


def test_contempt_point_follows_the_word_ratings_in_the_docs() -> None:
    """Contempt's circumplex point is derived as docs/method.md says, from its numbers."""
    # Warriner et al. (2013) valence, arousal (1-9) and Yin et al.'s point of each emotion.
    rated = {
        "angry": ((2.50, 5.93), (-0.40, 0.80)),
        "disgust": ((3.32, 5.00), (-0.68, 0.50)),
        "fear": ((2.93, 6.14), (-0.11, 0.79)),
        "happy": ((8.21, 5.55), (0.95, 0.12)),
        "sad": ((2.40, 2.81), (-0.50, -0.86)),
        "surprise": ((7.44, 6.57), (0.38, 0.92)),
        "neutral": ((5.50, 3.45), (0.00, 0.00)),
    }
    words = np.array([w for w, _ in rated.values()])
    points = np.array([p for _, p in rated.values()])
    for name, (_, point) in rated.items():
        assert CIRCUMPLEX_OF_NAME[name] == point
    slopes = [np.polyfit(words[:, axis], points[:, axis], 1)[0] for axis in (0, 1)]
    contempt_words = np.array([3.22, 4.61])
    expected = points[1] + np.array(slopes) * (contempt_words - words[1])
    np.testing.assert_allclose(CIRCUMPLEX_OF_NAME["contempt"], expected, atol=0.006)
    assert CIRCUMPLEX_OF_NAME["contempt"] != CIRCUMPLEX_OF_NAME["disgust"]
