"""``analyze --engine ray``: the same per-recording work as the local engine, on a Ray cluster.

The driver (the ``streamfer analyze`` process) connects to a cluster, or starts a local Ray
instance, and starts ``workers`` actors of ``RecordingWorker`` (one CPU each). Each actor
imports MediaPipe and LiteRT and checks the model files once, then analyses one recording per
call with the local engine's own per-recording function (``analyze_recording``) into a
scratch log on its node, streaming its frame count back while it works, and returns the whole
log (zlib-compressed) with the outcome. The driver alone writes the logs (whole, by rename), the summary and the
manifest: no node needs write access to the output folder.

Inputs: recordings must be on a filesystem every node sees at the same path
(``batch/ray_worker.py``).

Faults: a recording whose worker process or node dies is given to another worker, ``attempts``
tries in all; lost actors are replaced. A recording that fails for its own reasons (corrupt,
empty) comes back as a failed outcome like any other and is not retried; neither is one whose
analysis raised (a bug is not cured by running it again).

The actors are driven with ``ray.wait`` rather than ``ray.util.ActorPool``: ActorPool puts an
actor whose call raised back on its idle list, so a dead actor would be handed more work, and
it has no way to replace one.

This module holds the pool (``RayPool``) and re-exports the rest: connecting to the cluster
is ``batch/ray_cluster.py``, the actor ``batch/ray_worker.py``.
"""

from __future__ import annotations

import contextlib
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from streamfer.batch.analysis import Outcome, Task
from streamfer.batch.ray_cluster import (
    one_line,
    require_ray,
)
from streamfer.batch.ray_worker import (
    Finished,
    RecordingWorker,
    WorkerInfo,
)
from streamfer.batch.workers import FileProgress, Started
from streamfer.config.settings import Config
from streamfer.core.durable import write_atomic
from streamfer.vision.models import describe

__all__ = [
    "DEFAULT_ATTEMPTS",
    "NO_WORKER_TIMEOUT_SECONDS",
    "Message",
    "RayPool",
    "Retrying",
]

DEFAULT_ATTEMPTS = 3
NO_WORKER_TIMEOUT_SECONDS = 300.0


@dataclass(frozen=True)
class Retrying:
    """The worker running task ``index`` was lost; the task goes to another (``why``)."""

    index: int
    why: str


Message = Started | FileProgress | Retrying


@dataclass
class _Slot:
    """One actor: starting (``ready`` pending), idle, or busy with ``task``."""

    actor: Any
    ready: Any | None
    info: WorkerInfo | None = None
    task: Task | None = None
    attempt: int = 0
    stream: Any | None = None


@dataclass
class RayPool:
    """Runs tasks on ``size`` Ray actors; the same interface as the local ``workers.Pool``.

    ``on_message`` gets ``Started``, ``FileProgress`` and ``Retrying``; ``placements`` says
    which worker took each task last. ``run`` yields each Outcome after writing its log.
    Connect first with ``connect``.
    """

    size: int
    on_message: Callable[[Message], None]
    config: Config
    attempts: int = DEFAULT_ATTEMPTS
    worker_class: type[RecordingWorker] = RecordingWorker
    slots: list[_Slot] = field(default_factory=list)
    start_failures: list[str] = field(default_factory=list)
    placements: dict[int, WorkerInfo] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._ray = require_ray()
        remote = self._ray.remote(num_cpus=1, max_concurrency=2, max_restarts=0)
        self._actor_class = remote(self.worker_class)
        self._model_sha256 = {
            kind: describe(self.config.model_path(kind))["sha256"]
            for kind in self.config.model_kinds()
        }

    def run(self, tasks: list[Task], stop: threading.Event) -> Iterator[Outcome]:
        """Analyse ``tasks``; yield each Outcome as it comes, after writing its log."""
        ray = self._ray
        waiting: deque[tuple[Task, int]] = deque((task, 1) for task in tasks)
        stopping = False
        no_worker_since = time.monotonic()
        while waiting or any(s.task is not None for s in self.slots):
            if stop.is_set() and not stopping:
                stopping = True
                for slot in self.slots:
                    if slot.task is not None:
                        slot.actor.stop.remote()
                for task, _ in waiting:
                    yield Outcome(task.index, "interrupted", 0, "not started: interrupted", 0.0)
                waiting.clear()
                continue
            while waiting and len(self.slots) < self.size and not self._too_many_failed_starts():
                self._start_actor()
            for slot in self.slots:
                if slot.info is not None and slot.task is None and waiting:
                    self._give(slot, *waiting.popleft())
            if any(s.info is not None for s in self.slots):
                no_worker_since = time.monotonic()
            elif waiting and self._hopeless(no_worker_since):
                while waiting:
                    task, _ = waiting.popleft()
                    yield Outcome(task.index, "failed", 0, self._no_worker_reason(), 0.0)
                continue
            waitables = [s.ready for s in self.slots if s.ready is not None]
            waitables += [s.stream for s in self.slots if s.stream is not None]
            if not waitables:
                time.sleep(0.2)
                continue
            ready, _ = ray.wait(waitables, num_returns=1, timeout=0.2)
            for slot in [s for s in self.slots if s.ready in ready or s.stream in ready]:
                if slot.ready is not None:
                    self._started(slot)
                else:
                    yield from self._advance(slot, waiting, stopping)

    def _start_actor(self) -> None:
        actor = self._actor_class.remote(self.config, self._model_sha256)
        self.slots.append(_Slot(actor, actor.where.remote()))

    def _started(self, slot: _Slot) -> None:
        try:
            slot.info = self._ray.get(slot.ready)
            slot.ready = None
        except self._ray.exceptions.RayError as exc:
            self.start_failures.append(one_line(exc))
            self._drop(slot)

    def _hopeless(self, no_worker_since: float) -> bool:
        """No actor is up and none will be: too many failed starts, or none for too long."""
        if self._too_many_failed_starts():
            return True
        return time.monotonic() - no_worker_since > NO_WORKER_TIMEOUT_SECONDS

    def _too_many_failed_starts(self) -> bool:
        return len(self.start_failures) >= self.size * self.attempts

    def _no_worker_reason(self) -> str:
        if self.start_failures:
            return f"no Ray worker could start: {self.start_failures[-1]}"
        return f"no Ray worker became available in {NO_WORKER_TIMEOUT_SECONDS:.0f} s"

    def _give(self, slot: _Slot, task: Task, attempt: int) -> None:
        assert slot.info is not None
        slot.task, slot.attempt = task, attempt
        slot.stream = slot.actor.analyze.options(num_returns="streaming").remote(
            task, task.input.path.exists()
        )
        self.placements[task.index] = slot.info
        self.on_message(Started(task.index, slot.info.pid))

    def _advance(
        self, slot: _Slot, waiting: deque[tuple[Task, int]], stopping: bool
    ) -> Iterator[Outcome]:
        """Take the next item a busy actor streamed: progress, the result, or its death."""
        ray = self._ray
        task = slot.task
        assert task is not None and slot.stream is not None
        try:
            item = ray.get(next(slot.stream))
        except ray.exceptions.RayTaskError as exc:  # our code raised: not the worker's fault
            self._free(slot)
            yield Outcome(task.index, "failed", 0, f"error: {one_line(exc)}", 0.0)
            return
        except (ray.exceptions.RayError, StopIteration) as exc:
            yield from self._lost(slot, task, waiting, stopping, exc)
            return
        if isinstance(item, int):
            self.on_message(FileProgress(task.index, item))
            return
        assert isinstance(item, Finished)
        self._free(slot)
        if item.log_zlib is not None:
            write_atomic(task.log_path, zlib.decompress(item.log_zlib))  # 0600, whole
        self.on_message(FileProgress(task.index, item.outcome.frames))
        yield item.outcome

    def _lost(
        self,
        slot: _Slot,
        task: Task,
        waiting: deque[tuple[Task, int]],
        stopping: bool,
        exc: BaseException,
    ) -> Iterator[Outcome]:
        """The actor died mid-recording: retry the recording elsewhere, a bounded number of times."""
        where = slot.info.label if slot.info else "an unknown node"
        attempt = slot.attempt
        self._drop(slot)
        reason = f"the Ray worker on {where} was lost ({one_line(exc)})"
        if stopping:
            yield Outcome(task.index, "interrupted", 0, f"stopped; {reason}", 0.0)
        elif attempt < self.attempts:
            note = f"{reason}; trying again elsewhere (try {attempt + 1} of {self.attempts})"
            self.on_message(Retrying(task.index, note))
            waiting.appendleft((task, attempt + 1))
        else:
            yield Outcome(task.index, "failed", 0, f"{reason}, {attempt} tries", 0.0)

    def _free(self, slot: _Slot) -> None:
        slot.task, slot.stream = None, None

    def _drop(self, slot: _Slot) -> None:
        self.slots.remove(slot)
        with contextlib.suppress(Exception):  # already gone, with its node perhaps
            self._ray.kill(slot.actor, no_restart=True)

    def close(self) -> None:
        """Stop every actor."""
        for slot in list(self.slots):
            self._drop(slot)
