"""A session's results as Lab Streaming Layer streams (``run --lsl``, ``[lsl]``).

``LslOutput`` observes a ``Recorder`` twice over: as a ``StepObserver`` it sends each
processed frame's faces, one sample per person on that person's ``FacialExpression`` stream
(opened when their track appears, closed when the tracker retires it and, with
re-identification, the memory forgets them: a person who returns keeps their stream) stamped with the
frame's capture time on the LSL clock, and a marker for each new representative emotion; as a
``RecordObserver`` (behind an ``ObservedLog``) it turns the session's start and end, the
operator's markers and a live source's loss and return into markers. Each stream opened is
logged as an ``lsl_stream`` record. What the streams hold: ``lsl_layout.py``; how to record
them: docs/lsl.md.

pylsl is imported only here, on first use (``require_pylsl``). Its aarch64 wheel carries no
liblsl; mne-lsl's does, and is used when pylsl finds none (docs/lsl.md).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from streamfer import __version__
from streamfer.core.errors import ConfigError
from streamfer.core.quiet import quiet_stderr
from streamfer.outputs import lsl_layout as layout
from streamfer.pipeline.results import StepResult
from streamfer.session.events import LslStream, Marker, SourceBack, SourceLost
from streamfer.session.lifecycle import Recorder
from streamfer.session.records import Record
from streamfer.session.start_end import SessionEnd, SessionStart

INSTALL_HINT = 'install it with: pip install "streamfer[lsl]"'
#: how long closed streams stay up for a connected recorder to take their last samples
LINGER_SECONDS = 0.5


def require_pylsl() -> Any:
    """The ``pylsl`` module, or a ConfigError that says how to get it and its liblsl."""
    try:
        return _import_pylsl()
    except ImportError:
        raise ConfigError("--lsl needs pylsl, which is not installed", INSTALL_HINT) from None
    except RuntimeError:  # pylsl without a liblsl it can load
        bundled = _mne_lsl_library()
        if bundled is not None and "PYLSL_LIB" not in os.environ:
            os.environ["PYLSL_LIB"] = str(bundled)
            try:
                return _import_pylsl()
            except RuntimeError:
                pass
        raise ConfigError(
            "--lsl: pylsl found no liblsl library it can load",
            "pylsl's Raspberry Pi (aarch64) wheel has none: pip install --no-deps mne-lsl, "
            "whose wheel carries one, or point PYLSL_LIB at a liblsl.so (docs/lsl.md)",
        ) from None


def _import_pylsl() -> Any:
    with quiet_stderr():  # liblsl logs its configuration at INFO level on fd 2
        return importlib.import_module("pylsl")


def _mne_lsl_library() -> Path | None:
    """The liblsl inside an installed mne-lsl (found without importing mne-lsl)."""
    spec = importlib.util.find_spec("mne_lsl")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "lsl" / "lib"
    return next(iter(sorted(folder.glob("liblsl*.so*"))), None) if folder.is_dir() else None


class LslOutput:
    """The LSL streams of one recorded session; see the module doc.

    Construct it after the ``Recorder`` (whose log must be an ``ObservedLog`` with this among
    its observers) and pass it to ``record`` as an observer; ``close`` when the session is
    over (it is idempotent, and also closes the streams after an error).
    """

    def __init__(
        self, recorder: Recorder, pylsl: Any = None, say: Callable[[str], None] | None = None
    ) -> None:
        self.pylsl = pylsl if pylsl is not None else require_pylsl()
        #: where the wait for a recorder is announced (``run``: the terminal); default: nowhere
        self.say: Callable[[str], None] = say if say is not None else (lambda _text: None)
        self.recorder = recorder
        config = recorder.config
        self.settings = config.lsl
        self.host = socket.gethostname()
        path = recorder.log.path
        self.session = (
            path.stem if path is not None else datetime.now().strftime("session-%Y%m%d-%H%M%S")
        )
        self.geometry = layout.geometry_on(config)
        self.emotions = config.emotions()
        self.model = config.emotion_model().name
        self.channels = layout.face_channels(self.emotions, self.geometry)
        self.clock = layout.ClockMap(self.pylsl.local_clock)
        self.people: dict[int, Any] = {}  # track -> its outlet
        self.markers: Any = None
        self._lock = threading.Lock()  # markers come from the keyboard thread too
        self._labels: dict[int | None, str] = {}  # the last verdict marked, per track (group)
        self._ended = False

    # --- RecordObserver -------------------------------------------------------------------

    def on_record(self, record: Record) -> None:
        if isinstance(record, SessionStart):
            self._open_markers()
            self._wait_for_recorder()
            self._mark(f"session start: {self.session} ({self.recorder.source})")
        elif isinstance(record, Marker):
            self._mark(f"marker: {record.note}" if record.note else "marker")
        elif isinstance(record, SourceLost):
            self._mark(f"source lost: {record.detail}")
        elif isinstance(record, SourceBack):
            self._mark(f"source back after {record.seconds:.1f} s")
        elif isinstance(record, SessionEnd):
            self._mark(f"session end: {record.reason_text}", last=True)
            self.close()

    # --- StepObserver ---------------------------------------------------------------------

    def on_step(self, step: StepResult) -> None:
        frame = step.frame
        stamp = self.clock.lsl_time(frame.captured)
        for face in frame.faces:
            outlet = self.people.get(face.track)
            if outlet is None:
                outlet = self.people[face.track] = self._open(face.track, frame.t)
            outlet.push_sample(layout.face_sample(face, self.geometry), stamp)
        for verdict in step.verdicts:
            if self._labels.get(verdict.track) != verdict.label:
                self._labels[verdict.track] = verdict.label
                self._mark(layout.verdict_marker(verdict.track, verdict.label), stamp)
        if step.group is not None and self._labels.get(None) != step.group.label:
            self._labels[None] = step.group.label
            self._mark(layout.group_marker(step.group.label), stamp)
        live = set(step.live_tracks) | set(step.remembered)  # a return keeps its stream
        for track in [t for t in self.people if t not in live]:
            del self.people[track]  # the outlet goes with its last reference
            self._labels.pop(track, None)

    # --- streams --------------------------------------------------------------------------

    def _info(self, track: int | None, t: float) -> tuple[Any, LslStream]:
        pylsl = self.pylsl
        name = layout.stream_name(self.settings.name, self.session, track)
        sid = layout.source_id(self.host, self.recorder.source, track)
        if track is None:
            kind, rate, fmt = layout.MARKERS_TYPE, pylsl.IRREGULAR_RATE, "string"
            channels: tuple[layout.Channel, ...] = (
                layout.Channel(layout.MARKER_CHANNEL, "", "Marker"),
            )
        else:
            kind, rate, fmt = layout.FACE_TYPE, float(self.recorder.reader.fps), "float32"
            channels = self.channels
        info = pylsl.StreamInfo(name, kind, len(channels), rate, fmt, sid)
        desc = info.desc()
        xml = desc.append_child("channels")
        for channel in channels:
            element = xml.append_child("channel")
            element.append_child_value("label", channel.label)
            element.append_child_value("unit", channel.unit)
            element.append_child_value("type", channel.type)
        acquisition = desc.append_child("acquisition")
        acquisition.append_child_value("manufacturer", "streamfer")
        acquisition.append_child_value("model", self.model)
        acquisition.append_child_value("version", __version__)
        desc.append_child_value("session", self.session)
        desc.append_child_value("source", self.recorder.source)
        if track is not None:
            desc.append_child_value("person", str(track))
        labels = tuple(c.label for c in channels)
        return info, LslStream(t, name, kind, sid, track, labels, float(rate))

    def _open(self, track: int | None, t: float) -> Any:
        with quiet_stderr():  # liblsl logs its configuration when it first reads it
            info, record = self._info(track, t)
            outlet = self.pylsl.StreamOutlet(info)
        self.recorder.log.write(record)
        return outlet

    def _open_markers(self) -> None:
        with self._lock:
            if self.markers is None:
                self.markers = self._open(None, 0.0)

    def _wait_for_recorder(self) -> None:
        """Up to ``wait_for_recorder`` seconds for a consumer of the markers stream, said
        before and after (``say``); a stop request (Ctrl-C) ends the wait."""
        wait = remaining = self.settings.wait_for_recorder
        if wait <= 0:
            return
        stop = self.recorder.stop
        name = layout.stream_name(self.settings.name, self.session, None)
        self.say(
            f"waiting up to {wait:g} s for a recorder (LabRecorder) to take the stream "
            f"{name!r} ([lsl] wait_for_recorder); Ctrl-C stops"
        )
        while remaining > 0 and not stop.is_set():
            step = min(0.25, remaining)
            if self.markers.wait_for_consumers(step):
                self.say("a recorder took the markers stream: the session starts")
                return
            remaining -= step
        if not stop.is_set():
            self.say(
                f"no recorder took the markers stream within {wait:g} s: the session starts "
                "without one (its streams stay open for one to join)"
            )

    def _mark(self, text: str, stamp: float | None = None, last: bool = False) -> None:
        """Push one marker (now, unless ``stamp``); ``last``: the session's end, after which
        nothing more is sent."""
        with self._lock:
            if self.markers is None or self._ended:
                return
            when = self.pylsl.local_clock() if stamp is None else stamp
            self.markers.push_sample([text], when)
            self._ended = last

    def close(self) -> None:
        """Close every stream; a markers stream not yet ended gets a ``session end``.

        A recorder that is connected gets a moment to take the last samples: an outlet
        destroyed at once may leave them unsent.
        """
        self._mark("session end", last=True)
        with self._lock:
            outlets = [*self.people.values(), *([self.markers] if self.markers else [])]
            self.people.clear()
            self.markers = None
        if any(outlet.have_consumers() for outlet in outlets):
            time.sleep(LINGER_SECONDS)
        outlets.clear()
