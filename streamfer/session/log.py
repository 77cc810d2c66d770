"""The JSONL session log: one JSON object a line, flushed line by line.

Writer: ``SessionLog`` appends typed records (``streamfer.session.records``), each one whole
line in one write, so a crash or a kill loses at most the line being written, and a full
disk leaves whole lines ending with a ``session_end`` "disk_full" (see ``SessionLog``). Reader: ``read_log`` returns typed records, accepts a file whose last line
was cut off and says so. The schema is in docs/log-format.md.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from streamfer.core.durable import private_dir
from streamfer.core.errors import DiskFullError, OutputError
from streamfer.session.linefile import DISK_ERRORS, LineFile, LineWriteError
from streamfer.session.records import Record, is_complete, record_from_json
from streamfer.session.start_end import SessionEnd

_R = TypeVar("_R", bound=Record)


def now_iso() -> str:
    """The wall clock in ISO 8601 with the local UTC offset, to the millisecond."""
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="milliseconds")


#: how many names ``dated_log`` tries in one second before giving up
DATED_LOG_ATTEMPTS = 1000


class LogExistsError(OutputError):
    """The log's file name is already taken (by another session, or a log left there)."""


def dated_log(log_dir: Path, stem: str = "session") -> SessionLog:
    """A new log at ``log_dir/<stem>-YYYYmmdd-HHMMSS.jsonl`` (``-2``, ``-3``... when taken).

    Each name is claimed by creating the file with ``O_EXCL``: of sessions started in the same
    second into one folder, each gets its own name, and none touches another's files.
    """
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in range(1, DATED_LOG_ATTEMPTS + 1):
        name = f"{stem}-{stamp}.jsonl" if n == 1 else f"{stem}-{stamp}-{n}.jsonl"
        try:
            return SessionLog(log_dir / name)
        except LogExistsError:
            continue
    raise OutputError(
        f"{log_dir} already holds {DATED_LOG_ATTEMPTS} logs named {stem}-{stamp}*.jsonl",
        "clean the folder or pick another with --log-dir",
    )


class SessionLog:
    """Appends records to a JSONL file; a record without a wall-clock ``ts`` gets the time now.

    Each record is one whole line written in one call (``LineFile``). The file is created
    0600 in a folder created 0700. When the disk fills up (or fails), the file is cut back to
    its last whole line, the reserve kept beside it is released so that one more record fits
    (the ``session_end`` saying "disk_full"), and DiskFullError is raised: the session stops.
    A disk too full to start a log gives OutputError and leaves no file behind.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records = 0
        self.failed: str | None = None  # why writing stopped (a full disk), if it did
        self._lock = threading.Lock()  # markers arrive from the keyboard thread
        try:
            private_dir(path.parent)
            self._file: LineFile | None = LineFile(path)
        except FileExistsError:
            raise LogExistsError(
                f"cannot write the log at {path}: a file of that name exists",
                "pick another folder with --log-dir",
            ) from None
        except OSError as exc:
            if exc.errno in DISK_ERRORS:
                raise DiskFullError(
                    f"the disk holding {path.parent} is full ({exc.strerror}): no log was started",
                    "free some space or use --log-dir on another disk",
                ) from None
            raise OutputError(
                f"cannot write the log at {path}: {exc.strerror}",
                "pick a writable folder with --log-dir",
            ) from None

    def write(self, record: Record) -> None:
        """Append one record as one line; DiskFullError or OutputError when it cannot be."""
        if self._file is None:
            raise OutputError(f"the log {self.path} is already closed")
        if not record.ts:
            record = replace(record, ts=now_iso())
        try:
            line = json.dumps(
                record.to_json(), separators=(",", ":"), default=_jsonable, allow_nan=False
            )
        except ValueError as exc:  # NaN or infinity: JSON has no such numbers
            raise OutputError(f"cannot log a {record.TYPE} record: {exc}") from None
        with self._lock:
            try:
                self._file.append(line)
            except LineWriteError as exc:
                self._failed(exc)
        self.records += 1

    def _failed(self, exc: OSError) -> None:
        """Called with the lock held, after the file was cut back to its last whole line."""
        assert self._file is not None
        if self._file.lines == 0:  # not even the first record: leave nothing behind
            self._file.discard()
            self._file = None
            raise DiskFullError(
                f"the disk holding {self.path.parent} is full ({exc.strerror}): no log was started",
                "free some space or use --log-dir on another disk",
            )
        first = self.failed is None
        self.failed = exc.strerror or str(exc)
        if first:
            self._file.release_reserve()  # room for the session_end that says so
        if exc.errno in DISK_ERRORS:
            full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
            raise DiskFullError(
                f"the disk holding the log is {'full' if full else 'failing'} ({self.failed})",
                "free some space or use --log-dir on another disk",
            )
        raise OutputError(f"cannot write to the log {self.path}: {self.failed}")

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()  # fsync; what reached the file is whole lines either way
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
        text = path.read_bytes().decode("utf-8", "replace")  # no newline translation: a
    except OSError as exc:  # stray "\r" is damage inside a line, not a line break
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
        except (ValueError, RecursionError):  # RecursionError: "[[[[..." from damaged bytes
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
