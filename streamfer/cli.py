"""The ``streamfer`` command: parses arguments and turns errors into one line and an exit code.

Start-up is kept light: only the module of the command given is imported (and OpenCV, numpy,
LiteRT and Rich behind it); the other commands are listed by their one-line help, so
``streamfer --help`` answers at once.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

import streamfer
from streamfer.commands import COMMANDS
from streamfer.core.errors import ResourceError, StreamferError
from streamfer.core.safetext import printable
from streamfer.session.signals import (
    exit_code,
    interrupt_behind,
    interrupt_handled,
    interrupt_on_signals,
    raise_if_interrupted,
)

DESCRIPTION = """\
streamfer watches faces in a camera, video file or stream and shows each person's
representative emotion over a sliding window, on the terminal and in a JSONL log.

Start with:  streamfer run --source demo
"""


#: the most characters of an error message printed (a message may quote a file's content)
ERROR_LIMIT = 2000


class _Version(argparse.Action):
    """``--version``, read from the package metadata only when asked (it costs an import)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        parser.exit(message=f"streamfer {streamfer.__version__}\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; ``command``'s module defines its sub-parser in full, the others are stubs
    that only list the command (``None``: every command in full, for tests and docs)."""
    parser = argparse.ArgumentParser(
        prog="streamfer",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action=_Version, nargs=0, help="show program's version number and exit"
    )
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

    The first statement takes SIGINT, SIGTERM and SIGHUP, whatever the parent left them at
    (a script's ``&`` leaves SIGINT ignored): before a session they interrupt start-up, as one
    line and 128 + the signal's number, and a session turns them into its own clean end
    (``streamfer.session.signals``). The handlers before are put back on return. Whatever
    error a signal turned into on its way (Python wraps one raised in a class body that an
    import is creating) is reported as that signal, never as a traceback.
    """
    try:
        with interrupt_on_signals():
            try:
                return _run_command(sys.argv[1:] if argv is None else list(argv))
            except BaseException as error:  # re-raised unless a signal is behind it
                interrupt = interrupt_behind(error)
                if interrupt is None:
                    raise
                return _interrupted(interrupt)
    except KeyboardInterrupt as interrupt:  # one that came while the handlers were swapped
        return _interrupted(interrupt)


def _run_command(words: list[str]) -> int:
    """Parse ``words`` and run the command. Its module (and OpenCV, MediaPipe, LiteRT, Rich
    behind it) is imported here, inside the handler of KeyboardInterrupt, so a signal during
    start-up is one line too."""
    try:
        parser = build_parser(_command(words) or "")
        args = parser.parse_args(words)
        from rich.console import Console  # after parsing: --help needs no Rich

        console = Console(stderr=False)
        raise_if_interrupted()  # one that an imported library swallowed
    except KeyboardInterrupt as interrupt:
        return _interrupted(interrupt)
    except (MemoryError, ImportError) as exc:  # a library that could not be mapped in
        if isinstance(exc, ImportError) and "failed to map segment" not in str(exc):
            raise
        start = ResourceError("out of memory while starting", "raise the limit (ulimit -v)")
        print(f"streamfer: error: {start.one_line()}", file=sys.stderr)
        return start.exit_code
    try:
        code = int(args.handler(args, console))
        raise_if_interrupted()
        return code
    except StreamferError as exc:
        behind = interrupt_behind(exc)  # an import a signal broke, reported as missing
        if behind is not None:
            return _interrupted(behind)
        if getattr(args, "traceback", False):
            traceback.print_exc()
        print(f"streamfer: error: {printable(exc.one_line(), ERROR_LIMIT)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as interrupt:
        return _interrupted(interrupt)
    except BrokenPipeError:
        # output piped into head and the like: exit quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except (MemoryError, OSError) as exc:
        short = short_of_resources(exc)
        if short is None:
            raise
        if getattr(args, "traceback", False):
            traceback.print_exc()
        print(f"streamfer: error: {short.one_line()}", file=sys.stderr)
        return short.exit_code


def short_of_resources(exc: BaseException) -> ResourceError | None:
    """The one line for a machine that ran short (memory, open files), else None."""
    if isinstance(exc, MemoryError) or (isinstance(exc, OSError) and exc.errno == errno.ENOMEM):
        return ResourceError(
            "out of memory",
            "close other programs, give fewer --workers, or raise the limit (ulimit -v)",
        )
    if isinstance(exc, OSError) and exc.errno in (errno.EMFILE, errno.ENFILE):
        return ResourceError(
            f"too many open files (this process may open {_open_file_limit()})",
            "raise the limit (ulimit -n 1024) or give fewer --workers",
        )
    return None


def _open_file_limit() -> str:
    try:
        import resource

        return str(resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    except (ImportError, OSError, ValueError):  # pragma: no cover - Windows
        return "few"


def _interrupted(interrupt: KeyboardInterrupt) -> int:
    """``streamfer: interrupted`` (Ctrl-C) or ``... by SIGTERM``, and 128 + its number."""
    name = interrupt_handled(interrupt)
    print("streamfer: interrupted" + ("" if name == "SIGINT" else f" by {name}"), file=sys.stderr)
    return exit_code(name) or 130
