"""Reading a person against their own neutral: the maths of ``streamfer.method.baseline``, and
baselines kept for the people remembered."""

from __future__ import annotations

import numpy as np
import pytest

from streamfer.method.baseline import BaselineCollector, Baselines, log_probs, relative


def test_a_rest_face_like_the_reference_changes_nothing() -> None:
    probs = np.array([0.1, 0.2, 0.7])
    reference = log_probs([0.05, 0.15, 0.8])
    out = relative(probs, reference, reference, strength=1.0)
    np.testing.assert_allclose(out, probs / probs.sum(), rtol=1e-5)


def test_a_sad_looking_rest_face_lowers_sadness_by_its_excess() -> None:
    # classes: happy, sad, neutral; this person's rest face reads 40 % sad
    reference = log_probs([0.05, 0.05, 0.90])
    baseline = log_probs([0.05, 0.40, 0.55])
    frame = np.array([0.05, 0.45, 0.50])  # as sad as their rest face: neutral for them
    plain = int(np.argmax(frame))
    read = relative(frame, baseline, reference, strength=1.0)
    assert plain == 2 and int(np.argmax(read)) == 2
    assert read[1] < frame[1]
    sadder = np.array([0.01, 0.97, 0.02])  # far sadder than their rest face
    assert int(np.argmax(relative(sadder, baseline, reference, 1.0))) == 1


def test_strength_zero_is_the_plain_reading() -> None:
    frame = np.array([0.3, 0.3, 0.4])
    out = relative(frame, log_probs([0.9, 0.05, 0.05]), log_probs([1 / 3] * 3), 0.0)
    np.testing.assert_allclose(out, frame, rtol=1e-5)


def test_the_collector_waits_for_its_seconds_and_frames_and_gives_one_baseline() -> None:
    c = BaselineCollector(track=3, seconds=1.0, min_frames=5)
    got = [c.add(t, [0.2, 0.8]) for t in (0.0, 0.5, 1.0, 1.1)]
    assert got == [None] * 4  # 1 s passed at t=1.0, but only 3 frames then, 4 at 1.1
    baseline = c.add(1.2, [0.2, 0.8])
    assert baseline is not None
    assert (baseline.track, baseline.frames, baseline.t_start, baseline.t_end) == (3, 5, 0.0, 1.2)
    np.testing.assert_allclose(baseline.probs, [0.2, 0.8], rtol=1e-6)
    assert c.add(1.3, [0.5, 0.5]) is None  # given once


def test_zero_probabilities_are_floored_not_infinite() -> None:
    out = relative([0.0, 1.0], log_probs([0.0, 1.0]), log_probs([0.5, 0.5]), 1.0)
    assert np.isfinite(out).all()
    assert out.sum() == pytest.approx(1.0, abs=1e-6)


def test_auto_baselines_apply_after_their_seconds_and_per_person() -> None:
    reference = tuple(log_probs([0.1, 0.9]).tolist())
    book = Baselines(seconds=0.4, reference=reference, strength=1.0)
    sad_rest = np.array([0.5, 0.5], np.float32)  # this person's rest face reads half "sad"
    taken = []
    for i in range(8):
        out, new, applied = book.read(1, i * 0.1, sad_rest)
        taken += [new] if new else []
        if i < 4:
            assert not applied and np.allclose(out, sad_rest)
    assert len(taken) == 1 and taken[0].trigger == "auto"
    out, _, applied = book.read(1, 0.9, sad_rest)
    assert applied and out[1] == pytest.approx(0.9, abs=1e-4)  # read like the reference
    _, _, applied_other = book.read(2, 0.9, sad_rest)
    assert not applied_other  # person 2 has only just arrived
    book.forget({2})
    _, _, again = book.read(1, 1.0, sad_rest)
    assert not again  # track 1 was let go; a new track 1 would start over


def test_operator_request_without_auto_and_a_model_without_reference() -> None:
    reference = tuple(log_probs([0.1, 0.9]).tolist())
    book = Baselines(seconds=0.0, reference=reference, strength=1.0, request_seconds=0.2)
    frame = np.array([0.5, 0.5], np.float32)
    assert book.read(1, 0.0, frame)[1] is None
    book.request({1})
    got = [book.read(1, 0.1 * k, frame)[1] for k in range(1, 7)]
    done = [b for b in got if b is not None]
    assert len(done) == 1 and done[0].trigger == "operator" and done[0].frames == 5
    plain = Baselines(seconds=1.0, reference=None, strength=1.0)
    assert all(plain.read(1, 0.1 * k, frame)[1] is None for k in range(30))


def test_gain_rewards_what_grew_since_the_rest_face() -> None:
    # classes: happy, sad, neutral; a child whose sad face is only a little sadder than rest
    reference = log_probs([0.1, 0.1, 0.8])
    rest = log_probs([0.1, 0.2, 0.7])
    frame = np.array([0.08, 0.35, 0.57])
    assert int(np.argmax(relative(frame, rest, reference, 0.0, 0.0))) == 2
    assert int(np.argmax(relative(frame, rest, reference, 0.0, 1.0))) == 1
    at_rest = np.exp(rest) / np.exp(rest).sum()
    assert int(np.argmax(relative(at_rest, rest, reference, 0.25, 1.0))) == 2  # rest stays neutral


def test_baselines_kept_for_the_remembered_and_a_half_taken_one_is_reported() -> None:
    baselines = Baselines(0.0, (0.0,) * 3, 0.0, 0.25)
    probs = np.asarray([0.2, 0.2, 0.6], np.float32)
    baselines.request({1, 2})
    for k in range(100):
        baselines.read(1, k / 30, probs)
    for k in range(10):
        baselines.read(2, k / 30, probs)
    assert baselines.taken(1) is not None and baselines.collecting(2)
    missed = baselines.forget(live=set(), keep={1, 2})
    assert [(m.track, m.frames, m.reason) for m in missed] == [(2, 10, "face left")]
    assert baselines.taken(1) is not None and not baselines.collecting(2)
    assert baselines.forget(live=set(), keep=set()) == [] and baselines.taken(1) is None
