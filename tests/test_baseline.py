"""Reading a person against their own neutral: the maths of ``streamfer.method.baseline``."""

from __future__ import annotations

import numpy as np
import pytest

from streamfer.method.baseline import BaselineCollector, log_probs, relative


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
