"""The settings that take one of a few values, as enums decided once in config validation.

Each is a ``str`` enum whose value is the word in ``config.toml``, on the command line and in
the log, so it is written to JSON unchanged.
"""

from __future__ import annotations

from enum import Enum


class _Word(str, Enum):
    """Prints as its value: ``f"{Method.TOP1}"`` is ``top1`` on every Python version."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class LabelSet(_Word):
    """Which labels the representative emotion uses.

    ``emotions``: the model's own (FER2013's 7 or FER+'s 8, as its sidecar names them);
    ``3``: negative, positive, neutral. ``7`` and ``8`` (older configs and logs) read as
    ``emotions``, ``broad`` as ``3``.
    """

    EMOTIONS = "emotions"  # the model's emotions: 7 (FER2013) or 8 (FER+, with contempt)
    BROAD = "3"  # negative, positive, neutral

    @classmethod
    def _missing_(cls, value: object) -> LabelSet | None:
        aliases = {"7": cls.EMOTIONS, "8": cls.EMOTIONS, "broad": cls.BROAD}
        return aliases.get(str(value))


#: Every word ``label_set`` accepts in config.toml and on the command line.
LABEL_SET_WORDS = ("emotions", "3", "7", "8", "broad")


class Method(_Word):
    """How a window's representative emotion is chosen."""

    THRESHOLD = "threshold"  # the paper's rule at a threshold
    TOP1 = "top1"  # the most frequent label (the rule at threshold 1.0)


class Pace(_Word):
    """How a recorded source is read."""

    REAL_TIME = "real_time"  # at its own frame rate, newest frame wins (as a camera would)
    AS_FAST_AS_POSSIBLE = "as_fast_as_possible"  # every frame, as fast as the pipeline goes

    @classmethod
    def of(cls, realtime: bool) -> Pace:
        return cls.REAL_TIME if realtime else cls.AS_FAST_AS_POSSIBLE
