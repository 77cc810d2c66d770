"""Stable track ids for faces across frames: greedy IoU matching with a grace period."""

from __future__ import annotations

from dataclasses import dataclass

from streamfer.core.frames import Box, Detection


@dataclass
class _Track:
    id: int
    box: Box
    missed: int = 0


class IouTracker:
    """Gives each detection a track id that stays while the person stays.

    A detection joins the live track whose last box overlaps it most (IoU at least
    ``iou_threshold``; pairs taken greedily, best first). A track that finds no detection is
    kept for ``max_missed_frames`` frames (the grace period that bridges missed detections),
    then dropped. New people get the next unused id, counting from 1.
    """

    def __init__(self, iou_threshold: float = 0.3, max_missed_frames: int = 15) -> None:
        self.iou_threshold = iou_threshold
        self.max_missed_frames = max_missed_frames
        self._tracks: list[_Track] = []
        self._next_id = 1

    def update(self, detections: list[Detection]) -> list[int]:
        """Track ids for ``detections``, in the same order."""
        pairs = sorted(
            (
                (track.box.iou(det.box), ti, di)
                for ti, track in enumerate(self._tracks)
                for di, det in enumerate(detections)
            ),
            reverse=True,
        )
        ids: list[int | None] = [None] * len(detections)
        used: set[int] = set()
        for iou, ti, di in pairs:
            if iou < self.iou_threshold:
                break
            if ti in used or ids[di] is not None:
                continue
            used.add(ti)
            ids[di] = self._tracks[ti].id
            self._tracks[ti].box = detections[di].box
            self._tracks[ti].missed = 0
        for ti, track in enumerate(self._tracks):
            if ti not in used:
                track.missed += 1
        self._tracks = [t for t in self._tracks if t.missed <= self.max_missed_frames]
        for di, det in enumerate(detections):
            if ids[di] is None:
                ids[di] = self._next_id
                self._tracks.append(_Track(self._next_id, det.box))
                self._next_id += 1
        return [i for i in ids if i is not None]

    def drop(self, track_id: int) -> None:
        """Forget a track now (its person has a newer track: ``reidentify.People``)."""
        self._tracks = [t for t in self._tracks if t.id != track_id]

    @property
    def live_ids(self) -> list[int]:
        return [t.id for t in self._tracks]
