"""Writing config files (``streamfer.config.write``; ``calibrate --write-config``): values set,
comments and TOML forms kept, the file's mode kept, results that would break the config
refused."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from clips import ROOT

from streamfer.config import load as config_module
from streamfer.config.write import set_values, write_aggregator
from streamfer.core.errors import ConfigError

FORMS = {
    "section": '# top\n[aggregator]\n# why 0.20\nthreshold = 0.20 # paper\nlabel_set = "7"\n',
    "dotted": 'aggregator.threshold = 0.2  # dotted\n\n[source]\ndefault = "demo"\n',
    "inline": 'aggregator = { threshold = 0.2, method = "threshold" }\n',
    "absent": '# only this\n[source]\ndefault = "demo" # cam\n',
    "empty": "",
}


@pytest.mark.parametrize("form", FORMS)
def test_values_are_set_and_everything_else_is_kept(tmp_path: Path, form: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(FORMS[form], encoding="utf-8")
    write_aggregator(path, 0.15000000000000002, "3")
    text = path.read_text(encoding="utf-8")
    config = config_module.load(path)
    assert config.aggregator.threshold == 0.15 and config.aggregator.label_set == "3"
    for line in FORMS[form].splitlines():
        if "#" in line:
            assert line[line.index("#") :] in text  # every comment survives
    assert "0.15000000000000002" not in text


def test_an_existing_files_mode_is_kept_and_a_new_one_is_private(tmp_path: Path) -> None:
    shared = tmp_path / "shared.toml"
    shared.write_text("[aggregator]\n")
    os.chmod(shared, 0o644)
    write_aggregator(shared, 0.2, "7")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o644
    new = tmp_path / "new.toml"
    write_aggregator(new, 0.2, "7")
    assert stat.S_IMODE(new.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[aggregator\n", "not valid TOML"),
        ("aggregator = 3\n", "must be a \\[section\\]"),
        ("[aggregator]\nwindow_seconds = -1\n", "would become invalid"),
        (b"[aggregator]\n# caf\xe9\n", "not UTF-8"),
    ],
)
def test_a_file_that_cannot_be_edited_is_left_alone(
    tmp_path: Path, text: str | bytes, message: str
) -> None:
    path = tmp_path / "config.toml"
    data = text.encode() if isinstance(text, str) else text
    path.write_bytes(data)
    with pytest.raises(ConfigError, match=message):
        write_aggregator(path, 0.2, "7")
    assert path.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]


def test_write_config_changes_two_values_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    shutil.copy(ROOT / "config.toml", path)
    before = path.read_text().splitlines()
    write_aggregator(path, 0.15, "3")
    after = path.read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(before) == len(after)
    assert changed == [
        ("threshold = 0.20", "threshold = 0.15"),
        ('label_set = "emotions"', 'label_set = "3"'),
    ]
    loaded = config_module.load(path)
    assert loaded.aggregator.threshold == 0.15 and loaded.aggregator.label_set == "3"
    assert loaded.detector == config_module.load(ROOT / "config.toml").detector


def test_set_values_comments_missing_keys_and_sections() -> None:
    text = (
        "[detector]\nthreshold = 9  # not this one\n\n"
        "[aggregator]  # the rule\nthreshold=0.3   # share\nwindow_seconds = 2.0\n\n[log]\n"
    )
    out = set_values(text, "aggregator", {"threshold": 0.05, "label_set": "3"})
    assert out == (
        "[detector]\nthreshold = 9  # not this one\n\n"
        "[aggregator]  # the rule\nthreshold=0.05   # share\nwindow_seconds = 2.0\n"
        'label_set = "3"\n\n[log]\n'
    )
    assert set_values("[log]\ndir = 'x'", "aggregator", {"threshold": 0.1}) == (
        "[log]\ndir = 'x'\n\n[aggregator]\nthreshold = 0.1\n"
    )


def test_write_config_refuses_to_break_a_config(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[aggregator]\nthreshold = 0.2\n")
    with pytest.raises(ConfigError):
        write_aggregator(path, 0.1, "5")
    assert path.read_text() == "[aggregator]\nthreshold = 0.2\n"
    assert not list(tmp_path.glob(".config.toml.*"))
