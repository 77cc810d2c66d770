"""Helpers for the analyze and report tests: the CLI in a subprocess, clips from real stills."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import cv2

from streamfer import demo

ROOT = Path(__file__).resolve().parent.parent


def cli_env() -> dict[str, str]:
    """The environment for a CLI subprocess that runs this checkout's code."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["COLUMNS"] = "200"
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "streamfer", *args]


def streamfer(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m streamfer ARGS`` to the end and return its output."""
    return subprocess.run(
        cli_command(*args), cwd=cwd, env=cli_env(), capture_output=True, text=True, timeout=timeout
    )


def write_frame_folder(folder: Path, frames: int) -> None:
    """JPEG frames of the demo clip (Grace Hopper's portrait, moving) as a frame sequence."""
    folder.mkdir(parents=True)
    for i in range(frames):
        cv2.imwrite(str(folder / f"frame{i:04d}.jpg"), demo.demo_frame(i / demo.FPS))


def summary(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def row(rows: list[dict[str, str]], input_name: str, track: str = "all") -> dict[str, str]:
    """The summary row of the input whose path ends with ``input_name``, for ``track``."""
    found = [r for r in rows if Path(r["input"]).name == input_name and r["track"] == track]
    assert len(found) == 1, f"{input_name} track {track}: {found}"
    return found[0]
