"""The session log (``streamfer.session.log``): JSON lines, a cut last line reported, an
existing file never overwritten; and (by property) a log cut anywhere or damaged is read
without an exception, every line accounted for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamfer.session.events import Marker
from streamfer.session.log import SessionLog, read_log
from streamfer.session.records import Record
from streamfer.session.start_end import EndReason, SessionEnd, SessionStart


def test_log_lines_are_json_and_a_cut_last_line_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    log = SessionLog(path)
    log.write(Marker(0.0, "start"))
    log.write(Marker(1.5, "later"))
    log.close()
    lines = path.read_text().splitlines()
    assert [json.loads(line)["type"] for line in lines] == ["marker", "marker"]
    assert all({"type", "ts", "t"} <= json.loads(line).keys() for line in lines)
    with path.open("a") as f:
        f.write('{"type":"emotion","t":2.0,"tra')  # a crash mid-line
    contents = read_log(path)
    assert len(contents.records) == 2 and contents.truncated_line == 3
    assert not contents.complete and not contents.ended


def test_log_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text("keep me\n")
    with pytest.raises(Exception, match="cannot write the log"):
        SessionLog(path)
    assert path.read_text() == "keep me\n"


NOTES = st.text(st.characters(blacklist_categories=["Cs"]), max_size=30)


@st.composite
def logs(draw: st.DrawFn) -> list[Record]:
    """A plausible log: session_start, markers and source events, a session_end."""
    start = SessionStart(
        t=0.0,
        version="0",
        source="clip.mp4",
        source_fps=30.0,
        live=False,
        config={},
        models={},
        labels=("neutral",),
        host={},
        ts="2026-11-28T08:00:00.000+00:00",
    )
    body: list[Record] = []
    t = 0.0
    for note in draw(st.lists(NOTES, max_size=8)):
        t += draw(st.floats(0.0, 5.0))
        body.append(Marker(round(t, 4), note, ts="x"))
    end = SessionEnd(
        t=round(t, 4),
        frames_read=3,
        frames_processed=3,
        frames_dropped=0,
        mean_fps=30.0,
        wall_seconds=0.1,
        latency_p50_ms=None,
        latency_p95_ms=None,
        reason=draw(st.sampled_from(list(EndReason))),
        detail="",
        ts="x",
    )
    return [start, *body, end]


def as_jsonl(records: list[Record]) -> bytes:
    return "".join(json.dumps(r.to_json(), separators=(",", ":")) + "\n" for r in records).encode()


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=logs(), cut=st.floats(0.0, 1.0))
def test_a_log_cut_anywhere_gives_its_whole_lines_and_reports_the_cut(
    tmp_path: Path, records: list[Record], cut: float
) -> None:
    data = as_jsonl(records)
    at = int(len(data) * cut)
    path = tmp_path / "cut.jsonl"
    path.write_bytes(data[:at])
    contents = read_log(path)
    whole = data[:at].count(b"\n")
    mid_line = at > 0 and data[at - 1 : at] != b"\n"
    if mid_line and data[at : at + 1] == b"\n":  # only the newline is missing: a whole record
        whole, mid_line = whole + 1, False
    assert [r.to_json() for r in contents.records] == [r.to_json() for r in records[:whole]]
    assert not contents.bad_lines
    assert (contents.truncated_line is not None) == mid_line
    assert contents.ended == (whole == len(records))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    records=logs(),
    damage=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), min_size=1, max_size=6),
)
def test_a_damaged_log_is_read_without_an_exception_and_every_line_is_accounted_for(
    tmp_path: Path, records: list[Record], damage: list[tuple[float, int]]
) -> None:
    data = bytearray(as_jsonl(records))
    for where, byte in damage:
        data[min(int(len(data) * where), len(data) - 1)] = byte
    path = tmp_path / "damaged.jsonl"
    path.write_bytes(bytes(data))
    contents = read_log(path)
    text = bytes(data).decode("utf-8", "replace")
    lines = [line for line in text.split("\n") if line.strip()]
    cut = 1 if contents.truncated_line is not None else 0
    assert len(contents.records) + len(contents.bad_lines) + cut == len(lines)
