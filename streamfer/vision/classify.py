"""Emotion classification of face crops with a self-describing TFLite model on the CPU."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from streamfer.errors import ModelError
from streamfer.vision.align import normalise
from streamfer.vision.modelcard import read_card
from streamfer.vision.models import read_model
from streamfer.vision.quiet import quiet_stderr


class EmotionClassifierBackend(Protocol):
    """Probabilities over ``classes`` for one ``input_size`` square grayscale crop."""

    classes: tuple[str, ...]
    input_size: int

    def classify(self, crop: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]: ...


def _interpreter_class() -> Any:
    """LiteRT's Interpreter, or tflite_runtime's where only that is installed."""
    try:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter
    except ImportError as exc:
        _reraise_interrupt(exc)
    try:
        from tflite_runtime.interpreter import Interpreter

        return Interpreter
    except ImportError as exc:
        _reraise_interrupt(exc)
        raise ModelError(
            "no TFLite interpreter is installed",
            "pip install ai-edge-litert",
        ) from None


def _reraise_interrupt(error: BaseException) -> None:
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


class TFLiteEmotionClassifier:
    """A TFLite emotion model described by its sidecar (``NAME.json`` beside ``NAME.tflite``).

    Input side, pixel scaling and class names come from the sidecar; ``flip_average``
    (default: the sidecar's crop setting) averages the crop's and its mirror's scores.
    """

    def __init__(
        self, model_path: Path, num_threads: int = 1, flip_average: bool | None = None
    ) -> None:
        data = read_model(model_path, "emotion")
        self.card = read_card(model_path)
        interpreter_class = _interpreter_class()
        try:
            with quiet_stderr():
                self._interpreter = interpreter_class(model_content=data, num_threads=num_threads)
                self._interpreter.allocate_tensors()
        except Exception as exc:  # the interpreter raises ValueError/RuntimeError on bad files
            raise ModelError(
                f"emotion model {model_path} could not be loaded: {exc}",
                "restore it with 'git checkout models/'",
            ) from None
        inp = self._interpreter.get_input_details()[0]
        out = self._interpreter.get_output_details()[0]
        size, k = self.card.size, len(self.card.classes)
        if tuple(inp["shape"]) != (1, size, size, 1) or tuple(out["shape"]) != (1, k):
            raise ModelError(
                f"emotion model {model_path} takes {tuple(int(v) for v in inp['shape'])} and gives "
                f"{tuple(int(v) for v in out['shape'])}; its sidecar says (1, {size}, {size}, 1) -> (1, {k})"
            )
        self.classes = self.card.classes
        self.input_size = size
        self.flip_average = self.card.crop.flip_average if flip_average is None else flip_average
        self._input = inp["index"]
        self._output = out["index"]
        self._first = True

    def _run(self, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        self._interpreter.set_tensor(self._input, x)
        invoke(self._interpreter, quiet=self._first)
        self._first = False
        return np.array(self._interpreter.get_tensor(self._output)[0], dtype=np.float32)

    def classify(self, crop: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """Scores in ``classes`` order for an ``input_size`` square uint8 grayscale crop."""
        x = normalise(crop, self.card.scale, self.card.offset)
        probs = self._run(x)
        if self.flip_average:
            probs = (probs + self._run(np.ascontiguousarray(x[:, :, ::-1, :]))) / 2.0
        return probs


def invoke(interpreter: Any, quiet: bool) -> None:
    """Run a LiteRT interpreter; ``quiet`` silences the XNNPACK set-up lines a first run prints."""
    if quiet:
        with quiet_stderr():
            interpreter.invoke()
    else:
        interpreter.invoke()
