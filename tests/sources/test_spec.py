"""Sources named on the command line (``streamfer.sources.spec``): classified, or refused by
name."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamfer.core.errors import SourceError
from streamfer.sources.spec import parse_source


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("demo", "demo", None),
        (" 0 ", "camera", 0),
        ("12", "camera", 12),
        ("rtsp://10.0.0.5/stream", "stream", "rtsp://10.0.0.5/stream"),
        ("HTTP://cam/mjpg", "stream", "HTTP://cam/mjpg"),
        ("srt://host:9000", "stream", "srt://host:9000"),
        ("file:///data/a%20b.mp4", "path", Path("/data/a b.mp4")),
        ("clip.mp4", "path", Path("clip.mp4")),
        ("./99999999999999999999", "path", Path("99999999999999999999")),
    ],
)
def test_sources_are_classified(text: str, kind: str, value: object) -> None:
    spec = parse_source(text)
    assert spec.kind == kind
    assert {"camera": spec.camera, "stream": spec.url, "path": spec.path, "demo": None}[
        kind
    ] == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "--source is empty"),
        ("   ", "--source is empty"),
        ("99999999999999999999", "camera index 99999999999999999999 is out of range"),
        ("foo://bar", "unknown URL scheme 'foo' in --source foo://bar"),
        ("ftp://host/clip.mp4", "unknown URL scheme 'ftp'"),
    ],
)
def test_bad_sources_are_refused_by_name(text: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        parse_source(text)
