"""Start-up: ``--help`` loads nothing heavy, and Ctrl-C while streamfer starts ends quietly."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from clips import ROOT, cli_command, cli_env, popen, wait_until_main_runs

from streamfer.cli import build_parser
from streamfer.commands import COMMANDS

HEAVY = ("cv2", "numpy", "ai_edge_litert", "matplotlib", "mediapipe", "rich.console")


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from streamfer.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_light_command_list_matches_the_commands() -> None:
    """``--help`` lists commands by COMMANDS' help lines: they must be the modules' own."""
    full = build_parser()
    sub = next(a for a in full._actions if isinstance(a, argparse._SubParsersAction))
    helps = {action.dest: action.help for action in sub._choices_actions}
    assert helps == {name: help_line for name, (_, help_line) in COMMANDS.items()}


@pytest.mark.parametrize("delay", [0.5, 1.0, 2.0])
def test_ctrl_c_during_start_up_ends_quietly(tmp_path: Path, delay: float) -> None:
    """SIGINT while modules and models load, or early in the session: one line, no traceback,
    130, whatever SIGINT's disposition in this test runner's process (issue #20)."""
    process = popen(cli_command("run", "--source", "demo", "--no-dashboard"), tmp_path)
    started = time.monotonic()
    try:
        wait_until_main_runs(process)  # how long the interpreter takes depends on the machine
        time.sleep(max(started + delay - time.monotonic(), 0.0))
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert "Traceback" not in err, err
    assert process.returncode == 130, err
    # while it was starting: one line; once the session had begun, its summary line
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0] == "streamfer: interrupted" or "ended by SIGINT" in lines[0], err


def test_an_import_interrupted_by_ctrl_c_is_not_a_missing_package() -> None:
    """pybind11 turns a KeyboardInterrupt inside a module's init into an ImportError."""
    from streamfer.vision.litert import reraise_interrupt as _reraise_interrupt

    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as interrupt:
            raise ImportError("initialization failed") from interrupt
    except ImportError as wrapped:
        with pytest.raises(KeyboardInterrupt):
            _reraise_interrupt(wrapped)
    _reraise_interrupt(ImportError("No module named 'ai_edge_litert'"))  # a real absence: no-op


# A signal whose handler runs inside a class body's ``__set_name__`` (numpy's ``finfo`` has
# ``cached_property`` attributes such as ``epsneg``): Python 3.11 wraps what it raised in a
# RuntimeError ("Error calling __set_name__ ..."), which is not a KeyboardInterrupt.
TRAPPED_IMPORT = """
import os, signal, sys
import streamfer.cli as cli

class Trap:
    def __set_name__(self, owner, name):
        os.kill(os.getpid(), signal.{sig})
        for _ in range(100_000):  # the Python-level handler runs between these bytecodes
            pass

real = cli.build_parser

def build_parser(command=None):
    class Loading:  # as a library's class is created while its module is imported
        epsneg = Trap()
    return real(command)

cli.build_parser = build_parser
sys.exit(cli.main({argv!r}))
"""


@pytest.mark.parametrize(
    ("argv", "sig"),
    [(["run", "--source", "demo", "--no-dashboard"], "SIGTERM"), (["analyze", "x"], "SIGINT")],
)
def test_a_signal_inside_a_class_body_during_imports_is_one_line(
    tmp_path: Path, argv: list[str], sig: str
) -> None:
    """Issue #27: the interrupt came back wrapped in a RuntimeError, a traceback and exit 1."""
    done = subprocess.run(
        [sys.executable, "-c", TRAPPED_IMPORT.format(sig=sig, argv=argv)],
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 128 + int(signal.Signals[sig]), done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == ["streamfer: interrupted" + ("" if sig == "SIGINT" else f" by {sig}")]


BETWEEN_HANDLERS = """
import os, signal, sys
real = signal.signal

def install(sig, handler):  # a SIGHUP just after SIGTERM's handler went in, before SIGHUP's
    before = real(sig, handler)
    if sig == signal.SIGTERM:
        os.kill(os.getpid(), signal.SIGHUP)
    return before

signal.signal = install
from streamfer.cli import main
sys.exit(main(["run", "--source", "demo", "--no-dashboard"]))
"""


def test_a_signal_while_main_takes_the_signals_waits_for_its_handler(tmp_path: Path) -> None:
    """1 of 960 starts in the sweep (issue #27) died without a word: its SIGHUP met the
    default disposition in the moment between two of main's three handlers going in."""
    done = subprocess.run(
        [sys.executable, "-c", BETWEEN_HANDLERS],
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 129, done.stderr
    assert done.stderr.strip() == "streamfer: interrupted by SIGHUP"
