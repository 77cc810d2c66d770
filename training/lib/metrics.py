"""Running a candidate ``.tflite`` on face arrays, and the figures we report (no TensorFlow).

A candidate is described by its sidecar JSON (``model.json`` beside ``model.tflite``): input
side, pixel scale and offset, class names, and the training prior, so a post-hoc prior power
``alpha`` can be applied to its probabilities: ``p * prior**alpha``, renormalised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt


@dataclass
class Candidate:
    """A loaded TFLite emotion model and what its sidecar says about it."""

    path: Path
    size: int
    scale: float
    offset: float
    classes: tuple[str, ...]
    prior: npt.NDArray[np.float64] | None
    interpreter: Any

    @classmethod
    def load(cls, path: Path, num_threads: int = 1) -> Candidate:
        from ai_edge_litert.interpreter import Interpreter

        sidecar = path.with_suffix(".json")
        if sidecar.is_file():
            card = json.loads(sidecar.read_text())
            size = int(card["input"]["height"])
            scale, offset = float(card["input"]["scale"]), float(card["input"]["offset"])
            classes = tuple(card["classes"])
            prior = np.asarray(card["prior"], np.float64) if card.get("prior") else None
        else:  # the FER2013 Mini-Xception shipped before sidecars existed
            size, scale, offset = 64, 2.0 / 255.0, -1.0
            classes = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
            prior = None
        interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
        interpreter.allocate_tensors()
        return cls(path, size, scale, offset, classes, prior, interpreter)

    def probs(self, faces: npt.NDArray[np.uint8], flip: bool = False) -> npt.NDArray[np.float64]:
        """Probabilities for gray faces (N, s, s) of any side s (resized with INTER_AREA)."""
        inp = self.interpreter.get_input_details()[0]["index"]
        out = self.interpreter.get_output_details()[0]["index"]
        result = np.empty((len(faces), len(self.classes)))
        for i, face in enumerate(faces):
            if face.shape[0] != self.size:
                interp = cv2.INTER_AREA if face.shape[0] > self.size else cv2.INTER_LINEAR
                face = cv2.resize(face, (self.size, self.size), interpolation=interp)
            x = face.astype(np.float32) * self.scale + self.offset
            self.interpreter.set_tensor(inp, x[None, :, :, None])
            self.interpreter.invoke()
            p = np.array(self.interpreter.get_tensor(out)[0], np.float64)
            if flip:
                self.interpreter.set_tensor(inp, x[None, :, ::-1, None].copy())
                self.interpreter.invoke()
                p = (p + self.interpreter.get_tensor(out)[0]) / 2.0
            result[i] = p
        return result

    def adjust(self, probs: npt.NDArray[np.float64], alpha: float) -> npt.NDArray[np.float64]:
        """Multiply by ``prior**alpha`` and renormalise (alpha 0: unchanged)."""
        if alpha == 0.0 or self.prior is None:
            return probs
        p = probs * self.prior[None, :] ** alpha
        return np.asarray(p / p.sum(axis=1, keepdims=True), np.float64)


def scores(truth: list[str], predicted: list[str], classes: tuple[str, ...]) -> dict[str, Any]:
    """Accuracy, per-class recall and confusion (rows: true class) for faces of known classes.

    Faces whose true class the model cannot output are counted in ``left_out`` and not scored.
    A prediction outside ``classes`` (such as "no face") counts wrong, in its own column.
    """
    truth_classes = sorted({t for t in truth if t in classes}, key=classes.index)
    pairs = [(t, p) for t, p in zip(truth, predicted, strict=True) if t in classes]
    left_out = len(truth) - len(pairs)
    confusion = {t: dict.fromkeys(classes, 0) for t in truth_classes}
    for t, p in pairs:
        confusion[t][p] = confusion[t].get(p, 0) + 1
    recall = {
        t: round(confusion[t][t] / max(1, sum(confusion[t].values())), 4) for t in truth_classes
    }
    correct = sum(t == p for t, p in pairs)
    return {
        "n": len(pairs),
        "accuracy": round(correct / max(1, len(pairs)), 4),
        "correct": correct,
        "recall": recall,
        "min_recall": min(recall.values()) if recall else None,
        "confusion": confusion,
        "left_out": left_out,
    }
