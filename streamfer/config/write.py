"""Change values in a ``config.toml`` and keep its comments, layout and TOML forms.

The file is parsed with tomlkit, a TOML library that keeps what it does not change: comments,
blank lines, key order, and the form a section is written in (``[aggregator]``, dotted keys
``aggregator.threshold = 0.2``, an inline table ``aggregator = {threshold = 0.2}``). A missing
section is added at the end. The result must load as a valid streamfer config before it
replaces the file, through ``streamfer.durable.write_atomic``, so a failed or interrupted
write leaves the old file in place.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from streamfer.config import load as config_module
from streamfer.core.durable import FILE_MODE, write_atomic
from streamfer.core.errors import ConfigError, OutputError


def set_values(text: str, section: str, values: dict[str, Any]) -> str:
    """``text`` with ``section.key = value`` set for each of ``values`` (Python values).

    Raises ConfigError when ``text`` is not valid TOML or ``section`` is not a table.
    """
    text = text.removeprefix("\ufeff")  # a byte-order mark: dropped
    config_module.parse_toml(text, "the config")  # the size and shape limits first
    if text and not text.endswith("\n"):
        text += "\n"
    try:
        document = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ConfigError(f"not valid TOML: {exc}") from None
    table = document.get(section)
    if table is None:
        table = tomlkit.table()
        if document.body and not text.endswith("\n\n"):
            document.add(tomlkit.nl())  # a blank line before the new section
        document[section] = table
    if not isinstance(table, dict):
        raise ConfigError(f"{section!r} must be a [section], not a value")
    for key, value in values.items():
        table[key] = value
    return tomlkit.dumps(document)


def write_aggregator(path: Path, threshold: float, label_set: str) -> None:
    """Store ``threshold`` (rounded to 0.01) and ``label_set`` in ``[aggregator]`` of ``path``.

    A missing file is created. Raises ConfigError when the file is not valid TOML or would
    not load afterwards, OutputError when it cannot be read or written.
    """
    try:
        text = path.read_bytes().decode("utf-8")
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        text, mode = "", FILE_MODE
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path} is not UTF-8 text (byte {exc.start})", "save it as UTF-8"
        ) from None
    except OSError as exc:
        raise OutputError(f"cannot read {path}: {exc.strerror}") from None
    try:
        new = set_values(
            text, "aggregator", {"threshold": round(threshold, 2), "label_set": label_set}
        )
        config_module.from_mapping(
            config_module.parse_toml(new, str(path)), path.resolve().parent, str(path)
        )
    except ConfigError as exc:
        raise ConfigError(f"{path} would become invalid: {exc.message}", "fix it by hand") from None
    write_atomic(path, new, mode=mode)
