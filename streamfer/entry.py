"""The ``streamfer`` console script: imports the CLI inside a guard, so Ctrl-C pressed while
Python is still loading streamfer ends with one line and exit code 130, not a traceback."""

from __future__ import annotations

import sys


def main() -> int:
    try:
        from streamfer.cli import main as cli_main
    except KeyboardInterrupt:
        print("streamfer: interrupted", file=sys.stderr)
        return 130
    return cli_main()
