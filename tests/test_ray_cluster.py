"""``analyze --engine ray`` on a real two-node Ray cluster started on this machine.

The head node and a second node are separate ``ray start`` processes, one CPU each, with
their own temporary folder and ports, each in its own process group: teardown kills exactly
those two groups (``ray stop`` would stop every Ray node of this user on the machine).

Ray 2.60 replaces a node address of 127.0.0.1 by the machine's outward address
(``services.resolve_ip_for_localhost``), so the nodes use 127.0.0.2, another loopback
address, which Ray keeps. Ray's servers listen on every interface in 2.60 whatever address
they are given, so every process of the cluster (both nodes and each driver) runs inside a
private network namespace made for the test (``ip netns``, root only) whose one interface is
loopback: nothing can bind to or reach another address. The cluster also uses Ray's token
authentication with a token of its own, so it does not depend on a token another Ray user
left in ``~/.ray``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from clips import (
    ONE_FACE,
    TWO_FACES,
    cli_command,
    cli_env,
    json_lines,
    popen,
    row,
    streamfer,
    summary,
    write_clip,
)

ray = pytest.importorskip("ray", reason="needs Ray: pip install -e '.[ray]'")

NODE_IP = "127.0.0.2"
TIMING_FIELDS = {"mean_fps", "wall_seconds", "latency_p50_ms", "latency_p95_ms"}


@dataclass
class Cluster:
    address: str
    env: dict[str, str]  # for every process that talks to the cluster: the token, no stats
    groups: list[int]  # process group of each node: head first
    temp_dirs: list[Path]
    inside: list[str]  # the command prefix that runs a program in the cluster's network namespace

    def analyze(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        """``streamfer analyze ARGS --engine ray --address`` this cluster, to the end."""
        return subprocess.run(
            self.command(*args), cwd=cwd, env=self.env, capture_output=True, text=True, timeout=300
        )

    def command(self, *args: str) -> list[str]:
        return [
            *self.inside,
            *cli_command("analyze", *args, "--engine", "ray", "--address", self.address),
        ]

    def processes(self, group: int) -> list[tuple[int, str]]:
        """(pid, command line) of a node's processes: its process group and their children.

        Ray's worker processes put themselves in process groups of their own, under the
        node's raylet.
        """
        table: dict[int, tuple[int, int, str]] = {}  # pid: (parent, group, command line)
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                cmdline = (
                    (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                )
            except OSError:
                continue
            table[int(entry.name)] = (int(stat[1]), int(stat[2]), cmdline.strip())
        members = {pid for pid, (_, pgid, _) in table.items() if pgid == group}
        grown = True
        while grown:
            children = {pid for pid, (ppid, _, _) in table.items() if ppid in members}
            grown = not children <= members
            members |= children
        return sorted((pid, table[pid][2]) for pid in members)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((NODE_IP, 0))
        return int(s.getsockname()[1])


def _ray_start(inside: list[str], env: dict[str, str], temp_dir: Path, *args: str) -> int:
    """Start one node in a new session; return its process group (the daemons stay in it)."""
    ports = {
        "--dashboard-agent-listen-port": _free_port(),
        "--dashboard-agent-grpc-port": _free_port(),
        "--runtime-env-agent-port": _free_port(),
        "--metrics-export-port": _free_port(),
    }
    command = [
        *inside,
        str(Path(sys.executable).with_name("ray")),
        "start",
        *args,
        "--node-ip-address",
        NODE_IP,
        "--num-cpus",
        "1",
        "--object-store-memory",
        str(100 * 1024 * 1024),
        "--temp-dir",
        str(temp_dir),
        "--disable-usage-stats",
        *[str(x) for item in ports.items() for x in item],
    ]
    starter = subprocess.Popen(
        command,
        env=env | {"TMPDIR": str(temp_dir)},  # scratch logs of killed workers go with the node
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output, _ = starter.communicate(timeout=120)
    if starter.returncode != 0:
        _kill_group(starter.pid)
        pytest.fail(f"ray start failed:\n{output}")
    return starter.pid


def _stop_node(cluster: Cluster, group: int) -> None:
    """SIGTERM, then SIGKILL, to the node's process group; then SIGKILL to its stray workers."""
    workers = [pid for pid, _ in cluster.processes(group)]
    _kill_group(group)
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _kill_group(group: int) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


@pytest.fixture(scope="module")
def cluster(network_namespace: list[str]) -> Iterator[Cluster]:
    if not Path("/proc").is_dir() or not shutil.which("ray", path=str(Path(sys.executable).parent)):
        pytest.skip("needs Linux and the ray command beside this Python")
    temp_dirs = [Path(tempfile.mkdtemp(prefix="sfray-", dir="/tmp")) for _ in range(2)]
    port = _free_port()
    dashboard = _free_port()
    address = f"{NODE_IP}:{port}"
    env = cli_env() | {
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
        "RAY_worker_niceness": "0",  # not +15: a busy CI machine would starve the workers
    }
    groups: list[int] = []
    cluster = Cluster(address, env, groups, temp_dirs, network_namespace)
    try:
        groups.append(
            _ray_start(
                network_namespace,
                env,
                temp_dirs[0],
                "--head",
                "--port",
                str(port),
                "--include-dashboard=false",
                "--dashboard-host",
                NODE_IP,
                "--dashboard-port",
                str(dashboard),
            )
        )
        groups.append(_ray_start(network_namespace, env, temp_dirs[1], "--address", address))
        yield cluster
    finally:
        for group in reversed(groups):
            _stop_node(cluster, group)
        for folder in temp_dirs:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four 10-second clips (one face, then two: long enough for both nodes to get work) and a corrupt file, on a filesystem both nodes see."""
    base = tmp_path_factory.mktemp("ray")
    clips = base / "clips"
    clips.mkdir()
    for i in range(4):
        write_clip(clips / f"s{i}.mp4", [(ONE_FACE, 150), (TWO_FACES, 150)])
    (clips / "bad.mp4").write_bytes(os.urandom(20_000))
    return base


@pytest.fixture(scope="module")
def local_out(recordings: Path) -> Path:
    """The local engine's outputs for the same recordings, to compare the Ray engine's with."""
    local = streamfer("analyze", "clips", "--out", "local-out", "--workers", "2", cwd=recordings)
    assert local.returncode == 1, local.stdout + local.stderr  # bad.mp4 fails
    return recordings / "local-out"


def _comparable(path: Path) -> list[dict[str, Any]]:
    """A log's records without what differs between runs: wall clock, host, timings."""
    records = []
    for record in json_lines(path):
        record = {k: v for k, v in record.items() if k != "ts"}
        if record["type"] == "session_start":
            record.pop("host")
        if record["type"] == "session_end":
            record = {k: v for k, v in record.items() if k not in TIMING_FIELDS}
        records.append(record)
    return records


def _nodes_used(stdout: str) -> set[str]:
    return {line.split(" node ")[1].split()[0] for line in stdout.splitlines() if " node " in line}


def test_two_nodes_share_the_work_and_give_the_local_engines_logs(cluster, recordings, local_out):
    ray_run = cluster.analyze("clips", "--out", "ray-out", cwd=recordings)
    assert ray_run.returncode == 1, ray_run.stdout + ray_run.stderr  # bad.mp4 fails
    assert len(_nodes_used(ray_run.stdout)) == 2, ray_run.stdout
    ray_rows = summary(recordings / "ray-out" / "summary.csv")
    local_rows = summary(local_out / "summary.csv")
    assert row(ray_rows, "bad.mp4")["status"] == "failed"
    assert "not a video" in row(ray_rows, "bad.mp4")["note"]
    for i in range(4):
        name = f"s{i}"
        assert row(ray_rows, f"{name}.mp4") == row(local_rows, f"{name}.mp4")
        ray_log = _comparable(recordings / "ray-out" / f"{name}.jsonl")
        assert ray_log == _comparable(local_out / f"{name}.jsonl")
        assert ray_log[-1]["reason"] == "end_of_source"
    assert ray_run.stdout.count("failed bad") == 1  # reported once, not retried

    again = cluster.analyze("clips", "--out", "ray-out", cwd=recordings)
    for i in range(4):
        assert f"skipped s{i}: up to date" in again.stdout, again.stdout


def _recording_workers(cluster: Cluster, group: int) -> list[int]:
    return [
        pid
        for pid, cmdline in cluster.processes(group)
        if cmdline.startswith("ray::RecordingWorker.analyze")
    ]


def test_a_worker_killed_mid_recording_is_retried_and_every_recording_comes_once(
    cluster, recordings, local_out, tmp_path
):
    out = tmp_path / "out"
    cli = popen(
        cluster.command(str(recordings / "clips"), "--out", str(out)),
        tmp_path,
        env=cluster.env,
        new_session=True,
    )
    killed: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while not killed and cli.poll() is None and time.monotonic() < deadline:
            busy = _recording_workers(cluster, cluster.groups[1])
            if busy:
                time.sleep(0.3)  # well into the recording
                os.kill(busy[0], signal.SIGKILL)
                killed.append(busy[0])
            time.sleep(0.02)
        stdout, stderr = cli.communicate(timeout=180)
    finally:
        cli.kill()
    assert killed, "no recording ran on the second node"
    assert cli.returncode == 1, stdout + stderr  # only bad.mp4
    assert "retry" in stdout, stdout
    rows = summary(out / "summary.csv")
    assert sorted(Path(r["input"]).name for r in rows if r["track"] == "all") == [
        "bad.mp4", "s0.mp4", "s1.mp4", "s2.mp4", "s3.mp4",
    ]  # fmt: skip
    for i in range(4):
        assert row(rows, f"s{i}.mp4")["status"] == "ok"
        log = json_lines(out / f"s{i}.jsonl")
        types = [r["type"] for r in log]
        assert types.count("session_start") == 1 and types.count("session_end") == 1
        assert log[-1]["reason"] == "end_of_source"
        assert _comparable(out / f"s{i}.jsonl") == _comparable(local_out / f"s{i}.jsonl")


def test_an_address_nobody_answers_is_one_line(tmp_path):
    with socket.socket() as s:
        s.bind((NODE_IP, 0))
        port = s.getsockname()[1]  # closed again when the test runs analyze
    write_clip(tmp_path / "a.mp4", [(ONE_FACE, 5)])
    result = streamfer(
        "analyze", "a.mp4", "--out", "out", "--engine", "ray", "--address", f"{NODE_IP}:{port}",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 7, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("streamfer: error: cannot reach the Ray"), lines


def test_without_ray_the_engine_says_how_to_install_it(tmp_path):
    fake = tmp_path / "no-ray" / "ray"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('no ray here')\n")
    write_clip(tmp_path / "a.mp4", [(ONE_FACE, 5)])
    env = cli_env()
    env["PYTHONPATH"] = str(tmp_path / "no-ray") + os.pathsep + env["PYTHONPATH"]
    result = subprocess.run(
        cli_command("analyze", "a.mp4", "--out", "out", "--engine", "ray"),
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert 'pip install "streamfer[ray]"' in result.stderr


def _finished(manifest: Path) -> set[str]:
    """Names the manifest records as analysed (an unreadable manifest records nothing)."""
    try:
        entries = json.loads(manifest.read_text())["entries"]
    except (OSError, ValueError, KeyError):
        return set()
    return {name for name, entry in entries.items() if entry["status"] == "ok"}


def test_a_killed_driver_resumes_without_redoing_finished_recordings(cluster, recordings, tmp_path):
    out = tmp_path / "out"
    clips = str(recordings / "clips")
    cli = popen(
        cluster.command(clips, "--out", str(out), "--workers", "1"),
        tmp_path,
        env=cluster.env,
        new_session=True,
        quiet=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not _finished(out / "manifest.json") and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        cli.kill()  # SIGKILL: no clean-up of any kind; Ray ends its actors with their owner
        cli.wait()
    done = _finished(out / "manifest.json")
    assert done and len(done) < 4, done
    again = cluster.analyze(clips, "--out", str(out), cwd=tmp_path)
    assert again.returncode == 1, again.stdout + again.stderr  # bad.mp4 only
    for i in range(4):
        expected = "skipped" if f"s{i}" in done else "ok"
        assert f"{expected} s{i}" in again.stdout, again.stdout
    assert all(row(summary(out / "summary.csv"), f"s{i}.mp4")["status"] == "ok" for i in range(4))


_ALWAYS_DYING = """
import json, os, sys, threading
from pathlib import Path
from streamfer.batch.analysis import Task
from streamfer.batch import ray_cluster, ray_engine, ray_worker
from streamfer.config.settings import Config
from streamfer.sources.inputs import find_inputs

class DyingWorker(ray_worker.RecordingWorker):
    # a worker whose process dies whenever it is given s0.mp4
    def analyze(self, task, driver_sees_input):
        if task.input.path.name == "s0.mp4":
            os._exit(1)
        yield from super().analyze(task, driver_sees_input)

address, clips, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
config = Config()
inputs = find_inputs([str(clips / "s0.mp4"), str(clips / "s1.mp4")])
tasks = [Task(i, item, out / f"{item.name}.jsonl", config) for i, item in enumerate(inputs)]
messages = []
ray_cluster.connect(address, None)
pool = ray_engine.RayPool(2, messages.append, config, worker_class=DyingWorker)
outcomes = [o.__dict__ for o in pool.run(tasks, threading.Event())]
pool.close()
ray_cluster.disconnect()
retries = [m.index for m in messages if isinstance(m, ray_engine.Retrying)]
print(json.dumps({"outcomes": outcomes, "retries": retries}))
"""


def test_a_recording_whose_worker_always_dies_fails_after_the_bounded_tries(
    cluster, recordings, tmp_path
):
    driver = subprocess.run(
        [*cluster.inside, sys.executable, "-c", _ALWAYS_DYING, cluster.address, str(recordings / "clips"), str(tmp_path)],
        env=cluster.env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert driver.returncode == 0, driver.stdout + driver.stderr
    result = json.loads(driver.stdout.strip().splitlines()[-1])
    outcomes = {o["index"]: o for o in result["outcomes"]}
    assert outcomes[1]["status"] == "ok"
    assert outcomes[0]["status"] == "failed" and outcomes[0]["reason"].endswith(", 3 tries")
    assert result["retries"] == [0, 0]  # tries 2 and 3 of s0.mp4, then no more
    assert not (tmp_path / "s0.jsonl").exists() and (tmp_path / "s1.jsonl").exists()


def test_a_driver_without_the_clusters_token_is_told_how_to_give_it(cluster, tmp_path):
    """Ray 2.60 turns token authentication on by itself where ~/.ray/auth_token exists; a
    driver without that token was refused with "cannot connect ...: Failed to connect to
    Ray cluster at <another address>", after a line a second of Ray's retries (issue #27)."""
    write_clip(tmp_path / "a.mp4", [(ONE_FACE, 5)])
    env = {k: v for k, v in cluster.env.items() if k not in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN")}
    env["HOME"] = str(tmp_path)  # no ~/.ray/auth_token of this machine's user
    result = subprocess.run(
        cluster.command("a.mp4", "--out", "out"),
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 7, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"the Ray cluster at {cluster.address} wants a token" in lines[0]
    assert "RAY_AUTH_TOKEN" in lines[0] and "ray get-auth-token" in lines[0]
