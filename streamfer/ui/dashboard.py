"""The terminal dashboard: a pure ``render(snapshot)`` that Rich ``Live`` redraws a few times a second.

Laid out for an 80x24 terminal: a three-line header with the session's figures, then one
section per person under a rule (two fit in full, with 8 labels; with more, each person gets
one line): the representative emotion as a large coloured badge, the window's label counts as
bars, the current frame's probabilities as bars, valence/arousal, and with the geometry stage
on the head pose and the three highest blendshapes of the person's latest measurement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from streamfer.labels import EMOTIONS
from streamfer.safetext import printable

COLOURS = {
    "angry": "red",
    "disgust": "green",
    "fear": "magenta",
    "happy": "yellow",
    "sad": "blue",
    "surprise": "cyan",
    "contempt": "dark_orange",
    "neutral": "grey70",
    "negative": "red",
    "positive": "yellow",
}
FULL_PANELS = 2  # people shown with full panels; more than this and each gets one line


@dataclass(frozen=True)
class PersonView:
    track: int
    label: str | None  # representative emotion; None until the window has enough frames
    counts: dict[str, int]
    probs: tuple[float, ...]  # the latest frame's probabilities, in ``emotions`` order
    valence: float
    arousal: float
    in_view: bool
    emotions: tuple[str, ...] = EMOTIONS  # the model's class names
    geometry: bool = False  # the geometry stage is on
    head_pose: tuple[float, float, float] | None = None  # yaw, pitch, roll; None: unmeasured
    blendshapes: tuple[tuple[str, float], ...] = ()  # the three highest, highest first


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
    source_state: str = "live"  # "lost": a live source is being reopened


def _bar(fraction: float, width: int) -> str:
    fraction = min(max(fraction, 0.0), 1.0)
    full = int(round(fraction * width))
    return "█" * full + "·" * (width - full)


def _fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _uptime(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600:d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def render_header(s: Snapshot) -> RenderableType:
    grid = Table.grid(padding=(0, 2), expand=True)
    grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    lost = " [b red]LOST, reconnecting…[/]" if s.source_state == "lost" else ""
    grid.add_row(
        f"[b]source[/] {escape(printable(s.source))}{lost}",
        f"[b]up[/] {_uptime(s.uptime_seconds)} · {s.records} records logged",
    )
    grid.add_row(
        f"[b]fps[/] in {s.input_fps:.1f} · done {s.processed_fps:.1f}  [b]dropped[/] {s.dropped}",
        f"[b]latency[/] p50 {_fmt_ms(s.latency_p50_ms)} · p95 {_fmt_ms(s.latency_p95_ms)} ms",
    )
    grid.add_row(f"[b]log[/] {escape(printable(Path(s.log_path).name))}", f"[b]rule[/] {s.method}")
    return Panel(grid, title="streamfer", title_align="left", padding=(0, 1))


def _badge(label: str | None, width: int = 14) -> Text:
    """The representative emotion as a three-line coloured block: large at a glance."""
    name = (label or "waiting").upper()
    style = f"bold black on {COLOURS.get(label or '', 'grey35')}"
    blank = " " * width
    return Text.assemble((blank, style), "\n", (name.center(width), style), "\n", (blank, style))


def _bars(rows: list[tuple[str, float, str]], width: int = 10) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=8, no_wrap=True)
    grid.add_column(width=width, no_wrap=True)
    grid.add_column(width=4, justify="right", no_wrap=True)
    for name, fraction, figure in rows:
        grid.add_row(name, Text(_bar(fraction, width), COLOURS.get(name, "")), figure)
    return grid


def short_name(name: str, width: int = 12) -> str:
    """A blendshape's name for a narrow column: ``mouthSmileLeft`` -> ``mouthSmileL``."""
    name = name.replace("Left", "L").replace("Right", "R")
    return name if len(name) <= width else name[: width - 1] + "…"


def _geometry(p: PersonView) -> Table:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=12, no_wrap=True)
    grid.add_column(width=4, justify="right", no_wrap=True)
    if p.head_pose is None:
        grid.add_row(Text("no geometry", style="dim"), "")
        return grid
    for name, angle in zip(("yaw", "pitch", "roll"), p.head_pose, strict=True):
        grid.add_row(name, f"{angle:+.0f}°")
    grid.add_row("", "")
    for name, score in p.blendshapes:
        grid.add_row(short_name(name), f"{score:.2f}".lstrip("0"))
    return grid


def render_person(p: PersonView) -> RenderableType:
    """One person under a rule: badge, window counts, this frame's probabilities and, with
    the geometry stage on, head pose and blendshapes."""
    width = 8 if p.geometry else 10  # bars narrow to make room within 80 columns
    total = max(sum(p.counts.values()), 1)
    counts = _bars([(name, c / total, str(c)) for name, c in p.counts.items()], width)
    probs = _bars(
        [(name, pr, f"{pr * 100:.0f}%") for name, pr in zip(p.emotions, p.probs, strict=False)],
        width,
    )
    left = Group(
        _badge(p.label),
        Text(""),
        Text(f"valence {p.valence:+.2f}"),
        Text(f"arousal {p.arousal:+.2f}"),
        Text("" if p.in_view else "out of view", style="dim italic"),
    )
    layout = Table.grid(padding=(0, 2))
    layout.add_column(width=14)
    layout.add_column()
    layout.add_column()
    cells: list[RenderableType] = [left, counts, probs]
    if p.geometry:
        layout.add_column()
        cells.append(_geometry(p))
    layout.add_row(*cells)
    title = f"person {p.track} · window {sum(p.counts.values())} frames │ this frame"
    if p.geometry:
        title += " │ head, blendshapes"
    return Group(Rule(title, align="left", style="grey50"), layout)


def render_person_line(p: PersonView) -> Text:
    """One line for one person, used when too many people are in view for full panels."""
    label = p.label or "waiting"
    top = sorted(p.counts.items(), key=lambda kv: -kv[1])[:3]
    shares = "  ".join(f"{k} {v}" for k, v in top if v)
    pose = ""
    if p.head_pose is not None:
        pose = f"yaw {p.head_pose[0]:+.0f}° pitch {p.head_pose[1]:+.0f}°  "
    return Text.assemble(
        (f"person {p.track:<3} ", "bold"),
        (f" {label.upper():^9} ", f"bold black on {COLOURS.get(label, 'grey35')}"),
        f"  v {p.valence:+.2f} a {p.arousal:+.2f}  ",
        pose,
        (shares, "dim"),
        ("" if p.in_view else "  (out of view)", "dim italic"),
    )


def render(s: Snapshot) -> RenderableType:
    """The whole dashboard for one snapshot."""
    parts: list[RenderableType] = [render_header(s)]
    if not s.people:
        parts.append(Panel(Text("no face in view", style="dim"), padding=(0, 1)))
    elif len(s.people) <= FULL_PANELS:
        parts.extend(render_person(p) for p in s.people)
    else:
        lines = Group(*(render_person_line(p) for p in s.people))
        parts.append(Panel(lines, title=f"{len(s.people)} people", title_align="left"))
    parts.append(
        Text(printable(s.message) or "q quit · m add a marker · b take baselines", style="dim")
    )
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
        + (" | source lost, reconnecting" if s.source_state == "lost" else "")
    )
