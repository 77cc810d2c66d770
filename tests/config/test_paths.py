"""Config lookup (--config, ./config.toml, the user's folder, the shipped defaults) and where
``calibrate --write-config`` may write."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamfer import assets
from streamfer.config.paths import find_config, prepare_user_config, user_config_file, write_target


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return {"work": work, "user": tmp_path / "xdg" / "streamfer" / "config.toml"}


def test_user_config_follows_xdg(places: dict[str, Path]) -> None:
    assert user_config_file() == places["user"]


def test_shipped_defaults_when_nothing_else(places: dict[str, Path]) -> None:
    source = find_config()
    assert source.kind == "packaged"
    assert source.path == assets.bundled("config.toml")
    assert source.relative_base == places["work"]  # logs land here, never beside the package
    assert write_target(source) == places["user"]


def test_user_config_before_shipped(places: dict[str, Path]) -> None:
    places["user"].parent.mkdir(parents=True)
    places["user"].write_text("[aggregator]\nthreshold = 0.3\n")
    source = find_config()
    assert (source.kind, source.path) == ("user", places["user"])
    assert write_target(source) == places["user"]


def test_current_folder_before_user(places: dict[str, Path]) -> None:
    places["user"].parent.mkdir(parents=True)
    places["user"].write_text("")
    here = places["work"] / "config.toml"
    here.write_text("")
    source = find_config()
    assert (source.kind, source.path) == ("cwd", here)
    assert write_target(source) == here


def test_explicit_wins_and_anchors_relative_paths(places: dict[str, Path], tmp_path: Path) -> None:
    (places["work"] / "config.toml").write_text("")
    named = tmp_path / "elsewhere" / "room.toml"
    named.parent.mkdir()
    named.write_text("")
    source = find_config(named)
    assert (source.kind, source.path) == ("explicit", named)
    assert source.relative_base == named.parent
    assert write_target(source) == named


def test_never_writes_over_the_shipped_file(places: dict[str, Path]) -> None:
    shipped = assets.bundled("config.toml")
    assert shipped is not None
    assert write_target(find_config(shipped)) == places["user"]


def test_the_user_file_starts_from_the_shipped_defaults(places: dict[str, Path]) -> None:
    prepare_user_config(places["user"])
    shipped = assets.bundled("config.toml")
    assert shipped is not None
    assert places["user"].read_text() == shipped.read_text()
    places["user"].write_text("# mine\n")
    prepare_user_config(places["user"])  # an existing file is left alone
    assert places["user"].read_text() == "# mine\n"
