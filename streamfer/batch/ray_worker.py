"""``analyze --engine ray``, the worker's side: the ``RecordingWorker`` actor, which
analyses one recording per call with the local engine's ``analyze_recording`` into a
scratch log on its node and streams its frame count back, and what it returns.

Inputs: workers open each recording at the path the driver found it, so recordings must be
on a filesystem every node sees at the same path (NFS, a mounted bucket). A worker that cannot
see a recording the driver sees fails it with a message that says so.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from streamfer.batch.analysis import Outcome, Task, analyze_recording
from streamfer.config.settings import Config
from streamfer.core.errors import ModelError
from streamfer.pipeline.stages import FramePipeline
from streamfer.vision.models import describe

PROGRESS_INTERVAL_SECONDS = 0.5


@dataclass(frozen=True)
class WorkerInfo:
    """Where an actor runs: its Ray node id, host name and process id."""

    node_id: str
    hostname: str
    pid: int

    @property
    def label(self) -> str:
        return f"{self.hostname} node {self.node_id[:8]}"


@dataclass(frozen=True)
class Finished:
    """The last thing an ``analyze`` call yields: the outcome and the log it wrote, if any."""

    outcome: Outcome
    log_zlib: bytes | None
    worker: WorkerInfo


class RecordingWorker:
    """A Ray actor that analyses one recording per call, as the local engine's workers do.

    Built once per worker slot: it imports the vision libraries and checks that the model
    files it sees are the ones the driver hashed (``model_sha256``), so that every node's
    logs name the same models. Each recording gets a fresh pipeline, exactly as locally, so
    both engines give the same records.
    """

    def __init__(self, config: Config, model_sha256: dict[str, str]) -> None:
        for kind, expected in model_sha256.items():
            path = config.model_path(kind)
            if not path.is_file():
                raise ModelError(f"{kind} model {path} is missing on {socket.gethostname()}")
            if describe(path)["sha256"] != expected:
                raise ModelError(
                    f"{kind} model {path} on {socket.gethostname()} differs from the driver's",
                    "install the same streamfer version on every node",
                )
        FramePipeline(config).close()  # loads both models once: imports and checks done here
        import ray

        self.info = WorkerInfo(
            ray.get_runtime_context().get_node_id(), socket.gethostname(), os.getpid()
        )
        self.stopping = threading.Event()  # per recording: Capture.close sets it when done

    def where(self) -> WorkerInfo:
        return self.info

    def stop(self) -> None:
        """End the running recording cleanly (its outcome is then ``interrupted``)."""
        self.stopping.set()

    def analyze(self, task: Task, driver_sees_input: bool) -> Iterator[int | Finished]:
        """Yield the frames done every half second, then the ``Finished`` result."""
        started = time.monotonic()
        if driver_sees_input and not task.input.path.exists():
            reason = (
                f"{task.input.path} is not visible on {self.info.label} (hint: inputs must be "
                "on a filesystem every node sees at the same path, such as NFS)"
            )
            yield Finished(Outcome(task.index, "failed", 0, reason, 0.0), None, self.info)
            return
        self.stopping = stopping = threading.Event()
        handle, name = tempfile.mkstemp(prefix="streamfer-ray-", suffix=".jsonl")
        os.close(handle)  # analyze_recording makes the log afresh; only the name is ours
        scratch_log = Path(name)
        frames = [0]
        result: list[Outcome] = []

        def work() -> None:
            def progress(n: int) -> None:
                frames[0] = n

            result.append(
                analyze_recording(replace(task, log_path=scratch_log), stopping, progress)
            )

        thread = threading.Thread(target=work, name="streamfer-recording", daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(PROGRESS_INTERVAL_SECONDS)
            yield frames[0]
        if result:
            outcome = result[0]
        else:  # analyze_recording raised something it does not catch (a bug)
            reason = "error: the analysis ended without an outcome"
            outcome = Outcome(task.index, "failed", frames[0], reason, time.monotonic() - started)
        log = scratch_log.read_bytes() if scratch_log.exists() else None
        scratch_log.unlink(missing_ok=True)
        yield Finished(outcome, None if log is None else zlib.compress(log, 1), self.info)
