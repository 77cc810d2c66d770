"""Analysing one recording the way ``run`` would, and knowing when that was already done.

``analyze_file`` is the headless, keyboard-less, signal-less twin of ``run_session``: the same
``FramePipeline`` driven by ``pipeline.run`` over a ``Capture`` of the file (every frame, as
fast as possible), and the same ``Session`` writing ``session_start``, ``frame``, ``emotion``
and ``session_end`` records. It reports progress through a callback instead of a dashboard.

Resumability: ``Manifest`` (``manifest.json`` in the output folder) records, per output log,
the sha256 of the input's content and of the settings that shape the results. An input is
skipped when both match and its log ends with a ``session_end`` whose reason is
``end_of_source``.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from streamfer.config import Config
from streamfer.errors import StreamferError
from streamfer.pipeline import FramePipeline, StepResult, run
from streamfer.session.log import SessionLog
from streamfer.session.monitor import Session, model_info
from streamfer.sources.capture import Capture, open_recording
from streamfer.sources.files import write_atomic
from streamfer.sources.inputs import Input
from streamfer.vision.models import describe
from streamfer.vision.quiet import quiet_stderr

COMPLETE_REASON = "end_of_source"
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class Task:
    """One input to analyse into ``log_path`` with ``config``; ``index`` is its place in the run."""

    index: int
    input: Input
    log_path: Path
    config: Config


@dataclass(frozen=True)
class Outcome:
    """How one input went. ``status``: ok, failed or interrupted; ``reason`` says why."""

    index: int
    status: str
    frames: int
    reason: str
    wall_seconds: float


def analyze_file(task: Task, stop: threading.Event, on_progress: Callable[[int], None]) -> Outcome:
    """Run the pipeline over every frame of ``task.input`` into a fresh log.

    ``on_progress(frames_done)`` is called after every frame. A source that cannot be opened
    gives a failed outcome and no log; one that breaks mid-way gives a log that ends with a
    ``session_end`` naming the error. Never raises a StreamferError.
    """
    started = time.monotonic()
    config = task.config
    try:
        task.log_path.unlink(missing_ok=True)
        with quiet_stderr():  # FFmpeg's own complaints about a corrupt file; ours follows
            reader = open_recording(task.input.path)
    except StreamferError as exc:
        return Outcome(task.index, "failed", 0, exc.one_line(), time.monotonic() - started)
    except OSError as exc:
        return Outcome(task.index, "failed", 0, str(exc), time.monotonic() - started)
    pipeline: FramePipeline | None = None
    capture = Capture(reader, realtime=False, queue_size=config.source.queue_size, stop=stop)
    reason = "error"
    try:
        session = Session(config, SessionLog(task.log_path), reader.description)
    except StreamferError as exc:
        reader.close()
        return Outcome(task.index, "failed", 0, exc.one_line(), time.monotonic() - started)
    session.capture = capture
    count = [0]

    def on_step(step: StepResult) -> None:
        session.on_step(step)
        count[0] += 1
        on_progress(count[0])

    try:
        pipeline = FramePipeline(config)
        session.start(model_info(config), reader)
        capture.start()
        _, reason = run(capture, pipeline, on_step, stop)
    except StreamferError as exc:
        reason = f"error: {exc.one_line()}"
    except Exception as exc:  # a bug or a library fault: keep it in the log, go on
        reason = f"error: {type(exc).__name__}: {exc}"
    finally:
        capture.close()
        if pipeline is not None:
            pipeline.close()
        session.end(capture, reason)
    if reason == COMPLETE_REASON:
        status = "ok"
    elif reason == "stopped":
        status = "interrupted"
    else:
        status = "failed"
    frames = session.frames_processed
    return Outcome(task.index, status, frames, reason, time.monotonic() - started)


def settings_hash(config: Config) -> str:
    """sha256 of the settings that shape an analysis' results, and of the model files."""
    settings = config.as_dict()
    for section in ("source", "dashboard"):
        settings.pop(section, None)
    settings["log"].pop("dir", None)
    settings["detector"]["model"] = describe(config.resolve_model(config.detector.model))["sha256"]
    settings["classifier"]["model"] = describe(config.resolve_model(config.classifier.model))[
        "sha256"
    ]
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def log_is_complete(path: Path) -> bool:
    """Whether the log's last line is a ``session_end`` with reason ``end_of_source``."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(f.tell() - 65536, 0))
            tail = f.read().decode("utf-8", "replace")
    except OSError:
        return False
    lines = tail.rstrip("\n").split("\n")
    if not tail.endswith("\n") or not lines:
        return False
    try:
        last = json.loads(lines[-1])
    except ValueError:
        return False
    return (
        isinstance(last, dict)
        and last.get("type") == "session_end"
        and last.get("reason") == COMPLETE_REASON
    )


class Manifest:
    """``manifest.json``: per log name, the input, its content hash and the settings hash."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / MANIFEST_NAME
        self.entries: dict[str, dict[str, Any]] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("entries"), dict):
                self.entries = data["entries"]
        except (OSError, ValueError):
            pass  # no manifest yet, or a damaged one: everything is redone

    def is_done(self, name: str, log_path: Path, content: str | None, settings: str) -> bool:
        """The complete output for this content and these settings is already there."""
        entry = self.entries.get(name)
        return (
            content is not None
            and entry is not None
            and entry.get("content_sha256") == content
            and entry.get("settings_sha256") == settings
            and log_is_complete(log_path)
        )

    def record(
        self, name: str, item: Input, content: str | None, settings: str, status: str
    ) -> None:
        """Note an input's outcome and save the manifest atomically."""
        self.entries[name] = {
            "input": str(item.path),
            "content_sha256": content,
            "settings_sha256": settings,
            "status": status,
        }
        self.save()

    def save(self) -> None:
        write_atomic(self.path, json.dumps({"version": 1, "entries": self.entries}, indent=1))
