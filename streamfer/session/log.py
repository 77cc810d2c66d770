"""The JSONL session log: one JSON object a line, flushed line by line.

Writer: ``SessionLog`` appends typed records (``streamfer.session.records``) and flushes
each, so a crash or a kill loses at most the line being written, and a full disk is reported
as OutputError. Reader: ``read_log`` returns typed records, accepts a file whose last line
was cut off and says so. The schema is in docs/log-format.md.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, TypeVar

from streamfer.errors import DiskFullError, OutputError
from streamfer.session.records import Record, SessionEnd, is_complete, record_from_json

_R = TypeVar("_R", bound=Record)


def now_iso() -> str:
    """The wall clock in ISO 8601 with the local UTC offset, to the millisecond."""
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="milliseconds")


def dated_log_path(log_dir: Path, stem: str = "session") -> Path:
    """``log_dir/<stem>-YYYYmmdd-HHMMSS.jsonl``, with a suffix if that name is taken."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = log_dir / f"{stem}-{stamp}.jsonl"
    n = 1
    while path.exists():
        n += 1
        path = log_dir / f"{stem}-{stamp}-{n}.jsonl"
    return path


class SessionLog:
    """Appends records to a JSONL file; a record without a wall-clock ``ts`` gets the time now."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records = 0
        self._lock = threading.Lock()  # markers arrive from the keyboard thread
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file: IO[str] | None = path.open("x", encoding="utf-8")
        except OSError as exc:
            raise OutputError(
                f"cannot write the log at {path}: {exc.strerror}",
                "pick a writable folder with --log-dir",
            ) from None

    def write(self, record: Record) -> None:
        """Append one record as one line, and flush it."""
        if self._file is None:
            raise OutputError(f"the log {self.path} is already closed")
        if not record.ts:
            record = replace(record, ts=now_iso())
        line = json.dumps(record.to_json(), separators=(",", ":"), default=_jsonable) + "\n"
        try:
            with self._lock:
                self._file.write(line)
                self._file.flush()
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise DiskFullError(
                    f"the disk holding {self.path} is full; the log up to here is intact",
                    "free some space or use --log-dir on another disk",
                ) from None
            raise OutputError(f"cannot write to the log {self.path}: {exc.strerror}") from None
        self.records += 1

    def close(self) -> None:
        if self._file is not None:
            try:
                self._file.flush()
                os.fsync(self._file.fileno())
            except OSError:
                pass  # already reported by write(); what reached the file stays readable
            finally:
                with contextlib.suppress(OSError):
                    self._file.close()
                self._file = None


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot log a {type(value).__name__}")


def host_info() -> dict[str, Any]:
    return {"hostname": socket.gethostname(), "cpus": os.cpu_count()}


@dataclass
class LogContents:
    """A log read back: its records, and whether (and where) its last line was cut off.

    ``bad_lines``: lines before the last that are not a record this version knows.
    """

    path: Path
    records: list[Record] = field(default_factory=list)
    truncated_line: int | None = None
    bad_lines: list[int] = field(default_factory=list)

    @property
    def last(self) -> Record | None:
        """The log's last line as a record; None when it was cut off (or the log is empty)."""
        if self.truncated_line is not None or not self.records:
            return None
        return self.records[-1]

    @property
    def ended(self) -> bool:
        """The log closes with a ``session_end`` (for any reason): it was not cut short."""
        return isinstance(self.last, SessionEnd)

    @property
    def complete(self) -> bool:
        """The whole source was analysed (``records.is_complete``)."""
        return is_complete(self.last)

    def of_type(self, kind: type[_R]) -> list[_R]:
        return [r for r in self.records if isinstance(r, kind)]


def read_log(path: Path) -> LogContents:
    """Read a JSONL log; a cut or garbled last line is skipped and reported, not fatal."""
    contents = LogContents(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise OutputError(f"cannot read the log {path}: {exc.strerror}") from None
    lines = text.split("\n")
    last = len(lines) - 1 if lines and lines[-1] != "" else len(lines) - 2
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            contents.records.append(record_from_json(data))
        except ValueError:
            if number - 1 == last:
                contents.truncated_line = number
            else:
                contents.bad_lines.append(number)
    return contents


def last_record(path: Path) -> Record | None:
    """The log's last record, read from the file's end; None if unreadable or cut off.

    Cheap on long logs: ``analyze`` asks it of every earlier output to decide what to redo.
    """
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(f.tell() - 65536, 0))
            tail = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    if not tail.endswith("\n"):
        return None  # cut off mid-line
    try:
        data = json.loads(tail.rstrip("\n").rsplit("\n", 1)[-1])
        return record_from_json(data) if isinstance(data, dict) else None
    except ValueError:
        return None
