"""Writing output files so that a crash never leaves half a file under the final name."""

from __future__ import annotations

import os
from pathlib import Path

from streamfer.errors import OutputError


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it over ``path``."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temp.write_text(text, encoding="utf-8")
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {exc.strerror}", "pick a writable --out") from None
