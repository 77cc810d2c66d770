"""``streamfer report``: pictures of recorded sessions from their JSONL logs."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from streamfer.commands.options import add_config_options
from streamfer.core.errors import SourceError
from streamfer.core.safetext import printable
from streamfer.reports.report import HTML_NAME, LogReport, build_report
from streamfer.reports.sessionstats import overall_words, share_order

EPILOG = """\
examples:
  streamfer report logs/session-20250101-120000.jsonl --out report/
  streamfer report results/ --out report/      every log that `analyze` wrote

Writes report/<log>-overview.png (who showed what, when), report/<log>-track<N>.png
(timeline over per-frame probabilities, valence-arousal trajectory, time shares, markers)
and report/report.html, one page with the summary table and every figure inside it.
"""

#: the most characters of a marker's note or a warning printed (the HTML keeps more)
NOTE_LIMIT = 200


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "report",
        help="draw figures and an HTML page from session logs",
        description="Draw each person's emotions over a session from its JSONL log.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("logs", nargs="+", metavar="LOG", help="JSONL logs, or folders of them")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="report folder")
    add_config_options(parser)
    parser.set_defaults(handler=handle)


def find_logs(arguments: list[str]) -> list[Path]:
    """The ``.jsonl`` files named, and those in the folders named (searched recursively)."""
    logs: list[Path] = []
    for argument in arguments:
        path = Path(argument).expanduser()
        if path.is_dir():
            found = sorted(path.rglob("*.jsonl"))
            if not found:
                raise SourceError(f"no .jsonl logs in {path}", "give a log file or analyze's --out")
            logs += found
        elif path.is_file():
            logs.append(path)
        else:
            raise SourceError(f"log {path} does not exist", "check the path")
    return list(dict.fromkeys(p.resolve() for p in logs))


def handle(args: argparse.Namespace, console: Console) -> int:
    reports = build_report(find_logs(args.logs), args.out)
    for report in reports:
        _print_summary(console, report)
    images = sum(len(r.images) for r in reports)
    console.print(
        f"report: {escape(printable(args.out / HTML_NAME))} ({images} figures as PNG in "
        f"{escape(printable(args.out))})",
        highlight=False,
        soft_wrap=True,
    )
    return 0


def _print_summary(console: Console, report: LogReport) -> None:
    stats = report.stats
    table = Table(
        title=f"{escape(printable(stats.path.name))}: {stats.duration:.1f} s, {report.status}",
        title_justify="left",
    )
    for column in ("track", "seen (s)", "mostly", "changes", "mean valence", "time shares"):
        table.add_column(column)
    for track in stats.tracks.values():
        shares = share_order(track.shares, stats.labels)
        valence = track.mean_valence
        table.add_row(
            str(track.track),
            f"{track.first_t:.1f}-{track.last_t:.1f}",
            overall_words(track.shares, stats.labels) or "-",
            str(track.changes),
            "" if valence is None else f"{valence:+.2f}",
            ", ".join(f"{k} {v:.0%}" for k, v in shares[:3]),
        )
    console.print(table)
    if stats.group:
        console.print(f"  group verdicts (2+ people in view): {len(stats.group)}", highlight=False)
    for t, note in stats.markers:
        console.print(
            f"  marker at {t:.1f} s: {escape(printable(note, NOTE_LIMIT))}", highlight=False
        )
    if report.ending:
        console.print(f"  the session was {report.ending}", highlight=False)
    for note in report.notes:
        console.print(
            f"  [yellow]warning:[/] {escape(printable(note, NOTE_LIMIT))}",
            highlight=False,
            soft_wrap=True,
        )
