"""Each sub-command is a module with ``add_parser(subparsers)``; the parser sets ``handler``."""

from __future__ import annotations

from types import ModuleType

from streamfer.commands import analyze as _analyze
from streamfer.commands import calibrate as _calibrate
from streamfer.commands import report as _report
from streamfer.commands import run as _run

COMMANDS: list[ModuleType] = [_run, _analyze, _report, _calibrate]
