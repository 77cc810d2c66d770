"""The built wheel, installed into a fresh venv, runs the demo from an empty folder.

A packaging test: it builds the wheel with pip (hatchling, in an isolated build environment),
makes a venv without system site-packages, installs the wheel with its dependencies (the pip
cache makes that take seconds when warm) and runs ``streamfer run --source demo`` from an empty
folder, where no ``config.toml`` and no ``models/`` are at hand, also with ``--geometry``. About a minute with a warm pip
cache; deselect with ``-m "not packaging"``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from clips import ROOT, json_lines

pytestmark = pytest.mark.packaging


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """(the fresh venv's bin folder, an environment without this checkout on any path)."""
    work = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["HOME"] = str(work / "home")  # no user config folder from the developer's machine
    env["XDG_CONFIG_HOME"] = str(work / "home" / ".config")
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    dist = work / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        cwd=work,
        env=env,
        timeout=300,
    )
    wheel = next(dist.glob("streamfer-*.whl"))
    target = work / "venv"
    venv.create(target, with_pip=True, system_site_packages=False)
    bin_dir = target / "bin"
    _run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(wheel)], work, env, 600)
    env["PATH"] = str(bin_dir) + os.pathsep + env.get("PATH", "")
    return bin_dir, env


def test_wheel_carries_models_config_and_portrait(installed: tuple[Path, dict[str, str]]) -> None:
    bin_dir, env = installed
    code = (
        "import importlib.util, streamfer.assets as a; "
        "print(a.ASSETS); "
        "print(sorted(p.name for p in (a.ASSETS / 'models').glob('*') if p.suffix in ('.tflite', '.json'))); "
        "print((a.ASSETS / 'config.toml').is_file(), a.DEMO_PORTRAIT.is_file()); "
        "print(importlib.util.find_spec('mediapipe'), importlib.util.find_spec('matplotlib')); "
        "print((a.ASSETS.parent / 'py.typed').is_file(), importlib.util.find_spec('pylsl'))"
    )
    out = _run([str(bin_dir / "python"), "-c", code], cwd=bin_dir, env=env, timeout=60).splitlines()
    assert "site-packages" in out[0]
    assert out[1] == str(
        [
            "blazeface_full_range_sparse.tflite",
            "blazeface_short_range.tflite",
            "emotion_ensemble_ferplus2.json",
            "emotion_ensemble_ferplus2.tflite",
            "emotion_mini_ferplus.json",
            "emotion_mini_ferplus.tflite",
            "emotion_mini_ferplus2.json",
            "emotion_mini_ferplus2.tflite",
            "emotion_mini_mix.json",
            "emotion_mini_mix.tflite",
            "emotion_mini_xception_f32.json",
            "emotion_mini_xception_f32.tflite",
            "emotion_mix3.json",
            "emotion_mix3.tflite",
            "expression_mobilefacenet.json",
            "expression_mobilefacenet.tflite",
            "face_blendshapes.tflite",
            "face_canonical.json",
            "face_describer.tflite",
            "face_landmarks_detector.tflite",
            "geometry_head_emotion_mini_mix.json",
            "geometry_head_emotion_mix3.json",
        ]
    )
    assert out[2] == "True True"
    assert out[3] == "None None", (
        "the default install must pull in neither mediapipe nor matplotlib"
    )
    assert out[4] == "True None", "the wheel marks the package typed and needs no pylsl"


def test_the_python_api_from_the_wheel(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    bin_dir, env = installed
    code = (
        "import streamfer\n"
        "results = list(streamfer.watch('demo', max_frames=60, realtime=False))\n"
        "print(len(results), sum(len(r.verdicts) for r in results) > 0)\n"
    )
    out = _run([str(bin_dir / "python"), "-c", code], cwd=tmp_path, env=env, timeout=120)
    assert out.split() == ["60", "True"]
    assert list(tmp_path.iterdir()) == []


def test_demo_runs_from_an_empty_folder(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    bin_dir, env = installed
    empty = tmp_path / "empty"
    empty.mkdir()
    _run(
        [
            str(bin_dir / "streamfer"),
            "run",
            "--source",
            "demo",
            "--no-dashboard",
            "--no-realtime",
            "--max-frames",
            "150",
        ],
        cwd=empty,
        env=env,
        timeout=120,
    )
    logs = list((empty / "logs").glob("*.jsonl"))
    assert len(logs) == 1, f"expected one log under {empty / 'logs'}: {list(empty.rglob('*'))}"
    records = json_lines(logs[0])
    kinds = [r["type"] for r in records]
    assert kinds[0] == "session_start" and kinds[-1] == "session_end"
    assert "emotion" in kinds
    assert records[-1]["frames_processed"] == 150


def test_demo_runs_with_geometry_from_an_empty_folder(
    installed: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """The geometry stage's models and canonical face come from the installed package."""
    bin_dir, env = installed
    empty = tmp_path / "empty"
    empty.mkdir()
    command = [str(bin_dir / "streamfer"), "run", "--source", "demo", "--geometry"]
    command += ["--log-frames", "--no-dashboard", "--no-realtime", "--max-frames", "60"]
    _run(command, cwd=empty, env=env, timeout=120)
    (log,) = (empty / "logs").glob("*.jsonl")
    records = json_lines(log)
    assert records[0]["models"]["geometry"]["landmarks"]["shipped"] is True
    faces = [f for r in records if r["type"] == "frame" for f in r["faces"]]
    measured = [f for f in faces if "head_pose" in f]
    assert len(faces) == 60 and len(measured) == 10, "the one face, every 0.2 s"
    assert len(measured[0]["blendshapes"]) == 52 and measured[0]["presence"] > 0.9
    assert records[-1]["geometry"]["estimated"] == 10
