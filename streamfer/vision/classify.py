"""Emotion classification of face crops with the Mini-Xception TFLite model on the CPU."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from streamfer.errors import ModelError
from streamfer.vision.align import INPUT_SIZE, normalise
from streamfer.vision.models import read_model
from streamfer.vision.quiet import quiet_stderr


class EmotionClassifierBackend(Protocol):
    def classify(self, crop: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]: ...


def _interpreter_class() -> Any:
    """LiteRT's Interpreter, or tflite_runtime's where only that is installed."""
    try:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter
    except ImportError:
        pass
    try:
        from tflite_runtime.interpreter import Interpreter

        return Interpreter
    except ImportError:
        raise ModelError(
            "no TFLite interpreter is installed",
            "pip install ai-edge-litert",
        ) from None


class TFLiteEmotionClassifier:
    """The FER2013 Mini-Xception: a 64x64 grayscale crop in, 7 probabilities out."""

    def __init__(self, model_path: Path, num_threads: int = 1) -> None:
        data = read_model(model_path, "emotion")
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
        if tuple(inp["shape"]) != (1, INPUT_SIZE, INPUT_SIZE, 1) or tuple(out["shape"]) != (1, 7):
            raise ModelError(
                f"emotion model {model_path} takes {tuple(inp['shape'])} and gives "
                f"{tuple(out['shape'])}; expected (1, 64, 64, 1) -> (1, 7)"
            )
        self._input = inp["index"]
        self._output = out["index"]
        self._first = True

    def classify(self, crop: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """Softmax scores in EMOTIONS order for a 64x64 uint8 grayscale crop."""
        self._interpreter.set_tensor(self._input, normalise(crop))
        if self._first:  # the first invoke prints XNNPACK set-up lines
            with quiet_stderr():
                self._interpreter.invoke()
            self._first = False
        else:
            self._interpreter.invoke()
        return np.array(self._interpreter.get_tensor(self._output)[0], dtype=np.float32)
