"""``streamfer run --lsl``: real Lab Streaming Layer streams, received by a real pylsl inlet.

LSL finds streams by multicast and answers on every interface, so the session and its
recorder (``tests/lsl_receiver.py``) run inside a private network namespace made for the test
(``ip netns``, root only) whose one interface is loopback, with an ``lsl_api.cfg`` (named by
``LSLAPICFG``) that keeps resolution on the machine: nothing can leave it. The received
streams are checked against the session's own log: names, ids, channels, every sample's
values and time stamps, the markers."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from clips import ROOT, cli_command, cli_env, json_lines

FRAMES = 150  # 5 s of the demo, played in real time


LSL_CONFIG = """\
; LSL kept on this machine: queries to 127.0.0.1 only, servers on loopback, no IPv6, and a
; session id of its own, so no other LSL program on the machine sees these streams
[ports]
IPv6 = disable
[multicast]
ResolveScope = machine
ListenAddress = 127.0.0.1
[lab]
SessionID = {session}
KnownPeers = {{127.0.0.1}}
[log]
level = -2
"""


@pytest.fixture(scope="module")
def session(
    network_namespace: list[str], tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What the recorder received of one ``run --lsl`` on the demo, and that session's log."""
    try:
        import pylsl  # noqa: F401
    except (ImportError, RuntimeError) as exc:
        pytest.skip(f"needs pylsl with its liblsl (pip install -e '.[test]'): {exc}")
    work = tmp_path_factory.mktemp("lsl")
    (work / "lsl_api.cfg").write_text(LSL_CONFIG.format(session=secrets.token_hex(8)))
    # geometry off: the streams carry the 8 probabilities, valence and arousal only
    (work / "config.toml").write_text(
        "[lsl]\nwait_for_recorder = 60.0\n\n[geometry]\nenabled = false\n"
    )
    command = [
        *network_namespace,
        sys.executable,
        str(ROOT / "tests" / "lsl_receiver.py"),
        str(work / "received.json"),
        "--",
        *cli_command(
            "run", "--source", "demo", "--lsl", "--no-dashboard", "--log-frames",
            "--max-frames", str(FRAMES), "--log-dir", str(work / "logs"),
            "--config", str(work / "config.toml"),
        ),
    ]  # fmt: skip
    env = cli_env() | {"LSLAPICFG": str(work / "lsl_api.cfg")}
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    received = json.loads((work / "received.json").read_text())
    assert received["returncode"] == 0, received["stderr"]
    (log,) = (work / "logs").glob("*.jsonl")
    records = json_lines(log)
    records[0]["log_name"] = log.stem  # the session's name in its streams' names
    return received, records


def _of(log: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r for r in log if r["type"] == kind]


def test_the_log_names_the_streams_the_recorder_found(session) -> None:
    received, log = session
    start = log[0]
    assert start["config"]["lsl"]["enabled"] is True
    opened = {r["source_id"]: r for r in _of(log, "lsl_stream")}
    streams = {s["source_id"]: s for s in received["streams"]}
    assert set(streams) <= set(opened) and len(streams) >= 2
    labels = [*start["labels"], "valence", "arousal"]
    for sid, stream in streams.items():
        record = opened[sid]
        assert stream["name"].startswith(f"streamfer {start['log_name']} ")
        assert stream["name"] == record["name"] and stream["type"] == record["stream_type"]
        assert [c["label"] for c in stream["channels"]] == record["channels"]
        assert stream["channel_count"] == len(record["channels"])
        if record["track"] is None:
            assert stream["type"] == "Markers" and stream["channel_format"] == 3  # string
            assert stream["nominal_srate"] == record["rate"] == 0.0
            assert stream["name"].endswith(" markers")
        else:
            assert stream["type"] == "FacialExpression"
            assert record["channels"] == labels
            assert [c["unit"] for c in stream["channels"]] == ["normalized"] * len(labels)
            types = [c["type"] for c in stream["channels"]]
            assert types == ["Probability"] * len(start["labels"]) + ["Valence", "Arousal"]
            assert stream["nominal_srate"] == record["rate"] == start["source_fps"] == 30.0
            assert stream["person"] == str(record["track"])
            assert stream["model"] == start["models"]["classifier"]["name"]
            assert stream["name"].endswith(f" person {record['track']}")


def test_each_frame_is_one_sample_stamped_at_its_capture(session) -> None:
    received, log = session
    opened = {r["source_id"]: r["track"] for r in _of(log, "lsl_stream")}
    frames = _of(log, "frame")
    assert len(frames) == FRAMES
    people = [s for s in received["streams"] if s["type"] == "FacialExpression"]
    assert people
    for stream in people:
        track = opened[stream["source_id"]]
        logged = [(f, face) for f in frames for face in f["faces"] if face["track"] == track]
        samples = stream["samples"]
        assert len(samples) >= 30, f"person {track}: {len(samples)} samples"
        first = next(
            i
            for i, (_, face) in enumerate(logged)
            if np.allclose(face["probs"], samples[0][2 : 2 + len(face["probs"])], atol=6e-5)
        )
        matched = logged[first:]
        assert len(matched) == len(samples), "a frame without its sample, or one sample too many"
        offsets = []
        for (frame, face), (stamp, arrived, *values) in zip(matched, samples, strict=True):
            expected = [*face["probs"], face["valence"], face["arousal"]]
            assert np.allclose(values, expected, atol=6e-5)
            assert stamp <= arrived < stamp + 5.0
            offsets.append(stamp - frame["t"])
        # capture time minus the frame's time in the clip: the same for every frame (the demo
        # is paced in real time), up to the capture thread's wake-up jitter
        assert max(offsets) - min(offsets) < 0.25, (min(offsets), max(offsets))


def test_markers_say_start_verdicts_and_end(session) -> None:
    received, log = session
    markers = next(s for s in received["streams"] if s["type"] == "Markers")
    texts = [text for _, _, text in markers["samples"]]
    assert texts[0] == f"session start: {log[0]['log_name']} (demo (Grace Hopper portrait))"
    assert texts[-1] == "session end: max_frames"
    changes: list[str] = []
    last: dict[Any, str] = {}
    for record in _of(log, "emotion"):
        if last.get(record["track"]) != record["label"]:
            last[record["track"]] = record["label"]
            who = "group" if record["track"] == "group" else f"person {record['track']}"
            changes.append(f"{who}: {record['label']}")
    assert changes and texts[1:-1] == changes
    stamps = [stamp for stamp, _, _ in markers["samples"]]
    assert stamps == sorted(stamps)


@pytest.mark.parametrize(
    ("fake_pylsl", "expected"),
    [
        ("raise ImportError('no pylsl here')", 'pip install "streamfer[lsl]"'),
        ("raise RuntimeError('LSL binary library file was not found')", "mne-lsl"),
    ],
)
def test_without_pylsl_or_liblsl_lsl_is_one_line(
    tmp_path: Path, fake_pylsl: str, expected: str
) -> None:
    fake = tmp_path / "fake" / "pylsl"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(fake_pylsl + "\n")
    env = cli_env()
    env["PYTHONPATH"] = str(tmp_path / "fake") + os.pathsep + env["PYTHONPATH"]
    env["PYLSL_LIB"] = "/nonexistent"  # no fallback to an installed mne-lsl's liblsl
    result = subprocess.run(
        cli_command("run", "--source", "demo", "--lsl", "--no-dashboard", "--max-frames", "5"),
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("streamfer: error: --lsl"), lines
    assert expected in lines[0]
    assert not (tmp_path / "logs").exists()  # nothing opened before the check
