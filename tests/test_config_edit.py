"""calibrate --write-config's edits: comments and TOML forms kept, invalid results refused."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from streamfer.config import load as config_module
from streamfer.config.write import write_aggregator
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
