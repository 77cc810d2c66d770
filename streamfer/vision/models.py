"""The model files in ``models/``: where they are, what they should hash to, loading them."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from streamfer.core.durable import sha256_file
from streamfer.core.errors import ModelError

#: sha256 of the files the project ships (models/README.md says where each comes from).
KNOWN_SHA256 = {
    "emotion_mix3.tflite": "3a6b2ce49148bdf809abd8af2b76be550e16eddb6147fbcad48759bf701ee5f4",
    "geometry_head_emotion_mix3.json": "e8495e22a5f3b6c345a321bf1cef08b7f7ff6ef68216885c05476a300c7ec6f9",
    "expression_mobilefacenet.tflite": "64b0176da13cf7473d05b706cf8e202cc4a2e371d459cd0a167cf11f8225556b",
    "blazeface_short_range.tflite": "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
    "blazeface_full_range_sparse.tflite": "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1",
    "emotion_mini_xception_f32.tflite": "a64ec8b1231aa6e9ed2a35f99b6b3ea253cc8b858e62c868faae1224aaf4d7ed",
    "emotion_mini_ferplus.tflite": "a14dbf817863e1787167b72be0de56693ad7b44109831fe5b0679b89248b30fc",
    "emotion_mini_ferplus2.tflite": "605ba97d38c226a0013cbdd7e207607d749e3ae15eaf91aad501433bbf4ca293",
    "emotion_ensemble_ferplus2.tflite": "989fdc290e001e9a6e39d2350cc7269eea73bb065dbbc6e27a791b4f4e0e20b6",
    "emotion_mini_mix.tflite": "07646c2501e59821f9134bb0aec5d4f45c99af1d91a949c6ee73a635afa8bcc1",
    "face_landmarks_detector.tflite": "c7d54204ce0448474c7f3fa9af494787c0965cbdd6f20fc72867e43046bd43d5",
    "face_blendshapes.tflite": "4f36dded049db18d76048567439b2a7f58f1daabc00d78bfe8f3ad396a2d2082",
    "geometry_head_emotion_mini_mix.json": "e8495e22a5f3b6c345a321bf1cef08b7f7ff6ef68216885c05476a300c7ec6f9",
    "face_describer.tflite": "5cc45f01ab421406526d1df01e479b7f7e11b8cd956a1d340798f894b7affc09",
    "face_canonical.json": "25959d82fb37e3d2b778e61e8833127d1b021c6d30a29ba2f72048c19ae10b1e",
}

#: What to do about a shipped model file that is missing or damaged.
RESTORE_HINT = "restore it with 'git checkout models/' or reinstall streamfer"

_REBUILD_HINT = (
    "restore it with 'git checkout models/' or 'python models/rebuild.py' (a checkout), "
    "or reinstall streamfer"
)


@lru_cache(maxsize=16)
def sha256_of(path: Path) -> str:
    return sha256_file(path)


def read_model(path: Path, what: str) -> bytes:
    """The bytes of a model file, or ModelError when it is missing, empty or not TFLite."""
    if not path.is_file():
        raise ModelError(f"{what} model not found at {path}", _REBUILD_HINT)
    data = path.read_bytes()
    # A TFLite flatbuffer carries the identifier "TFL3" at byte offset 4.
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ModelError(f"{what} model {path} is not a TFLite file (corrupt?)", _REBUILD_HINT)
    return data


def describe(path: Path) -> dict[str, str | bool]:
    """Name, sha256 and whether it matches the shipped file: for the session_start record."""
    digest = sha256_of(path)
    known = KNOWN_SHA256.get(path.name)
    return {"file": path.name, "sha256": digest, "shipped": known == digest}
