"""``streamfer analyze``: recorded sessions in bulk, the way ``run`` would have seen them."""

from __future__ import annotations

import argparse
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from streamfer.batch.analysis import Outcome, Task
from streamfer.batch.manifest import Manifest, settings_hash
from streamfer.batch.workers import FileProgress, Pool, Started
from streamfer.commands.options import add_config_options, add_method_options, load_config
from streamfer.config import Config
from streamfer.errors import ConfigError, OutputError, SourceError
from streamfer.reports.sessionstats import session_stats, summary_csv, summary_rows
from streamfer.session.lifecycle import on_signals
from streamfer.session.log import read_log
from streamfer.sources.files import write_atomic
from streamfer.sources.inputs import Input, content_hash, find_inputs, frame_count
from streamfer.vision.models import read_model

SUMMARY_NAME = "summary.csv"
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
REUSED_NOTE = "reused: analysed before with the same content and settings"

EPILOG = """\
examples:
  streamfer analyze sessions/ --out results/           every video and frame folder, recursively
  streamfer analyze 'clinic/**/*.mp4' a.mov --out results/ --workers 2
  streamfer analyze sessions/ --out results/ --force  redo inputs analysed before

For each input: results/<name>.jsonl (the same records as `run`, with per-frame faces
unless --no-frames), and one results/summary.csv for the run. A second run skips inputs
whose complete log exists for the same content and settings (results/manifest.json).
Exit code: 0 all went well, 1 some input failed, 130 interrupted.
Then: streamfer report results/ --out report/
"""


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
        default=os.cpu_count() or 1,
        help="processes, each analysing its own files (default: the number of cores, %(default)s)",
    )
    parser.add_argument("--force", action="store_true", help="redo inputs analysed before")
    parser.add_argument(
        "--no-frames",
        action="store_true",
        help="log only verdicts, not every frame's faces (smaller logs; the report then "
        "draws no probabilities)",
    )
    add_method_options(parser)
    add_config_options(parser)
    parser.set_defaults(handler=handle)


@dataclass
class _Item:
    input: Input
    log_path: Path
    content: str | None
    frames_expected: int | None
    rows: list[dict[str, str]] | None = None


def handle(args: argparse.Namespace, console: Console) -> int:
    if args.workers < 1:
        raise ConfigError(f"--workers {args.workers} is not a positive number", "try --workers 2")
    config = load_config(args, {"log.frames": not args.no_frames})
    read_model(config.resolve_model(config.detector.model), "face detector")
    read_model(config.emotion_model_path(), "emotion")
    out: Path = args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {out}: {exc.strerror}") from None
    inputs = find_inputs(args.paths, out)
    if not inputs:
        raise SourceError(
            "no video files or frame folders found in " + " ".join(args.paths),
            "give video files, folders holding them, or a glob such as 'sessions/**/*.mp4'",
        )
    settings = settings_hash(config)
    manifest = Manifest(out)
    items = [_Item(i, out / f"{i.name}.jsonl", content_hash(i), frame_count(i)) for i in inputs]
    tasks: list[Task] = []
    for index, item in enumerate(items):
        name = item.input.name
        if not args.force and manifest.is_done(name, item.log_path, item.content, settings):
            item.rows = _rows(item, "ok", REUSED_NOTE)
            console.print(
                f"skipped {escape(name)}: up to date (--force redoes it)",
                highlight=False,
                soft_wrap=True,
            )
        else:
            tasks.append(Task(index, item.input, item.log_path, config))
    outcomes = _run_tasks(tasks, items, config, min(args.workers, max(len(tasks), 1)), console)
    for outcome in outcomes:
        item = items[outcome.index]
        manifest.record(item.input.name, item.input, item.content, settings, outcome.status)
    rows = [row for item in items for row in (item.rows or [])]
    write_atomic(out / SUMMARY_NAME, summary_csv(rows))
    failed = sum(o.status == "failed" for o in outcomes)
    interrupted = sum(o.status == "interrupted" for o in outcomes)
    console.print(
        f"{len(items)} inputs: {sum(o.status == 'ok' for o in outcomes)} analysed, "
        f"{len(items) - len(tasks)} skipped, {failed} failed, {interrupted} interrupted; "
        f"summary: {out / SUMMARY_NAME}",
        highlight=False,
        soft_wrap=True,
    )
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_FAILED if failed else 0


def _rows(item: _Item, status: str, note: str) -> list[dict[str, str]]:
    stats = None
    if item.log_path.is_file():
        contents = read_log(item.log_path)
        if contents.records:
            stats = session_stats(contents)
    log_name = item.log_path.name if stats is not None else ""
    return summary_rows(str(item.input.path), log_name, status, note, stats)


def _run_tasks(
    tasks: list[Task], items: list[_Item], config: Config, workers: int, console: Console
) -> list[Outcome]:
    """Run the tasks on the worker pool with a progress display; fill in each item's rows."""
    outcomes: list[Outcome] = []
    if not tasks:
        return outcomes
    progress = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(bar_width=24),
        TextColumn("{task.fields[files]}"),
        TextColumn("{task.completed:>7.0f}/{task.fields[frames_total]} frames"),
        TextColumn("{task.fields[fps]}"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
        refresh_per_second=4,
    )
    expected = {t.index: items[t.index].frames_expected for t in tasks}
    total = sum(n or 0 for n in expected.values())
    overall = progress.add_task(
        "all", total=total or None, files=f"0/{len(tasks)} files", frames_total=total or "?", fps=""
    )
    per_file: dict[int, TaskID] = {}
    file_started: dict[int, float] = {}
    done_frames: dict[int, int] = {}
    started = time.monotonic()

    def update_overall() -> None:
        frames = sum(done_frames.values())
        fps = frames / max(time.monotonic() - started, 1e-9)
        progress.update(
            overall,
            completed=frames,
            files=f"{len(outcomes)}/{len(tasks)} files",
            fps=f"{fps:.0f} fps",
        )

    def on_message(message: Started | FileProgress) -> None:
        index = message.index
        if isinstance(message, Started):
            n = expected[index]
            file_started[index] = time.monotonic()
            per_file[index] = progress.add_task(
                "  " + items[index].input.name, total=n, files="", frames_total=n or "?", fps=""
            )
        else:
            done_frames[index] = message.frames
            if index in per_file:
                seconds = max(time.monotonic() - file_started[index], 1e-9)
                progress.update(
                    per_file[index],
                    completed=message.frames,
                    fps=f"{message.frames / seconds:.0f} fps",
                )
        update_overall()

    stop = threading.Event()
    pool = Pool(workers, on_message)
    try:
        with on_signals(lambda _name: stop.set()), progress:
            for outcome in pool.run(tasks, stop):
                outcomes.append(outcome)
                done_frames[outcome.index] = outcome.frames
                if outcome.index in per_file:
                    progress.remove_task(per_file.pop(outcome.index))
                item = items[outcome.index]
                note = "" if outcome.status == "ok" else outcome.reason
                item.rows = _rows(item, outcome.status, note)
                _print_outcome(console, item, outcome)
                update_overall()
    finally:
        pool.close()
    return outcomes


def _print_outcome(console: Console, item: _Item, outcome: Outcome) -> None:
    name = escape(item.input.name)
    if outcome.status == "ok":
        fps = outcome.frames / outcome.wall_seconds if outcome.wall_seconds > 0 else 0.0
        console.print(
            f"[green]ok[/] {name}: {outcome.frames} frames in {outcome.wall_seconds:.1f} s "
            f"({fps:.0f} fps) -> {escape(str(item.log_path))}",
            highlight=False,
            soft_wrap=True,
        )
    else:
        colour = "red" if outcome.status == "failed" else "yellow"
        console.print(
            f"[{colour}]{outcome.status}[/] {name}: {escape(outcome.reason)}",
            highlight=False,
            soft_wrap=True,
        )
