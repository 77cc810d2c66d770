"""The ``streamfer`` command: parses arguments and turns errors into one line and an exit code."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

from streamfer import __version__
from streamfer.errors import StreamferError

DESCRIPTION = """\
streamfer watches faces in a camera, video file or stream and shows each person's
representative emotion over a sliding window, on the terminal and in a JSONL log.

Start with:  streamfer run --source demo
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="streamfer",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"streamfer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    from streamfer.commands import COMMANDS  # the heavy imports: see main()

    for module in COMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every error becomes one line on stderr and an exit code.

    The commands (and OpenCV, MediaPipe, LiteRT, Rich behind them) are imported here, inside
    the handler of KeyboardInterrupt, so a Ctrl-C during start-up is one line and 130 too.
    """
    try:
        from rich.console import Console

        parser = build_parser()
        args = parser.parse_args(argv)
        console = Console(stderr=False)
    except KeyboardInterrupt:
        return _interrupted()
    try:
        return int(args.handler(args, console))
    except StreamferError as exc:
        if getattr(args, "traceback", False):
            traceback.print_exc()
        print(f"streamfer: error: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return _interrupted()
    except BrokenPipeError:
        # output piped into head and the like: exit quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _interrupted() -> int:
    print("streamfer: interrupted", file=sys.stderr)
    return 130
