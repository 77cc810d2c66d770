"""Change values in a ``config.toml`` without disturbing its comments and layout.

Only the value of each named key inside one ``[section]`` is replaced; a comment after the
value stays. A key that is missing is added after the section's last key, and a missing
section is appended at the end. The result is checked by loading it before it replaces the
file, so a bad write never leaves a broken config behind.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from streamfer import config as config_module
from streamfer.errors import ConfigError, OutputError

_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]\s*(#.*)?$")


def set_values(text: str, section: str, values: dict[str, str]) -> str:
    """``text`` with ``key = value`` set for each of ``values`` (TOML literals) in ``section``."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _section(line) == section), None)
    if start is None:
        tail = "" if not text or text.endswith("\n") else "\n"
        body = "".join(f"{key} = {value}\n" for key, value in values.items())
        return f"{text}{tail}\n[{section}]\n{body}"
    end = next(
        (i for i in range(start + 1, len(lines)) if _section(lines[i]) is not None), len(lines)
    )
    last_key = start
    for key, value in values.items():
        pattern = re.compile(rf"^(\s*{re.escape(key)}\s*=\s*)(.*?)(\s*(?:#.*)?)(\r?\n?)$")
        for i in range(start + 1, end):
            match = pattern.match(lines[i])
            if match:
                lines[i] = f"{match[1]}{value}{match[3]}{match[4]}"
                last_key = max(last_key, i)
                break
        else:
            for i in range(start + 1, end):  # after the section's last key = value line
                if re.match(r"^\s*[A-Za-z0-9_-]+\s*=", lines[i]):
                    last_key = max(last_key, i)
            lines.insert(last_key + 1, f"{key} = {value}\n")
            end += 1
    return "".join(lines)


def _section(line: str) -> str | None:
    match = _HEADER.match(line)
    return match[1] if match else None


def write_aggregator(path: Path, threshold: float, label_set: str) -> None:
    """Store ``threshold`` and ``label_set`` in ``[aggregator]`` of the config file ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except OSError as exc:
        raise OutputError(f"cannot read {path}: {exc.strerror}") from None
    new = set_values(
        text, "aggregator", {"threshold": f"{threshold:.2f}", "label_set": f'"{label_set}"'}
    )
    try:
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.write(new)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror}", "check the permissions") from None
    try:
        config_module.load(Path(tmp))
    except ConfigError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ConfigError(f"{path} would become invalid: {exc.message}", "fix it by hand") from None
    if path.exists():
        os.chmod(tmp, path.stat().st_mode & 0o777)
    os.replace(tmp, path)
