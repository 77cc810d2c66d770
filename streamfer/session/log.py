"""The JSONL session log: one JSON object a line, flushed line by line.

Writer: ``SessionLog`` appends records and flushes each, so a crash or a kill loses at most
the line being written, and a full disk is reported as OutputError. Reader: ``read_log``
accepts a file whose last line was cut off and says so. The schema is in docs/log-format.md.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from streamfer.errors import OutputError

SCHEMA_VERSION = 1


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
    """Appends records to a JSONL file. Every record gets ``type``, ``ts`` and ``t``."""

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

    def write(self, record_type: str, t: float, **fields: Any) -> None:
        """Append one record; ``t`` is seconds since the session started (source time)."""
        if self._file is None:
            raise OutputError(f"the log {self.path} is already closed")
        record = {"type": record_type, "ts": now_iso(), "t": round(t, 4), **fields}
        line = json.dumps(record, separators=(",", ":"), default=_jsonable) + "\n"
        try:
            with self._lock:
                self._file.write(line)
                self._file.flush()
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise OutputError(
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
    """A log read back: its records, and whether (and where) its last line was cut off."""

    path: Path
    records: list[dict[str, Any]] = field(default_factory=list)
    truncated_line: int | None = None
    bad_lines: list[int] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return bool(self.records) and self.records[-1].get("type") == "session_end"

    def of_type(self, record_type: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("type") == record_type]


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
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not an object")
            contents.records.append(record)
        except ValueError:
            if number - 1 == last:
                contents.truncated_line = number
            else:
                contents.bad_lines.append(number)
    return contents
