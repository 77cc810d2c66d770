"""``streamfer calibrate`` / ``evaluate`` end to end, through the real CLI.

Clips are built in the test from the London face set (``../shared/data/london_faces``): for
each of 6 people a "happy" clip (neutral, with a short run of the smiling photo) and a
"neutral" clip (the neutral photo only, moving a little). Skipped where that set is absent."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from clips import ROOT, SHARED, load_benchmark
from clips import streamfer as run_cli

from streamfer.config import load as config_module

IDS = ["001", "002", "004", "005", "006", "007"]


FRAMES = 24


BURST = (4, 8)  # frames of smile in a happy clip: a sixth to a third of it


def streamfer(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI with the time a calibration of the London clips may take."""
    return run_cli(*args, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def london(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = SHARED / "data" / "london_faces"
    if not path.exists():
        pytest.skip(f"needs ../shared/data ({path} is absent on this machine)")
    return path


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("calibrate")


@pytest.fixture(scope="module")
def layouts(london: Path, workdir: Path) -> Callable[[str], Path]:
    """Build a layout's clips once per module; returns DATA for ``calibrate``."""
    made: dict[str, Path] = {}

    def build(layout: str) -> Path:
        if layout not in made:
            out = workdir / layout
            load_benchmark("make_london_clips").make_clips(
                london, out, layout, IDS, FRAMES, BURST, seed=4
            )
            made[layout] = out / "manifest.csv" if layout == "manifest" else out
        return made[layout]

    return build


def report_of(result: subprocess.CompletedProcess[str], path: Path) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@pytest.mark.needs_shared_data
def test_calibrate_videos_then_all_from_cache(
    layouts: Callable[[str], Path], workdir: Path
) -> None:
    data = layouts("videos")
    (data / "happy" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 truncated")
    (data / "pride").mkdir(exist_ok=True)  # a label no model outputs
    shutil.copy(data / "happy" / "001.mp4", data / "pride" / "001.mp4")
    cache = workdir / "cache-videos"
    args = ("calibrate", data, "--cache", cache, "--report-json", workdir / "v.json")
    first = report_of(streamfer(*args, cwd=workdir), workdir / "v.json")

    assert first["clips"]["left_out_labels"] == {"pride": 1}
    assert [Path(u["path"]).name for u in first["clips"]["unreadable"]] == ["broken.mp4"]
    assert first["predict"]["frames_decoded"] == 2 * len(IDS) * FRAMES
    for label_set in ("emotions", "3"):
        r = first[label_set]
        assert r["n_clips"] == 2 * len(IDS)
        assert set(r) >= {"top1", "threshold", "mean_prob"}
        # the smile fills a sixth to a third of a happy clip: Top-1 says neutral for most of
        # them, a threshold below a third finds them
        assert r["threshold"]["accuracy"] > r["top1"]["accuracy"]
        assert r["threshold"]["macro_f1"] > r["top1"]["macro_f1"]
        assert 0.05 <= r["threshold"]["threshold"] <= 1 / 3
        assert r["top1"]["accuracy"] <= 0.75
    png = workdir / "v.png"  # beside the report by default
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    again = streamfer(*args, cwd=workdir)
    second = report_of(again, workdir / "v.json")
    assert second["predict"]["frames_decoded"] == 0
    assert second["predict"]["from_cache"] == 2 * len(IDS)
    assert "12 from cache, 0 frames decoded, 1 unreadable" in again.stdout
    for label_set in ("emotions", "3"):
        assert second[label_set]["threshold"] == first[label_set]["threshold"]


@pytest.mark.needs_shared_data
def test_frame_folders_and_manifest_with_subjects(
    layouts: Callable[[str], Path], workdir: Path
) -> None:
    cache = workdir / "cache-frames"
    frames = layouts("frames")
    out = workdir / "f.json"
    plot = workdir / "plots" / "frames.png"
    first = report_of(
        streamfer(
            "calibrate", frames, "--cache", cache, "--report-json", out, "--plot", plot, cwd=workdir
        ),
        out,
    )
    assert first["predict"]["frames_decoded"] == 2 * len(IDS) * FRAMES
    assert not first["clips"]["subjects"]
    assert plot.is_file()
    # the manifest names the same frames (same bytes) elsewhere, with subjects: all cached
    manifest = layouts("manifest")
    second_run = streamfer(
        "calibrate", manifest, "--cache", cache, "--report-json", out, "--no-plot", cwd=workdir
    )
    second = report_of(second_run, out)
    assert second["predict"]["frames_decoded"] == 0
    assert second["clips"]["subjects"]
    # the data set's name on one line (as a table column it was folded over four, #27)
    assert "manifest/manifest.csv: representative emotion per clip" in second_run.stdout
    assert second["emotions"]["cv_folds"] == 5  # 6 subjects, each with a happy and a neutral clip
    # same clips, same predictions: the all-clips sweep does not depend on the fold split
    assert second["emotions"]["sweep"] == first["emotions"]["sweep"]
    assert (
        second["emotions"]["threshold"]["threshold"] == first["emotions"]["threshold"]["threshold"]
    )


@pytest.mark.needs_shared_data
def test_evaluate_and_write_config(layouts: Callable[[str], Path], workdir: Path) -> None:
    frames = layouts("frames")
    cache = workdir / "cache-frames"
    out = workdir / "e.json"
    result = streamfer(
        "evaluate",
        frames,
        "--cache",
        cache,
        "--threshold",
        "0.15",
        "--labels",
        "3",
        "--report-json",
        out,
        "--no-plot",
        cwd=workdir,
    )
    report = report_of(result, out)
    assert report["configured"] == {"method": "threshold", "threshold": 0.15, "label_set": "3"}
    sweep = report["emotions"]["sweep"]
    assert report["emotions"]["threshold"]["threshold"] == 0.15
    assert (
        report["emotions"]["threshold"]["accuracy"]
        == sweep["accuracy"][sweep["thresholds"].index(0.15)]
    )
    assert report["emotions"]["top1"]["accuracy"] == sweep["accuracy"][-1]
    assert report["emotions"]["cv_folds"] is None

    config = workdir / "settings" / "config.toml"
    config.parent.mkdir()
    shutil.copy(ROOT / "config.toml", config)
    (config.parent / "models").symlink_to(ROOT / "models")  # its model paths are relative
    out = workdir / "c.json"
    result = streamfer(
        "calibrate",
        frames,
        "--cache",
        cache,
        "--config",
        config,
        "--labels",
        "3",
        "--write-config",
        "--report-json",
        out,
        "--no-plot",
        cwd=workdir,
    )
    chosen = report_of(result, out)["3"]["threshold"]["threshold"]
    written = config_module.load(config).aggregator
    assert written.threshold == pytest.approx(chosen) and written.label_set == "3"
    assert "# Share of the window (0-1]." in config.read_text()  # comments stay


def test_errors_are_one_line(tmp_path: Path) -> None:
    result = streamfer("calibrate", tmp_path / "nowhere", cwd=tmp_path)
    assert result.returncode == 6
    assert result.stderr.strip().splitlines() == [
        (
            f"streamfer: error: data set {tmp_path / 'nowhere'} does not exist (hint: give a "
            "folder with one sub-folder per label (videos or frame folders inside), or a CSV "
            "manifest with columns path,label[,subject])"
        )
    ]
    (tmp_path / "pride").mkdir()
    (tmp_path / "pride" / "a.mp4").write_bytes(b"x")
    result = streamfer("evaluate", tmp_path, cwd=tmp_path)
    assert result.returncode == 6 and "left out: pride (1)" in result.stderr
    result = streamfer("calibrate", tmp_path, "--write-config", tmp_path / "no.toml", cwd=tmp_path)
    assert result.returncode == 2 and "does not exist" in result.stderr
    (tmp_path / "happy").mkdir()
    (tmp_path / "happy" / "a.mp4").write_bytes(b"x")
    (tmp_path / "bad.toml").write_text('[detector]\nmodel = "missing.tflite"\n')
    result = streamfer("calibrate", tmp_path, "--config", tmp_path / "bad.toml", cwd=tmp_path)
    assert result.returncode == 4 and "face detector model not found" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.needs_shared_data
def test_evaluate_with_each_clip_against_its_first_seconds(
    layouts: Callable[[str], Path], workdir: Path
) -> None:
    data = layouts("videos")
    cache = workdir / "cache-baseline"
    plain = streamfer(
        "evaluate",
        data,
        "--cache",
        cache,
        "--report-json",
        workdir / "p.json",
        "--no-plot",
        cwd=workdir,
    )
    plain_report = report_of(plain, workdir / "p.json")
    both = streamfer(
        "evaluate",
        data,
        "--cache",
        cache,
        "--baseline",
        "0.3",
        "--report-json",
        workdir / "b.json",
        "--no-plot",
        cwd=workdir,
    )
    report = report_of(both, workdir / "b.json")
    # the predictions are the plain ones, from the cache: the baseline is applied after
    assert report["predict"]["frames_decoded"] == 0
    assert report["emotions"] == plain_report["emotions"]
    base = report["baseline"]
    assert base["seconds"] == 0.3 and {"strength", "gain"} <= set(base)
    for label_set in ("emotions", "3"):
        assert base[label_set]["n_clips"] == report[label_set]["n_clips"]
        assert 0.0 <= base[label_set]["threshold"]["accuracy"] <= 1.0
    assert "each clip read against its first 0.3 s" in " ".join(both.stdout.split())


def test_evaluate_faces_command(tmp_path: Path) -> None:
    data = tmp_path / "faces"
    rows = np.zeros((6, 48, 48), np.uint8)
    np.savez(
        data.with_suffix(".npz"),
        images=rows,
        labels=np.array([0, 1, 2, 3, 4, 5]),
        classes=np.array(["Anger", "disgusted", "afraid", "Happiness", "sadness", "contempt"]),
    )
    report = tmp_path / "out" / "faces.json"
    result = streamfer(
        "evaluate",
        "--faces",
        str(data.with_suffix(".npz")),
        "--report-json",
        str(report),
        "--config",
        str(ROOT / "config.toml"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(report.read_text())
    assert out["n"] == (5 if "contempt" not in out["classes"] else 6)
    assert set(out) >= {"accuracy", "n", "model", "recall", "confusion", "left_out"}
    assert report.with_suffix(".png").stat().st_size > 1000
    assert "accuracy" in result.stdout
