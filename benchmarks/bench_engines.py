"""``streamfer analyze`` on the local engine against ``--engine ray``, with 1 and 2 workers.

Builds COPIES copies of a 640x480 one-face clip (the demo's one-face part looped to SECONDS
at 30 fps, mp4v, as ``bench_analyze.py`` does), starts a one-machine Ray cluster (``ray start
--head`` on 127.0.0.2 with 2 CPUs, in a process group of its own, with its own temp folder,
ports and auth token, its workers at the benchmark's own niceness), then runs the real CLI, engines interleaved, REPEATS times each:

    streamfer analyze CLIPS --out OUT --force --workers N                      (local)
    streamfer analyze CLIPS --out OUT --force --workers N --engine ray --address 127.0.0.2:P

and prints, as medians:
- wall: the CLI from start to exit (connecting to Ray and starting workers included);
- processing fps: all frames over the span from the first ``session_start`` to the last
  ``session_end`` in the logs (wall clock of the records): the rate a long archive sees;
- peak memory (PSS, MiB) of the CLI and its worker processes, and for Ray of the cluster's
  processes and its actors too, sampled every 0.2 s.
Also: ``ray start --head`` time and its idle memory, ``ray.init()`` of a private local
instance and its shutdown, and connecting a driver to the running cluster.

Usage:  python benchmarks/bench_engines.py [--copies 8] [--seconds 30] [--repeats 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

from bench_analyze import write_one_face_clip
from machine import cpu_name

NODE_IP = "127.0.0.2"


def _table() -> dict[int, tuple[int, int]]:
    """pid: (parent pid, process group) of every process."""
    table = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            table[int(entry.name)] = (int(stat[1]), int(stat[2]))
    return table


def tree(roots: set[int], groups: set[int]) -> set[int]:
    """``roots``, every process in ``groups``, and all their descendants."""
    table = _table()
    members = roots | {pid for pid, (_, pgid) in table.items() if pgid in groups}
    while True:
        children = {pid for pid, (ppid, _) in table.items() if ppid in members}
        if children <= members:
            return members
        members |= children


def pss_mib(pids: set[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class PeakMemory:
    """Samples the PSS of a process tree every 0.2 s in a thread; ``peak`` in MiB."""

    def __init__(self, roots: set[int], groups: set[int]) -> None:
        self.roots, self.groups, self.peak = roots, groups, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, pss_mib(tree(self.roots, self.groups)))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def free_port() -> int:
    with socket.socket() as s:
        s.bind((NODE_IP, 0))
        return int(s.getsockname()[1])


def start_head(temp_dir: Path, env: dict[str, str]) -> tuple[str, int, float]:
    """``ray start --head`` with 2 CPUs; returns its address, process group and seconds."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("ray")), "start", "--head"]
    command += ["--node-ip-address", NODE_IP, "--port", str(port), "--num-cpus", "2"]
    command += ["--include-dashboard=false", "--dashboard-port", str(free_port())]
    command += ["--temp-dir", str(temp_dir), "--disable-usage-stats"]
    for option in ("listen", "grpc"):
        command += [f"--dashboard-agent-{option}-port", str(free_port())]
    command += ["--runtime-env-agent-port", str(free_port())]
    command += ["--metrics-export-port", str(free_port())]
    command += ["--object-store-memory", str(200 * 1024 * 1024)]
    start = time.perf_counter()
    starter = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    output, _ = starter.communicate()
    seconds = time.perf_counter() - start
    if starter.returncode != 0:
        stop_head(starter.pid)
        sys.exit(f"ray start failed: {output.decode()}")
    # ray start exits once its daemons run; they stay in its process group (its pid)
    return f"{NODE_IP}:{port}", starter.pid, seconds


def stop_head(group: int) -> None:
    members = tree(set(), {group})
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            break
        time.sleep(2)
    for pid in members:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def processing_seconds(out: Path) -> float:
    """From the first ``session_start`` to the last ``session_end`` over all logs (wall clock)."""
    starts, ends = [], []
    for log in out.glob("*.jsonl"):
        lines = log.read_text().splitlines()
        starts.append(datetime.fromisoformat(json.loads(lines[0])["ts"]))
        ends.append(datetime.fromisoformat(json.loads(lines[-1])["ts"]))
    return (max(ends) - min(starts)).total_seconds()


def run_analyze(
    clips: Path, out: Path, workers: int, env: dict[str, str], ray: tuple[str, int] | None
) -> tuple[float, float, float]:
    """One CLI run: (wall seconds, processing seconds, peak PSS MiB)."""
    command = [sys.executable, "-m", "streamfer", "analyze", str(clips), "--out", str(out)]
    command += ["--force", "--workers", str(workers)]
    groups: set[int] = set()
    if ray is not None:
        command += ["--engine", "ray", "--address", ray[0]]
        groups = {ray[1]}
    start = time.perf_counter()
    cli = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    memory = PeakMemory({cli.pid}, groups)
    stdout, stderr = cli.communicate()
    wall = time.perf_counter() - start
    peak = memory.stop()
    if cli.returncode != 0:
        sys.exit(f"analyze failed ({cli.returncode}): {stdout.decode()}{stderr.decode()}")
    return wall, processing_seconds(out), peak


def ray_init_seconds(env: dict[str, str], address: str | None) -> tuple[float, float]:
    """Seconds for ``ray.init`` (a private local instance, or connecting) and for shutdown."""
    target = repr(address) if address else "'local', num_cpus=2, include_dashboard=False"
    code = (
        "import time, logging, ray\n"
        "t = time.perf_counter()\n"
        f"ray.init(address={target}, logging_level=logging.ERROR, log_to_driver=False)\n"
        "u = time.perf_counter()\n"
        "ray.shutdown()\n"
        "print(u - t, time.perf_counter() - u)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    init, shutdown = result.stdout.split()
    return float(init), float(shutdown)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each clip")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    # Ray starts workers at niceness +15 by default: on a busy machine that alone would slow
    # them against the local engine's workers, which run at the benchmark's own niceness.
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    env["RAY_worker_niceness"] = "0"
    env |= {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    import ray

    with tempfile.TemporaryDirectory(prefix="sfbench-", dir="/tmp") as tmp:
        base = Path(tmp)
        clips = base / "clips"
        clips.mkdir()
        frames = write_one_face_clip(clips / "clip0.mp4", args.seconds)
        for i in range(1, args.copies):
            shutil.copyfile(clips / "clip0.mp4", clips / f"clip{i}.mp4")
        total = frames * args.copies
        print(f"machine: {cpu_name()}, {os.cpu_count()} cores; python {platform.python_version()}")
        print(f"ray {ray.__version__}; date {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
        print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        print(f"clips: {args.copies} x {frames} frames, 640x480, one face; {total} frames")
        local_init, local_shutdown = ray_init_seconds(env, None)
        print(
            f"ray.init() of a private local instance: {local_init:.1f} s; shutdown {local_shutdown:.1f} s"
        )
        (base / "ray").mkdir()
        address, group, start_seconds = start_head(base / "ray", env)
        try:
            time.sleep(2)
            idle = pss_mib(tree(set(), {group}))
            print(
                f"ray start --head: {start_seconds:.1f} s; its processes idle: {idle:.0f} MiB PSS"
            )
            connect, disconnect = ray_init_seconds(env, address)
            print(f"driver connecting to it: {connect:.1f} s; disconnecting {disconnect:.1f} s")
            results: dict[tuple[str, int], list[tuple[float, float, float]]] = {}
            for _ in range(args.repeats):
                for workers in (1, 2):
                    for engine in ("local", "ray"):
                        out = base / f"out-{engine}-{workers}"
                        ray_target = (address, group) if engine == "ray" else None
                        run = run_analyze(clips, out, workers, env, ray_target)
                        results.setdefault((engine, workers), []).append(run)
        finally:
            stop_head(group)
        print("engine  workers  wall s  fps (wall)  processing s  fps (processing)  peak MiB")
        for (engine, workers), runs in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            wall = statistics.median(r[0] for r in runs)
            span = statistics.median(r[1] for r in runs)
            peak = statistics.median(r[2] for r in runs)
            print(
                f"{engine:6}  {workers:7}  {wall:6.2f}  {total / wall:10.0f}  {span:12.2f}"
                f"  {total / span:16.0f}  {peak:8.0f}"
            )
        print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
