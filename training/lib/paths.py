"""Where the training code finds its data and keeps its work, in one place.

- ``DATA``: the shared data sets (``../shared/data`` beside the checkout, described by its own
  README); ``STREAMFER_DATA`` names another folder. Nothing from it is copied into the repo.
- ``WORK``: runs, caches, evaluation files and downloaded weights, outside the repository
  (``../train`` beside the checkout); ``STREAMFER_TRAIN_DIR`` names another folder.
- ``ROOT``, ``MODELS``, ``SPLITS``: the repository, its ``models/`` and ``training/splits.json``
  (which people and photos only choose models, never train them).

The folders are read when this module is imported; commands take them as their defaults, and
their options (``--data``, ``--out``) still name any other.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
SPLITS = ROOT / "training" / "splits.json"
# the geometry head Recognition III's choices start from (``choose``, ``ship``: ``--head``)
HEAD = MODELS / "geometry_head_emotion_mini_mix.json"


def _folder(variable: str, default: Path) -> Path:
    value = os.environ.get(variable, "")
    return Path(value).expanduser() if value else default


DATA = _folder("STREAMFER_DATA", ROOT.parent / "shared" / "data")
WORK = _folder("STREAMFER_TRAIN_DIR", ROOT.parent / "train")
