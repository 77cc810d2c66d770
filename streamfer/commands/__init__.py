"""Each sub-command is a module with ``add_parser(subparsers)``; the parser sets ``handler``.

``COMMANDS`` names them without importing them: the CLI imports only the module of the
command being run (OpenCV, numpy, LiteRT and the rest load then), and lists the others by
their one-line help, so ``streamfer --help`` starts at once.
"""

from __future__ import annotations

#: command -> (module defining it, its one-line help as that module's ``add_parser`` gives it)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("streamfer.commands.run", "monitor a camera, video file or stream live"),
    "analyze": (
        "streamfer.commands.analyze",
        "analyse recorded videos and frame folders in bulk into logs and a summary",
    ),
    "report": ("streamfer.commands.report", "draw figures and an HTML page from session logs"),
    "calibrate": (
        "streamfer.commands.calibrate",
        "find the best threshold on labelled recordings (k-fold cross-validated)",
    ),
    "evaluate": (
        "streamfer.commands.calibrate",
        "score the configured threshold on labelled recordings (no search)",
    ),
}
