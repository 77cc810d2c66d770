"""Files streamfer ships: the models, the default ``config.toml`` and the demo's portrait.

In a source checkout ``models/`` and ``config.toml`` stay at the repository's root; building
the wheel maps them into this package (``[tool.hatch.build.targets.wheel.force-include]`` in
pyproject.toml), so an installed streamfer finds them here. ``bundled`` looks in both places,
the package first.

``grace_hopper.jpg``: the portrait of Rear Admiral Grace Hopper (US Navy photograph, public
domain) that matplotlib ships as sample data; the demo clip is made from it.
"""

from __future__ import annotations

from pathlib import Path

ASSETS = Path(__file__).resolve().parent
#: The repository root when streamfer runs from a source checkout (editable install).
CHECKOUT = ASSETS.parent.parent
DEMO_PORTRAIT = ASSETS / "grace_hopper.jpg"


def _in_checkout() -> bool:
    return (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "models").is_dir()


def bundled(relative: str) -> Path | None:
    """A shipped file by its path relative to the repository root (``models/x.tflite``,
    ``config.toml``): the copy inside the installed package, else the checkout's; None if
    neither exists."""
    bases = (ASSETS, CHECKOUT) if _in_checkout() else (ASSETS,)
    for base in bases:
        candidate = base / relative
        if candidate.exists():
            return candidate
    return None


def is_bundled(path: Path) -> bool:
    """True for a file streamfer ships (inside the package, or the checkout's tracked
    ``config.toml`` and ``models/``): files ``calibrate --write-config`` must not change."""
    resolved = path.resolve()
    if resolved.is_relative_to(ASSETS):
        return True
    if not _in_checkout():
        return False
    return resolved == CHECKOUT / "config.toml" or resolved.is_relative_to(CHECKOUT / "models")
