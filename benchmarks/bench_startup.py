"""Start-up of the installed ``streamfer`` command. Prints figures; asserts nothing.

    python benchmarks/bench_startup.py [--repeats 5]

- ``streamfer --help``: wall time from spawning the console script to its exit;
- first verdict: wall time from spawning ``streamfer run --source demo --no-dashboard`` (real
  time, as a user starts it) to the first ``emotion`` record in its log (the log is flushed line
  by line), after which the run is stopped with SIGINT.

Medians of ``--repeats`` runs, from an empty temporary folder, against the ``streamfer`` on PATH
(or ``--exe``).
"""

from __future__ import annotations

import argparse
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import cpu_name


def help_seconds(exe: str, cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run([exe, "--help"], cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def first_verdict_seconds(exe: str, cwd: Path) -> float:
    logs = cwd / f"logs-{time.monotonic_ns()}"
    start = time.perf_counter()
    process = subprocess.Popen(
        [exe, "run", "--source", "demo", "--no-dashboard", "--log-dir", str(logs)],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - start < 60:
            for log in logs.glob("*.jsonl"):
                if '"type":"emotion"' in log.read_text(encoding="utf-8"):
                    return time.perf_counter() - start
            time.sleep(0.002)
        raise RuntimeError("no verdict within 60 s")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--exe", default=shutil.which("streamfer") or "streamfer")
    args = parser.parse_args()
    print(f"machine: {cpu_name()}; command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        helps = [help_seconds(args.exe, cwd) for _ in range(args.repeats)]
        verdicts = [first_verdict_seconds(args.exe, cwd) for _ in range(args.repeats)]
    print(
        f"streamfer --help: median {statistics.median(helps):.3f} s ({', '.join(f'{h:.3f}' for h in helps)})"
    )
    print(
        f"first verdict of run --source demo: median {statistics.median(verdicts):.3f} s "
        f"({', '.join(f'{v:.3f}' for v in verdicts)})"
    )


if __name__ == "__main__":
    main()
