"""Every record of the JSONL session log, as a frozen type, and what makes a log complete.

A log is a ``SessionStart``, then ``FrameRecord`` (optional), ``Emotion``, ``GroupEmotion``,
``Marker``, ``SourceLost``/``SourceBack``, ``LslStream`` and ``PersonBack`` records in time order, then one
``SessionEnd``. Each record turns into the
JSON object of one log line with ``to_json()`` and back with ``from_json()``; the key order
of ``to_json()`` is the order on disk. docs/log-format.md describes the same fields.

Schema versions (``SessionStart.schema``): 1 had no ``schema`` field; 2 adds it and breaks
group ties by label order, like person ties; 3 adds ``baseline`` records; 4 adds
``lsl_stream`` records and the ``lsl`` section of ``config``; 5 the geometry stage's fields;
6 ``person_back`` records and the ``tracker`` section's re-identification settings.

This module is the one to import from: it names every record (``session/start_end.py``:
the first and last lines and ``EndReason``; ``session/events.py``: the lines in between;
``session/recordjson.py``: their shared JSON helpers) and holds ``Record``,
``record_from_json`` and ``is_complete``.
"""

from __future__ import annotations

from typing import Any

from streamfer.session.events import (
    BaselineRecord,
    Emotion,
    FrameRecord,
    GroupEmotion,
    LslStream,
    Marker,
    PersonBack,
    SourceBack,
    SourceLost,
)
from streamfer.session.start_end import (
    EndReason,
    SessionEnd,
    SessionStart,
)

__all__ = [
    "Record",
    "is_complete",
    "record_from_json",
]


Record = (
    SessionStart
    | FrameRecord
    | Emotion
    | GroupEmotion
    | Marker
    | SourceLost
    | SourceBack
    | BaselineRecord
    | LslStream
    | PersonBack
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
        for cls in (
            SessionStart,
            FrameRecord,
            Marker,
            SourceLost,
            SourceBack,
            BaselineRecord,
            LslStream,
            PersonBack,
            SessionEnd,
        ):
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
