"""Memory over a long session: the live pipeline on the looping demo clip, printing RSS.

    python benchmarks/soak.py --minutes 10          # as fast as possible: hours of video
    python benchmarks/soak.py --minutes 10 --realtime

Runs capture thread, detection, tracking, emotion model, aggregator and the JSONL log (to a
temporary folder) exactly as ``streamfer run --no-dashboard`` does, and prints the resident
memory every ``--every`` seconds with the frames and video time processed so far. Flat memory
is what a kiosk running for days needs. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

from machine import cpu_name

from streamfer.config.settings import Config
from streamfer.core.choices import Pace
from streamfer.pipeline.results import StepResult
from streamfer.pipeline.stages import FramePipeline
from streamfer.session.lifecycle import Recorder
from streamfer.session.log import SessionLog
from streamfer.sources.readers import DemoReader


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=60.0, help="seconds between lines")
    parser.add_argument("--realtime", action="store_true")
    args = parser.parse_args()
    print(
        f"machine: {cpu_name()}, {os.cpu_count()} cores; {args.minutes:g} min, "
        f"{'real time' if args.realtime else 'as fast as possible'}"
    )
    config = Config()
    stop = threading.Event()
    with tempfile.TemporaryDirectory() as tmp:
        log = SessionLog(Path(tmp) / "soak.jsonl")
        pipeline = FramePipeline(config)
        recorder = Recorder(
            config, log, DemoReader(loop=True), pace=Pace.of(args.realtime), stop=stop
        )
        started = time.monotonic()

        class Lines:
            next_line = started

            def on_step(self, step: StepResult) -> None:
                now = time.monotonic()
                if now >= self.next_line:
                    self.next_line = now + args.every
                    print(
                        f"{(now - started) / 60:6.1f} min  "
                        f"frames {recorder.frames_processed:9d}  "
                        f"video {step.frame.t / 3600:6.2f} h  "
                        f"log {log.path.stat().st_size / 2**20:7.1f} MiB  "
                        f"RSS {rss_mib():7.1f} MiB",
                        flush=True,
                    )
                if now - started >= args.minutes * 60:
                    stop.set()

        end = recorder.record(pipeline, [Lines()]).end
        pipeline.close()
        print(f"end: {end.frames_processed} frames, RSS {rss_mib():.1f} MiB")


if __name__ == "__main__":
    main()
