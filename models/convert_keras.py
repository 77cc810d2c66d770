"""Convert the FER2013 Mini-Xception Keras file to a float32 TFLite flatbuffer.

Run inside an environment that has TensorFlow (the rebuild script makes one);
streamfer itself never imports TensorFlow.

    python convert_keras.py emotion_model.hdf5 out.tflite
"""

from __future__ import annotations

import sys

import numpy as np


def main(keras_path: str, tflite_path: str) -> None:
    import tensorflow as tf

    try:
        model = tf.keras.models.load_model(keras_path, compile=False)
    except Exception:  # Keras 3 reads old HDF5 files through its legacy loader
        from keras.src.legacy.saving import legacy_h5_format

        model = legacy_h5_format.load_model_from_hdf5(keras_path, compile=False)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = []  # keep float32 weights: no quantisation
    flatbuffer = converter.convert()
    with open(tflite_path, "wb") as out:
        out.write(flatbuffer)

    # Check the conversion against Keras on random inputs in the model's range.
    interpreter = tf.lite.Interpreter(model_content=flatbuffer)
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]
    outp = interpreter.get_output_details()[0]
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(32):
        x = rng.uniform(-1.0, 1.0, size=(1, 64, 64, 1)).astype(np.float32)
        interpreter.set_tensor(inp["index"], x)
        interpreter.invoke()
        diff = np.abs(interpreter.get_tensor(outp["index"]) - model(x, training=False).numpy())
        worst = max(worst, float(diff.max()))
    print(f"max |tflite - keras| over 32 random inputs: {worst:.2e}")
    if worst > 1e-4:
        raise SystemExit("conversion disagrees with Keras")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
