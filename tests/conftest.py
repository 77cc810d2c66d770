"""Shared fixtures: paths to the real face data, and a private network namespace.

Helper functions that tests import by name live beside this file: ``clips`` (the CLI in a
subprocess, its logs, clips built from a real face, benchmark scripts as modules),
``badmedia`` (awkward and broken media), ``hostile`` (bombs and odd names),
``pipelines`` (the real pipeline on the demo's frames, model files edited for a test) and ``lsl_receiver`` (an LSL recorder run as a
script). ``pythonpath = ["tests"]`` in pyproject.toml puts them on the import path for the test
files in every sub-folder.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from clips import SHARED
from hypothesis import settings
from pipelines import model_with_head as _model_with_head

SHARED_DATA = SHARED / "data"

# No per-example deadline: the suite runs on busy 2-core machines, beside the CPU-bound helper
# of tests/test_stop_signals.py, and a slow example is not a wrong one (speed is for benchmarks).
settings.register_profile("streamfer", deadline=None)
settings.load_profile("streamfer")


def _shared(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs ../shared/data ({path} is absent on this machine)")
    return path


@pytest.fixture
def shared_data() -> object:
    """A function that returns a path under ../shared/data, or skips the test if it is absent."""
    return _shared


@pytest.fixture(scope="module")
def network_namespace() -> Iterator[list[str]]:
    """A private network namespace whose only interface is loopback; yields the command prefix
    that runs a program inside it. LSL and Ray listen on every interface: their tests run
    there, so nothing can bind to or reach another address. Skips without root and iproute2's
    ``ip``, or where the kernel does not permit a namespace."""
    ip = shutil.which("ip")
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or ip is None:
        pytest.skip("needs root and iproute2's ip: the test runs in a private network namespace")
    name = f"streamfer-test-{secrets.token_hex(4)}"
    made = subprocess.run([ip, "netns", "add", name], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"ip netns is not permitted here: {made.stderr.strip()}")
    try:
        inside = [ip, "netns", "exec", name]
        subprocess.run([*inside, ip, "link", "set", "lo", "up"], check=True)
        yield inside
    finally:
        subprocess.run([ip, "netns", "delete", name], check=False)


@pytest.fixture
def model_with_head(tmp_path: Path) -> Path:
    """The default emotion model, copied with a sidecar that names a geometry head
    (``pipelines.model_with_head``)."""
    return _model_with_head(tmp_path)
