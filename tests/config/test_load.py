"""Reading config files and flags (``streamfer.config.load``): the shipped file holds the
defaults; a bad key, value or file is one ConfigError that names it (also, by property, for
any bytes and any value); numbers read naturally; overrides name their flag; relative paths
are taken from the config's folder."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from clips import ROOT
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from streamfer.config import load as cfg
from streamfer.config import load as config_module
from streamfer.config.load import with_overrides
from streamfer.config.settings import Config
from streamfer.core.errors import ConfigError


def test_a_bad_enabled_value_is_a_one_line_error() -> None:
    with pytest.raises(
        ConfigError, match=r"geometry.enabled = 'yes' is not true, false or \"auto\""
    ):
        with_overrides(Config(), {"geometry.enabled": "yes"})
    with pytest.raises(ConfigError, match=r"geometry\.interval_seconds"):
        with_overrides(Config(), {"geometry.interval_seconds": -0.1})


def test_geometry_threads_are_a_count_or_auto() -> None:
    assert with_overrides(Config(), {"geometry.num_threads": 3}).geometry.num_threads == 3
    assert with_overrides(Config(), {"geometry.num_threads": "auto"}).geometry.num_threads == "auto"
    for bad in (0, 65, True, "two", 1.5):
        with pytest.raises(ConfigError, match=r"geometry\.num_threads .*\[1, 64\] or \"auto\""):
            with_overrides(Config(), {"geometry.num_threads": bad})


def test_shipped_config_matches_the_defaults() -> None:
    """config.toml documents every setting with its default value."""
    loaded = cfg.load(ROOT / "config.toml")
    assert loaded.as_dict() == cfg.Config().as_dict()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[aggregator]\nthreshhold = 0.2\n", "unknown key aggregator.threshhold"),
        ("[aggregatr]\nthreshold = 0.2\n", "unknown section [aggregatr]"),
        (
            "[aggregator]\nthreshold = 1.5\n",
            "aggregator.threshold = 1.5 is not a number in (0.0, 1.0]",
        ),
        (
            "[aggregator]\nmethod = 'mode'\n",
            "aggregator.method = 'mode' is not one of 'threshold', 'top1'",
        ),
        ("[aggregator]\nlabel_set = '5'\n", "aggregator.label_set = '5'"),
        ("[classifier]\nnum_threads = 'two'\n", "classifier.num_threads = 'two'"),
        ("[log]\nframes = 1\n", "log.frames = 1 is not true or false"),
        ("threshold = 0.2\n", "'threshold' must be a [section]"),
        ("[aggregator\n", "not valid TOML"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        cfg.load(write(tmp_path, text))
    assert message in err.value.message


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("[log]\ndir = 5\n", 'expected text in quotes, such as "logs"'),
        ("[source]\nqueue_size = 'a'\n", "expected a whole number, such as 3"),
        ("[aggregator]\nwindow_seconds = 'a'\n", "expected a number, such as 0.5"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_in_plain_words(
    tmp_path: Path, text: str, hint: str
) -> None:
    """``[log] dir = 5`` made a folder named 5, and a hint said "expected a int" (#27)."""
    with pytest.raises(ConfigError) as err:
        cfg.load(write(tmp_path, text))
    assert err.value.hint == hint


def test_numbers_read_naturally(tmp_path: Path) -> None:
    loaded = cfg.load(
        write(tmp_path, "[aggregator]\nlabel_set = 3\nthreshold = 1\n[source]\ndefault = 2\n")
    )
    assert loaded.aggregator.label_set == "3"
    assert loaded.aggregator.threshold == 1.0
    assert loaded.source.default == "2"


def test_overrides_are_checked_and_name_the_flag() -> None:
    base = cfg.Config()
    changed = cfg.with_overrides(base, {"aggregator.threshold": 0.1, "aggregator.method": None})
    assert changed.aggregator.threshold == 0.1 and changed.aggregator.method == "threshold"
    with pytest.raises(ConfigError) as err:
        cfg.with_overrides(
            base, {"aggregator.window_seconds": -1.0}, {"aggregator.window_seconds": "--window"}
        )
    assert err.value.message.startswith("--window: aggregator.window_seconds = -1.0")


def test_relative_paths_are_taken_from_the_config_folder(tmp_path: Path) -> None:
    loaded = cfg.load(write(tmp_path, "[log]\ndir = 'here'\n"))
    assert loaded.resolve(loaded.log.dir) == tmp_path / "here"


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        cfg.load(tmp_path / "nope.toml")


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
    # keys whose default is None (the emotion model's sidecar decides) take a number or a bool
    optional = default is None and isinstance(taken, (bool, float))
    assert isinstance(taken, type(default)) or isinstance(default, str) or optional
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
