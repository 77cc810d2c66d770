"""Time per invoke of the default's models and their cheaper variants, by threads and XNNPACK.

    python benchmarks/bench_variants.py [--variants DIR] [--inputs CALIBRATION.npz]
        [--threads 1,2,4] [--rounds 7] [--seconds 0.15]

For each of the default's four per-face models (the emotion CNN ``emotion_mix3``, the landmark
model, the blendshape model, the second expression model) the shipped file, any variant
shipped beside it (``face_blendshapes_int8.tflite``) and, with ``--variants``, the candidates
``models/quantize.py --candidates DIR`` wrote (``NAME_dynamic.tflite``: dynamic-range int8;
``NAME_fullint8.tflite``: full-integer int8) are loaded on LiteRT and invoked on one input:
a real face input from ``--inputs`` (``benchmarks/variant_readings.py --dump-calibration``)
or, without it, uniform noise (an invoke's time does not depend on the values).

Each file runs with XNNPACK (LiteRT's default delegate) at each ``--threads`` count and
without it (LiteRT's built-in kernels, one thread). Rounds are interleaved across files and
settings, each about ``--seconds`` long; the figure is the fastest round's mean time per
invoke (the machine may be shared: the fastest round is the least disturbed one), and in
brackets the process's CPU time per invoke in its least round (all threads together: with one
thread it is the invoke's own cost, little changed by other work on the machine; with more it
shows what the extra threads cost). Prints a table in milliseconds; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from machine import cpu_name

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
#: The default's per-face models and the variants shipped beside them.
SHIPPED = {
    "emotion_mix3": ["emotion_mix3.tflite"],
    "face_landmarks_detector": ["face_landmarks_detector.tflite"],
    "face_blendshapes": ["face_blendshapes.tflite"],
    "expression_mobilefacenet": ["expression_mobilefacenet.tflite"],
}


def interpreter(path: Path, threads: int, xnnpack: bool) -> Any:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    kwargs: dict[str, Any] = {}
    if not xnnpack:
        kwargs["experimental_op_resolver_type"] = OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    it = Interpreter(model_path=str(path), num_threads=threads, **kwargs)
    it.allocate_tensors()
    return it


def feed(it: Any, model: str, inputs: dict[str, np.ndarray] | None) -> None:
    (detail,) = it.get_input_details()
    shape, dtype = tuple(detail["shape"]), detail["dtype"]
    if inputs is not None and model in inputs:
        x = inputs[model][len(inputs[model]) // 2].reshape(shape)
    else:
        x = np.random.default_rng(0).random(shape)
    if dtype == np.int8:  # a full-integer file takes int8: quantize as its input says
        scale, zero = detail["quantization"]
        x = np.clip(np.round(x / scale + zero), -128, 127)
    it.set_tensor(detail["index"], x.astype(dtype))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--variants", type=Path, help="models/quantize.py --candidates' folder")
    p.add_argument("--inputs", type=Path, help="real model inputs (an .npz by model name)")
    p.add_argument("--threads", default="1,2,4")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--seconds", type=float, default=0.15)
    a = p.parse_args(argv)
    threads = [int(t) for t in a.threads.split(",")]
    inputs = dict(np.load(a.inputs)) if a.inputs else None
    files: list[tuple[str, Path]] = []
    for model, names in SHIPPED.items():
        files += [(model, MODELS / n) for n in names if (MODELS / n).exists()]
        if a.variants:
            files += [
                (model, a.variants / f"{model}_{tag}.tflite") for tag in ("dynamic", "fullint8")
            ]
    settings = [(t, True) for t in threads] + [(1, False)]
    runs: list[tuple[str, Path, int, bool, Any, int]] = []
    for model, path in files:
        if not path.exists():
            print(f"{path.name}: missing, left out", file=sys.stderr)
            continue
        for t, xnn in settings:
            it = interpreter(path, t, xnn)
            feed(it, model, inputs)
            start = time.perf_counter()
            it.invoke()
            for _ in range(3):
                it.invoke()
            per = max((time.perf_counter() - start) / 4, 1e-5)
            runs.append((model, path, t, xnn, it, max(3, int(a.seconds / per))))
    best = [float("inf")] * len(runs)
    cpu = [float("inf")] * len(runs)
    for _ in range(a.rounds):
        for k, (_, _, _, _, it, n) in enumerate(runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(n):
                it.invoke()
            best[k] = min(best[k], (time.perf_counter() - start) / n * 1000.0)
            cpu[k] = min(cpu[k], (time.process_time() - start_cpu) / n * 1000.0)
    print(
        f"{datetime.date.today()}, {cpu_name()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}, Python {platform.python_version()}, "
        f"inputs: {'real faces' if inputs else 'uniform noise'}"
    )
    head = [f"XNNPACK, {t} thread{'s' if t > 1 else ''}" for t in threads]
    print("\n| model | file | size (KB) | " + " | ".join(head) + " | no XNNPACK, 1 thread |")
    print("|---|---|---|" + "---|" * (len(threads) + 1))
    by_file: dict[Path, dict[tuple[int, bool], str]] = {}
    for (_, path, t, xnn, _, _), ms, cpu_ms in zip(runs, best, cpu, strict=True):
        by_file.setdefault(path, {})[(t, xnn)] = f"{ms:.3f} ({cpu_ms:.3f})"
    for model, path in files:
        if path not in by_file:
            continue
        cells = [by_file[path][s] for s in settings]
        size = path.stat().st_size // 1000
        print(f"| {model} | {path.name} | {size:,} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
