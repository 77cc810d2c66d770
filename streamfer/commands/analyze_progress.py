"""``streamfer analyze``, running the tasks: the pool's outcomes as they come, with a
progress display (overall and per file), one line per finished input, and each input's
rows of the summary.

Parsing the arguments, choosing the inputs and writing the summary and manifest is
``commands/analyze.py``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
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

from streamfer.batch import ray_engine, ray_worker
from streamfer.batch.analysis import Outcome, Task
from streamfer.batch.workers import FileProgress, Pool, Started
from streamfer.core.safetext import printable
from streamfer.reports.sessionstats import session_stats
from streamfer.reports.summary import summary_rows
from streamfer.session.log import read_log
from streamfer.sources.inputs import Input


@dataclass
class Item:
    """One input of the run: its log, content hash, promised frames and summary rows."""

    input: Input
    log_path: Path
    content: str | None
    frames_expected: int | None
    rows: list[dict[str, str]] | None = None


#: the most characters of a failed file's reason printed (the summary keeps it whole)
REASON_LIMIT = 500


def item_rows(item: Item, status: str, note: str) -> list[dict[str, str]]:
    stats = None
    if item.log_path.is_file():
        contents = read_log(item.log_path)
        if contents.records:
            stats = session_stats(contents)
    log_name = item.log_path.name if stats is not None else ""
    return summary_rows(str(item.input.path), log_name, status, note, stats)


def run_tasks(
    tasks: list[Task],
    items: list[Item],
    pool: Pool | ray_engine.RayPool,
    console: Console,
    finished: Callable[[Outcome], None],
    stop: threading.Event,
) -> list[Outcome]:
    """Run the tasks on the pool with a progress display; fill in each item's rows.

    ``finished`` gets each outcome once its rows are filled in; ``stop`` ends the run early.
    """
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
        failed = sum(o.status == "failed" for o in outcomes)
        progress.update(
            overall,
            completed=frames,
            files=f"{len(outcomes)}/{len(tasks)} files" + (f", {failed} failed" if failed else ""),
            fps=f"{fps:.0f} fps",
        )

    def on_message(message: Started | FileProgress | ray_engine.Retrying) -> None:
        index = message.index
        if isinstance(message, ray_engine.Retrying):
            done_frames[index] = 0
            if index in per_file:
                progress.remove_task(per_file.pop(index))
            console.print(
                f"[yellow]retry[/] {escape(printable(items[index].input.name))}: "
                f"{escape(printable(message.why, REASON_LIMIT))}",
                highlight=False,
                soft_wrap=True,
            )
        elif isinstance(message, Started):
            n = expected[index]
            file_started[index] = time.monotonic()
            per_file[index] = progress.add_task(
                "  " + escape(printable(items[index].input.name)),
                total=n,
                files="",
                frames_total=n or "?",
                fps="",
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

    pool.on_message = on_message
    placements = pool.placements if isinstance(pool, ray_engine.RayPool) else {}
    try:
        with progress:  # signals: the caller's handler sets ``stop``
            for outcome in pool.run(tasks, stop):
                outcomes.append(outcome)
                done_frames[outcome.index] = outcome.frames
                if outcome.index in per_file:
                    progress.remove_task(per_file.pop(outcome.index))
                item = items[outcome.index]
                note = "" if outcome.status == "ok" else outcome.reason
                item.rows = item_rows(item, outcome.status, note)
                finished(outcome)
                _print_outcome(console, item, outcome, placements.get(outcome.index))
                update_overall()
    finally:
        pool.close()
    return outcomes


def _print_outcome(
    console: Console, item: Item, outcome: Outcome, worker: ray_worker.WorkerInfo | None
) -> None:
    """One line per finished input; with the Ray engine, ``ok`` lines say where it ran."""
    name = escape(printable(item.input.name))
    if outcome.status == "ok":
        fps = outcome.frames / outcome.wall_seconds if outcome.wall_seconds > 0 else 0.0
        where = f" on {escape(worker.label)}" if worker is not None else ""
        console.print(
            f"[green]ok[/] {name}: {outcome.frames} frames in {outcome.wall_seconds:.1f} s "
            f"({fps:.0f} fps){where} -> {escape(printable(item.log_path))}",
            highlight=False,
            soft_wrap=True,
        )
    else:
        colour = "red" if outcome.status in ("failed", "partial") else "yellow"
        console.print(
            f"[{colour}]{outcome.status}[/] {name}: {escape(printable(outcome.reason, REASON_LIMIT))}",
            highlight=False,
            soft_wrap=True,
        )
