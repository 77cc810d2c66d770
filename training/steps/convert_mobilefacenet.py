"""OpenCV Zoo's facial-expression MobileFaceNet (int8 ONNX) rebuilt as a float LiteRT model.

    TF_ENABLE_ONEDNN_OPTS=0 $STREAMFER_TRAIN_DIR/tfvenv/bin/python -m training.steps.convert_mobilefacenet \
        --onnx ../shared/models/facial_expression_recognition_mobilefacenet_2022july_int8.onnx \
        --round-scores --float16 --out models/expression_mobilefacenet.tflite

streamfer runs every model on LiteRT, never on onnxruntime. The ONNX file is in onnxruntime's
int8 operator format (``QLinearConv``, ``QLinearAdd``, ``QLinearMatMul`` between
``QuantizeLinear``/``DequantizeLinear``, float ``PRelu``), which no converter here reads, so
this script walks its graph node by node and rebuilds it in TensorFlow:

1. every int8 weight is dequantized, ``(q - zero_point) * scale`` (per tensor or per output
   channel), every int32 bias with ``input_scale * weight_scale``;
2. each ``QLinearConv`` becomes a float convolution (grouped as depthwise where ``group``
   equals the channel count), NCHW weights turned to TensorFlow's HWIO / HWC1 layout, ONNX's
   explicit pads kept as an explicit ``tf.pad`` (TensorFlow's ``SAME`` pads stride-2 layers
   on one side only, ONNX's graph on both); ``QLinearAdd`` an addition, ``QLinearMatMul`` and
   its bias the final dense layer;
3. the activations stay float: the int8 rounding between layers is not reproduced
   (``--emulate-int8`` reproduces it with round/clip ops, for the parity check only);
4. a softmax is appended, so the output is the 7 probabilities (the ONNX output is scores
   before softmax), and the input is NHWC RGB already scaled to -1..1 (the sidecar says so).

The result is converted with ``tf.lite.TFLiteConverter`` (``--float16``: weights stored as
float16, as shipped; else float32) and
checked against the TensorFlow function on random inputs. The parity with onnxruntime on real
faces is ``training/parity_mobilefacenet.py`` and ``tests/vision/test_expression.py``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # TF 2.21 crashes on this machine without

SIZE = 112


def _arrays(model: Any) -> dict[str, np.ndarray]:
    from onnx import numpy_helper

    return {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}


def _attrs(node: Any) -> dict[str, Any]:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _dequant(q: np.ndarray, scale: np.ndarray, zero: np.ndarray) -> np.ndarray:
    """``(q - zero) * scale``; per output channel when ``scale`` is a vector."""
    q = q.astype(np.float64)
    scale, zero = np.asarray(scale, np.float64), np.asarray(zero, np.float64)
    if scale.ndim == 1 and q.ndim > 1:
        shape = (-1,) + (1,) * (q.ndim - 1)
        scale, zero = scale.reshape(shape), zero.reshape(shape)
    return np.asarray((q - zero) * scale)


def build(onnx_path: Path, emulate_int8: bool = False, round_scores: bool = False) -> Any:
    """A ``tf.function`` (NHWC float input in -1..1 -> 7 probabilities) from the ONNX graph.

    ``emulate_int8``: every activation rounded as onnxruntime's int8 graph rounds it (slow);
    ``round_scores``: only the final scores, which the ONNX graph hands out as 8-bit values
    (steps of ``label_scale``), so near-ties fall the same way."""
    import onnx
    import tensorflow as tf

    model = onnx.load(str(onnx_path))
    w = _arrays(model)
    nodes = list(model.graph.node)
    in_name = model.graph.input[0].name
    out_name = model.graph.output[0].name

    final = {"label_MatMul_scale", "label_scale"}

    def fake_quant(x: Any, scale_name: str, zero_name: str) -> Any:
        if not emulate_int8 and not (round_scores and scale_name in final):
            return x
        s = float(w[scale_name])
        z = float(w[zero_name])
        lo, hi = (0.0, 255.0) if w[zero_name].dtype == np.uint8 else (-128.0, 127.0)
        return (tf.clip_by_value(tf.round(x / s) + z, lo, hi) - z) * s

    def conv(x: Any, kernel: np.ndarray, bias: np.ndarray, attrs: dict[str, Any]) -> Any:
        group = int(attrs.get("group", 1))
        stride = list(attrs.get("strides", [1, 1]))
        pads = list(attrs.get("pads", [0, 0, 0, 0]))  # top, left, bottom, right
        if any(pads):
            x = tf.pad(x, [[0, 0], [pads[0], pads[2]], [pads[1], pads[3]], [0, 0]])
        out_ch, in_per_group = kernel.shape[:2]
        if group == 1:
            k = np.transpose(kernel, (2, 3, 1, 0)).astype(np.float32)  # OIHW -> HWIO
            y = tf.nn.conv2d(x, k, strides=[1, *stride, 1], padding="VALID")
        elif in_per_group == 1 and group == out_ch:
            k = np.transpose(kernel, (2, 3, 0, 1)).astype(np.float32)  # O1HW -> HWO1
            y = tf.nn.depthwise_conv2d(x, k, strides=[1, *stride, 1], padding="VALID")
        else:
            raise ValueError(f"grouped convolution with group {group} is not handled")
        return y + bias.astype(np.float32)

    @tf.function(  # type: ignore[untyped-decorator]
        input_signature=[tf.TensorSpec([1, SIZE, SIZE, 3], tf.float32, name="image")]
    )
    def forward(image: Any) -> Any:
        env: dict[str, Any] = {in_name: image}
        for n in nodes:
            a = _attrs(n)
            i = list(n.input)
            if n.op_type == "QuantizeLinear":
                env[n.output[0]] = fake_quant(env[i[0]], i[1], i[2])
            elif n.op_type == "DequantizeLinear":
                env[n.output[0]] = env[i[0]]
            elif n.op_type == "QLinearConv":
                kernel = _dequant(w[i[3]], w[i[4]], w[i[5]])
                bias_scale = np.asarray(w[i[1]], np.float64) * np.asarray(w[i[4]], np.float64)
                bias = w[i[8]].astype(np.float64) * bias_scale if len(i) > 8 else 0.0
                y = conv(env[i[0]], kernel, np.asarray(bias), a)
                env[n.output[0]] = fake_quant(y, i[6], i[7])
            elif n.op_type == "Conv":
                bias = w[i[2]] if len(i) > 2 else np.zeros(w[i[1]].shape[0])
                env[n.output[0]] = conv(env[i[0]], w[i[1]].astype(np.float64), bias, a)
            elif n.op_type == "PRelu":
                slope = w[i[1]].reshape(-1).astype(np.float32)  # (1, C, 1, 1) -> per channel
                x = env[i[0]]
                env[n.output[0]] = tf.maximum(x, 0.0) + slope * tf.minimum(x, 0.0)
            elif n.op_type == "QLinearAdd":
                if i[3] in env:
                    b = env[i[3]]
                else:
                    b = _dequant(w[i[3]], w[i[4]], w[i[5]]).astype(np.float32)
                y = env[i[0]] + b
                env[n.output[0]] = fake_quant(y, i[6], i[7])
            elif n.op_type == "Flatten":
                env[n.output[0]] = tf.reshape(env[i[0]], [1, -1])  # 1x1 spatial: NHWC = NCHW
            elif n.op_type == "QLinearMatMul":
                m = _dequant(w[i[3]], w[i[4]], w[i[5]]).astype(np.float32)
                env[n.output[0]] = fake_quant(tf.matmul(env[i[0]], m), i[6], i[7])
            else:
                raise ValueError(f"ONNX operator {n.op_type} is not handled")
        return tf.nn.softmax(env[out_name], name="probabilities")

    return forward


def convert(forward: Any, calibration: Path | None = None, float16: bool = False) -> bytes:
    """Float32; with ``calibration`` (an ``.npz`` of aligned RGB faces, ``faces``: N x 112 x
    112 x 3 uint8), int8 weights and activations with float input and output, the activation
    ranges measured on those faces (LiteRT's post-training full-integer quantization)."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [forward.get_concrete_function()], forward
    )
    if float16:  # weights stored as float16 (half the file), computed in float32 on the CPU
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    if calibration is not None:
        faces = np.load(calibration)["faces"].astype(np.float32) * (2.0 / 255.0) - 1.0

        def samples() -> Any:
            for face in faces:
                yield [face[np.newaxis]]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = samples
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.float32
        converter.inference_output_type = tf.float32
    return bytes(converter.convert())


def check(forward: Any, tflite: bytes, n: int = 8) -> float:
    """Largest difference between the TensorFlow function and the TFLite file on random faces."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=tflite)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(n):
        x = rng.uniform(-1, 1, (1, SIZE, SIZE, 3)).astype(np.float32)
        interp.set_tensor(inp["index"], x)
        interp.invoke()
        got = interp.get_tensor(out["index"])
        worst = max(worst, float(np.abs(got - forward(x).numpy()).max()))
    return worst


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--onnx", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--emulate-int8", action="store_true", help="round activations as int8 does")
    p.add_argument(
        "--round-scores", action="store_true", help="round the final scores as int8 does"
    )
    p.add_argument(
        "--int8",
        type=Path,
        metavar="FACES.npz",
        help="quantize to int8, activation ranges from these aligned faces (not choosing photos)",
    )
    p.add_argument("--float16", action="store_true", help="store the weights as float16")
    a = p.parse_args(argv)
    forward = build(a.onnx, a.emulate_int8, a.round_scores)
    data = convert(forward, a.int8, a.float16)
    worst = check(forward, data)
    if worst > (0.1 if a.int8 else 0.01 if a.float16 else 1e-4):
        raise SystemExit(f"the TFLite file differs from the TensorFlow graph by {worst:.2g}")
    a.out.write_bytes(data)
    print(f"{a.out}: {len(data):,} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    print(f"largest difference from the TensorFlow graph on random inputs: {worst:.2g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
