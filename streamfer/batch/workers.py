"""Worker processes for ``analyze``: each analyses whole files, one at a time.

Workers are started with the "spawn" method (MediaPipe is not fork-safe once initialised).
Each has its own pair of pipes to the parent, so a worker that dies (killed, out of memory)
can corrupt no lock that another worker needs: the parent sees its process end, marks the
file it was on as failed and starts a replacement for the files still waiting.

Messages, worker to parent: ``Started``, ``FileProgress`` (a few times a second), ``Done``.
Parent to worker: a ``Task`` or ``STOP``; closing the pipe tells the worker to finish.

Workers ignore SIGINT and SIGHUP: a Ctrl-C in the terminal, or the terminal closing, reaches
the whole process group, and only the parent decides; it sends ``"stop"`` and each worker ends
its file cleanly. A worker is started with the stop signals blocked
(``session.signals.blocked_in_children``) and takes them only once its own handlers are in, so
no signal can end it with a traceback, or kill it without its file's ``session_end``, while
it imports its libraries.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import multiprocessing.connection
import os
import pickle
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing import resource_tracker
from multiprocessing.process import BaseProcess

from streamfer.batch.analysis import Outcome, Task, analyze_recording
from streamfer.session.signals import blocked_in_children, unblock

PROGRESS_INTERVAL_SECONDS = 0.2
STOP = "stop"


@dataclass(frozen=True)
class Started:
    """A worker (process ``pid``) began the task ``index``."""

    index: int
    pid: int


@dataclass(frozen=True)
class FileProgress:
    """The task ``index`` has ``frames`` frames done."""

    index: int
    frames: int


@dataclass(frozen=True)
class Done:
    """A task ended, as ``outcome`` says."""

    outcome: Outcome


Message = Started | FileProgress | Done


def _die_with_parent() -> None:
    """Ask Linux to send SIGTERM when the parent dies (a kill -9, a power-cut-like crash)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        return  # the pipe's end-of-file still stops the worker
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:  # it died before the request
        os.kill(os.getpid(), signal.SIGTERM)


_PR_SET_PDEATHSIG = 1


def _worker_main(
    tasks: multiprocessing.connection.Connection, results: multiprocessing.connection.Connection
) -> None:
    """Analyse the tasks that arrive on ``tasks`` until it closes; report on ``results``.

    A worker never outlives its parent: the parent's death closes ``tasks`` (and, on Linux,
    sends SIGTERM through PR_SET_PDEATHSIG); either ends the current file as stopped, with
    its ``session_end``, and the worker exits.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    stopping = threading.Event()
    # each file gets its own stop event (Capture.close sets it); "stop" sets the current one
    current = [threading.Event()]
    inbox: queue.Queue[Task | None] = queue.Queue()

    def parent_gone(_signum: int, _frame: object) -> None:
        stopping.set()
        current[0].set()

    signal.signal(signal.SIGTERM, parent_gone)
    unblock()  # blocked since before this process began: one that came meanwhile is taken now
    _die_with_parent()

    def listen() -> None:
        while True:
            try:
                message = tasks.recv()
            except (EOFError, OSError):
                break
            if message == STOP:
                stopping.set()
                current[0].set()
            else:
                inbox.put(message)
        stopping.set()
        current[0].set()
        inbox.put(None)

    threading.Thread(target=listen, daemon=True).start()
    while (task := inbox.get()) is not None:
        current[0] = file_stop = threading.Event()
        if stopping.is_set():
            outcome = Outcome(task.index, "interrupted", 0, "not started: stopped", 0.0)
            results.send(Done(outcome))
            continue
        results.send(Started(task.index, os.getpid()))
        last = [0.0]

        def progress(frames: int, index: int = task.index, last: list[float] = last) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_INTERVAL_SECONDS:
                last[0] = now
                results.send(FileProgress(index, frames))

        outcome = analyze_recording(task, file_stop, progress)
        results.send(FileProgress(task.index, outcome.frames))
        results.send(Done(outcome))
    results.close()


@dataclass
class _Worker:
    process: BaseProcess
    tasks: multiprocessing.connection.Connection  # parent's sending end
    results: multiprocessing.connection.Connection  # parent's receiving end
    current: int | None = None
    alive: bool = True


@dataclass
class Pool:
    """Runs tasks on up to ``size`` worker processes; ``events`` yields what happens."""

    size: int
    on_message: Callable[[Started | FileProgress], None]
    workers: list[_Worker] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")

    def _start_worker(self) -> _Worker:
        task_read, task_write = self._context.Pipe(duplex=False)
        result_read, result_write = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=_worker_main,
            args=(task_read, result_write),
            name="streamfer-worker",
            daemon=True,
        )
        with blocked_in_children():  # the tracker of named resources every spawn needs: it
            resource_tracker.ensure_running()  # ignores SIGINT and SIGTERM, SIGHUP stays blocked
        with blocked_in_children():  # again: the tracker's start unblocks SIGINT and SIGTERM
            process.start()  # the worker begins with them blocked; here they only wait
        task_read.close()
        result_write.close()
        return _Worker(process, task_write, result_read)

    def run(self, tasks: list[Task], stop: threading.Event) -> Iterator[Outcome]:
        """Analyse ``tasks``; yield each Outcome as it comes (in completion order).

        When ``stop`` is set, running files are told to stop (they end as interrupted) and
        waiting ones come back as interrupted without being started.
        """
        waiting = list(tasks)
        stopping = False
        while waiting or any(w.current is not None for w in self.workers):
            if stop.is_set() and not stopping:
                stopping = True
                for worker in self.workers:
                    self._send(worker, STOP)
                for task in waiting:
                    yield Outcome(task.index, "interrupted", 0, "not started: interrupted", 0.0)
                waiting = []
            self._assign(waiting)
            multiprocessing.connection.wait(
                [w.results for w in self.workers if w.alive]
                + [w.process.sentinel for w in self.workers if w.alive],
                timeout=0.2,
            )
            yield from self._collect()

    def _assign(self, waiting: list[Task]) -> None:
        self.workers = [w for w in self.workers if w.alive or w.current is not None]
        for worker in self.workers:
            if worker.current is None and waiting:
                self._give(worker, waiting.pop(0))
        while waiting and len(self.workers) < self.size:
            worker = self._start_worker()
            self.workers.append(worker)
            self._give(worker, waiting.pop(0))

    def _give(self, worker: _Worker, task: Task) -> None:
        worker.current = task.index
        self._send(worker, task)

    @staticmethod
    def _send(worker: _Worker, message: object) -> None:
        with contextlib.suppress(OSError):  # the worker is gone; _collect reports its file
            worker.tasks.send(message)

    def _collect(self) -> Iterator[Outcome]:
        for worker in self.workers:
            if not worker.alive:
                continue
            dead = not worker.process.is_alive()  # then all it wrote is in the pipe already
            try:
                while worker.results.poll():
                    message: Message = worker.results.recv()
                    if isinstance(message, Done):
                        worker.current = None
                        yield message.outcome
                    else:
                        self.on_message(message)
            except (EOFError, OSError, pickle.UnpicklingError):
                pass  # a worker killed mid-message
            if dead:
                worker.process.join()
                worker.alive = False
                if worker.current is not None:
                    yield Outcome(worker.current, "failed", 0, _death(worker.process), 0.0)
                    worker.current = None

    def close(self) -> None:
        """Tell every worker to finish, and wait for them (terminating stragglers)."""
        for worker in self.workers:
            worker.tasks.close()
        deadline = time.monotonic() + 10.0
        for worker in self.workers:
            worker.process.join(max(deadline - time.monotonic(), 0.1))
            if worker.process.is_alive():
                worker.process.terminate()  # a worker ends its file on SIGTERM...
                worker.process.join(5.0)
            if worker.process.is_alive():
                worker.process.kill()  # ...unless stuck in native code
                worker.process.join()
            worker.results.close()
        self.workers = []


def _death(process: BaseProcess) -> str:
    """Why a worker died mid-file, in words that say what to try next."""
    code = process.exitcode
    alone = "analyse this file alone (streamfer run --source FILE) to see what happens"
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if -code == signal.SIGKILL:
            why = "most often the system's out-of-memory killer (see dmesg); try fewer --workers"
        elif -code in (signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT, signal.SIGFPE, signal.SIGILL):
            why = f"a crash in native code (OpenCV, FFmpeg, LiteRT) on this file; {alone}"
        else:
            why = "sent by something outside streamfer"
        return f"worker process {process.pid} was killed by {name} mid-file: {why}"
    return (
        f"worker process {process.pid} exited with code {code} mid-file without saying why "
        f"(a fault below Python, or it was told to exit); {alone}"
    )
