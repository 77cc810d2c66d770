"""The terminal dashboard: a pure ``render(snapshot)`` that Rich ``Live`` redraws a few times a second.

Two views, **d** switches between them. The plain view (the default) is for the people in
the room: per person their emotion in words, for how long, what the last 30 s held, and
whether the reading can be trusted now (face turned away, too small, not seen, baseline
taken or not). It is the default because the screen is watched by the therapist or the
researcher during a session, who asks "who shows what, since when, and can I believe it";
the technical view (``render_details``) is one key away for whoever sets the system up.

The technical view is laid out for an 80x24 terminal: a three-line header with the session's figures, then one
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

from streamfer.core.labels import EMOTIONS
from streamfer.core.safetext import printable

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
#: the plain view's trust rules: a face turned more than this (yaw or pitch, degrees) ...
TURNED_DEGREES = 30.0
#: ... or smaller than this (its box's shorter side, pixels: the emotion model's 64x64 input)
SMALL_FACE_PIXELS = 64.0
#: people shown with four lines each in the plain view; more, and each gets one line
PLAIN_PANELS = 4
#: seconds of verdicts the plain view's trend shows
TREND_SECONDS = 30
KEYS = {
    "plain": "b take baselines · m add a marker · d details · q quit",
    "details": "q quit · m add a marker · b take baselines · d plain view",
}


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
    since: float | None = None  # seconds the current emotion has held
    trend: tuple[str, ...] = ()  # each second of the last TREND_SECONDS, oldest first: the
    # emotion in force then ("" where none was: not yet, or away)
    face_pixels: float = 0.0  # the face box's shorter side in the latest frame
    unseen: float = 0.0  # seconds since the face was last seen (0 in view)
    baseline: str = "off"  # "taken", "taking", "none" (not taken), "off" (not in use)


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
    view: str = "plain"  # "plain" or "details" (the d key)


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


def _duration(seconds: float) -> str:
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def trust_notes(p: PersonView) -> list[str]:
    """Why this person's reading cannot be trusted now (empty: it can)."""
    notes = []
    if not p.in_view:
        notes.append(f"not seen for {_duration(p.unseen)}" if p.unseen >= 1 else "out of view")
    else:
        if p.head_pose is not None:
            yaw, pitch, _ = p.head_pose
            if abs(yaw) > TURNED_DEGREES or abs(pitch) > TURNED_DEGREES:
                side = "sideways" if abs(yaw) >= abs(pitch) else ("up" if pitch > 0 else "down")
                notes.append(f"face turned {side}")
        if 0 < p.face_pixels < SMALL_FACE_PIXELS:
            notes.append("face too small (move closer)")
    return notes


def baseline_words(p: PersonView) -> str:
    return {
        "taken": "read against their own neutral",
        "taking": "taking their neutral now",
        "none": "no baseline (b takes one)",
    }.get(p.baseline, "")


def trend_words(trend: tuple[str, ...]) -> str:
    """The last seconds in words: the labels that held longest, with their seconds."""
    counts: dict[str, int] = {}
    for label in trend:
        if label:
            counts[label] = counts.get(label, 0) + 1
    if not counts:
        return ""
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:3]
    if len(top) == 1:
        return f"all {top[0][0]}"
    return ", ".join(f"{label} {n} s" for label, n in top)


def render_plain_person(p: PersonView) -> RenderableType:
    """One person in the plain view: four lines under a rule."""
    label = p.label or "waiting"
    head = Text.assemble(
        (f" {label.upper():^10} ", f"bold black on {COLOURS.get(label, 'grey35')}"),
        "  ",
        (f"for {_duration(p.since)}" if p.since is not None and p.label else "", "bold"),
        ("" if p.label else "reading the first seconds", "dim"),
    )
    strip = Text("last 30 s  ")
    cells = p.trend[-TREND_SECONDS:]
    for name in cells:
        strip.append("█" if name else "·", COLOURS.get(name, "grey35"))
    strip.append("·" * (TREND_SECONDS - len(cells)), "grey35")
    if cells:
        strip.append("  " + trend_words(cells))
    notes = trust_notes(p)
    trust = Text("reading    ")
    if notes:
        trust.append("uncertain: " + ", ".join(notes), "bold yellow")
    else:
        trust.append("can be trusted now", "green")
    words = baseline_words(p)
    if words:
        trust.append(" · " + words, "" if p.baseline == "taken" else "dim")
    title = f"person {p.track}"
    return Group(
        Rule(title, align="left", style="grey50"),
        head,
        Text.assemble("  ", strip),
        Text.assemble("  ", trust),
    )


def render_plain_line(p: PersonView) -> Text:
    """One line for one person, when too many are remembered for four lines each."""
    label = p.label or "waiting"
    notes = trust_notes(p)
    since = f"for {_duration(p.since)}" if p.since is not None and p.label else ""
    return Text.assemble(
        (f"person {p.track:<3} ", "bold"),
        (f" {label.upper():^9} ", f"bold black on {COLOURS.get(label, 'grey35')}"),
        f" {since:<14}",
        ("uncertain: " + ", ".join(notes), "yellow") if notes else ("can be trusted", "green"),
        (" · own neutral" if p.baseline == "taken" else "", ""),
    )


def render_plain(s: Snapshot) -> RenderableType:
    """The plain view: who shows what, since when, and whether to believe it."""
    lost = " [b red]LOST, reconnecting…[/]" if s.source_state == "lost" else ""
    grid = Table.grid(padding=(0, 2), expand=True)
    grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
    grid.add_column(no_wrap=True, justify="right")
    people = sum(1 for p in s.people if p.in_view)
    grid.add_row(
        f"{escape(printable(s.source))}{lost}",
        f"recording {_uptime(s.uptime_seconds)} · {people} in view",
    )
    parts: list[RenderableType] = [
        Panel(grid, title="streamfer", title_align="left", padding=(0, 1))
    ]
    if not s.people:
        parts.append(Text("  nobody in view", style="dim"))
    elif len(s.people) <= PLAIN_PANELS:
        parts.extend(render_plain_person(p) for p in s.people)
    else:
        parts.append(Rule(f"{len(s.people)} people", align="left", style="grey50"))
        parts.extend(render_plain_line(p) for p in s.people)
    if s.message:
        parts.append(Text(printable(s.message), style="bold"))
    parts.append(Text(KEYS["plain"], style="dim"))
    return Group(*parts)


def render(s: Snapshot) -> RenderableType:
    """The whole dashboard for one snapshot, in its view."""
    return render_plain(s) if s.view == "plain" else render_details(s)


def render_details(s: Snapshot) -> RenderableType:
    """The technical view: rates, latency, window counts, probabilities, blendshapes."""
    parts: list[RenderableType] = [render_header(s)]
    if not s.people:
        parts.append(Panel(Text("no face in view", style="dim"), padding=(0, 1)))
    elif len(s.people) <= FULL_PANELS:
        parts.extend(render_person(p) for p in s.people)
    else:
        lines = Group(*(render_person_line(p) for p in s.people))
        parts.append(Panel(lines, title=f"{len(s.people)} people", title_align="left"))
    if s.message:
        parts.append(Text(printable(s.message), style="bold"))
    parts.append(Text(KEYS["details"], style="dim"))
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
