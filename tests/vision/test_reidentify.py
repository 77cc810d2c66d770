"""Re-identification's mapping (``streamfer.vision.reidentify.People``), with descriptions
given: a person who returns within the memory gets their number back, a stranger and a
forgotten person new ones; descriptions taken a few times per track."""

from __future__ import annotations

import numpy as np

from streamfer.vision.reidentify import People


def unit(*values: float) -> np.ndarray:
    v = np.asarray(values, np.float32)
    return v / np.linalg.norm(v)


def test_a_person_who_returns_within_the_memory_gets_their_number_back() -> None:
    people = People(memory_seconds=60, threshold=0.6)
    alice, bob = unit(1, 0, 0), unit(0, 1, 0)
    ids, back, _ = people.update(0.0, [1], {1}, lambda i: alice)
    assert ids == [1] and back == [] and people.described == 0  # nobody to compare with yet
    people.update(0.1, [1], {1}, lambda i: alice)  # described on her second frame
    assert people.described == 1
    people.update(1.0, [], set(), lambda i: None)  # her track retired: she is remembered
    assert people.live == [] and people.remembered == [1]
    ids, back, _ = people.update(5.0, [2], {2}, lambda i: bob)  # someone else: a new number
    assert ids == [2] and back == []
    ids, back, _ = people.update(9.0, [3], {2, 3}, lambda i: unit(0.95, 0.1, 0.1))
    assert ids == [1] and [(r.track, round(r.after, 6)) for r in back] == [(1, 8.9)]
    assert back[0].similarity > 0.9 and people.returns == 1


def test_a_stranger_below_the_threshold_and_a_forgotten_person_get_new_numbers() -> None:
    people = People(memory_seconds=10, threshold=0.6)
    people.update(0.0, [1], {1}, lambda i: unit(1, 0))
    people.update(0.1, [1], {1}, lambda i: unit(1, 0))
    people.update(0.5, [], set(), lambda i: None)
    ids, back, _ = people.update(2.0, [2], {2}, lambda i: unit(0.5, 0.87))  # cosine 0.5
    assert ids == [2] and back == []
    people.update(2.5, [], set(), lambda i: None)
    ids, back, _ = people.update(13.0, [3], {3}, lambda i: unit(1, 0))  # person 1 forgotten
    assert ids == [3] and back == [] and 1 not in people.remembered


def test_someone_in_view_is_never_matched_and_a_track_in_grace_is_handed_over() -> None:
    people = People(memory_seconds=60, threshold=0.6)
    same = unit(1, 1)
    people.update(0.0, [1], {1}, lambda i: same)
    ids, back, _ = people.update(0.1, [1, 2], {1, 2}, lambda i: same)  # a twin beside her
    assert ids == [1, 2] and back == []
    # person 1's track 1 is in its grace period (not seen); a new track 3 looks like her
    ids, back, drop = people.update(0.2, [2, 3], {1, 2, 3}, lambda i: same)
    assert ids == [2, 1] and [r.track for r in back] == [1] and drop == [1]


def test_descriptions_are_taken_a_few_times_per_track_not_every_frame() -> None:
    people = People(memory_seconds=60, threshold=0.6, refresh_seconds=10)
    calls = []

    def describe(i: int) -> np.ndarray:
        calls.append(i)
        return unit(1, 0)

    for k in range(30 * 20):  # 20 s at 30 frames a second
        people.update(k / 30, [1], {1}, describe)
    assert len(calls) == 4  # on the second frame (nobody to compare with), 1 s, 3 s, 13 s
