"""The scripts of ``examples/`` (docs/api.md) run as a user would run them, on the demo and
on the portrait streamfer ships, with few frames."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from clips import ROOT, cli_env

EXAMPLES = ROOT / "examples"


def example(name: str, *args: str, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        cwd=cwd, env=cli_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == "", done.stderr  # the API prints nothing of its own
    return done.stdout


def test_webcam_loop_on_the_demo(tmp_path: Path) -> None:
    lines = example("webcam.py", "demo", "60", cwd=tmp_path).splitlines()
    assert lines and all(line.endswith("person 1: neutral") for line in lines), lines
    assert list(tmp_path.iterdir()) == []  # no log unless asked for


def test_a_folder_of_photos(tmp_path: Path) -> None:
    shutil.copy(ROOT / "streamfer" / "assets" / "grace_hopper.jpg", tmp_path / "a.jpg")
    (tmp_path / "notes.txt").write_text("not a photo")
    lines = example("photos.py", str(tmp_path), cwd=tmp_path).splitlines()
    assert lines[0].startswith("photo,face,x,y,w,h,label,happy")
    assert len(lines) == 2 and lines[1].startswith("a.jpg,1,") and ",neutral," in lines[1]


def test_a_log_into_pandas(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    out = example("log_to_pandas.py", "demo", "90", str(tmp_path / "logs"), cwd=tmp_path)
    assert "(ended by max_frames)" in out and "neutral" in out
    assert len(list((tmp_path / "logs").glob("session-*.jsonl"))) == 1
