"""The JSON of log records, both ways: the shared helpers of every record's ``to_json`` and
``from_json`` (``session/start_end.py``, ``session/events.py``).

``record_json`` gives a record's keys in their order on disk; ``record_fields`` takes a
parsed line's fields back, checking each against its annotation (``fieldtypes.conforms``).
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Protocol, TypeVar

from streamfer.core.choices import LabelSet, Method
from streamfer.session.fieldtypes import conforms, field_hints


class Typed(Protocol):
    TYPE: ClassVar[str]

    @property
    def t(self) -> float: ...

    @property
    def ts(self) -> str: ...


def record_json(record: Typed, *names: str, **extra: Any) -> dict[str, Any]:
    """``type``, ``ts``, ``t`` (rounded to 0.1 ms), then the named fields, then ``extra``."""
    out: dict[str, Any] = {"type": record.TYPE, "ts": record.ts, "t": round(record.t, 4)}
    out.update((name, getattr(record, name)) for name in names)
    out.update(extra)
    return out


def choice_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {"method": Method(data["method"]), "label_set": LabelSet(str(data["label_set"]))}


_T = TypeVar("_T")


def record_fields(cls: type[_T], data: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``data`` that are fields of ``cls``; missing required ones raise KeyError,
    a value of the wrong JSON type (a time stamp that is text, a note that is a number)
    raises TypeError naming the field."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    out = {k: v for k, v in data.items() if k in names}
    hints = field_hints(cls)
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in out:
            if f.default is dataclasses.MISSING:
                raise KeyError(f.name)
        elif not conforms(out[f.name], hints[f.name]):
            raise TypeError(f"field {f.name} = {out[f.name]!r} is not {hints[f.name]}")
    return out
