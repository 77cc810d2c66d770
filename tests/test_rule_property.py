"""Property tests: the streaming aggregator and the calibration sweep are one rule.

On random label sequences, the aggregator's verdict over a window (fed frame by frame) equals
the sweep's label for the same window's counts, at any threshold; and threshold 1.0 equals
Top-1 (the most frequent label, ties to the earliest in label order).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from streamfer.core.choices import LabelSet, Method
from streamfer.core.labels import BROAD_OF_EMOTION, label_names
from streamfer.method.aggregate import AggregatorSettings, WindowAggregator
from streamfer.method.calibration_results import THRESHOLDS
from streamfer.method.rule import NO_LABEL, representative_labels

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
