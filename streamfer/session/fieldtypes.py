"""Does a parsed JSON value fit a record field's annotation? (Reading logs back.)

A log written by another version, edited by hand or damaged may hold a ``t`` that is text or
a ``note`` that is a number; ``recordjson`` checks every field with ``conforms`` and turns a
misfit into a bad line instead of a crash somewhere downstream (``report``).
"""

from __future__ import annotations

import types
import typing
from enum import Enum
from typing import Any

_HINTS: dict[type, dict[str, Any]] = {}


def field_hints(cls: type) -> dict[str, Any]:
    """The resolved type annotations of a dataclass's fields (cached)."""
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def conforms(value: Any, hint: Any) -> bool:
    """Whether a parsed JSON ``value`` can stand for a field annotated ``hint``."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(conforms(value, arm) for arm in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is Any:
        return True
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return isinstance(value, str | int) and not isinstance(value, bool)
    if origin in (tuple, list):
        return isinstance(value, list | tuple)
    if origin is dict:
        return isinstance(value, dict)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True
