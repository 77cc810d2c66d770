"""The ``streamfer`` command: parses arguments and turns errors into one line and an exit code.

Start-up is kept light: only the module of the command given is imported (and OpenCV, numpy,
LiteRT and Rich behind it); the other commands are listed by their one-line help, so
``streamfer --help`` answers at once.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from streamfer import __version__
from streamfer.commands import COMMANDS
from streamfer.errors import StreamferError

DESCRIPTION = """\
streamfer watches faces in a camera, video file or stream and shows each person's
representative emotion over a sliding window, on the terminal and in a JSONL log.

Start with:  streamfer run --source demo
"""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; ``command``'s module defines its sub-parser in full, the others are stubs
    that only list the command (``None``: every command in full, for tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="streamfer",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"streamfer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    wanted = None if command is None else COMMANDS.get(command, ("", ""))[0]
    loaded: set[str] = set()
    for name, (module, help_line) in COMMANDS.items():
        if wanted is None or module == wanted:
            if module not in loaded:  # one module may define two commands (calibrate, evaluate)
                importlib.import_module(module).add_parser(sub)
                loaded.add(module)
        else:
            sub.add_parser(name, help=help_line, add_help=False)
    return parser


def _command(argv: Sequence[str]) -> str | None:
    """The sub-command named in ``argv`` (its first word that is not an option)."""
    return next((word for word in argv if not word.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every error becomes one line on stderr and an exit code.

    The command's module (and OpenCV, MediaPipe, LiteRT, Rich behind it) is imported here,
    inside the handler of KeyboardInterrupt, so a Ctrl-C during start-up is one line and 130 too.
    """
    try:
        words = sys.argv[1:] if argv is None else list(argv)
        parser = build_parser(_command(words) or "")
        args = parser.parse_args(words)
        from rich.console import Console  # after parsing: --help needs no Rich

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
