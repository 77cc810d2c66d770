"""The sliding window of each person (``streamfer.method.aggregate``): the paper's case,
sliding and emitting at an interval, a verdict held back until enough frames, broad labels,
eight classes, settings checked."""

from __future__ import annotations

import pytest

from streamfer.core.choices import LabelSet
from streamfer.core.labels import (
    EMOTIONS_8,
    label_names,
)
from streamfer.method.aggregate import AggregatorSettings, WindowAggregator

A, D, F, H, S, U, N = range(7)


def feed(agg: WindowAggregator, labels: list[int], fps: float = 10.0) -> list[str]:
    out = []
    for i, label in enumerate(labels):
        verdict = agg.update(i / fps, label, 0.0, 0.0)
        if verdict is not None:
            out.append(verdict.label)
    return out


def test_window_paper_case_threshold_vs_top1() -> None:
    """Mostly neutral with a short burst of sadness: threshold says sad, top1 says neutral."""
    clip = [N] * 12 + [S] * 6 + [N] * 12  # 3 s at 10 fps
    settings = dict(window_seconds=3.0, min_frames=5, emit_interval_seconds=10.0)
    thr = WindowAggregator(1, AggregatorSettings(method="threshold", threshold=0.2, **settings))
    top = WindowAggregator(1, AggregatorSettings(method="top1", **settings))
    feed(thr, clip)
    feed(top, clip)
    assert thr.current(2.9) is not None and thr.current(2.9).label == "sad"  # type: ignore[union-attr]
    assert top.current(2.9) is not None and top.current(2.9).label == "neutral"  # type: ignore[union-attr]


def test_window_slides_and_emits_at_interval() -> None:
    agg = WindowAggregator(
        7, AggregatorSettings(window_seconds=1.0, min_frames=3, emit_interval_seconds=0.5)
    )
    verdicts = []
    for i in range(40):  # 4 s at 10 fps: happy for 2 s, then neutral
        v = agg.update(i / 10, H if i < 20 else N, 0.5, 0.1)
        if v is not None:
            verdicts.append(v)
    times = [round(v.t, 1) for v in verdicts]
    assert times == [0.2, 0.7, 1.2, 1.7, 2.2, 2.7, 3.2, 3.7]
    assert all(v.n_frames <= 10 for v in verdicts)  # a 1 s window at 10 fps
    assert verdicts[0].label == "happy" and verdicts[-1].label == "neutral"
    assert verdicts[0].track == 7
    assert verdicts[-1].counts["neutral"] == 10


def test_min_frames_holds_back_a_verdict() -> None:
    agg = WindowAggregator(1, AggregatorSettings(min_frames=5))
    assert [agg.update(i * 0.1, H, 0, 0) for i in range(4)] == [None] * 4
    assert agg.update(0.4, H, 0, 0) is not None


def test_broad_window() -> None:
    agg = WindowAggregator(1, AggregatorSettings(label_set="3", threshold=0.2, min_frames=1))
    labels = [N] * 7 + [A, D, F]  # three different negative emotions make one negative
    feed(agg, labels, fps=100.0)
    verdict = agg.current(0.09)
    assert verdict is not None and verdict.label == "negative"
    assert verdict.counts == {"negative": 3, "positive": 0, "neutral": 7}


@pytest.mark.parametrize(
    "bad",
    [
        dict(method="mode"),
        dict(threshold=0.0),
        dict(threshold=1.5),
        dict(label_set="5"),
        dict(min_frames=0),
    ],
)
def test_settings_are_checked(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        AggregatorSettings(**bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("label_set", "expected"), [(LabelSet.EMOTIONS, "contempt"), (LabelSet.BROAD, "negative")]
)
def test_aggregator_reads_contempt(label_set: LabelSet, expected: str) -> None:
    settings = AggregatorSettings(label_set=label_set, min_frames=3, window_seconds=10.0)
    aggregator = WindowAggregator(1, settings, EMOTIONS_8)
    verdict = None
    for i, name in enumerate(["neutral", "contempt", "contempt", "neutral", "neutral"]):
        verdict = aggregator.update(i * 0.1, EMOTIONS_8.index(name), 0.0, 0.0) or verdict
    assert verdict is not None and verdict.label == expected
    assert set(verdict.counts) == set(label_names(label_set, EMOTIONS_8))
