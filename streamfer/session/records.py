"""Every record of the JSONL session log, as a frozen type, and what makes a log complete.

A log is a ``SessionStart``, then ``FrameRecord`` (optional), ``Emotion``, ``GroupEmotion``
and ``Marker`` records in time order, then one ``SessionEnd``. Each record turns into the
JSON object of one log line with ``to_json()`` and back with ``from_json()``; the key order
of ``to_json()`` is the order on disk. docs/log-format.md describes the same fields.

Schema versions (``SessionStart.schema``): 1 had no ``schema`` field; 2 adds it and breaks
group ties by label order, like person ties.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, Protocol, TypeVar

from streamfer.choices import LabelSet, Method
from streamfer.session.fieldtypes import conforms, field_hints

SCHEMA_VERSION = 2


class EndReason(str, Enum):
    """Why a session ended. The log's ``reason`` text is ``SessionEnd.reason_text``."""

    END_OF_SOURCE = "end_of_source"  # every frame of a file was processed
    MAX_FRAMES = "max_frames"  # the --max-frames limit was reached
    USER_QUIT = "user_quit"  # q on the keyboard
    STOPPED = "stopped"  # told to stop by its caller (analyze's Ctrl-C, a test)
    SIGNAL = "signal"  # SIGINT or SIGTERM; the log names the signal
    SOURCE_LOST = "source_lost"  # a live source stopped sending frames
    SOURCE_ERROR = "source_error"  # the source could not be read
    DISK_FULL = "disk_full"  # the log's disk filled up; the log ends here, whole
    SOURCE_INCOMPLETE = "source_incomplete"  # a file ended before all the frames it promised
    ERROR = "error"  # any other failure


#: Reasons written as ``error: <detail>``; reading a log back gives ERROR for all of them,
#: since the line holds only the message.
ERROR_REASONS = (
    EndReason.SOURCE_LOST,
    EndReason.SOURCE_ERROR,
    EndReason.ERROR,
)
#: Reasons written as ``<reason>: <detail>`` and read back as themselves.
DETAILED_REASONS = (EndReason.DISK_FULL, EndReason.SOURCE_INCOMPLETE)


@dataclass(frozen=True)
class SessionStart:
    """The first line: what was opened, with which settings and models, on which host."""

    TYPE: ClassVar[str] = "session_start"
    t: float
    version: str
    source: str
    source_fps: float
    live: bool
    config: dict[str, Any]  # every setting in force, by section, as in config.toml
    models: dict[str, Any]  # "detector" and "classifier": file, sha256, shipped
    labels: tuple[str, ...]  # the model's emotions in its output order
    host: dict[str, Any]
    schema: int = SCHEMA_VERSION
    ts: str = ""

    def to_json(self) -> dict[str, Any]:
        return _json(
            self,
            "schema",
            "version",
            "source",
            "source_fps",
            "live",
            "config",
            "models",
            labels=list(self.labels),
            host=self.host,
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionStart:
        return cls(
            **{
                **_fields(cls, data),
                "labels": tuple(data.get("labels", ())),
                "schema": int(data.get("schema", 1)),
            }
        )


@dataclass(frozen=True)
class FaceRecord:
    """One face in a ``FrameRecord``: box ``[x, y, w, h]`` in pixels, probs in label order."""

    track: int
    box: tuple[int, ...]
    score: float
    probs: tuple[float, ...]
    label: str
    valence: float
    arousal: float

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["box"], out["probs"] = list(self.box), list(self.probs)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaceRecord:
        return cls(
            **{**_fields(cls, data), "box": tuple(data["box"]), "probs": tuple(data["probs"])}
        )


@dataclass(frozen=True)
class FrameRecord:
    """Every face of one frame (logged only with ``log.frames``)."""

    TYPE: ClassVar[str] = "frame"
    t: float
    frame: int
    faces: tuple[FaceRecord, ...]
    ts: str = ""

    def to_json(self) -> dict[str, Any]:
        return _json(self, "frame", faces=[f.to_json() for f in self.faces])

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FrameRecord:
        faces = tuple(FaceRecord.from_json(f) for f in data.get("faces", ()))
        return cls(**{**_fields(cls, data), "faces": faces})


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
    ts: str = ""

    def to_json(self) -> dict[str, Any]:
        return _json(
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

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Emotion:
        return cls(**{**_fields(cls, data), **_choices(data)})


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
        return _json(
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
        return cls(**{**_fields(cls, data), **_choices(data), "tracks": tracks})


@dataclass(frozen=True)
class Marker:
    """A note the operator added (``m``); ``t`` is the last processed frame's time."""

    TYPE: ClassVar[str] = "marker"
    t: float
    note: str
    ts: str = ""

    def to_json(self) -> dict[str, Any]:
        return _json(self, "note")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Marker:
        return cls(**_fields(cls, data))


@dataclass(frozen=True)
class SessionEnd:
    """The last line: the session's figures and why it ended.

    ``detail`` is the signal's name for SIGNAL and the message for the error reasons.
    """

    TYPE: ClassVar[str] = "session_end"
    t: float
    frames_read: int
    frames_processed: int
    frames_dropped: int
    mean_fps: float
    wall_seconds: float
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    reason: EndReason
    detail: str = ""
    frames_expected: int | None = None  # what a recording's container promised, if it says
    ts: str = ""

    @property
    def reason_text(self) -> str:
        """The ``reason`` as logged: ``end_of_source``, ``SIGINT``, ``error: <message>``,
        ``source_incomplete: <what was missing>``, ``disk_full: <message>``..."""
        if self.reason is EndReason.SIGNAL:
            return self.detail
        if self.reason in ERROR_REASONS:
            return f"error: {self.detail}"
        if self.reason in DETAILED_REASONS:
            return f"{self.reason.value}: {self.detail}" if self.detail else self.reason.value
        return str(self.reason.value)

    def to_json(self) -> dict[str, Any]:
        return _json(
            self,
            "frames_read",
            "frames_processed",
            "frames_dropped",
            "mean_fps",
            "wall_seconds",
            "latency_p50_ms",
            "latency_p95_ms",
            "frames_expected",
            reason=self.reason_text,
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionEnd:
        text = str(data.get("reason", ""))
        reason, detail = _parse_reason(text)
        return cls(**{**_fields(cls, data), "reason": reason, "detail": detail})


@dataclass(frozen=True)
class SourceLost:
    """A live source stopped sending; streamfer reopens it (``source.reconnect_seconds``)."""

    TYPE: ClassVar[str] = "source_lost"
    t: float
    detail: str
    ts: str = ""

    def to_json(self) -> dict[str, Any]:
        return _json(self, "detail")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SourceLost:
        return cls(**_fields(cls, data))


@dataclass(frozen=True)
class SourceBack:
    """A lost live source answers again after ``seconds`` and ``attempts`` reopen attempts."""

    TYPE: ClassVar[str] = "source_back"
    t: float
    seconds: float
    attempts: int
    ts: str = ""

    def to_json(self) -> dict[str, Any]:
        return _json(self, "seconds", "attempts")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SourceBack:
        return cls(**_fields(cls, data))


def _parse_reason(text: str) -> tuple[EndReason, str]:
    if text.startswith("error: "):
        return EndReason.ERROR, text.removeprefix("error: ")
    for reason in DETAILED_REASONS:
        if text == reason.value or text.startswith(f"{reason.value}: "):
            return reason, text.removeprefix(reason.value).removeprefix(": ")
    if text.startswith("SIG"):
        return EndReason.SIGNAL, text
    try:
        return EndReason(text), ""
    except ValueError:
        return EndReason.ERROR, text


Record = (
    SessionStart
    | FrameRecord
    | Emotion
    | GroupEmotion
    | Marker
    | SourceLost
    | SourceBack
    | SessionEnd
)


def record_from_json(data: dict[str, Any]) -> Record:
    """The typed record of one parsed log line; ValueError for an unknown or malformed one."""
    kind = data.get("type")
    try:
        if kind == "emotion":
            if data.get("track") == "group":
                return GroupEmotion.from_json(data)
            return Emotion.from_json(data)
        for cls in (SessionStart, FrameRecord, Marker, SourceLost, SourceBack, SessionEnd):
            if kind == cls.TYPE:
                return cls.from_json(data)
    except KeyError as exc:
        raise ValueError(f"a {kind} record without the field {exc}") from None
    except TypeError as exc:
        raise ValueError(f"a {kind} record with a wrong-typed {exc}") from None
    raise ValueError(f"unknown record type {kind!r}")


def is_complete(last: Record | None) -> bool:
    """Whether a log whose last record is ``last`` is complete: the one definition.

    Complete means the whole source was analysed: the log ends with a ``SessionEnd`` whose
    reason is END_OF_SOURCE. A log that ended otherwise (a stop, a signal, an error) is
    closed but not complete; one without a ``SessionEnd`` was cut short.
    """
    return isinstance(last, SessionEnd) and last.reason is EndReason.END_OF_SOURCE


class _Typed(Protocol):
    TYPE: ClassVar[str]

    @property
    def t(self) -> float: ...

    @property
    def ts(self) -> str: ...


def _json(record: _Typed, *names: str, **extra: Any) -> dict[str, Any]:
    """``type``, ``ts``, ``t`` (rounded to 0.1 ms), then the named fields, then ``extra``."""
    out: dict[str, Any] = {"type": record.TYPE, "ts": record.ts, "t": round(record.t, 4)}
    out.update((name, getattr(record, name)) for name in names)
    out.update(extra)
    return out


def _choices(data: dict[str, Any]) -> dict[str, Any]:
    return {"method": Method(data["method"]), "label_set": LabelSet(str(data["label_set"]))}


_T = TypeVar("_T")


def _fields(cls: type[_T], data: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``data`` that are fields of ``cls``; missing required ones raise KeyError,
    a value of the wrong JSON type (a time stamp that is text, a note that is a number)
    raises TypeError naming the field."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    out = {k: v for k, v in data.items() if k in names}
    hints = field_hints(cls)
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in out:
            if f.default is dataclasses.MISSING:
                raise KeyError(f.name)
        elif not conforms(out[f.name], hints[f.name]):
            raise TypeError(f"field {f.name} = {out[f.name]!r} is not {hints[f.name]}")
    return out
