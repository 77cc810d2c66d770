"""Emotion classification of face crops with a self-describing TFLite model on the CPU."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from streamfer.core.errors import ModelError
from streamfer.vision.align import normalise
from streamfer.vision.litert import invoke, open_interpreter
from streamfer.vision.modelcard import read_card


class EmotionClassifierBackend(Protocol):
    """Probabilities over ``classes`` for one ``input_size`` square grayscale crop."""

    classes: tuple[str, ...]
    input_size: int

    def classify(self, crop: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]: ...


class TFLiteEmotionClassifier:
    """A TFLite emotion model described by its sidecar (``NAME.json`` beside ``NAME.tflite``).

    Input side, pixel scaling and class names come from the sidecar; ``flip_average``
    (default: the sidecar's crop setting) averages the crop's and its mirror's scores.
    """

    def __init__(
        self, model_path: Path, num_threads: int = 1, flip_average: bool | None = None
    ) -> None:
        self._interpreter = open_interpreter(model_path, "emotion", num_threads)
        self.card = read_card(model_path)
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

    def classify_view(self, crop: npt.NDArray[np.uint8], mirrored: bool) -> npt.NDArray[np.float32]:
        """One run of the model: the crop's scores, or its mirror image's (``mirrored``)."""
        x = normalise(crop, self.card.scale, self.card.offset)
        return self._run(np.ascontiguousarray(x[:, :, ::-1, :]) if mirrored else x)
