"""The exceptions streamfer raises where a fault is found.

The CLI turns each into one line on stderr ("streamfer: error: ... hint: ...") and
a non-zero exit code; ``--traceback`` shows the full story.
"""

from __future__ import annotations


class StreamferError(Exception):
    """Base of every error meant for the user. ``hint`` says what to do about it."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        text = self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


class ConfigError(StreamferError):
    """A config file or command-line value that is unknown or out of range."""

    exit_code = 2


class SourceError(StreamferError):
    """A camera, file or stream that cannot be opened or read."""

    exit_code = 3


class SourceLostError(SourceError):
    """A live source that stopped sending frames mid-session."""


class ModelError(StreamferError):
    """A model file that is missing, corrupt or of the wrong shape."""

    exit_code = 4


class OutputError(StreamferError):
    """A log or report that cannot be written (permissions, full disk)."""

    exit_code = 5


class DataError(StreamferError):
    """A labelled data set (calibrate, evaluate) that is missing, empty or malformed."""

    exit_code = 6

    @classmethod
    def nothing_usable(
        cls, path: object, what: str, left_out: dict[str, int], emotions: tuple[str, ...], hint: str
    ) -> DataError:
        """``path`` holds no ``what`` (clip, face) with a label among the model's ``emotions``."""
        left = ", ".join(f"{label} ({n})" for label, n in sorted(left_out.items()))
        return cls(
            f"{path} holds no {what} with a label the model can output"
            + (f"; left out: {left}" if left else ""),
            "usable labels: " + ", ".join(emotions) + "; " + hint,
        )


class ClusterError(StreamferError):
    """A Ray cluster that cannot be reached (``analyze --engine ray --address``)."""

    exit_code = 7


class ResourceError(StreamferError):
    """The machine ran short: memory, or open files (``ulimit -n``), for this process."""

    exit_code = 8


class DiskFullError(OutputError):
    """The disk holding a log or report is full."""
