"""The terminal dashboard: a pure ``render(snapshot)`` that Rich ``Live`` redraws a few times a second.

Fits an 80x24 terminal with two people in view: a header with the session's figures, then
one panel per person with the representative emotion in large type, the window's label
counts as bars, the current frame's probabilities and valence/arousal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from streamfer.labels import EMOTIONS

COLOURS = {
    "angry": "red",
    "disgust": "green",
    "fear": "magenta",
    "happy": "yellow",
    "sad": "blue",
    "surprise": "cyan",
    "neutral": "white",
    "negative": "red",
    "positive": "yellow",
}


@dataclass(frozen=True)
class PersonView:
    track: int
    label: str | None  # representative emotion; None until the window has enough frames
    counts: dict[str, int]
    probs: tuple[float, ...]  # the latest frame's 7 probabilities (EMOTIONS order)
    valence: float
    arousal: float
    in_view: bool


@dataclass(frozen=True)
class Snapshot:
    source: str
    method: str
    input_fps: float
    processed_fps: float
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    dropped: int
    uptime_seconds: float
    log_path: str
    records: int
    people: tuple[PersonView, ...] = field(default_factory=tuple)
    message: str = ""


def _bar(fraction: float, width: int) -> str:
    fraction = min(max(fraction, 0.0), 1.0)
    full = int(round(fraction * width))
    return "█" * full + "·" * (width - full)


def _fmt_ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _uptime(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def render_header(s: Snapshot) -> RenderableType:
    table = Table.grid(padding=(0, 2), expand=True)
    table.add_column(ratio=1)
    table.add_column(ratio=1)
    table.add_row(
        f"[b]source[/] {s.source}",
        f"[b]up[/] {_uptime(s.uptime_seconds)}   [b]method[/] {s.method}",
    )
    table.add_row(
        f"[b]fps[/] in {s.input_fps:.1f} / done {s.processed_fps:.1f}   [b]dropped[/] {s.dropped}",
        f"[b]latency[/] p50 {_fmt_ms(s.latency_p50_ms)} ms  p95 {_fmt_ms(s.latency_p95_ms)} ms",
    )
    table.add_row(f"[b]log[/] {s.log_path}", f"[b]records[/] {s.records}")
    return table


def render_person(p: PersonView, compact: bool = False) -> RenderableType:
    label = p.label or "…"
    colour = COLOURS.get(label, "white")
    title = Text.assemble(
        (f"person {p.track}  ", "bold"),
        (label.upper(), f"bold {colour} reverse"),
        ("" if p.in_view else "  (out of view)", "dim"),
    )
    total = max(sum(p.counts.values()), 1)
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=8)
    grid.add_column(width=12)
    grid.add_column(width=4, justify="right")
    grid.add_column(width=8)
    grid.add_column(width=12)
    grid.add_column(width=4, justify="right")
    window_rows = list(p.counts.items())
    prob_rows = list(zip(EMOTIONS, p.probs)) if p.probs else []
    for i in range(max(len(window_rows), len(prob_rows))):
        cells: list[str | Text] = []
        if i < len(window_rows):
            name, count = window_rows[i]
            cells += [name, Text(_bar(count / total, 12), COLOURS.get(name, "")), str(count)]
        else:
            cells += ["", "", ""]
        if i < len(prob_rows):
            name, prob = prob_rows[i]
            cells += [name, Text(_bar(prob, 12), COLOURS.get(name, "")), f"{prob * 100:.0f}"]
        else:
            cells += ["", "", ""]
        grid.add_row(*cells)
    footer = f"window {sum(p.counts.values())} frames  │  valence {p.valence:+.2f}  arousal {p.arousal:+.2f}"
    body: RenderableType = Group(
        Text("window counts          this frame (%)", style="dim"), grid, Text(footer, style="dim")
    )
    if compact:
        body = Text(footer, style="dim")
    return Panel(body, title=title, title_align="left", padding=(0, 1))


def render(s: Snapshot) -> RenderableType:
    """The whole dashboard for one snapshot."""
    parts: list[RenderableType] = [Panel(render_header(s), title="streamfer", title_align="left")]
    people = [p for p in s.people]
    if not people:
        parts.append(Panel(Text("no face in view", style="dim"), padding=(0, 1)))
    compact = len(people) > 2
    for person in people:
        parts.append(render_person(person, compact=compact))
    hint = s.message or "q quit · m add marker"
    parts.append(Text(hint, style="dim"))
    return Group(*parts)


def status_line(s: Snapshot) -> str:
    """The one-line status that headless mode prints every few seconds."""
    people = ", ".join(
        f"#{p.track} {p.label or '…'} (v{p.valence:+.2f} a{p.arousal:+.2f})" for p in s.people
    )
    return (
        f"[{_uptime(s.uptime_seconds)}] in {s.input_fps:.1f} fps, done {s.processed_fps:.1f} fps, "
        f"p95 {_fmt_ms(s.latency_p95_ms)} ms, dropped {s.dropped}, records {s.records} | "
        f"{people or 'no face'}"
    )
