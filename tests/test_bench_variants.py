"""benchmarks/bench_variants.py and benchmarks/variant_readings.py: they run on the real model
files and say what is wrong in one line (figures: docs/benchmarks.md, "Cheaper model variants")."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from clips import ROOT, load_benchmark


def _script(name: str) -> ModuleType:
    return load_benchmark(name)


def test_the_table_has_a_row_for_each_model_and_a_time_for_each_setting(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bench = _script("bench_variants")
    assert bench.main(["--threads", "1,2", "--rounds", "1", "--seconds", "0.001"]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = [line for line in out if re.match(r"\| \w+ \| \w+\.tflite \|", line)]
    assert [row.split(" | ")[1] for row in rows] == [
        "emotion_mix3.tflite",
        "face_landmarks_detector.tflite",
        "face_blendshapes.tflite",
        "expression_mobilefacenet.tflite",
    ]
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")][3:]
        assert len(cells) == 3  # XNNPACK at 1 and 2 threads, then without XNNPACK
        for cell in cells:  # "wall (CPU)" milliseconds
            wall, cpu = re.fullmatch(r"([0-9.]+) \(([0-9.]+)\)", cell).groups()  # type: ignore[union-attr]
            assert float(wall) > 0 and float(cpu) >= 0


def test_the_readings_script_says_in_one_line_when_the_data_is_absent(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "variant_readings.py"),
            "x.npz",
            "--data",
            str(tmp_path / "nowhere"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        f"error: no shared data at {tmp_path / 'nowhere'}; give --data"
    ]


class _Int8Interpreter:
    """A stand-in for a full-integer file's interpreter: input 0 and output 1 are int8."""

    def __init__(self) -> None:
        self.stored: dict[int, np.ndarray] = {}

    def get_tensor_details(self) -> list[dict[str, object]]:
        return [
            {"index": 0, "dtype": np.int8, "quantization": (0.5, -10)},
            {"index": 1, "dtype": np.int8, "quantization": (0.25, 3)},
            {"index": 2, "dtype": np.float32, "quantization": (0.0, 0)},
        ]

    def set_tensor(self, index: int, value: np.ndarray) -> None:
        self.stored[index] = value

    def get_tensor(self, index: int) -> np.ndarray:
        return self.stored[index]


def test_a_full_integer_file_is_fed_and_read_by_its_own_scales() -> None:
    readings = _script("variant_readings")
    inner = _Int8Interpreter()
    io = readings.FloatIo(inner)
    io.set_tensor(0, np.array([0.0, 1.0, -3.0, 1000.0], np.float32))
    assert inner.stored[0].dtype == np.int8
    assert inner.stored[0].tolist() == [-10, -8, -16, 127]  # x / 0.5 - 10, clipped
    inner.stored[1] = np.array([3, 7], np.int8)
    np.testing.assert_allclose(io.get_tensor(1), [0.0, 1.0])  # (q - 3) * 0.25
    io.set_tensor(2, np.array([0.3], np.float32))  # a float tensor passes unchanged
    assert inner.stored[2].dtype == np.float32
