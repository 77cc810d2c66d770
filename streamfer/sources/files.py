"""The content hash of a recording: a video's bytes, or a frame folder's images in order."""

from __future__ import annotations

from pathlib import Path

from streamfer.durable import sha256_files
from streamfer.sources.readers import image_files


def recording_sha256(path: Path, salt: str = "") -> str:
    """sha256 of a recording's content: a video's bytes, or a frame folder's images in order.

    Names are left out, so a renamed or moved recording keeps its hash; each file's size goes
    in before its bytes to delimit the files. ``salt`` (settings, say) is hashed first.
    Raises OSError when the recording cannot be read.
    """
    return sha256_files(image_files(path) if path.is_dir() else [path], salt=salt)
