"""Scoring the rules (calibration maths) on generated per-frame tables whose right answers are known."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from streamfer.core.choices import LabelSet
from streamfer.core.labels import (
    EMOTIONS,
    EMOTIONS_8,
)
from streamfer.method.calibration import ClipTable, cross_validate, evaluate_fixed
from streamfer.method.calibration_results import THRESHOLDS
from streamfer.method.folds import stratified_group_folds
from streamfer.method.rule import NO_LABEL

A, D, F, H, S, U, N = range(7)


def frames(labels: list[int], peak: float = 0.7) -> npt.NDArray[np.float32]:
    """A (n, 7) probability table whose per-frame argmax is ``labels``."""
    probs = np.full((len(labels), 7), (1.0 - peak) / 6, dtype=np.float32)
    probs[np.arange(len(labels)), labels] = peak
    return probs


def burst_clip(n: int, emotion: int, burst: int, rng: np.random.Generator) -> list[int]:
    """``n`` frames of neutral with ``burst`` consecutive frames of ``emotion`` somewhere."""
    start = int(rng.integers(0, n - burst + 1))
    return [emotion if start <= i < start + burst else N for i in range(n)]


def paper_pattern(seed: int = 1) -> tuple[list[npt.NDArray[np.float32]], list[int]]:
    """40 happy clips (3 or 4 of 20 frames happy) and 40 neutral clips (1 stray sad frame).

    Top-1 calls every clip neutral (accuracy 0.5). The rule is right on every clip exactly for
    thresholds above 1/20 and at most 3/20: 0.10 and 0.15; the tie goes to 0.15.
    """
    rng = np.random.default_rng(seed)
    clips, truth = [], []
    for i in range(40):
        clips.append(frames(burst_clip(20, H, 3 + i % 2, rng)))
        truth.append(H)
        clips.append(frames(burst_clip(20, S, 1, rng)))
        truth.append(N)
    return clips, truth


def test_paper_pattern_threshold_beats_top1() -> None:
    clips, truth = paper_pattern()
    table = ClipTable.from_probs(clips, truth)
    for label_set in ("7", "3"):
        result = cross_validate(table, label_set, k=5, seed=0)
        assert result.n_folds == 5 and result.n_clips == 80
        assert result.methods["top1"].accuracy == pytest.approx(0.5)
        assert result.methods["mean_prob"].accuracy == pytest.approx(0.5)
        rule = result.methods["threshold"]
        assert rule.accuracy == pytest.approx(1.0)
        assert rule.macro_f1 == pytest.approx(1.0)
        assert rule.threshold == pytest.approx(0.15)
        assert rule.fold_thresholds == pytest.approx([0.15] * 5)
        # the sweep on all clips: right everywhere at 0.10 and 0.15 only
        perfect = THRESHOLDS[np.isclose(result.sweep_accuracy, 1.0)]
        np.testing.assert_allclose(perfect, [0.10, 0.15])
        assert result.sweep_accuracy[-1] == pytest.approx(0.5)  # threshold 1.0 is Top-1
    seven = cross_validate(table, "7")
    # Top-1's confusion: every clip predicted neutral; happy has F1 0, neutral 2/3
    top1 = seven.methods["top1"]
    assert top1.confusion[H, N] == 40 and top1.confusion[N, N] == 40
    assert top1.f1[H] == pytest.approx(0.0) and top1.f1[N] == pytest.approx(2 / 3)
    assert top1.macro_f1 == pytest.approx(1 / 3)
    assert np.isnan(top1.f1[A])  # neither true nor predicted


def test_threshold_chosen_on_training_folds_only() -> None:
    """A held-out fold's clips must not decide its own threshold."""
    clips, truth = paper_pattern()
    # one unusual happy clip (1 frame of 20) would need threshold 0.05, which the other
    # neutral clips' stray frame forbids: it stays wrong whichever fold holds it
    clips.append(frames([H] + [N] * 19))
    truth.append(H)
    result = cross_validate(ClipTable.from_probs(clips, truth), "7", k=4, seed=3)
    assert result.methods["threshold"].predictions[-1] == N
    assert result.methods["threshold"].accuracy < 1.0


def test_empty_clips_count_as_misses_for_every_method() -> None:
    clips, truth = paper_pattern()
    clips += [np.zeros((0, 7), np.float32)] * 2
    truth += [H, N]
    result = cross_validate(ClipTable.from_probs(clips, truth), "3", k=5, seed=0)
    assert result.n_empty == 2 and result.n_clips == 82
    for method in result.methods.values():
        assert (method.predictions[-2:] == NO_LABEL).all()
        assert method.confusion[:, -1].sum() == 2  # the "no face" column
    broad_truth = np.array([1 if t == H else 2 for t in truth])
    pooled = (result.methods["threshold"].predictions == broad_truth).mean()
    assert pooled == pytest.approx(80 / 82)  # the rule is right on every clip with a face


def test_single_class_folds_and_single_class_data() -> None:
    clips, truth = paper_pattern()
    subjects = ["kid" if t == H else "adult" for t in truth]  # each subject shows one label
    table = ClipTable.from_probs(clips, truth, subjects)
    result = cross_validate(table, "7", k=5, seed=0)
    assert result.n_folds == 2  # only two subjects
    for method in result.methods.values():
        assert np.isfinite(method.fold_accuracy).all()
        assert np.isfinite(method.fold_macro_f1).all()
    only_happy = ClipTable.from_probs(
        [c for c, t in zip(clips, truth, strict=True) if t == H], [H] * 40, None
    )
    happy = cross_validate(only_happy, "7", k=5, seed=0)
    assert happy.methods["threshold"].macro_f1 == pytest.approx(1.0)  # F1 of happy alone
    assert happy.methods["top1"].macro_f1 == pytest.approx(0.0)


def test_single_subject_fold_thresholds_are_from_the_other_subject() -> None:
    clips, truth = paper_pattern()
    subjects = ["kid" if t == H else "adult" for t in truth]
    result = cross_validate(ClipTable.from_probs(clips, truth, subjects), "7", k=5, seed=0)
    rule = result.methods["threshold"]
    folds, _ = stratified_group_folds(truth, subjects, 5, 0)
    for f, threshold in enumerate(rule.fold_thresholds):
        train_labels = {t for t, g in zip(truth, folds, strict=True) if g != f}
        if train_labels == {N}:
            assert threshold == pytest.approx(1.0)  # every threshold above 0.05 ties: largest
        else:
            assert threshold == pytest.approx(0.15)  # happy only: 0.05 to 0.15 tie: largest


def test_mean_prob_differs_from_counting() -> None:
    # 6 frames mildly neutral, 4 frames strongly happy: counts say neutral, the mean says happy
    clip = np.concatenate([frames([N] * 6, peak=0.4), frames([H] * 4, peak=0.95)])
    table = ClipTable.from_probs([clip, frames([N] * 10)], [H, N])
    result = evaluate_fixed(table, "7", threshold=0.5)
    assert result.methods["top1"].predictions.tolist() == [N, N]
    assert result.methods["mean_prob"].predictions.tolist() == [H, N]
    assert result.methods["threshold"].predictions.tolist() == [N, N]  # 4/10 < 0.5
    assert evaluate_fixed(table, "7", 0.4).methods["threshold"].predictions.tolist() == [H, N]
    assert result.n_folds == 0 and result.as_dict()["cv_folds"] is None


def test_broad_mean_prob_sums_the_group() -> None:
    # no single negative emotion beats neutral, but together they do
    probs = np.array([[0.2, 0.1, 0.1, 0.0, 0.1, 0.0, 0.5]], dtype=np.float32)
    table = ClipTable.from_probs([probs, frames([N])], [S, N])
    result = evaluate_fixed(table, "3", threshold=0.2)
    assert result.methods["mean_prob"].predictions.tolist() == [0, 2]
    assert result.names == ("negative", "positive", "neutral")


def test_report_dict_has_the_promised_keys() -> None:
    clips, truth = paper_pattern()
    report = cross_validate(ClipTable.from_probs(clips, truth), "7").as_dict()
    assert report["n_clips"] == 80
    for method in ("top1", "threshold", "mean_prob"):
        assert {"accuracy", "macro_f1", "pn_accuracy", "f1_per_class"} <= set(report[method])
    assert report["threshold"]["threshold"] == pytest.approx(0.15)
    assert report["labels"] == list(EMOTIONS)


def test_a_thousand_clips() -> None:
    """Part B over 1,000 clips of 100 frames: runs, and the rule still finds the bursts."""
    rng = np.random.default_rng(2)
    clips, truth = [], []
    for i in range(1000):
        emotion = [A, H, S, U, N][i % 5]
        burst = int(rng.integers(10, 30)) if emotion != N else 0
        clips.append(frames(burst_clip(100, emotion, burst, rng)))
        truth.append(emotion)
    table = ClipTable.from_probs(clips, truth, rng.integers(0, 200, size=1000))
    result = cross_validate(table, "7", k=5, seed=0)
    assert result.methods["threshold"].accuracy == pytest.approx(1.0)
    top1 = result.methods["top1"]
    assert (top1.predictions == table.truth).mean() == pytest.approx(0.2)  # only neutral clips
    assert top1.accuracy == pytest.approx(0.2, abs=0.01)  # a mean over unequal folds


def test_calibration_maths_with_eight_classes() -> None:
    eye = np.eye(8, dtype=np.float32)
    c, n = EMOTIONS_8.index("contempt"), EMOTIONS_8.index("neutral")
    probs = [np.stack([eye[n], eye[c], eye[c]]), np.stack([eye[n], eye[n], eye[n]])]
    table = ClipTable.from_probs(probs, [c, n], None, EMOTIONS_8)
    emotions = evaluate_fixed(table, LabelSet.EMOTIONS, 0.2)
    assert emotions.names == EMOTIONS_8 and emotions.methods["threshold"].fold_accuracy == [1.0]
    broad = evaluate_fixed(table, LabelSet.BROAD, 0.2)
    assert broad.methods["threshold"].fold_accuracy == [1.0]
    assert broad.methods["threshold"].pn_accuracy == 1.0
