"""Shared fixtures: paths to the real face data and clips built from real face stills."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"

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
