"""Property-based tests (hypothesis) of the boundaries: config validation and the log reader.

Whatever a config file or flag holds, streamfer either takes a finite, typed value or stops
with a ConfigError naming the key; whatever happened to a log file (cut anywhere, bytes
damaged), reading it back never raises and never invents a record.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from streamfer.config import load as config_module
from streamfer.core.errors import ConfigError
from streamfer.session.events import Marker
from streamfer.session.log import read_log
from streamfer.session.records import Record
from streamfer.session.start_end import EndReason, SessionEnd, SessionStart

KEYS = [
    (section, key, default)
    for section, values in config_module.Config().as_dict().items()
    for key, default in values.items()
]
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=2),
)


@pytest.mark.parametrize(("section", "key", "default"), KEYS)
@given(value=VALUES)
@example(value=math.inf)
@example(value=-math.inf)
@example(value=math.nan)
@example(value=10**30)
def test_a_value_is_taken_finite_and_typed_or_refused_by_name(
    section: str, key: str, default: Any, value: Any
) -> None:
    try:
        taken = config_module.coerce(section, key, value, origin="test")
    except ConfigError as exc:
        assert f"{section}.{key}" in exc.message
        return
    # keys whose default is None (the emotion model's sidecar decides) take a number or a bool
    optional = default is None and isinstance(taken, (bool, float))
    assert isinstance(taken, type(default)) or isinstance(default, str) or optional
    if isinstance(taken, float):
        assert math.isfinite(taken)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(data=st.binary(max_size=200))
def test_any_config_file_loads_or_fails_with_one_config_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(data)
    try:
        config_module.load(path)
    except ConfigError as exc:
        assert str(path) in exc.message


@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "+inf"])
def test_non_finite_toml_numbers_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[aggregator]\nwindow_seconds = {text}\n")
    with pytest.raises(ConfigError, match=r"aggregator\.window_seconds"):
        config_module.load(path)


# --- the log reader on cut and damaged files -------------------------------------------------

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
