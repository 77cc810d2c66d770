"""What ``config=`` of the Python API accepts, turned into a validated ``Config``.

- None: the settings the CLI would read (``./config.toml``, else the user's
  ``~/.config/streamfer/config.toml``, else the shipped defaults; ``config.paths``);
- a ``streamfer.Config``: used as it is;
- a path (``str`` or ``os.PathLike``) to a TOML file: read as ``--config FILE`` reads it
  (relative paths in it are taken from its folder);
- a dict of overrides on top of the CLI's settings, by ``"section.key"``
  (``{"aggregator.threshold": 0.15}``) or nested by section
  (``{"aggregator": {"threshold": 0.15}}``), checked as config.toml is.

Every fault is a ``ConfigError`` naming the key and what it accepts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeAlias

from streamfer.config.load import load_source, with_overrides
from streamfer.config.paths import find_config
from streamfer.config.settings import Config
from streamfer.core.errors import ConfigError

#: What ``config=`` accepts (see the module doc).
ConfigLike: TypeAlias = Config | str | os.PathLike[str] | Mapping[str, Any] | None


def resolve_config(config: ConfigLike) -> Config:
    """The ``Config`` that ``config`` stands for (see the module doc)."""
    if isinstance(config, Config):
        return config
    if config is None:
        return load_source(find_config())
    if isinstance(config, str | os.PathLike):
        return load_source(find_config(Path(config)))
    if isinstance(config, Mapping):
        overrides = _flatten(config)
        flags = {key: f"config[{key!r}]" for key in overrides}
        return with_overrides(load_source(find_config()), overrides, flags)
    raise ConfigError(
        f"config = {config!r} is neither a streamfer.Config, a path nor a dict",
        'pass a TOML file\'s path, or overrides such as {"aggregator.threshold": 0.15}',
    )


def _flatten(overrides: Mapping[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in overrides.items():
        if not isinstance(key, str):
            raise ConfigError(f"config key {key!r} is not text", "use 'section.key'")
        if isinstance(value, Mapping):
            for inner, item in value.items():
                flat[f"{key}.{inner}"] = item
        elif "." in key:
            flat[key] = value
        else:
            raise ConfigError(
                f"config key {key!r} names no section",
                f"use 'section.key' (e.g. 'aggregator.{key}') or {{'section': {{...}}}}",
            )
    return flat
