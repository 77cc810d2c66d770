"""The ``streamfer`` command: parses arguments and turns errors into one line and an exit code.

Start-up is kept light: parsing imports only argparse and the parsers; a command's modules
(OpenCV, numpy, LiteRT, rich's console) load when it runs, so ``streamfer --help`` answers at
once. Ctrl-C at any point, start-up included, ends with one line and exit code 130.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from streamfer import __version__
from streamfer.commands.parsers import ADD_PARSERS
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
    for add_parser in ADD_PARSERS:
        add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        from rich.console import Console

        console = Console(stderr=False)
        return int(args.handler(args, console))
    except StreamferError as exc:
        if "--traceback" in (sys.argv[1:] if argv is None else argv):
            import traceback

            traceback.print_exc()
        print(f"streamfer: error: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("streamfer: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # output piped into head and the like: exit quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
