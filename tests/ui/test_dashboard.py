"""The dashboard (``streamfer.ui.dashboard``) rendered as text: the details view and the plain
view fit 80x24 with one or many people and speak plainly; the one-line status."""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import pytest
from rich.console import Console

from streamfer.core.labels import EMOTIONS_8
from streamfer.ui.dashboard import PersonView, Snapshot, render, status_line


def snapshot(people: int, view: str = "details") -> Snapshot:
    probs = (0.05, 0.0, 0.05, 0.7, 0.1, 0.0, 0.1)
    return Snapshot(
        source="demo",
        method="threshold 0.20 · 7 labels · 3 s",
        input_fps=30.0,
        processed_fps=29.5,
        latency_p50_ms=7.0,
        latency_p95_ms=12.4,
        dropped=3,
        uptime_seconds=3725,
        log_path="/tmp/logs/session-1.jsonl",
        records=42,
        people=tuple(
            PersonView(
                track=i + 1,
                label="happy" if i == 0 else None,
                counts={"happy": 12, "neutral": 30} if i == 0 else {},
                probs=probs,
                valence=0.61,
                arousal=0.05,
                in_view=i != 1,
            )
            for i in range(people)
        ),
        view=view,
    )


def screen(renderable: object, width: int = 80) -> str:
    console = Console(file=io.StringIO(), width=width, height=24, color_system=None)
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_dashboard_two_people_fit_80x24() -> None:
    text = screen(render(snapshot(2)))
    lines = text.splitlines()
    assert len(lines) <= 24 and max(len(line) for line in lines) <= 80
    assert "HAPPY" in text and "WAITING" in text
    assert "person 1" in text and "person 2" in text and "out of view" in text
    assert "1:02:05" in text and "p95 12" in text and "dropped 3" in text
    assert "session-1.jsonl" in text and "42 records logged" in text
    assert "70%" in text and "valence +0.61" in text


def test_dashboard_two_people_with_geometry_and_8_labels_fit_80x24() -> None:
    base = snapshot(2)
    people = tuple(
        dataclasses.replace(
            p,
            emotions=EMOTIONS_8,
            probs=(0.1,) * 7 + (0.3,),
            counts=dict.fromkeys(EMOTIONS_8, 4),
            geometry=True,
            head_pose=(12.3, -3.4, 1.0) if p.track == 1 else None,
            blendshapes=(
                ("mouthSmileLeft", 0.82),
                ("mouthLowerDownRight", 0.31),
                ("jawOpen", 0.05),
            ),
        )
        for p in base.people
    )
    text = screen(render(dataclasses.replace(base, people=people)))
    lines = text.splitlines()
    assert len(lines) <= 24 and max(len(line) for line in lines) <= 80
    assert "contempt" in text and "yaw" in text and "+12°" in text and "pitch" in text
    assert "mouthSmileL" in text and ".82" in text and "mouthLowerD…" in text
    assert "no geometry" in text  # person 2: not measured (too small, cut by the edge)


def test_dashboard_many_people_one_line_each_and_empty() -> None:
    text = screen(render(snapshot(5)))
    assert "5 people" in text and text.count("person ") == 5
    assert "no face in view" in screen(render(snapshot(0)))


def test_status_line() -> None:
    line = status_line(snapshot(1))
    assert "#1 happy" in line and "dropped 3" in line and "\n" not in line


def plain(people: tuple[PersonView, ...], width: int, height: int) -> str:
    snap = Snapshot("demo", "threshold", 30, 30, 7, 12, 0, 75, "s.jsonl", 9, people)
    console = Console(file=io.StringIO(), width=width, height=height, color_system=None)
    console.print(render(snap))
    return console.file.getvalue()  # type: ignore[attr-defined]


def person(track: int, **kw: Any) -> PersonView:
    base = PersonView(track, "happy", {}, (0.1,) * 7, 0.5, 0.1, True, since=75.0)
    return dataclasses.replace(base, **kw)


@pytest.mark.parametrize(("width", "height"), [(80, 24), (120, 40)])
def test_the_plain_view_speaks_plainly_and_fits(width: int, height: int) -> None:
    people = (
        person(1, trend=("neutral",) * 20 + ("happy",) * 10, baseline="taken", face_pixels=150),
        person(2, label="sad", since=4.0, head_pose=(41.0, 2.0, 0.0), face_pixels=150),
        person(3, label="neutral", face_pixels=40, baseline="taking"),
        person(4, in_view=False, unseen=12.0, baseline="none"),
    )
    text = plain(people, width, height)
    lines = text.splitlines()
    assert len(lines) <= height and max(len(line) for line in lines) <= width
    assert "HAPPY" in text and "for 1 min 15 s" in text and "for 4 s" in text
    assert "neutral 20 s, happy 10 s" in text
    assert "can be trusted now · read against their own neutral" in text
    assert "uncertain: face turned sideways" in text
    assert "uncertain: face too small (move closer)" in text
    assert "taking their neutral now" in text
    assert "uncertain: not seen for 12 s · no baseline (b takes one)" in text
    for word in ("fps", "p95", "latency", "window", "eyeSquint", "valence"):
        assert word not in text
    assert "d details" in text


def test_many_people_get_a_line_each_in_the_plain_view() -> None:
    text = plain(tuple(person(i + 1) for i in range(6)), 80, 24)
    assert "6 people" in text and text.count("person ") == 6
    assert len(text.splitlines()) <= 24


def test_a_face_just_gone_is_out_of_view_not_unseen_for_0_s() -> None:
    text = plain((person(1, in_view=False, unseen=0.4),), 80, 24)
    assert "uncertain: out of view" in text and "for 0 s" not in text
