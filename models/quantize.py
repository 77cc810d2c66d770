"""int8 variants of the default's four per-face models, made from the shipped ``.tflite`` files.

Measured and not shipped (docs/benchmarks.md, "Cheaper model variants": none was both faster
on XNNPACK and read the choosing sets the same); this script remakes them for the next look.
Run in the TensorFlow training environment with Google's ``ai-edge-quantizer`` installed
(``pip install ai-edge-quantizer``; 0.10.0 was used, with TensorFlow 2.21 and
``TF_ENABLE_ONEDNN_OPTS=0``); streamfer itself never imports either. Paths are relative to
the repository:

    python benchmarks/variant_readings.py --dump-calibration OUT/calibration.npz  # streamfer venv
    TF_ENABLE_ONEDNN_OPTS=0 python models/quantize.py OUT [--calibration OUT/calibration.npz]

For each of ``emotion_mix3``, ``face_landmarks_detector``, ``face_blendshapes`` and
``expression_mobilefacenet`` it writes ``OUT/NAME_dynamic.tflite`` (dynamic-range int8: each
weight matrix int8 with a scale per output channel, activations quantized on the fly, float32
in and out) and ``OUT/NAME_fullint8.tflite`` (full-integer int8, ``static_wi8_ai8``, its
activation ranges calibrated on ``--calibration``'s real face inputs, or, without it, on
uniform noise: such a file is good for timing only, never for readings), each with its
source's sidecar beside it where the source has one.

Three of the four models keep their weights as float16 constants behind ``DEQUANTIZE`` ops,
which the quantizer leaves alone; ``float32_constants`` first folds those into float32
constants (the values are unchanged: float16 widens to float32 exactly) and gives a model
without a signature one (``serving_default``, its inputs and outputs), which calibration needs.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

MODELS = Path(__file__).resolve().parent

CANDIDATES = (
    "face_landmarks_detector",
    "face_blendshapes",
    "emotion_mix3",
    "expression_mobilefacenet",
)


def float32_constants(source: Path, out: Path, strip: bool = True) -> int:
    """``source`` with every float16 constant behind a DEQUANTIZE op made a float32 constant
    (the op removed) and a ``serving_default`` signature where it has none; with ``strip``,
    the float16 constants no op reads any more emptied (the quantizer's calibration wants
    them kept). Returns the number of constants folded."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model(str(source))
    codes = [max(c.builtinCode, c.deprecatedBuiltinCode) for c in model.operatorCodes]
    folded = 0
    for graph in model.subgraphs:
        kept = []
        for op in graph.operators:
            if codes[op.opcodeIndex] == schema.BuiltinOperator.DEQUANTIZE:
                src = graph.tensors[op.inputs[0]]
                data = model.buffers[src.buffer].data
                if src.type == schema.TensorType.FLOAT16 and data is not None and len(data):
                    values = np.frombuffer(bytes(data), np.float16).astype(np.float32)
                    buffer = schema.BufferT()
                    buffer.data = np.frombuffer(values.tobytes(), np.uint8)
                    model.buffers.append(buffer)
                    graph.tensors[op.outputs[0]].buffer = len(model.buffers) - 1
                    folded += 1
                    continue
            kept.append(op)
        graph.operators = kept
        if not strip:
            continue
        # tensors no op reads any more: the float16 constants
        read = {i for op in graph.operators for i in op.inputs} | set(graph.outputs)
        for i, tensor in enumerate(graph.tensors):
            if i not in read and i not in graph.inputs and tensor.buffer:
                model.buffers[tensor.buffer].data = None
    if not model.signatureDefs:
        graph = model.subgraphs[0]

        def tensor_map(i: int) -> Any:
            t = schema.TensorMapT()
            t.name, t.tensorIndex = graph.tensors[i].name, i
            return t

        sig = schema.SignatureDefT()
        sig.signatureKey, sig.subgraphIndex = "serving_default", 0
        sig.inputs = [tensor_map(i) for i in graph.inputs]
        sig.outputs = [tensor_map(i) for i in graph.outputs]
        model.signatureDefs = [sig]
    flatbuffer_utils.write_model(model, str(out))
    return folded


def quantize(
    source: Path,
    out: Path,
    recipe_name: str,
    calibration: list[dict[str, np.ndarray]] | None = None,
) -> None:
    """``source`` quantized by ai-edge-quantizer's ``recipe_name``, written to ``out``."""
    from ai_edge_quantizer import quantizer, recipe

    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "float32.tflite"
        float32_constants(source, plain, strip=not recipe_name.startswith("static"))
        q = quantizer.Quantizer(str(plain))
        q.load_quantization_recipe(getattr(recipe, recipe_name)())
        if recipe_name.startswith("static"):
            if not calibration:
                raise ValueError(f"{recipe_name} needs calibration inputs")
            result = q.quantize(q.calibrate({"serving_default": calibration}))
        else:
            result = q.quantize()
        out.write_bytes(bytes(result.quantized_model))


def signature_inputs(path: Path) -> dict[str, tuple[tuple[int, ...], Any]]:
    """Each signature input's name, shape and dtype (after ``float32_constants``)."""
    from ai_edge_litert.interpreter import Interpreter

    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "float32.tflite"
        float32_constants(path, plain, strip=False)
        runner = Interpreter(model_path=str(plain)).get_signature_runner("serving_default")
        return {
            name: (tuple(int(v) for v in d["shape"]), d["dtype"])
            for name, d in runner.get_input_details().items()
        }


def calibration_for(
    name: str, source: Path, stored: dict[str, np.ndarray] | None
) -> tuple[list[dict[str, np.ndarray]], bool]:
    """Calibration inputs for ``name``: the stored real inputs (key ``name``), or uniform noise
    of the input's shape (returned flag False: for timing only)."""
    inputs = signature_inputs(source)
    if len(inputs) != 1:
        raise ValueError(f"{source} has {len(inputs)} inputs; expected one")
    ((key, (shape, dtype)),) = inputs.items()
    if stored is not None and name in stored:
        batch = stored[name].astype(dtype)
        return [{key: x.reshape(shape)} for x in batch], True
    rng = np.random.default_rng(0)
    return [{key: rng.random(shape).astype(dtype)} for _ in range(16)], False


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("out", type=Path, help="the folder to write the variants into")
    p.add_argument("--calibration", type=Path, help="real model inputs (an .npz by model name)")
    a = p.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    stored = dict(np.load(a.calibration)) if a.calibration else None
    for name in CANDIDATES:
        source = MODELS / f"{name}.tflite"
        sidecar = MODELS / f"{name}.json"
        for recipe_name, tag in (("dynamic_wi8_afp32", "dynamic"), ("static_wi8_ai8", "fullint8")):
            out = a.out / f"{name}_{tag}.tflite"
            calibration, real = None, True
            if recipe_name.startswith("static"):
                calibration, real = calibration_for(name, source, stored)
            try:
                quantize(source, out, recipe_name, calibration)
            except Exception as exc:  # a recipe the quantizer cannot apply: say so, go on
                print(f"{out.name}: not made ({type(exc).__name__}: {exc})")
                continue
            if sidecar.exists():
                shutil.copy(sidecar, out.with_suffix(".json"))
            note = "" if real else " (calibrated on noise: for timing only)"
            print(f"{out.name}: {out.stat().st_size:,} bytes, sha256 {sha256(out)[:12]}{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
