"""The records written while a session runs: each frame's faces (``FrameRecord`` of
``FaceRecord``), each person's and the group's emotion, the operator's markers, a live
source's loss and return, each Lab Streaming Layer stream opened (``LslStream``) and each
person who came back and got their number back (``PersonBack``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from streamfer.core.choices import LabelSet, Method
from streamfer.session.recordjson import choice_fields, record_fields, record_json

#: A face's fields that only a face measured by the geometry stage on that frame has.
GEOMETRY_FIELDS = ("blendshapes", "head_pose", "presence", "landmarks")


@dataclass(frozen=True)
class FaceRecord:
    """One face in a ``FrameRecord``: box ``[x, y, w, h]`` in pixels, probs in label order.

    The geometry fields are None (absent from the line) unless the geometry stage measured
    this face on this frame: ``blendshapes`` by name, ``head_pose`` (``yaw``, ``pitch``,
    ``roll``), ``presence``, and with ``[geometry] log_landmarks`` the 478 ``landmarks``.
    """

    track: int
    box: tuple[int, ...]
    score: float
    probs: tuple[float, ...]
    label: str
    valence: float
    arousal: float
    blendshapes: dict[str, float] | None = None
    head_pose: dict[str, float] | None = None
    presence: float | None = None
    landmarks: tuple[tuple[float, ...], ...] | None = None

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["box"], out["probs"] = list(self.box), list(self.probs)
        if self.landmarks is not None:
            out["landmarks"] = [list(point) for point in self.landmarks]
        for name in GEOMETRY_FIELDS:
            if out[name] is None:
                del out[name]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaceRecord:
        fields = record_fields(cls, data)
        fields["box"], fields["probs"] = tuple(data["box"]), tuple(data["probs"])
        if fields.get("landmarks") is not None:
            fields["landmarks"] = tuple(tuple(point) for point in fields["landmarks"])
        return cls(**fields)


@dataclass(frozen=True)
class FrameRecord:
    """Every face of one frame (logged only with ``log.frames``)."""

    TYPE: ClassVar[str] = "frame"
    t: float
    frame: int
    faces: tuple[FaceRecord, ...]
    ts: str = ""

    def to_json(self) -> dict[str, Any]:
        return record_json(self, "frame", faces=[f.to_json() for f in self.faces])

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FrameRecord:
        faces = tuple(FaceRecord.from_json(f) for f in data.get("faces", ()))
        return cls(**{**record_fields(cls, data), "faces": faces})


@dataclass(frozen=True)
class Emotion:
    """One person's representative emotion over the window ending at ``t``."""

    TYPE: ClassVar[str] = "emotion"
    t: float
    track: int
    label: str
    method: Method
    threshold: float
    label_set: LabelSet
    window_s: float
    n_frames: int
    counts: dict[str, int]
    valence: float
    arousal: float
    #: with the geometry stage: the window's samples, mean ``yaw``/``pitch``/``roll`` and the
    #: blendshapes that moved most (``method/geometry_window.py``); absent without a sample
    geometry_frames: int | None = None
    head_pose: dict[str, float] | None = None
    blendshapes_moved: dict[str, float] | None = None
    ts: str = ""

    def to_json(self) -> dict[str, Any]:
        out = record_json(
            self,
            "track",
            "label",
            "method",
            "threshold",
            "label_set",
            "window_s",
            "n_frames",
            "counts",
            "valence",
            "arousal",
        )
        if self.geometry_frames is not None:
            out["geometry_frames"] = self.geometry_frames
            out["head_pose"] = self.head_pose
            out["blendshapes_moved"] = self.blendshapes_moved
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Emotion:
        return cls(**{**record_fields(cls, data), **choice_fields(data)})


@dataclass(frozen=True)
class GroupEmotion:
    """The group's emotion when two or more people are tracked (``track`` is ``"group"``)."""

    TYPE: ClassVar[str] = "emotion"
    t: float
    label: str
    shares: dict[str, float]  # share of people per representative emotion, summing to 1
    tracks: tuple[int, ...]
    method: Method
    threshold: float
    label_set: LabelSet
    window_s: float
    ts: str = ""

    def to_json(self) -> dict[str, Any]:
        return record_json(
            self,
            track="group",
            label=self.label,
            shares=self.shares,
            tracks=list(self.tracks),
            method=self.method,
            threshold=self.threshold,
            label_set=self.label_set,
            window_s=self.window_s,
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GroupEmotion:
        tracks = tuple(data.get("tracks", ()))
        return cls(**{**record_fields(cls, data), **choice_fields(data), "tracks": tracks})


@dataclass(frozen=True)
class Marker:
    """A note the operator added (``m``); ``t`` is the last processed frame's time."""

    TYPE: ClassVar[str] = "marker"
    t: float
    note: str
    ts: str = ""

    def to_json(self) -> dict[str, Any]:
        return record_json(self, "note")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Marker:
        return cls(**record_fields(cls, data))


@dataclass(frozen=True)
class SourceLost:
    """A live source stopped sending; streamfer reopens it (``source.reconnect_seconds``)."""

    TYPE: ClassVar[str] = "source_lost"
    t: float
    detail: str
    ts: str = ""

    def to_json(self) -> dict[str, Any]:
        return record_json(self, "detail")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SourceLost:
        return cls(**record_fields(cls, data))


@dataclass(frozen=True)
class SourceBack:
    """A lost live source answers again after ``seconds`` and ``attempts`` reopen attempts."""

    TYPE: ClassVar[str] = "source_back"
    t: float
    seconds: float
    attempts: int
    ts: str = ""

    def to_json(self) -> dict[str, Any]:
        return record_json(self, "seconds", "attempts")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SourceBack:
        return cls(**record_fields(cls, data))


@dataclass(frozen=True)
class BaselineRecord:
    """A person's own neutral was taken (``--baseline``, the ``b`` key): from which frames
    (``t_start`` to ``t_end``, ``frames`` of them), their mean reading ``probs`` (label order)
    and the ``strength`` and ``gain`` of ``method/baseline.relative`` with which that person's
    later frames are read against it from ``t`` on (their ``frame`` probabilities and labels,
    hence their emotions)."""

    TYPE: ClassVar[str] = "baseline"
    t: float
    track: int
    trigger: str  # "auto" (first seconds in view) or "operator"
    t_start: float
    t_end: float
    frames: int
    probs: tuple[float, ...]
    strength: float
    gain: float
    ts: str = ""

    def to_json(self) -> dict[str, Any]:
        return record_json(
            self,
            "track",
            "trigger",
            "t_start",
            "t_end",
            "frames",
            "strength",
            "gain",
            probs=list(self.probs),
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BaselineRecord:
        return cls(**{**record_fields(cls, data), "probs": tuple(data["probs"])})


@dataclass(frozen=True)
class LslStream:
    """A Lab Streaming Layer stream the session opened (``run --lsl``): a person's
    ``FacialExpression`` stream when their track appears, the ``Markers`` stream at the start.

    ``track`` is None for the markers stream; ``channels`` are its channel labels in order;
    ``rate`` its nominal rate (the source's frame rate; 0 for markers, irregular).
    """

    TYPE: ClassVar[str] = "lsl_stream"
    t: float
    name: str
    stream_type: str
    source_id: str
    track: int | None
    channels: tuple[str, ...]
    rate: float
    ts: str = ""

    def to_json(self) -> dict[str, Any]:
        return record_json(
            self, "name", "stream_type", "source_id", "track", "rate", channels=list(self.channels)
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LslStream:
        return cls(**{**record_fields(cls, data), "channels": tuple(data["channels"])})


@dataclass(frozen=True)
class PersonBack:
    """A person who had left came back and got their number back (re-identification,
    ``[tracker] reidentify``): ``track`` is that number, ``after`` the seconds since they were
    last seen, ``similarity`` the cosine similarity of their face description to the one
    remembered (at least ``[tracker] match_threshold``)."""

    TYPE: ClassVar[str] = "person_back"
    t: float
    track: int
    after: float
    similarity: float
    ts: str = ""

    def to_json(self) -> dict[str, Any]:
        return record_json(self, "track", "after", "similarity")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PersonBack:
        return cls(**record_fields(cls, data))
