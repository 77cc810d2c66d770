"""What the pipeline hands out for one frame: its faces, read, and the verdicts that fell due.

The names differ from the log's and the API's for the same ideas: docs/architecture.md,
"One idea, three names", gives the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from streamfer.core.frames import Detection, Frame
from streamfer.method.aggregate import RepresentativeEmotion
from streamfer.method.baseline import Baseline, BaselineMissed
from streamfer.vision.reidentify import Return

if TYPE_CHECKING:  # a type only: the log and the API read these without the geometry models
    from streamfer.vision.geometry import FaceGeometry


@dataclass(frozen=True)
class Detected:
    """What the detection stage hands on: a frame, the faces found in it that are large
    enough to read (``[detector] min_face_pixels``), and the detector's seconds on it.
    ``followed``: the detector did not look at this frame; its faces are the last
    detection's, followed (``[detector] detect_every_frames``, ``vision/track.py``'s
    ``DetectionSchedule``)."""

    frame: Frame
    faces: tuple[Detection, ...]
    seconds: float
    followed: bool = False


@dataclass(frozen=True)
class Tracked:
    """A frame's faces after tracking: each face's track id (in ``Detected.faces`` order), the
    tracks the tracker holds (in view or in grace), the seconds tracking took; with
    re-identification the people given their old number back and those remembered."""

    ids: tuple[int, ...]
    live: tuple[int, ...]
    seconds: float
    returns: tuple[Return, ...] = ()  # people given their old number back on this frame
    remembered: tuple[int, ...] = ()  # people out of view who keep their number (memory)


@dataclass(frozen=True)
class FaceResult:
    """A tracked, classified face: the model's probabilities in its order, summing to about 1.

    ``geometry``: with the geometry stage on, the track's latest landmarks, blendshapes and
    head pose, if measured at most ``[geometry] max_age_seconds`` ago and not refused since
    (too small, cut by the edge); ``geometry_fresh``: measured on this very frame.
    """

    track: int
    detection: Detection
    probs: npt.NDArray[np.float32]
    valence: float
    arousal: float
    geometry: FaceGeometry | None = None
    geometry_fresh: bool = False

    def __post_init__(self) -> None:
        if self.probs.ndim != 1 or not 2 <= len(self.probs) <= 16:
            raise ValueError(f"probs must be one value a class, got shape {self.probs.shape}")

    @property
    def emotion_index(self) -> int:
        return int(np.argmax(self.probs))


@dataclass(frozen=True)
class FrameResult:
    """Everything the pipeline learned from one frame."""

    frame_index: int
    t: float
    captured: float
    faces: tuple[FaceResult, ...] = field(default_factory=tuple)
    detect_seconds: float = 0.0  # the detector (``Detected.seconds``)
    track_seconds: float = 0.0  # tracking and re-identification
    read_seconds: float = 0.0  # every face's reading (crops, models, fusion, smoothing, baseline)
    geometry_seconds: float = 0.0  # the part of ``read_seconds`` in the geometry stage
    aggregate_seconds: float = 0.0  # the windows, the verdicts and the group


@dataclass(frozen=True)
class GroupConsensus:
    """Share of present tracks per representative emotion at time ``t`` (two or more people).

    ``label`` is the emotion most people show; ties by the rule's tie rule (label order).
    """

    t: float
    label: str
    shares: dict[str, float]
    tracks: tuple[int, ...]


@dataclass(frozen=True)
class StepResult:
    """What one frame produced: its faces and any verdicts that fell due."""

    frame: FrameResult
    verdicts: tuple[RepresentativeEmotion, ...] = field(default_factory=tuple)
    group: GroupConsensus | None = None
    live_tracks: tuple[int, ...] = ()  # tracks the tracker still holds, in view or in grace
    baselines: tuple[Baseline, ...] = ()  # people's own neutrals completed on this frame
    returns: tuple[Return, ...] = ()  # people who came back and got their number back
    remembered: tuple[int, ...] = ()  # people out of view who keep their number (memory)
    baselines_missed: tuple[BaselineMissed, ...] = ()  # baselines given up on this frame
