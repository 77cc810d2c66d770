"""What a ``Recorder`` (``session/lifecycle.py``) is given and gives back: where records go
(``RecordSink``: a ``SessionLog``, or ``NullLog``), who is told of each step
(``StepObserver``), and what a session came to (``SessionSummary``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from streamfer.pipeline import StepResult
from streamfer.session.records import Record, SessionEnd


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


@dataclass(frozen=True)
class SessionSummary:
    """What a recorded session came to: its last record and where the log is."""

    log_path: Path | None
    end: SessionEnd
    records: int

    @property
    def reason(self) -> str:
        return self.end.reason_text
