"""What a ``--source`` names: a camera, a stream, the demo or a recording; refused when unclear.

``parse_source`` looks at the text alone (nothing is opened) and returns a ``SourceSpec``;
text that cannot be a source raises SourceError with one line naming the problem:

- empty (or only spaces): refused, not read as the current folder;
- digits: a camera index, at most ``MAX_CAMERA_INDEX`` (OpenCV cannot take a huge number);
- ``scheme://...``: a stream when the scheme is one FFmpeg reads live (rtsp, rtsps, rtmp,
  http, https, tcp, udp, srt); ``file://`` is a path; any other scheme is named and refused;
- ``demo``: the generated demo clip;
- ``picamera`` or ``picamera:N``: a Raspberry Pi camera through Picamera2 (``sources/picamera.py``);
- anything else: a path to a video file, a still image or a frame folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from streamfer.core.errors import SourceError
from streamfer.sources.picamera import is_picamera

STREAM_SCHEMES = ("rtsp", "rtsps", "rtmp", "http", "https", "tcp", "udp", "srt")
#: Video4Linux numbers devices 0-63 per driver; OpenCV adds backend offsets in hundreds.
MAX_CAMERA_INDEX = 9999
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")

Kind = Literal["camera", "stream", "demo", "picamera", "path"]


@dataclass(frozen=True)
class SourceSpec:
    """A parsed ``--source``: ``kind`` and, per kind, ``camera``, ``url`` or ``path``."""

    kind: Kind
    text: str
    camera: int | None = None
    url: str | None = None
    path: Path | None = None


def parse_source(text: str) -> SourceSpec:
    """Classify ``text`` as a source; raise SourceError naming what is wrong with it."""
    spec = text.strip()
    if not spec:
        raise SourceError(
            "--source is empty",
            "give a camera index (0), a video file, a frame folder, a stream URL or 'demo'",
        )
    if spec == "demo":
        return SourceSpec("demo", spec)
    if is_picamera(spec):
        return SourceSpec("picamera", spec)
    if spec.isdigit():
        index = int(spec)
        if index > MAX_CAMERA_INDEX:
            raise SourceError(
                f"camera index {spec} is out of range (0 to {MAX_CAMERA_INDEX})",
                "cameras are numbered from 0; for a file named like a number, write ./" + spec,
            )
        return SourceSpec("camera", spec, camera=index)
    match = _SCHEME.match(spec)
    if match:
        scheme = match[1].lower()
        if scheme in STREAM_SCHEMES:
            return SourceSpec("stream", spec, url=spec)
        if scheme == "file":
            return SourceSpec("path", spec, path=Path(unquote(urlsplit(spec).path)))
        raise SourceError(
            f"unknown URL scheme {match[1]!r} in --source {spec}",
            "streams: " + ", ".join(f"{s}://" for s in STREAM_SCHEMES) + "; or give a file path",
        )
    return SourceSpec("path", spec, path=Path(spec).expanduser())
