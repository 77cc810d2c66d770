"""What the Python API hands out for each frame: plain frozen values that carry no arrays,
no models and no reference back into the pipeline, so they can be kept, compared, pickled or
sent to another process.

``Result`` (one processed frame) holds its ``Face``s, the ``Verdict``s that fell due on it
(each person's representative emotion, about once a second) and the ``GroupVerdict`` when two
or more people are tracked. The geometry stage (blendshapes, head pose; docs/geometry.md) fills
``Face.blendshapes`` and ``Face.head_pose`` when it is on; they are None otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from streamfer.pipeline.results import FaceResult, GroupConsensus, StepResult


@dataclass(frozen=True)
class HeadPose:
    """Head angles in degrees: 0, 0, 0 looking straight into the camera; ``yaw`` positive
    turning to the person's left, ``pitch`` looking up, ``roll`` tilting to their left."""

    yaw: float
    pitch: float
    roll: float


@dataclass(frozen=True)
class Face:
    """One face in one frame.

    ``track``: the person's id (1, 2, ...), kept while they stay in view. ``box``: x, y,
    width, height in pixels. ``score``: the detector's confidence (0-1). ``label``: this
    frame's most probable emotion; ``scores``: every label's probability, in the model's
    order (``Monitor.emotions``). ``valence``, ``arousal``: -1 to 1 (docs/method.md).
    """

    track: int
    box: tuple[int, int, int, int]
    score: float
    label: str
    scores: dict[str, float]
    valence: float
    arousal: float
    blendshapes: dict[str, float] | None = None
    head_pose: HeadPose | None = None


@dataclass(frozen=True)
class Verdict:
    """A person's representative emotion over the window ending at ``t`` (seconds of the
    source), as the log's ``emotion`` record: ``counts`` frames per label, ``n_frames`` in
    all; ``valence`` and ``arousal`` the window's means."""

    track: int
    label: str
    t: float
    counts: dict[str, int]
    n_frames: int
    valence: float
    arousal: float


@dataclass(frozen=True)
class GroupVerdict:
    """The group's emotion at ``t`` when two or more people are tracked: ``label`` is the one
    most of them show, ``shares`` the share of people per representative emotion."""

    t: float
    label: str
    shares: dict[str, float]
    tracks: tuple[int, ...]


@dataclass(frozen=True)
class Result:
    """One processed frame: ``t`` seconds since the source's start (a file's own time
    stamps), ``frame_index`` its number in the source (dropped frames counted), ``captured``
    when it was read (``time.monotonic()``), its faces and the verdicts that fell due."""

    t: float
    frame_index: int
    captured: float
    faces: tuple[Face, ...]
    verdicts: tuple[Verdict, ...] = ()
    group: GroupVerdict | None = None


def face_of(face: FaceResult, emotions: tuple[str, ...]) -> Face:
    """The API's ``Face`` of a pipeline ``FaceResult`` (``emotions``: the model's labels)."""
    box = face.detection.box.as_list()
    geometry: Any = getattr(face, "geometry", None)  # the geometry stage's (--geometry)
    blendshapes = head_pose = None
    if geometry is not None:
        blendshapes = {str(k): float(v) for k, v in geometry.blendshape_dict().items()}
        head_pose = HeadPose(float(geometry.yaw), float(geometry.pitch), float(geometry.roll))
    return Face(
        track=face.track,
        box=(box[0], box[1], box[2], box[3]),
        score=float(face.detection.score),
        label=emotions[face.emotion_index],
        scores={label: float(p) for label, p in zip(emotions, face.probs, strict=True)},
        valence=float(face.valence),
        arousal=float(face.arousal),
        blendshapes=blendshapes,
        head_pose=head_pose,
    )


def result_of(step: StepResult, emotions: tuple[str, ...]) -> Result:
    """The API's ``Result`` of one pipeline step."""
    frame = step.frame
    verdicts = tuple(
        Verdict(v.track, v.label, v.t, dict(v.counts), v.n_frames, v.valence, v.arousal)
        for v in step.verdicts
    )
    return Result(
        t=frame.t,
        frame_index=frame.frame_index,
        captured=frame.captured,
        faces=tuple(face_of(f, emotions) for f in frame.faces),
        verdicts=verdicts,
        group=None if step.group is None else _group(step.group),
    )


def _group(group: GroupConsensus) -> GroupVerdict:
    return GroupVerdict(group.t, group.label, dict(group.shares), group.tracks)
