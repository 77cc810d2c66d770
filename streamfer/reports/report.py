"""A report of one or more session logs: PNG figures and one self-contained HTML page.

``build_report(logs, out_dir)`` reads each log (a cut last line is tolerated and reported),
draws ``<log>-overview.png`` and ``<log>-track<N>.png`` for each log, and writes
``report.html`` with the summary table (the same columns as analyze's ``summary.csv``), the
markers and every figure embedded as a base64 data URI, so the page can be mailed alone.
"""

from __future__ import annotations

import base64
import html
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from streamfer.core.durable import private_dir, write_atomic
from streamfer.core.errors import OutputError, SourceError
from streamfer.core.safetext import printable, utf8_safe
from streamfer.reports.sessionstats import SessionStats, overall_words, session_stats, share_order
from streamfer.reports.summary import summary_rows
from streamfer.session.log import LogContents, read_log
from streamfer.session.start_end import EndReason

HTML_NAME = "report.html"


@dataclass
class LogReport:
    """One log's figures and figures' files."""

    stats: SessionStats
    status: str
    notes: list[str]
    images: list[Path] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)
    ending: str = ""  # how a session that was ended on purpose ended, in words (no warning)


#: ends that someone chose (q, --max-frames): said in words, not warned about
CHOSEN_ENDS = {
    EndReason.USER_QUIT: "ended with the q key",
    EndReason.MAX_FRAMES: "ended at its --max-frames limit",
}


def ended_on_purpose(stats: SessionStats) -> str:
    """How the session ended, in words, when someone chose to end it there; else ``""``."""
    return CHOSEN_ENDS.get(stats.end.reason, "") if stats.end is not None else ""


def check_is_log(contents: LogContents) -> None:
    """Raise SourceError unless ``contents`` holds at least one streamfer record: a text
    file, a video or another program's JSON lines is not a session cut short."""
    if contents.records:
        return
    path = contents.path
    what = (
        "is empty"
        if contents.truncated_line is None and not contents.bad_lines
        else ("holds no streamfer record")
    )
    raise SourceError(
        f"{path} is not a streamfer log: it {what}",
        "give the JSONL logs that run --log-dir or analyze --out wrote",
    )


#: the most characters of a note, a marker or the source shown in the HTML (logs keep all)
HTML_TEXT_LIMIT = 2000


def log_status(stats: SessionStats) -> tuple[str, list[str]]:
    """A one-word status of the log and the warnings to show about it."""
    notes = []
    if stats.truncated_line is not None:
        notes.append(
            f"the last line ({stats.truncated_line}) was cut off (crash or kill); "
            "the records before it are shown"
        )
    if stats.bad_lines:
        n = len(stats.bad_lines)
        shown = ", ".join(map(str, stats.bad_lines[:10])) + (", ..." if n > 10 else "")
        notes.append(
            f"{n} record{'s' * (n != 1)} skipped (unreadable, or fields of the wrong type): "
            f"line{'s' * (n != 1)} {shown}"
        )
    if stats.end_reason is None:
        return "incomplete", [*notes, "no session_end record: the session did not end cleanly"]
    if not stats.complete and not ended_on_purpose(stats):
        notes.append(f"the session ended by {stats.end_reason}")
    return ("complete" if stats.complete else "ended"), notes


def build_report(logs: list[Path], out_dir: Path) -> list[LogReport]:
    """Draw the figures and write report.html for ``logs`` into ``out_dir``."""
    if importlib.util.find_spec("matplotlib") is None:
        raise OutputError(
            "the report's figures need matplotlib, which is not installed",
            'pip install "streamfer[plots]"',
        )
    import matplotlib

    from streamfer.reports.figures import overview_figure, track_figure  # matplotlib: only here

    try:
        private_dir(out_dir)
    except OSError as exc:
        raise OutputError(f"cannot create the report folder {out_dir}: {exc.strerror}") from None
    every = []
    for log in logs:  # all of them first: one that is not a log stops before anything is drawn
        contents = read_log(log)
        check_is_log(contents)
        every.append(session_stats(contents))
    reports = []
    stems: set[str] = set()
    for number, (log, stats) in enumerate(zip(logs, every, strict=True), start=1):
        status, notes = log_status(stats)
        report = LogReport(stats, status, notes, ending=ended_on_purpose(stats))
        report.rows = summary_rows(stats.source, log.name, status, "; ".join(notes), stats)
        stem = log.stem if log.stem not in stems else f"{log.stem}-{number}"
        stems.add(stem)
        figures: list[tuple[Path, Callable[[Path], None]]] = []
        if stats.tracks or stats.frames:
            figures.append((out_dir / f"{stem}-overview.png", partial(overview_figure, stats)))
        for track in stats.tracks.values():
            figures.append(
                (out_dir / f"{stem}-track{track.track}.png", partial(track_figure, stats, track))
            )
        for path, draw in figures:
            # text from the log is drawn as it is: a "$" is a dollar, not mathematics
            with matplotlib.rc_context({"text.parse_math": False}):
                try:
                    draw(path)
                except (ValueError, TypeError, RuntimeError) as exc:  # text matplotlib refused
                    report.notes.append(
                        f"figure {path.name} not drawn: {type(exc).__name__}: "
                        + printable(exc, 200)
                    )
                    continue
            report.images.append(path)
        reports.append(report)
    write_atomic(out_dir / HTML_NAME, utf8_safe(render_html(reports)))
    return reports


_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;font-size:13px;margin:0.5em 0 1em}
th,td{border:1px solid #ccc;padding:3px 7px;text-align:left}th{background:#f0f0f0}
.warn{background:#fff3cd;border:1px solid #e0c060;padding:6px 10px;margin:0.5em 0}
img{max-width:100%;border:1px solid #ddd;margin:0.4em 0}
"""
_COLUMNS = (
    ("log", "log"),
    ("track", "track"),
    ("status", "status"),
    ("duration_s", "duration (s)"),
    ("frames", "frames"),
    ("faces_seen", "faces seen"),
    ("track_seconds", "verdict time (s)"),
    ("overall_emotion", "overall emotion"),
    ("changes", "changes"),
    ("mean_valence", "mean valence"),
    ("mean_arousal", "mean arousal"),
    ("mean_abs_yaw", "mean |yaw| (°)"),
    ("turned_30_share", "turned > 30°"),
)


def _row_shares(row: dict[str, str]) -> dict[str, float]:
    return {k[6:]: float(v) for k, v in row.items() if k.startswith("share_") and v}


def _shares_text(row: dict[str, str], labels: tuple[str, ...]) -> str:
    ranked = share_order(_row_shares(row), labels)
    return ", ".join(f"{name} {value:.0%}" for name, value in ranked)


def _table(reports: list[LogReport]) -> str:
    head = "".join(f"<th>{title}</th>" for _, title in _COLUMNS) + "<th>time shares</th>"
    body = []
    for report in reports:
        rows = report.rows
        if len(rows) == 2:  # one person: the file's row would only repeat theirs
            rows = rows[1:]
        for row in rows:
            label = row["track"] if row["track"] == "all" else f"track {row['track']}"
            shown = {
                **row,
                "track": label,
                "overall_emotion": overall_words(_row_shares(row), report.stats.labels),
            }
            cells = [html.escape(shown.get(key, "")) for key, _ in _COLUMNS]
            cells.append(html.escape(_shares_text(row, report.stats.labels)))
            body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _section(report: LogReport) -> str:
    stats = report.stats
    parts = [
        f"<h2 id='{html.escape(stats.path.stem)}'>{html.escape(stats.path.name)}</h2>",
        f"<p>source: {html.escape(printable(stats.source or '?', HTML_TEXT_LIMIT))}; {stats.duration:.1f} s; "
        f"status: {report.status}; tracks: "
        + (", ".join(f"track {t}" for t in stats.tracks) or "none")
        + "</p>",
    ]
    if report.ending:
        parts.append(f"<p>The session was {html.escape(report.ending)}.</p>")
    parts += [
        f"<div class='warn'>{html.escape(printable(note, HTML_TEXT_LIMIT))}</div>"
        for note in report.notes
    ]
    if stats.markers:
        rows = "".join(
            f"<tr><td>{t:.1f}</td><td>{html.escape(printable(note, HTML_TEXT_LIMIT))}</td></tr>"
            for t, note in stats.markers
        )
        parts.append(f"<table><tr><th>marker at (s)</th><th>note</th></tr>{rows}</table>")
    for number, image in enumerate(report.images):
        if number == 1 or (number == 0 and len(report.images) == 1):
            parts.append(_group_consensus(stats))  # above the people's timelines
        data = base64.b64encode(image.read_bytes()).decode("ascii")
        parts.append(
            f"<div><img alt='{html.escape(image.stem)}' src='data:image/png;base64,{data}'></div>"
        )
    return "\n".join(parts)


def _group_consensus(stats: SessionStats) -> str:
    """The group's verdicts (2+ people in view) as a strip on the clip's time axis, with
    their shares, so the page shows what the PNG overview and the terminal show."""
    if not stats.group:
        return "<p class='group'>Group consensus: none (never two or more people in view)</p>"
    from streamfer.reports.figures import COLOURS  # matplotlib's module: only with a report

    duration = max(stats.duration, 1e-9)
    cells = []
    spans = []
    for (t, label, shares), following in zip(stats.group, [*stats.group[1:], None], strict=True):
        end = min(t + stats.interval, following[0] if following else duration, duration)
        spans.append((label, max(end - t, 0.0)))
        left, width = 100 * t / duration, 100 * max(end - t, 0.0) / duration
        share_text = ", ".join(
            f"{k} {v:.0%}" for k, v in sorted(shares.items(), key=lambda kv: -kv[1])
        )
        title = html.escape(f"{t:.1f}-{end:.1f} s: {label} ({share_text})")
        colour = COLOURS.get(label, "#ffffff")
        cells.append(
            f"<div title='{title}' style='position:absolute;left:{left:.3f}%;width:{width:.3f}%;"
            f"top:0;bottom:0;background:{colour}'></div>"
        )
    total = sum(span for _, span in spans) or 1.0
    by_label: dict[str, float] = {}
    for label, span in spans:
        by_label[label] = by_label.get(label, 0.0) + span / total
    summary = ", ".join(f"{k} {v:.0%}" for k, v in sorted(by_label.items(), key=lambda kv: -kv[1]))
    changes = "".join(
        f"<tr><td>{t:.1f}</td><td>{html.escape(label)}</td><td>"
        + html.escape(", ".join(f"{k} {v:.0%}" for k, v in shares.items() if v > 0))
        + "</td></tr>"
        for (t, label, shares), previous in zip(stats.group, [None, *stats.group[:-1]], strict=True)
        if previous is None or previous[1] != label
    )
    return (
        f"<h3>Group consensus (2+ people in view): {html.escape(summary)}</h3>"
        "<div class='strip' style='position:relative;height:18px;border:1px solid #bbb;"
        f"background:#f7f7f7'>{''.join(cells)}</div>"
        f"<p class='axis'>0 s<span style='float:right'>{stats.duration:.1f} s</span></p>"
        "<table><tr><th>from (s)</th><th>group emotion</th><th>people's emotions</th></tr>"
        f"{changes}</table>"
    )


def render_html(reports: list[LogReport]) -> str:
    """The whole report as one HTML page with the figures inline."""
    sections = "\n".join(_section(r) for r in reports)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>streamfer report</title>"
        f"<style>{_STYLE}</style></head><body><h1>streamfer report</h1>"
        f"<p>{len(reports)} session log{'s' * (len(reports) != 1)}. Time shares: each verdict "
        "counts until the track's next one, at most one emit interval.</p>"
        f"{_table(reports)}\n{sections}</body></html>\n"
    )
