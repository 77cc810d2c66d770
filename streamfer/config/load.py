"""``config.toml``: read, validate into typed settings, apply command-line overrides.

Every key is declared once in ``_SCHEMA`` with its type and allowed values; an unknown key or
a bad value raises ConfigError naming the key, the value and what is allowed. The settings
types themselves (``Config`` and one per section) live in ``config/settings.py``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import replace
from enum import Enum
from pathlib import Path
from typing import Any

from streamfer.config.paths import ConfigSource
from streamfer.config.settings import (
    SECTION_TYPES,
    Config,
)
from streamfer.core.choices import LABEL_SET_WORDS, LabelSet, Method
from streamfer.core.errors import ConfigError
from streamfer.core.safetext import has_unsafe

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
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


def _plain_text() -> tuple[Check, str]:
    """Text shown or sent as a name (LSL stream names are C strings: a NUL cuts them)."""
    return (lambda v: bool(v) and not has_unsafe(v)), "a non-empty text without control characters"


def _one_of(*options: str) -> tuple[Check, str]:
    return (lambda v: v in options), "one of " + ", ".join(repr(o) for o in options)


def _switch() -> tuple[Check, str]:
    """true, false or "auto" (checked as any value: TOML gives a bool or a string)."""
    return (lambda v: isinstance(v, bool) or v == "auto"), 'true, false or "auto"'


def _threads_or_auto() -> tuple[Check, str]:
    """A thread count, 1 to 64, or "auto"."""
    return (
        lambda v: v == "auto" or (type(v) is int and 1 <= v <= 64)
    ), 'a whole number in [1, 64] or "auto"'


_BOOL: tuple[Check, str] = ((lambda v: True), "true or false")

# section -> key -> (python type, (check, description of allowed values))
_SCHEMA: dict[str, dict[str, tuple[type, tuple[Check, str]]]] = {
    "source": {
        "default": (str, _any_text()),
        "realtime": (bool, ((lambda v: True), "true or false")),
        "queue_size": (int, _positive("integer")),
        "reconnect_seconds": (float, ((lambda v: v >= 0), "0 (forever) or a positive number")),
        "max_pixels": (int, _positive("integer")),
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
        "full_range_check_seconds": (float, _between(0.0, 3600.0)),
        "detect_every_frames": (int, _between(1, 300)),
        "follow_max_shift": (float, _between(0.0, 10.0)),
    },
    "classifier": {
        "model": (str, _any_text()),
        "num_threads": (int, _between(1, 64)),
        "flip_average": (bool, ((lambda v: True), "true or false")),
        "alternate_flip": (bool, ((lambda v: True), "true or false")),
        "smooth_seconds": (float, _between(0.0, 10.0)),
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
        "num_threads": (object, _threads_or_auto()),
        "log_landmarks": (bool, _BOOL),
    },
    "lsl": {
        "enabled": (bool, ((lambda v: True), "true or false")),
        "name": (str, _plain_text()),
        "wait_for_recorder": (float, ((lambda v: v >= 0), "0 (no wait) or a positive number")),
    },
}


#: keys whose value is text but reads naturally as a number (``label_set = 7``, a camera's
#: ``default = 0``); any other text key refuses a number (``[log] dir = 5`` is a mistake)
_NUMBER_AS_TEXT = {("aggregator", "label_set"), ("source", "default")}
#: what each type is, in the words of the hint
_KIND_WORDS = {
    int: "a whole number, such as 3",
    float: "a number, such as 0.5",
    str: 'text in quotes, such as "logs"',
    bool: "true or false",
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
    number = isinstance(value, int) and not isinstance(value, bool)
    if kind is str and number and (section, key) in _NUMBER_AS_TEXT:
        value = str(value)  # label_set = 7 and source.default = 0 read naturally as numbers
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(
            f"{origin}: {section}.{key} = {value!r} is not {allowed}",
            "expected " + _KIND_WORDS.get(kind, f"a value of type {kind.__name__}"),
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
    data = parse_toml(text, str(path))
    base = base_dir if base_dir is not None else path.resolve().parent
    return from_mapping(data, base, origin=str(path))


#: the largest config file read (streamfer's own, every key with its comments, is 10 KB)
MAX_CONFIG_BYTES = 256 * 1024
#: the most parts of a dotted key (``a.b.c``) and the deepest nesting of tables and arrays:
#: tomllib's cost grows with the square of a key's parts (20,000 parts took 1.6 GB) and its
#: recursion with the nesting (100,000 deep overflowed Python's stack)
MAX_KEY_PARTS = 32
MAX_NESTING = 32


def parse_toml(text: str, origin: str) -> dict[str, Any]:
    """``text`` parsed as TOML, or ConfigError naming ``origin``: for invalid TOML, a file
    over ``MAX_CONFIG_BYTES``, a key of more than ``MAX_KEY_PARTS`` parts or nesting deeper
    than ``MAX_NESTING``. A UTF-8 byte-order mark at the start (Windows editors) is ignored."""
    text = text.removeprefix("\ufeff")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{origin} is {size:,} bytes, more than the {MAX_CONFIG_BYTES // 1024} KiB a config "
            "file may be",
            "is it the right file? streamfer's own config.toml is about 10 KB",
        )
    _check_shape(text, origin)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not valid TOML: {exc}") from None
    except (RecursionError, MemoryError):  # a shape _check_shape did not foresee
        raise ConfigError(f"{origin}: too deeply nested to read", "check the file") from None


def _check_shape(text: str, origin: str) -> None:
    """Refuse keys of too many dotted parts and nesting too deep, before tomllib sees them.

    A light scan: strings and comments are skipped; ``[`` and ``{`` open a level; a ``.``
    between two digits is a number's, any other outside strings joins a dotted key.
    """
    depth = dots = 0
    line = 1
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            dots = 0
        elif c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif c in "\"'":
            i, line = _skip_string(text, i, line)
            continue
        elif c in "[{":
            depth += 1
            if depth > MAX_NESTING:
                raise ConfigError(
                    f"{origin}: line {line}: tables or arrays nested more than {MAX_NESTING} deep",
                    "a streamfer config needs [section] and key = value only",
                )
        elif c in "]}":
            depth = max(depth - 1, 0)
        elif c == ".":
            number = 0 < i < n - 1 and text[i - 1].isdigit() and text[i + 1].isdigit()
            if not number:
                dots += 1
                if dots >= MAX_KEY_PARTS:
                    raise ConfigError(
                        f"{origin}: line {line}: a dotted key of more than {MAX_KEY_PARTS} parts",
                        "a streamfer config needs [section] and key = value only",
                    )
        i += 1


def _skip_string(text: str, i: int, line: int) -> tuple[int, int]:
    """The index after the string starting at ``i`` (and the line number there)."""
    quote = text[i]
    triple = text.startswith(quote * 3, i)
    end_mark = quote * 3 if triple else quote
    j = i + len(end_mark)
    while j < len(text):
        c = text[j]
        if c == "\\" and quote == '"':
            j += 2
            continue
        if c == "\n":
            line += 1
            if not triple:  # an unterminated one-line string: tomllib says so
                return j, line - 1
        if text.startswith(end_mark, j):
            return j + len(end_mark), line
        j += 1
    return j, line


def load_source(source: ConfigSource) -> Config:
    """The Config of a file found by ``config.paths.find_config``; relative paths as it says."""
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
