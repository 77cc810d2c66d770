"""``config.toml``: read, validate into typed settings, apply command-line overrides.

Every key is declared once in ``_SCHEMA`` with its type and allowed values; an unknown key or
a bad value raises ConfigError naming the key, the value and what is allowed. The settings
types themselves (``Config`` and one per section) live in ``streamfer.config_settings`` and
are re-exported here.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import Any

from streamfer.choices import LABEL_SET_WORDS, LabelSet, Method
from streamfer.config_paths import ConfigSource
from streamfer.config_settings import (
    DEFAULT_EMOTION_MODEL,
    SECTION_TYPES,
    ClassifierSettings,
    Config,
    DashboardSettings,
    DetectorSettings,
    GeometrySettings,
    LogSettings,
    LslSettings,
    SourceSettings,
    TrackerSettings,
)
from streamfer.errors import ConfigError
from streamfer.method.aggregate import AggregatorSettings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "DEFAULT_EMOTION_MODEL",
    "AggregatorSettings",
    "ClassifierSettings",
    "Config",
    "DashboardSettings",
    "DetectorSettings",
    "GeometrySettings",
    "LogSettings",
    "LslSettings",
    "SourceSettings",
    "TrackerSettings",
    "coerce",
    "from_mapping",
    "load",
    "load_source",
    "with_overrides",
]

Check = Callable[[Any], bool]


def _between(lo: float, hi: float, lo_open: bool = False) -> tuple[Check, str]:
    if lo_open:
        return (lambda v: lo < v <= hi), f"a number in ({lo}, {hi}]"
    return (lambda v: lo <= v <= hi), f"a number in [{lo}, {hi}]"


def _positive(kind: str = "number") -> tuple[Check, str]:
    return (lambda v: v > 0), f"a positive {kind}"


def _any_text() -> tuple[Check, str]:
    return (lambda v: bool(v)), "a non-empty string"


def _one_of(*options: str) -> tuple[Check, str]:
    return (lambda v: v in options), "one of " + ", ".join(repr(o) for o in options)


def _switch() -> tuple[Check, str]:
    """true, false or "auto" (checked as any value: TOML gives a bool or a string)."""
    return (lambda v: isinstance(v, bool) or v == "auto"), 'true, false or "auto"'


_BOOL: tuple[Check, str] = ((lambda v: True), "true or false")

# section -> key -> (python type, (check, description of allowed values))
_SCHEMA: dict[str, dict[str, tuple[type, tuple[Check, str]]]] = {
    "source": {
        "default": (str, _any_text()),
        "realtime": (bool, ((lambda v: True), "true or false")),
        "queue_size": (int, _positive("integer")),
        "reconnect_seconds": (float, ((lambda v: v >= 0), "0 (forever) or a positive number")),
    },
    "detector": {
        "backend": (str, _one_of("litert", "mediapipe")),
        "model": (str, _any_text()),
        "min_confidence": (float, _between(0.0, 1.0)),
        "crop_margin": (float, _between(0.0, 1.0)),
        "align_eyes": (bool, ((lambda v: True), "true or false")),
        "min_face_pixels": (int, _positive("integer")),
        "num_threads": (int, _between(1, 64)),
        "own_thread": (bool, ((lambda v: True), "true or false")),
    },
    "classifier": {
        "model": (str, _any_text()),
        "num_threads": (int, _between(1, 64)),
        "flip_average": (bool, ((lambda v: True), "true or false")),
    },
    "tracker": {
        "iou_threshold": (float, _between(0.0, 1.0, lo_open=True)),
        "max_missed_frames": (int, _between(0, 10_000)),
        "reidentify": (bool, ((lambda v: True), "true or false")),
        "memory_seconds": (float, _between(0.0, 86_400.0)),
        "match_threshold": (float, _between(0.0, 1.0, lo_open=True)),
    },
    "aggregator": {
        "method": (Method, _one_of(*(m.value for m in Method))),
        "threshold": (float, _between(0.0, 1.0, lo_open=True)),
        "label_set": (LabelSet, _one_of(*LABEL_SET_WORDS)),
        "window_seconds": (float, _positive()),
        "min_frames": (int, _positive("integer")),
        "emit_interval_seconds": (float, _positive()),
        "baseline_seconds": (float, _between(0.0, 600.0)),
    },
    "log": {
        "dir": (str, _any_text()),
        "frames": (bool, ((lambda v: True), "true or false")),
    },
    "dashboard": {
        "refresh_hz": (float, _between(0.1, 30.0)),
        "status_interval_seconds": (float, _positive()),
    },
    "geometry": {
        "enabled": (object, _switch()),
        "interval_seconds": (float, _between(0.0, 60.0)),
        "max_age_seconds": (float, _between(0.0, 60.0)),
        "min_face_pixels": (float, _between(1.0, 10_000.0)),
        "max_outside": (float, _between(0.0, 1.0)),
        "min_presence": (float, _between(0.0, 1.0)),
        "drop_false_faces": (bool, _BOOL),
        "num_threads": (int, _between(1, 64)),
        "log_landmarks": (bool, _BOOL),
    },
    "lsl": {
        "enabled": (bool, ((lambda v: True), "true or false")),
        "name": (str, _any_text()),
        "wait_for_recorder": (float, ((lambda v: v >= 0), "0 (no wait) or a positive number")),
    },
}


def coerce(section: str, key: str, value: Any, origin: str = "config") -> Any:
    """Check one value against the schema; return it in its Python type or raise ConfigError."""
    if section not in _SCHEMA:
        raise ConfigError(
            f"{origin}: unknown section [{section}]",
            "known sections: " + ", ".join(_SCHEMA),
        )
    keys = _SCHEMA[section]
    if key not in keys:
        raise ConfigError(
            f"{origin}: unknown key {section}.{key}",
            f"known keys in [{section}]: " + ", ".join(keys),
        )
    kind, (check, allowed) = keys[key]
    choice = kind if issubclass(kind, Enum) else None  # checked as its word, returned typed
    if choice is not None:
        kind = str
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is str and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # label_set = 7 and source.default = 0 read naturally as numbers
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(
            f"{origin}: {section}.{key} = {value!r} is not {allowed}",
            f"expected a {kind.__name__}",
        )
    if isinstance(value, float) and not math.isfinite(
        value
    ):  # inf would reach the JSON log as Infinity
        raise ConfigError(f"{origin}: {section}.{key} = {value!r} is not a finite number")
    if not check(value):
        raise ConfigError(f"{origin}: {section}.{key} = {value!r} is not {allowed}")
    return value if choice is None else choice(value)


def from_mapping(data: dict[str, Any], base_dir: Path, origin: str = "config") -> Config:
    """Build a Config from parsed TOML, rejecting unknown sections and keys."""
    sections: dict[str, Any] = {}
    for section, values in data.items():
        if not isinstance(values, dict):
            raise ConfigError(
                f"{origin}: {section!r} must be a [section], not a value",
                "known sections: " + ", ".join(_SCHEMA),
            )
        checked = {key: coerce(section, key, value, origin) for key, value in values.items()}
        sections[section] = SECTION_TYPES[section](**checked)
    return Config(**sections, base_dir=base_dir)


def load(path: Path | None, base_dir: Path | None = None) -> Config:
    """Read ``path`` (or the built-in defaults when None) into a validated Config.

    Relative paths in it are taken from ``base_dir``, by default the file's own folder.
    """
    if path is None:
        return Config()
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist", "pass --config PATH") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"config file {path} is not UTF-8 text (byte {exc.start})", "save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    base = base_dir if base_dir is not None else path.resolve().parent
    return from_mapping(data, base, origin=str(path))


def load_source(source: ConfigSource) -> Config:
    """The Config of a file found by ``config_paths.find_config``; relative paths as it says."""
    return load(source.path, source.relative_base)


def with_overrides(
    config: Config, overrides: dict[str, Any], flags: dict[str, str] | None = None
) -> Config:
    """Apply ``{"section.key": value}`` overrides (None values are skipped), validated.

    ``flags`` names the command-line flag each key came from, for error messages.
    """
    sections: dict[str, Any] = {}
    for dotted, value in overrides.items():
        if value is None:
            continue
        section, key = dotted.split(".", 1)
        origin = (flags or {}).get(dotted, f"--{key.replace('_', '-')}")
        checked = coerce(section, key, value, origin=origin)
        sections.setdefault(section, {})[key] = checked
    changed = {s: replace(getattr(config, s), **kv) for s, kv in sections.items()}
    return replace(config, **changed)
