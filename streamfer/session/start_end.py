"""The records that open and close a session log: ``SessionStart`` and ``SessionEnd``, with
``EndReason`` (why a session ended) and how a reason is written as text and read back.

Schema versions (``SessionStart.schema``): 1 had no ``schema`` field; 2 adds it and breaks
group ties by label order, like person ties; 3 adds ``baseline`` records; 4 adds
``lsl_stream`` records and the ``lsl`` section of ``config``; 5 adds the geometry stage's
fields (faces' blendshapes, head pose, presence and landmarks; emotions' head pose and moved
blendshapes; ``session_end``'s ``geometry`` counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar

from streamfer.core.errors import DiskFullError, SourceError, SourceLostError, StreamferError
from streamfer.session.recordjson import record_fields, record_json

SCHEMA_VERSION = 7  # 3: baseline records; 4: lsl_stream records; 5: face geometry;
# 6: person_back records (re-identification); 7: models.second, classifier.smooth_seconds


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
        return record_json(
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
                **record_fields(cls, data),
                "labels": tuple(data.get("labels", ())),
                "schema": int(data.get("schema", 1)),
            }
        )


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
    #: the geometry stage's counts (``FramePipeline.geometry_counts``); None: it was off
    geometry: dict[str, Any] | None = None
    ts: str = ""

    @property
    def reason_text(self) -> str:
        """The ``reason`` as logged: ``end_of_source``, ``SIGINT``, ``error: <message>``,
        ``source_incomplete: <what was missing>``, ``disk_full: <message>``..."""
        if self.reason is EndReason.SIGNAL:
            return self.detail or self.reason.value  # a signal whose name was not known
        if self.reason in ERROR_REASONS:
            return f"error: {self.detail}"
        if self.reason in DETAILED_REASONS:
            return f"{self.reason.value}: {self.detail}" if self.detail else self.reason.value
        return str(self.reason.value)

    def to_json(self) -> dict[str, Any]:
        out = record_json(
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
        if self.geometry is not None:
            out["geometry"] = self.geometry
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SessionEnd:
        text = str(data.get("reason", ""))
        reason, detail = _parse_reason(text)
        return cls(**{**record_fields(cls, data), "reason": reason, "detail": detail})


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


def error_reason(exc: StreamferError) -> EndReason:
    """The reason a session ended by ``exc`` gives in its ``SessionEnd``."""
    if isinstance(exc, SourceLostError):
        return EndReason.SOURCE_LOST
    if isinstance(exc, SourceError):
        return EndReason.SOURCE_ERROR
    if isinstance(exc, DiskFullError):
        return EndReason.DISK_FULL
    return EndReason.ERROR
