"""The IoU tracker (``streamfer.vision.track``): ids kept across gaps, never one id twice in a
frame."""

from __future__ import annotations

from streamfer.core.frames import Box, Detection
from streamfer.vision.track import IouTracker


def det(x: float, y: float = 50, size: float = 40) -> Detection:
    return Detection(Box(x, y, size, size), 0.9)


def test_tracker_keeps_ids_and_bridges_gaps() -> None:
    tracker = IouTracker(iou_threshold=0.3, max_missed_frames=3)
    assert tracker.update([det(10), det(200)]) == [1, 2]
    assert tracker.update([det(205), det(14)]) == [2, 1]  # order of detections does not matter
    assert tracker.update([det(18)]) == [1]  # person 2 missed one frame
    assert tracker.update([]) == []
    assert tracker.update([det(20), det(210)]) == [1, 2]  # ...and is still person 2
    for _ in range(4):
        tracker.update([det(20)])
    assert tracker.update([det(20), det(210)]) == [1, 3]  # gone longer than the grace period


def test_tracker_never_gives_one_id_twice_in_a_frame() -> None:
    tracker = IouTracker()
    tracker.update([det(10)])
    ids = tracker.update([det(12), det(14)])  # both overlap track 1
    assert sorted(ids) == [1, 2]
