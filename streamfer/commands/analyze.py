"""``streamfer analyze``: recorded sessions in bulk, the way ``run`` would have seen them.

Here: the arguments, the inputs to analyse or reuse, the engine (local or Ray), the summary
and the manifest. Running the tasks with a progress display is ``commands/analyze_progress.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from streamfer.batch import ray_cluster, ray_engine
from streamfer.batch.analysis import Outcome, Task
from streamfer.batch.manifest import Manifest, settings_hash
from streamfer.batch.outlock import out_lock
from streamfer.batch.workers import Pool
from streamfer.commands.analyze_progress import Item, item_rows, run_tasks
from streamfer.commands.options import (
    add_config_options,
    add_geometry_options,
    add_method_options,
    load_config,
)
from streamfer.config.settings import Config
from streamfer.core.durable import private_dir, write_atomic
from streamfer.core.errors import ConfigError, OutputError, SourceError
from streamfer.core.safetext import printable
from streamfer.reports.summary import summary_csv, summary_rows
from streamfer.session.signals import exit_code, on_signals
from streamfer.sources.inputs import content_hash, find_inputs, find_skipped, frame_count
from streamfer.vision.models import read_model

SUMMARY_NAME = "summary.csv"
EXIT_FAILED = 1
EXIT_PARTIAL = 3
EXIT_INTERRUPTED = 130
REUSED_NOTE = "reused: analysed before with the same content and settings"

EPILOG = """\
examples:
  streamfer analyze sessions/ --out results/           every video and frame folder, recursively
  streamfer analyze 'clinic/**/*.mp4' a.mov --out results/ --workers 2
  streamfer analyze sessions/ --out results/ --force  redo inputs analysed before
  streamfer analyze /nfs/sessions --out results/ --engine ray --address auto
                                                      on the Ray cluster this machine is in

For each input: results/<name>.jsonl (the same records as `run`, with per-frame faces
unless --no-frames), and one results/summary.csv for the run. A second run skips inputs
whose complete log exists for the same content and settings (results/manifest.json).
Every input appears in summary.csv: ok, partial (a file read in part: cut short or
damaged; its log says what is missing), failed, interrupted, or skipped (a file in a
searched folder that is neither a video nor an image, with the reason).
Exit code: 0 all went well, 1 some input failed, 3 some input was read only in part;
stopped by a signal: 128 + its number (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).
Then: streamfer report results/ --out report/
"""


@dataclass
class _Stop:
    """Set by the first stop signal, which it names: the files then end cleanly as
    interrupted, and the exit code is 128 + the signal's number."""

    event: threading.Event = field(default_factory=threading.Event)
    signal: str | None = None

    def __call__(self, name: str) -> None:
        if self.signal is None:
            self.signal = name
        self.event.set()


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "analyze",
        help="analyse recorded videos and frame folders in bulk into logs and a summary",
        description="Analyse recordings with the same pipeline as `run`, several files at once.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="video files, folders (searched recursively), globs",
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="processes (Ray: actors), each analysing its own files (default: the number of "
        f"cores, {os.cpu_count() or 1}; with --engine ray: the cluster's CPUs)",
    )
    parser.add_argument(
        "--engine",
        choices=["local", "ray"],
        default="local",
        help="local: worker processes on this machine (default); ray: actors on a Ray cluster "
        '(pip install "streamfer[ray]"; inputs on a filesystem every node sees: docs/scale.md)',
    )
    parser.add_argument(
        "--address",
        metavar="ADDR",
        help="with --engine ray: auto, HOST:PORT of the head node, or ray://HOST:10001 "
        "(default: start a private local Ray instance)",
    )
    parser.add_argument("--force", action="store_true", help="redo inputs analysed before")
    parser.add_argument(
        "--wait",
        action="store_true",
        help="when another analyze is writing to the same --out, wait for it to end "
        "(default: say who holds it and stop, exit 5)",
    )
    parser.add_argument(
        "--no-frames",
        action="store_true",
        help="log only verdicts, not every frame's faces (smaller logs; the report then "
        "draws no probabilities)",
    )
    add_method_options(parser)
    add_geometry_options(parser)
    add_config_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, console: Console) -> int:
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers {args.workers} is not a positive number", "try --workers 2")
    if args.address is not None and args.engine != "ray":
        raise ConfigError("--address is for --engine ray", "add --engine ray")
    if args.engine == "ray":
        ray_cluster.require_ray()
    config = load_config(args, {"log.frames": not args.no_frames})
    read_model(config.resolve_model(config.detector.model), "face detector")
    read_model(config.emotion_model_path(), "emotion")
    out: Path = args.out
    try:
        private_dir(out)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {out}: {exc.strerror}") from None
    with out_lock(out, wait=args.wait):  # one analyze at a time per --out
        return _analyze(args, console, config, out)


def _analyze(args: argparse.Namespace, console: Console, config: Config, out: Path) -> int:
    """The run itself, with ``out``'s lock held."""
    manifest = Manifest(out)
    inputs = find_inputs(args.paths, out, manifest.names())
    passed_over = find_skipped(args.paths, out)
    if not inputs:
        raise SourceError(
            "no video files or frame folders found in " + " ".join(args.paths),
            "give video files, folders holding them, or a glob such as 'sessions/**/*.mp4'",
        )
    settings = settings_hash(config)
    items = [Item(i, out / f"{i.name}.jsonl", content_hash(i), frame_count(i)) for i in inputs]
    skipped_rows = [
        row
        for path, why in passed_over
        for row in summary_rows(str(path), "", "skipped", why, None)
    ]
    for path, why in passed_over:
        console.print(
            f"skipped {escape(printable(path))}: {escape(printable(why))}",
            highlight=False,
            soft_wrap=True,
        )
    tasks: list[Task] = []
    for index, item in enumerate(items):
        name = item.input.name
        if not args.force and manifest.is_done(name, item.log_path, item.content, settings):
            item.rows = item_rows(item, "ok", REUSED_NOTE)
            console.print(
                f"skipped {escape(printable(name))}: up to date (--force redoes it)",
                highlight=False,
                soft_wrap=True,
            )
        else:
            tasks.append(Task(index, item.input, item.log_path, config))

    def save_summary() -> None:
        rows = [row for item in items for row in (item.rows or [])]
        write_atomic(out / SUMMARY_NAME, summary_csv(rows + skipped_rows))

    def finished(outcome: Outcome) -> None:
        """Each file as it finishes: the manifest and the summary on disk at once, so a kill
        (or a power cut) loses nothing that was done."""
        item = items[outcome.index]
        manifest.record(item.input.name, item.input, item.content, settings, outcome.status)
        save_summary()

    stop = _Stop()  # from here on a signal stops the run; before, it interrupts start-up
    with on_signals(stop), contextlib.ExitStack() as cleanup:
        pool: Pool | ray_engine.RayPool
        if args.engine == "ray" and tasks:
            cpus = ray_cluster.connect(args.address, args.workers)  # takes seconds
            cleanup.callback(_disconnect)
            workers = min(args.workers or max(cpus, 1), len(tasks))
            pool = ray_engine.RayPool(workers, lambda _message: None, config)
        else:
            workers = min(args.workers or os.cpu_count() or 1, max(len(tasks), 1))
            pool = Pool(workers, lambda _message: None)
        if args.workers is not None and workers < args.workers:
            console.print(
                f"--workers {args.workers}: using {workers}, one per input to analyse",
                highlight=False,
                soft_wrap=True,
            )
        if workers > 1:
            tasks = _one_thread_a_model(tasks)
        outcomes = run_tasks(tasks, items, pool, console, finished, stop.event)
        save_summary()
        count = {s: sum(o.status == s for o in outcomes) for s in _STATUSES}
        console.print(
            f"{len(items) + len(passed_over)} inputs: {count['ok']} analysed, "
            f"{len(items) - len(tasks)} reused, {count['partial']} partial, "
            f"{count['failed']} failed, {count['interrupted']} interrupted, "
            f"{len(passed_over)} skipped; summary: {escape(printable(out / SUMMARY_NAME))}",
            highlight=False,
            soft_wrap=True,
        )
        if stop.signal is not None:
            print(
                f"streamfer: ended by {stop.signal}; summary: {printable(out / SUMMARY_NAME)}",
                file=sys.stderr,
            )
            return exit_code(stop.signal) or EXIT_INTERRUPTED
    if count["interrupted"]:
        return EXIT_INTERRUPTED
    if count["failed"]:
        return EXIT_FAILED
    return EXIT_PARTIAL if count["partial"] else 0


_STATUSES = ("ok", "partial", "failed", "interrupted")


def _disconnect() -> None:
    """Leave the Ray cluster; a Ctrl-C while Ray shuts down changes nothing any more."""
    with on_signals(lambda _name: None):
        ray_cluster.disconnect()


def _one_thread_a_model(tasks: list[Task]) -> list[Task]:
    """With several workers each model runs on one thread: the workers already fill the
    cores, and a model's second thread would only add CPU time (docs/benchmarks.md). The
    settings' hash stays that of the config as given; each log's ``session_start`` records
    the threads used."""
    out = []
    for task in tasks:
        geometry = dataclasses.replace(task.config.geometry, num_threads=1)
        out.append(
            dataclasses.replace(task, config=dataclasses.replace(task.config, geometry=geometry))
        )
    return out
