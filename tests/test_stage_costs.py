"""``benchmarks/stage_costs.py`` (issue #29): every stage of the default pipeline is found and
timed in a real run, at the rates the defaults give, and the Raspberry Pi 4 estimate follows
its stated method. No figure is asserted: only what was counted and how the table is drawn."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest
from clips import ROOT, load_benchmark

from streamfer.config.settings import Config


def stage_costs() -> ModuleType:
    return load_benchmark("stage_costs")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    """The script's quick run, as its own process (it pins itself to one core)."""
    folder = tmp_path_factory.mktemp("stages")
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "stage_costs.py"),
            "--quick",
            "--json",
            str(folder / "out.json"),
            "--markdown",
            str(folder / "out.md"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads((folder / "out.json").read_text())
    return data, (folder / "out.md").read_text()


def test_every_stage_of_the_default_is_called_at_the_default_rates(
    quick_run: tuple[dict[str, Any], str],
) -> None:
    """The probes find each stage in a real run of the one-face clip (a probe left on a
    function the pipeline no longer calls would count nothing), and the calls a frame are
    the defaults': every frame, five times a second, once a second, when a track starts."""
    data, _ = quick_run
    rows = data["run"]["rows"]
    frames = data["run"]["frames"]
    assert frames == 60  # 2 s at 30 fps
    every_frame = ("crop", "fusion", "tracking", "people", "aggregation", "logging")
    for key in every_frame:
        assert rows[key]["calls_per_frame"] == pytest.approx(1.0), key
    # [classifier] alternate_flip: both views on the person's first frame, then one a frame
    assert rows["cnn"]["calls_per_frame"] == pytest.approx(1 / 60)
    assert rows["cnn_one"]["calls_per_frame"] == pytest.approx(59 / 60)
    # the detector every [detector] detect_every_frames (the faces followed between): one
    # face that stays in view, so no frame between is detected early
    every = Config().detector.detect_every_frames
    assert rows["detect_short"]["calls_per_frame"] == pytest.approx(math.ceil(60 / every) / 60)
    for key in ("landmarks", "blendshapes", "head_pose", "geometry_head", "second"):
        # [geometry] interval_seconds 0.2 at 30 fps: frames 0, 6, 12, ... (10 of 60)
        assert rows[key]["calls_per_frame"] == pytest.approx(10 / 60), key
    # the full-range check on the first frame and once a second of video: 2 of 60
    assert rows["detect_full"]["calls_per_frame"] == pytest.approx(2 / 60)
    # re-identification: described on the track's second frame and at 1 s
    assert 0 < rows["describe"]["calls_per_frame"] < 0.1
    for key, row in rows.items():
        assert row["ms_per_frame"] > 0, key


def test_the_table_has_every_stage_and_the_whole(quick_run: tuple[dict[str, Any], str]) -> None:
    data, table = quick_run
    module = stage_costs()
    for name in module.NAMES.values():
        assert f"| {name} |" in table
    for key in module.FACE_STAGES:
        assert data["per_call"][key]["n"] >= 1, key
        if module.MODEL_OF[key]:  # the model's invoke was timed inside the call
            assert data["per_call"][key]["model_median_ms"] > 0, key
    assert "the whole pipeline, one core" in table
    assert "decoding the clip" in table
    assert "Pi 4 (estimates, not measurements)" in table
    assert data["whole"]["one core"]["pipeline_fps"] > 0
    assert data["whole"]["all cores"]["decode_fps"] > 0


def test_the_pi4_estimate_is_mac_count_over_rate_plus_the_rest_scaled() -> None:
    """A model stage: its MACs at 1.7-1.9 GMAC/s, plus the rest of its call times the ratio
    of the describer's Pi estimate to its time here; a stage without a model: the ratio."""
    module = stage_costs()

    def stats(median: float, model: float = 0.0) -> dict[str, float]:
        return {
            "median_ms": median,
            "p95_ms": median,
            "mean_ms": median,
            "n": 10.0,
            "model_median_ms": model,
            "rest_median_ms": median - model,
        }

    macs = {m: 1e6 for m in {m for m in module.MODEL_OF.values() if m}}
    macs["face_describer"] = 567.7e6
    data = {
        "macs": macs,
        "per_call": {
            "landmarks": stats(3.0, 1.0),
            "crop": stats(0.1),
            "describe": stats(11.0, 10.0),
        },
        "run": {
            "rows": {
                "landmarks": {"calls_per_frame": 0.5},
                "crop": {"calls_per_frame": 1},
                "describe": {"calls_per_frame": 0.0},
            }
        },
    }
    pi = module.pi4_estimates(data)
    slow, fast = 567.7 / 1.7, 567.7 / 1.9  # ms for the describer on a Pi 4 core
    assert pi["ratio"] == pytest.approx((fast / 10.0, slow / 10.0))
    # landmarks: 1 M MACs (0.53-0.59 ms) + (3 - 1) ms x the ratio; half the frames
    low, high = pi["rows"]["landmarks"]["call_ms"]
    assert low == pytest.approx(1 / 1.9 + 2.0 * fast / 10.0)
    assert high == pytest.approx(1 / 1.7 + 2.0 * slow / 10.0)
    assert pi["rows"]["landmarks"]["frame_ms"][0] == pytest.approx(low / 2)
    assert pi["rows"]["crop"]["call_ms"][1] == pytest.approx(0.1 * slow / 10.0)
