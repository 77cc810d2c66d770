"""``read_log``: a session's JSONL log as typed records, and as a pandas DataFrame.

The reading is ``session.log.read_log``'s, the one every command uses: a last line cut off
by a crash or a kill is skipped and reported (``truncated_line``), a damaged line before it
is skipped and counted (``bad_lines``). The record types are those of
``streamfer.session.records``, described field by field in docs/log-format.md.

pandas is not a dependency of streamfer: ``to_dataframe`` imports it when called.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from streamfer.core.errors import ConfigError
from streamfer.session.events import Emotion, FrameRecord, GroupEmotion, Marker
from streamfer.session.log import LogContents
from streamfer.session.log import read_log as _read
from streamfer.session.start_end import SessionEnd, SessionStart


class Log(LogContents):
    """A log read back: ``records`` in file order, ``truncated_line`` (the number of a last
    line that was cut off, or None), ``bad_lines``, and what most analyses want first."""

    @property
    def start(self) -> SessionStart | None:
        """The ``session_start`` record (source, settings, models, labels)."""
        first = self.records[0] if self.records else None
        return first if isinstance(first, SessionStart) else None

    @property
    def end(self) -> SessionEnd | None:
        """The ``session_end`` record; None for a log that was cut short."""
        return self.last if isinstance(self.last, SessionEnd) else None

    @property
    def emotions(self) -> list[Emotion]:
        """Each person's representative emotions, in time order."""
        return self.of_type(Emotion)

    @property
    def groups(self) -> list[GroupEmotion]:
        return self.of_type(GroupEmotion)

    @property
    def markers(self) -> list[Marker]:
        return self.of_type(Marker)

    @property
    def frames(self) -> list[FrameRecord]:
        """Every frame's faces (logged with ``log.frames`` / ``--log-frames`` only)."""
        return self.of_type(FrameRecord)

    def to_dataframe(self, kind: str | None = None) -> Any:
        """A ``pandas.DataFrame`` with one row per record and its JSON fields as columns (as
        ``pandas.read_json(path, lines=True)`` gives, without a cut-off line).

        ``kind``: only the records of that ``type`` (``"emotion"``, ``"marker"``...); for
        ``"face"``, one row per face of the ``frame`` records: ``t``, ``frame``, ``track``,
        ``label``, ``valence``, ``arousal``, ``score``, the box as ``x``, ``y``, ``w``,
        ``h`` and one column per label holding its probability. ConfigError without pandas.
        """
        try:
            pandas = importlib.import_module("pandas")
        except ImportError:
            raise ConfigError(
                "to_dataframe needs pandas, which is not installed", "pip install pandas"
            ) from None
        if kind == "face":
            return pandas.DataFrame(self._face_rows())
        rows = [r.to_json() for r in self.records if kind is None or kind == r.TYPE]
        return pandas.DataFrame(rows)

    def _face_rows(self) -> list[dict[str, Any]]:
        labels = self.start.labels if self.start is not None else ()
        rows = []
        for frame in self.frames:
            for face in frame.faces:
                x, y, w, h = face.box
                row: dict[str, Any] = {"t": frame.t, "frame": frame.frame, "track": face.track}
                row |= {"label": face.label, "valence": face.valence, "arousal": face.arousal}
                row |= {"score": face.score, "x": x, "y": y, "w": w, "h": h}
                row |= dict(zip(labels, face.probs, strict=False))
                rows.append(row)
        return rows


def read_log(path: str | os.PathLike[str]) -> Log:
    """The records of the session log at ``path``; OutputError when it cannot be read."""
    contents = _read(Path(path))
    return Log(contents.path, contents.records, contents.truncated_line, contents.bad_lines)
