"""Which ``config.toml`` a command reads, and which one ``calibrate --write-config`` may change.

Lookup order: ``--config PATH``; else ``./config.toml``; else the user's config folder
(``$XDG_CONFIG_HOME/streamfer/config.toml``, by default ``~/.config/streamfer/config.toml``;
``~/Library/Application Support/streamfer`` on macOS, ``%APPDATA%\\streamfer`` on Windows);
else the defaults streamfer ships (inside the installed package, or the checkout's tracked
``config.toml``).

Writing: back into the file that was read, unless that file is one streamfer ships (in
site-packages, or the repository's tracked default); then into the user's config file, which
is created from the shipped defaults (comments included) when it does not exist yet.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from streamfer import assets

NAME = "config.toml"


@dataclass(frozen=True)
class ConfigSource:
    """Where the settings come from: ``kind`` is explicit, cwd, user, packaged or builtin."""

    path: Path | None
    kind: str

    @property
    def relative_base(self) -> Path:
        """The folder relative paths in the file (log folder, models) are taken from.

        A file named with ``--config`` anchors its own relative paths; otherwise they are taken
        from the current folder, so the shipped defaults never point into site-packages.
        """
        if self.kind == "explicit" and self.path is not None:
            return self.path.resolve().parent
        return Path.cwd()


def user_config_dir() -> Path:
    """The user's streamfer config folder (not created here)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "streamfer"


def user_config_file() -> Path:
    return user_config_dir() / NAME


def find_config(explicit: Path | None = None) -> ConfigSource:
    """The config file a command reads, by the lookup order above."""
    if explicit is not None:
        return ConfigSource(explicit, "explicit")
    here = Path.cwd() / NAME
    if here.is_file():
        return ConfigSource(here, "packaged" if assets.is_bundled(here) else "cwd")
    user = user_config_file()
    if user.is_file():
        return ConfigSource(user, "user")
    shipped = assets.bundled(NAME)
    if shipped is not None:
        return ConfigSource(shipped, "packaged")
    return ConfigSource(None, "builtin")


def write_target(source: ConfigSource) -> Path:
    """The file ``calibrate --write-config`` writes: the one read, unless streamfer ships it."""
    if source.path is not None and source.kind != "packaged" and not assets.is_bundled(source.path):
        return source.path
    return user_config_file()


def prepare_user_config(target: Path) -> None:
    """Create ``target`` (and its folder) from the shipped defaults when it does not exist."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shipped = assets.bundled(NAME)
    if shipped is not None:
        shutil.copyfile(shipped, target)
