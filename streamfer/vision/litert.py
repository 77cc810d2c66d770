"""LiteRT, the one way every model here runs: finding the interpreter, loading a model file,
running it quietly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streamfer.core.errors import ModelError
from streamfer.core.quiet import quiet_stderr
from streamfer.vision.models import RESTORE_HINT, read_model


def interpreter_class() -> Any:
    """LiteRT's Interpreter, or tflite_runtime's where only that is installed."""
    try:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter
    except ImportError as exc:
        reraise_interrupt(exc)
    try:
        from tflite_runtime.interpreter import Interpreter

        return Interpreter
    except ImportError as exc:
        reraise_interrupt(exc)
        raise ModelError(
            "no TFLite interpreter is installed",
            "pip install ai-edge-litert",
        ) from None


def reraise_interrupt(error: BaseException) -> None:
    """Ctrl-C while a compiled module initialises comes back as an ImportError (pybind11 wraps
    what its init raised): raise it as the KeyboardInterrupt it was (the same one, so a SIGTERM
    stays a SIGTERM: ``session.signals.Interrupted``), not as "not installed"."""
    seen: BaseException | None = error
    visited: set[int] = set()
    while seen is not None and id(seen) not in visited:
        if isinstance(seen, KeyboardInterrupt):
            raise seen.with_traceback(None) from None
        visited.add(id(seen))
        seen = seen.__cause__ or seen.__context__


def open_interpreter(model_path: Path, what: str, num_threads: int) -> Any:
    """A LiteRT interpreter for ``model_path``, tensors allocated; ModelError if unloadable."""
    data = read_model(model_path, what)
    interpreter = interpreter_class()
    try:
        with quiet_stderr():
            loaded = interpreter(model_content=data, num_threads=num_threads)
            loaded.allocate_tensors()
    except Exception as exc:  # the interpreter raises ValueError/RuntimeError on bad files
        raise ModelError(
            f"{what} model {model_path} could not be loaded: {exc}", RESTORE_HINT
        ) from None
    return loaded


def invoke(interpreter: Any, quiet: bool) -> None:
    """Run a LiteRT interpreter; ``quiet`` silences the XNNPACK set-up lines a first run prints."""
    if quiet:
        with quiet_stderr():
            interpreter.invoke()
    else:
        interpreter.invoke()
