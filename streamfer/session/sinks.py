"""What a ``Recorder`` (``session/lifecycle.py``) is given and gives back: where records go
(``RecordSink``: a ``SessionLog``, or ``NullLog``; ``ObservedLog`` tells ``RecordObserver``s
of each record it passes on), who is told of each step (``StepObserver``), and what a session
came to (``SessionSummary``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from streamfer.pipeline.results import StepResult
from streamfer.session.records import Record
from streamfer.session.start_end import SessionEnd


class RecordSink(Protocol):
    """Where records go: a ``SessionLog``, or ``NullLog`` when nothing is kept."""

    @property
    def records(self) -> int: ...

    @property
    def path(self) -> Path | None: ...

    def write(self, record: Record) -> None: ...

    def close(self) -> None: ...


class NullLog:
    """A sink that keeps nothing (calibration collects predictions through an observer)."""

    def __init__(self) -> None:
        self.records = 0
        self.path: Path | None = None

    def write(self, record: Record) -> None:
        self.records += 1

    def close(self) -> None:
        pass


class StepObserver(Protocol):
    """Told of every processed frame, after its records are written."""

    def on_step(self, step: StepResult) -> None: ...


class RecordObserver(Protocol):
    """Told of every record once it is written: the session's start and end, emotions,
    markers (from the keyboard thread too), a source lost and back."""

    def on_record(self, record: Record) -> None: ...


class ObservedLog:
    """A ``RecordSink`` that writes to ``log`` and then tells each observer of the record.

    What the session writes (``Recorder``) and what an output sends elsewhere (an LSL
    marker for each ``session_start``, ``marker``, ``session_end``) then come from the one
    place; a record that could not be written (a full disk) is not passed on.
    """

    def __init__(self, log: RecordSink, observers: Sequence[RecordObserver]) -> None:
        self.log = log
        self.observers = list(observers)  # an output built after the Recorder joins later

    @property
    def records(self) -> int:
        return self.log.records

    @property
    def path(self) -> Path | None:
        return self.log.path

    def write(self, record: Record) -> None:
        self.log.write(record)
        for observer in self.observers:
            observer.on_record(record)

    def close(self) -> None:
        self.log.close()


@dataclass(frozen=True)
class SessionSummary:
    """What a recorded session came to: its last record and where the log is."""

    log_path: Path | None
    end: SessionEnd
    records: int

    @property
    def reason(self) -> str:
        return self.end.reason_text
