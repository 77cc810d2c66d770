"""Writing output files so that a crash never leaves half a file under the final name."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from streamfer.errors import OutputError
from streamfer.sources.readers import image_files


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it over ``path``."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror}", "pick a writable --out") from None


def recording_sha256(path: Path, salt: str = "") -> str:
    """sha256 of a recording's content: a video's bytes, or a frame folder's images in order.

    Names are left out, so a renamed or moved recording keeps its hash; each file's size goes
    in before its bytes to delimit the files. ``salt`` (settings, say) is hashed first.
    Raises OSError when the recording cannot be read.
    """
    digest = hashlib.sha256(salt.encode())
    files = image_files(path) if path.is_dir() else [path]
    for file in files:
        digest.update(file.stat().st_size.to_bytes(8, "little"))
        with file.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
