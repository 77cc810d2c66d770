"""The representative-emotion rule (``streamfer.method.rule``): the threshold rule by example,
its vectorised form against the one-window form, ties and the floating-point edge, and (by
property) the streaming window's verdict equal to the sweep, threshold 1 equal to Top-1."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamfer.core.choices import LabelSet, Method
from streamfer.core.labels import BROAD_OF_EMOTION, EMOTIONS, label_names
from streamfer.method.aggregate import AggregatorSettings, WindowAggregator
from streamfer.method.calibration import choose_threshold
from streamfer.method.calibration_results import THRESHOLDS
from streamfer.method.rule import NO_LABEL, representative_index, representative_labels

A, D, F, H, S, U, N = range(7)


def counts(**named: int) -> list[int]:
    return [named.get(name, 0) for name in EMOTIONS]


@pytest.mark.parametrize(
    ("window", "threshold", "expected"),
    [
        # the paper's case: a short burst of sadness buried in neutral
        (counts(neutral=16, sad=4), 0.20, "sad"),
        (counts(neutral=16, sad=4), 1.00, "neutral"),
        (counts(neutral=16, sad=3), 0.20, "neutral"),  # 3/19 < 0.20
        # exactly at the threshold counts (0.15 * 20 = 3 despite floating point)
        (counts(neutral=17, angry=3), 0.15, "angry"),
        (counts(neutral=17, angry=3), 0.16, "neutral"),
        # the top non-neutral label wins even when another non-neutral one passes too
        (counts(neutral=10, happy=6, sad=4), 0.20, "happy"),
        # ties between non-neutral labels go to the first in label order
        (counts(neutral=10, sad=5, angry=5), 0.20, "angry"),
        (counts(happy=5, surprise=5), 1.0, "happy"),
        # Top-1 fallback may be a non-neutral label (majority without reaching the threshold)
        (counts(happy=3, sad=2, neutral=1), 1.0, "happy"),
        # a tie between neutral and an emotion under plain Top-1 goes to the emotion (first)
        (counts(fear=4, neutral=4), 1.0, "fear"),
        # only neutral
        (counts(neutral=7), 0.05, "neutral"),
    ],
)
def test_rule(window: list[int], threshold: float, expected: str) -> None:
    assert EMOTIONS[representative_index(window, threshold)] == expected


def test_empty_window() -> None:
    assert representative_index([0] * 7, 0.2) == -1


def test_broad_labels() -> None:
    # counts in BROAD order: negative, positive, neutral
    assert representative_index([3, 0, 12], 0.2) == 0
    assert representative_index([2, 2, 12], 0.1) == 0  # tie: negative comes first


@pytest.mark.parametrize("k", [7, 3])
def test_vectorised_rule_agrees_with_representative_index(k: int) -> None:
    rng = np.random.default_rng(0)
    counts = rng.integers(0, 6, size=(3000, k))
    counts[rng.random(3000) < 0.3, -1] += 20  # neutral-heavy windows
    counts[::97] = 0  # empty windows
    counts[1::50, :2] = 4  # ties between non-neutral labels
    thresholds = np.concatenate([THRESHOLDS, rng.random(7)])
    got = representative_labels(counts, thresholds)
    for j, t in enumerate(thresholds):
        expected = [representative_index(c, float(t)) for c in counts]
        np.testing.assert_array_equal(got[j], expected)


def test_ties_and_the_float_edge() -> None:
    cases = {
        (5, 0, 0, 0, 5, 0, 10): A,  # angry and sad tie: angry comes first
        (0, 0, 0, 4, 0, 0, 4): H,  # happy and neutral tie under Top-1: happy comes first
        (3, 0, 0, 0, 0, 0, 17): A,  # 3 >= 0.15 * 20 despite floating point
        (0, 0, 0, 0, 0, 0, 0): NO_LABEL,
    }
    got = representative_labels(np.array(list(cases)), [0.15])[0]
    assert got.tolist() == list(cases.values())
    assert choose_threshold([0.5, 0.9, 0.9, 0.7]) == 2  # a tie goes to the larger threshold


labels_7 = st.lists(st.integers(0, 6), min_size=1, max_size=60)


thresholds = st.one_of(st.sampled_from([float(t) for t in THRESHOLDS]), st.floats(0.01, 1.0))


@settings(max_examples=300, deadline=None)
@given(sequence=labels_7, threshold=thresholds, broad=st.booleans())
def test_streaming_verdict_equals_the_sweep(
    sequence: list[int], threshold: float, broad: bool
) -> None:
    label_set = LabelSet.BROAD if broad else LabelSet.EMOTIONS
    fps = 10.0
    aggregator = WindowAggregator(
        1,
        AggregatorSettings(
            threshold=threshold,
            label_set=label_set,
            window_seconds=len(sequence) / fps + 1.0,  # the whole sequence stays in the window
            min_frames=1,
        ),
    )
    for i, label in enumerate(sequence):
        aggregator.update(i / fps, label, 0.0, 0.0)
    verdict = aggregator.current((len(sequence) - 1) / fps)
    assert verdict is not None
    mapped = [int(BROAD_OF_EMOTION[x]) for x in sequence] if broad else sequence
    names = label_names(label_set)
    counts = np.bincount(mapped, minlength=len(names))
    swept = representative_labels(counts[None, :], THRESHOLDS)
    assert verdict.label == names[representative_labels(counts[None, :], [threshold])[0, 0]]
    # the sweep over many thresholds gives, column for column, what one threshold gives
    for j, t in enumerate(THRESHOLDS):
        assert swept[j, 0] == representative_labels(counts[None, :], [t])[0, 0]


@settings(max_examples=300, deadline=None)
@given(counts=st.lists(st.lists(st.integers(0, 30), min_size=7, max_size=7), min_size=1))
def test_threshold_one_is_top1(counts: list[list[int]]) -> None:
    c = np.array(counts)
    got = representative_labels(c, [1.0])[0]
    for row, label in zip(c, got, strict=True):
        if row.sum() == 0:
            assert label == NO_LABEL
        else:
            assert label == min(i for i in range(7) if row[i] == row.max())  # ties: label order


@settings(max_examples=200, deadline=None)
@given(sequence=labels_7)
def test_top1_method_is_threshold_one(sequence: list[int]) -> None:
    def final(method: Method, threshold: float) -> str:
        agg = WindowAggregator(
            1,
            AggregatorSettings(
                method=method, threshold=threshold, window_seconds=100.0, min_frames=1
            ),
        )
        for i, label in enumerate(sequence):
            agg.update(i / 10, label, 0.0, 0.0)
        verdict = agg.current(len(sequence) / 10)
        assert verdict is not None
        return verdict.label

    assert final(Method.TOP1, 0.2) == final(Method.THRESHOLD, 1.0)
