"""People keep their number: the tracker's short-lived tracks mapped to people who return.

The IoU tracker (``track.py``) gives a face a new track id whenever it loses it: after the
grace period, or when the face jumps too far between frames. ``People`` sits behind it and
maps each tracker id to a person id. A track's face is described (``describe.py``) on its
first frame (its second when nobody is remembered to compare it with), again after about 1
and 3 s, and then every ``refresh_seconds``; a person keeps
up to ``MAX_DESCRIPTIONS`` of them. A new track is compared with every person not in view
on this frame and seen within the last ``memory_seconds``: its similarity to a person is the
highest cosine similarity to any of that person's descriptions. The most similar person at
or above ``threshold`` gets the track (a *return*: ``Return``); otherwise the track is a new
person with the next unused number. A person whose old track is still in its grace period
may be given the new track too; the old one is then dropped from the tracker (``drop``).

Pure: no clock and no model; ``describe`` is passed in. docs/reidentify.md has the choice of
the model, the threshold and the memory, and the figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

#: descriptions kept per person (the first, then the latest)
MAX_DESCRIPTIONS = 8
#: seconds after a track's start at which it is described again (then every refresh_seconds)
EARLY_SAMPLES = (1.0, 3.0)

Describe = Callable[[int], "npt.NDArray[np.float32] | None"]


@dataclass(frozen=True)
class Return:
    """A person seen again: ``track`` is their old number, ``after`` the seconds since they
    were last seen, ``similarity`` the cosine similarity that matched them."""

    track: int
    t: float
    after: float
    similarity: float


@dataclass
class _Person:
    id: int
    last_seen: float
    started: float  # when their current track began
    descriptions: list[npt.NDArray[np.float32]] = field(default_factory=list)
    samples: int = 0  # descriptions taken on the current track
    next_sample: float = 0.0

    def similarity(self, d: npt.NDArray[np.float32]) -> float:
        if not self.descriptions:
            return -1.0
        return float(max(float(np.dot(d, k)) for k in self.descriptions))

    def add(self, d: npt.NDArray[np.float32]) -> None:
        self.descriptions.append(d)
        if len(self.descriptions) > MAX_DESCRIPTIONS:
            del self.descriptions[1]  # keep the first one, drop the oldest after it


class People:
    """Tracker ids to person ids, with re-identification of people who return."""

    def __init__(
        self, memory_seconds: float, threshold: float, refresh_seconds: float = 10.0
    ) -> None:
        self.memory_seconds = memory_seconds
        self.threshold = threshold
        self.refresh_seconds = refresh_seconds
        self._people: dict[int, _Person] = {}
        self._raw: dict[int, int] = {}  # tracker id -> person id
        self._next_id = 1
        self.returns = 0
        self.described = 0

    def update(
        self, t: float, raw_ids: list[int], live_raw: set[int], describe: Describe
    ) -> tuple[list[int], list[Return], list[int]]:
        """Person ids for a frame's tracker ids (same order), the returns on this frame and
        the tracker ids to drop (old tracks of a person who has a new one).

        ``live_raw``: the tracker ids the tracker still holds after this frame;
        ``describe(i)``: the description of the frame's i-th face (None: none possible).
        """
        for pid in [p for p, person in self._people.items() if self._gone_too_long(person, t)]:
            del self._people[pid]
        out: list[int] = []
        returns: list[Return] = []
        drop: list[int] = []
        seen = {self._raw[r] for r in raw_ids if r in self._raw}
        for i, raw in enumerate(raw_ids):
            person_id = self._raw.get(raw)
            if person_id is None:
                person_id, back = self._arrive(t, i, seen, describe)
                if back is not None:
                    returns.append(back)
                    drop.extend(r for r, p in self._raw.items() if p == person_id)
                    for r in drop:
                        self._raw.pop(r, None)
                self._raw[raw] = person_id
                seen.add(person_id)
            else:
                self._sample(self._people[person_id], t, i, describe)
            self._people[person_id].last_seen = t
            out.append(person_id)
        for raw in [r for r in self._raw if r not in live_raw]:
            del self._raw[raw]
        self.returns += len(returns)
        return out, returns, drop

    def _arrive(
        self, t: float, i: int, seen: set[int], describe: Describe
    ) -> tuple[int, Return | None]:
        candidates = [p for p in self._people.values() if p.id not in seen and p.descriptions]
        # with nobody to compare with, the description waits for the track's next frame
        # (a photo, or the first person of a session, costs none)
        d = describe(i) if candidates else None
        if d is not None:
            self.described += 1
        best: _Person | None = None
        best_sim = -1.0
        if d is not None:
            for person in candidates:
                sim = person.similarity(d)
                if sim > best_sim:
                    best, best_sim = person, sim
        if best is not None and best_sim >= self.threshold:
            after = t - best.last_seen
            self._start(best, t, d)
            return best.id, Return(best.id, t, after, best_sim)
        person = _Person(self._next_id, t, t)
        self._next_id += 1
        self._people[person.id] = person
        self._start(person, t, d)
        return person.id, None

    def _start(self, person: _Person, t: float, d: npt.NDArray[np.float32] | None) -> None:
        person.started = t
        person.samples = 0
        if d is not None:
            person.add(d)
            person.samples = 1
            person.next_sample = t + EARLY_SAMPLES[0]
        else:
            person.next_sample = t  # described on the next frame it is seen

    def _sample(self, person: _Person, t: float, i: int, describe: Describe) -> None:
        if t < person.next_sample:
            return
        d = describe(i)
        if d is not None:
            self.described += 1
            person.add(d)
        person.samples += 1
        k = person.samples
        if k < len(EARLY_SAMPLES) + 1:
            person.next_sample = person.started + EARLY_SAMPLES[k - 1]
        else:
            person.next_sample = t + self.refresh_seconds
        if person.next_sample <= t:
            person.next_sample = t + self.refresh_seconds

    def _gone_too_long(self, person: _Person, t: float) -> bool:
        in_view = person.id in self._raw.values()
        return not in_view and t - person.last_seen > self.memory_seconds

    @property
    def live(self) -> list[int]:
        """People whose track the tracker holds (in view or in its grace period)."""
        return sorted(set(self._raw.values()))

    @property
    def remembered(self) -> list[int]:
        """People out of the tracker but within the memory: they keep their number."""
        live = set(self._raw.values())
        return sorted(p for p in self._people if p not in live)
