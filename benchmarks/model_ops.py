"""Multiply-accumulate counts of the shipped models, for the Raspberry Pi estimate.

    python benchmarks/model_ops.py

Counts the MACs of every convolution, depthwise convolution and fully connected layer from the
tensor shapes the LiteRT interpreter reports (other ops are memory-bound and small here). The
per-frame estimate for a Pi in docs/benchmarks.md divides these counts by a sustained MAC rate
per core; the script prints the counts only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from streamfer.config.settings import Config

MODELS = (
    "models/blazeface_short_range.tflite",
    "models/blazeface_full_range_sparse.tflite",
    "models/emotion_mini_xception_f32.tflite",
    "models/face_landmarks_detector.tflite",
    "models/face_blendshapes.tflite",
    "models/expression_mobilefacenet.tflite",
    "models/emotion_mix3.tflite",
)


def macs(path: Path) -> dict[str, int]:
    """MACs per op kind for one invocation of the model at ``path``."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter: Any = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    shapes = {
        t["index"]: tuple(int(v) for v in t["shape"]) for t in interpreter.get_tensor_details()
    }
    totals: dict[str, int] = {}
    for op in interpreter._get_ops_details():
        name = op["op_name"]
        if name not in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            continue
        out = shapes[int(op["outputs"][0])]
        weights = shapes[int(op["inputs"][1])]
        if name == "CONV_2D":  # weights (Cout, kh, kw, Cin), output (1, H, W, Cout)
            count = out[1] * out[2] * out[3] * weights[1] * weights[2] * weights[3]
        elif name == "DEPTHWISE_CONV_2D":  # weights (1, kh, kw, C)
            count = out[1] * out[2] * out[3] * weights[1] * weights[2]
        else:  # weights (Cout, Cin)
            count = weights[0] * weights[1]
        totals[name] = totals.get(name, 0) + count
    return totals


def main() -> None:
    config = Config()
    for model in MODELS:
        totals = macs(config.resolve_model(model))
        parts = ", ".join(f"{k} {v / 1e6:.1f} M" for k, v in sorted(totals.items()))
        print(f"{Path(model).name:40s} {sum(totals.values()) / 1e6:7.1f} M MACs ({parts})")


if __name__ == "__main__":
    main()
