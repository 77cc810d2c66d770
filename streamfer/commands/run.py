"""``streamfer run``: the live monitor."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from rich.console import Console

from streamfer.commands.options import (
    add_config_options,
    add_geometry_options,
    add_method_options,
    load_config,
)
from streamfer.config.settings import Config
from streamfer.core.choices import Pace
from streamfer.core.errors import ConfigError, SourceError
from streamfer.core.safetext import printable
from streamfer.outputs.lsl import LslOutput, require_pylsl
from streamfer.pipeline.stages import FramePipeline
from streamfer.session.lifecycle import Recorder
from streamfer.session.log import dated_log
from streamfer.session.signals import SignalRelay, exit_code, on_signals
from streamfer.session.sinks import ObservedLog, SessionSummary
from streamfer.session.start_end import EndReason
from streamfer.sources.readers import open_reader
from streamfer.ui.keyboard import KeyReader
from streamfer.ui.live_view import LiveView, show_live

EPILOG = """\
examples:
  streamfer run --source demo                 generated clip of real faces, no camera needed
  streamfer run                               the default camera (index 0)
  streamfer run --source 1 --threshold 0.15   another camera, a lower threshold
  streamfer run --source session.mp4 --realtime --log-frames
  streamfer run --source demo --baseline 3    each person read against their first 3 s
  streamfer run --source rtsp://10.0.0.5/stream --no-dashboard
  streamfer run --lsl                         also send LSL streams, for LabRecorder (docs/lsl.md)

keys while it runs: q quits; m adds a marker (type a note, Enter); b takes everyone's
baseline (their own neutral) from the next seconds; d switches between the plain view (who
shows what, since when, whether to trust it) and the technical details.
The log is one JSON object a line; read it with pandas.read_json(path, lines=True).
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "run",
        help="monitor a camera, video file or stream live",
        description="Watch faces live and show each person's representative emotion.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--source",
        metavar="SRC",
        help="camera index (default 0), video file, frame folder, stream URL, 'picamera' "
        "(a Raspberry Pi camera; 'picamera:1' the second), or 'demo'",
    )
    parser.add_argument(
        "--realtime",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="play files at their own frame rate, as a camera would (newest frame wins); "
        "--no-realtime processes every frame as fast as possible (the default for files; "
        "the demo plays in real time unless told otherwise)",
    )
    parser.add_argument("--log-dir", type=Path, metavar="DIR", help="where the JSONL log goes")
    parser.add_argument(
        "--log-frames", action="store_true", default=None, help="also log every frame's faces"
    )
    parser.add_argument(
        "--max-frames", type=int, metavar="N", help="stop after N frames (1 or more)"
    )
    parser.add_argument(
        "--stream-timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="a network stream that sends no frame for this long (also when opening) ends "
        "the session with an error (default %(default)g)",
    )
    parser.add_argument(
        "--reconnect",
        type=float,
        metavar="SECONDS",
        help="how long a lost camera or stream is reopened before the session ends with an "
        "error; 0 keeps trying forever (default: source.reconnect_seconds, 60)",
    )
    parser.add_argument(
        "--lsl",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="send each person's scores and the verdicts and markers as Lab Streaming Layer "
        'streams (pip install "streamfer[lsl]"; default: lsl.enabled, false)',
    )
    parser.add_argument(
        "--no-dashboard",
        action="store_true",
        help="headless: print a one-line status every few seconds instead of the dashboard",
    )
    add_method_options(parser)
    add_geometry_options(parser)
    add_config_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, console: Console) -> int:
    if args.max_frames is not None and args.max_frames < 1:
        raise ConfigError(
            f"--max-frames {args.max_frames} is not a positive number",
            "give 1 or more, or leave it out to run to the end of the source",
        )
    config = load_config(
        args,
        {
            "source.realtime": args.realtime,
            "log.frames": args.log_frames,
            "log.dir": str(args.log_dir.resolve()) if args.log_dir is not None else None,
            "source.reconnect_seconds": args.reconnect,
            "lsl.enabled": args.lsl,
        },
    )
    if config.lsl.enabled:
        require_pylsl()  # before a camera or a model is opened
    source = args.source if args.source is not None else config.source.default
    pace = config.source.pace
    if source == "demo" and args.realtime is None:
        pace = Pace.REAL_TIME  # the demo stands in for a camera
    summary = _record(args, console, config, source, pace)
    end = summary.end
    if end.reason is EndReason.SOURCE_INCOMPLETE:
        raise SourceError(
            f"{end.detail}; {end.frames_processed} frames processed, and the log says "
            f"so (session_end reason source_incomplete); log: {summary.log_path}",
            "re-record or repair the file",
        )
    print(
        f"streamfer: {end.frames_processed} frames processed "
        f"({end.mean_fps:.1f} fps, {end.frames_dropped} dropped), "
        f"ended by {printable(summary.reason, 500)}; log: {printable(summary.log_path)}",
        file=sys.stderr,
    )
    if end.reason is EndReason.SIGNAL:
        return exit_code(end.detail) or 1  # 128 + the signal's number, as a shell reports it
    return 0


def _record(
    args: argparse.Namespace, console: Console, config: Config, source: str, pace: Pace
) -> SessionSummary:
    """Open the source, the models and the log, and record the session.

    A signal while the source and the models open interrupts start-up (one line, no log).
    From just before the log is created it is kept for the recorder (``SignalRelay``), and
    the session then ends at once with a ``session_end`` naming it: no log is left without.
    """
    relay = SignalRelay()
    with on_signals(relay):
        with ExitStack() as cleanup:  # on an error, close whatever was opened before it
            if args.stream_timeout <= 0:
                raise ConfigError(
                    f"--stream-timeout {args.stream_timeout:g} is not a positive number"
                )
            reader = open_reader(
                source,
                args.stream_timeout,
                config.source.reconnect_seconds,
                config.source.max_pixels,
            )
            cleanup.callback(reader.close)
            _warn_if_the_window_cannot_fill(reader.fps, config)
            config = config.for_pace(live=pace is Pace.REAL_TIME or reader.is_live)
            pipeline = FramePipeline(config)
            cleanup.callback(pipeline.close)
            relay.hold()
            log = ObservedLog(dated_log(config.resolve(config.log.dir)), [])
            cleanup.callback(log.close)
            recorder = Recorder(config, log, reader, pace=pace)
            relay.relay_to(recorder.on_signal)
            lsl = LslOutput(recorder, say=_printer(console)) if config.lsl.enabled else None
            if lsl is not None:
                cleanup.callback(lsl.close)
                log.observers.append(lsl)
            cleanup.pop_all()  # from here on, the recorder closes the reader and the log
        view = LiveView(recorder, pipeline)
        keys = KeyReader(  # reads keys only when stdin is a terminal
            on_quit=lambda: recorder.request_stop(EndReason.USER_QUIT),
            on_marker=view.add_marker,
            on_prompt=view.prompt,
            on_baseline=lambda: _take_baseline(pipeline, view),
            on_view=view.toggle_view,
        )
        try:
            keys.start()
            dashboard = not args.no_dashboard and console.is_terminal
            return show_live(
                recorder,
                view,
                pipeline,
                console,
                dashboard=dashboard,
                max_frames=args.max_frames,
                observers=[lsl] if lsl is not None else [],
            )
        finally:
            keys.close()
            pipeline.close()
            if lsl is not None:
                lsl.close()


def _printer(console: Console) -> Callable[[str], None]:
    """One line of plain text on the terminal (above the dashboard while it is shown)."""
    return lambda text: console.print(text, highlight=False, markup=False, soft_wrap=True)


def _warn_if_the_window_cannot_fill(fps: float, config: Config) -> None:
    """A slow source (a 0.5 fps clip is honoured at 0.5 fps) may never put ``min_frames``
    frames into the window: say so before the session, rather than log no verdict silently."""
    agg = config.aggregator
    most = math.floor(agg.window_seconds * fps + 1e-9) + 1
    if most < agg.min_frames:
        needed = math.ceil((agg.min_frames - 1) / fps)
        print(
            f"streamfer: warning: at {fps:g} fps a {agg.window_seconds:g} s window holds at most "
            f"{most} frame{'s' * (most != 1)}, fewer than min_frames = {agg.min_frames}: no "
            f"verdict will be logged (hint: --window {needed} or more)",
            file=sys.stderr,
        )


def _take_baseline(pipeline: FramePipeline, view: LiveView) -> None:
    """The ``b`` key: everyone in view's neutral from their next seconds, said on screen."""
    if pipeline.request_baseline():
        view.baseline_requested(pipeline.baselines.request_seconds)
    else:
        view.say("this emotion model has no neutral reference: no baseline taken")
