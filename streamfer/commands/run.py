"""``streamfer run``: the live monitor."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack

from rich.console import Console

from streamfer.capture import open_reader
from streamfer.commands.options import load_config
from streamfer.log import SessionLog, dated_log_path
from streamfer.monitor import RunOptions, run_session
from streamfer.pipeline import FramePipeline


def handle(args: argparse.Namespace, console: Console) -> int:
    config = load_config(
        args,
        {
            "source.realtime": args.realtime,
            "log.frames": args.log_frames,
            "log.dir": str(args.log_dir.resolve()) if args.log_dir is not None else None,
        },
    )
    source = args.source if args.source is not None else config.source.default
    realtime = args.realtime if args.realtime is not None else config.source.realtime
    if source == "demo" and args.realtime is None:
        realtime = True
    with ExitStack() as cleanup:  # on an error, close whatever was opened before it
        reader = open_reader(source)
        cleanup.callback(reader.close)
        pipeline = FramePipeline(config)
        cleanup.callback(pipeline.close)
        log = SessionLog(dated_log_path(config.resolve(config.log.dir)))
        cleanup.callback(log.close)
        cleanup.pop_all()  # from here on, run_session closes them
    dashboard = not args.no_dashboard and console.is_terminal
    options = RunOptions(
        dashboard=dashboard,
        max_frames=args.max_frames,
        realtime=realtime,
    )
    summary = run_session(config, reader, log, options, console, pipeline=pipeline)
    print(
        f"streamfer: {summary.frames_processed} frames processed "
        f"({summary.mean_fps:.1f} fps, {summary.dropped} dropped), "
        f"ended by {summary.reason}; log: {summary.log_path}",
        file=sys.stderr,
    )
    return 0
