"""Finding the recordings ``streamfer analyze`` is given, naming their outputs, hashing them.

An argument may be a video file, a frame-sequence folder (a folder holding image files, read
in name order), a folder searched recursively, or a glob (``sessions/**/*.mp4``). Inside a
searched folder every video file is an input, and every folder that directly holds image
files is one frame-sequence input. A named path that does not exist is kept as an input
that will fail, so the summary shows it.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import cv2

from streamfer.core.durable import sha256_files
from streamfer.core.errors import SourceError
from streamfer.core.quiet import quiet_stderr
from streamfer.sources.media import opencv_path
from streamfer.sources.readers import VIDEO_SUFFIXES, image_files
from streamfer.sources.videofile import IMAGE_SUFFIXES, container_frame_count, is_still_image

_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class Input:
    """One recording: a video file or a frame folder. ``name`` is its output's file stem."""

    path: Path
    is_folder: bool
    name: str


def _holds_images(folder: Path) -> bool:
    try:
        return bool(image_files(folder))
    except OSError:
        return False


#: why a searched folder's entry is left out, for the summary's ``skipped`` rows
HIDDEN_FILE = "a hidden file (its name starts with a dot); name it to analyse it"
HIDDEN_FOLDER = "a hidden folder (its name starts with a dot): not searched; name it to search it"
OUTPUT_FOLDER = "a streamfer output folder (a report or an analyze --out): not searched"
#: files that mark a folder as streamfer's own output (report.html: ``streamfer report``)
_OUTPUT_MARKS = ("report.html", ".streamfer-analyze.lock")


def _is_output_folder(folder: Path) -> bool:
    """A folder ``report`` or ``analyze`` wrote: its figures are not a frame sequence."""
    try:
        if any((folder / name).is_file() for name in _OUTPUT_MARKS):
            return True
        return (folder / "manifest.json").is_file() and (folder / "summary.csv").is_file()
    except OSError:
        return False


def _walk(root: Path, skip: Path | None) -> Iterator[tuple[Path, str | None]]:
    """Every entry under ``root``, depth first in name order, with None, or with the reason it
    is left out and not entered: hidden entries, dangling links, streamfer's output folders.
    ``skip`` (this run's --out) is left out silently; linked folders are not entered."""
    try:
        children = sorted(root.iterdir())
    except OSError:
        return
    for path in children:
        if skip is not None and path == skip:
            continue
        if path.name.startswith("."):
            yield path, HIDDEN_FOLDER if path.is_dir() else HIDDEN_FILE
        elif path.is_symlink() and not path.exists():
            try:
                target = os.readlink(path)
            except OSError:
                target = "?"
            yield path, f"a link to a file that does not exist ({target})"
        elif path.is_dir():
            if _is_output_folder(path):
                yield path, OUTPUT_FOLDER
                continue
            yield path, None
            if not path.is_symlink():
                yield from _walk(path, skip)
        else:
            yield path, None


def _search(folder: Path, skip: Path | None) -> list[tuple[Path, bool, Path]]:
    """Videos and frame folders under ``folder``, as (path, is_folder, path relative to it)."""
    folder = folder.resolve()
    found: list[tuple[Path, bool, Path]] = []
    if _holds_images(folder):
        found.append((folder, True, Path(folder.name)))
    for path, left_out in _walk(folder, skip):
        if left_out is not None:
            continue
        if path.is_file() and path.suffix.lower() in VIDEO_SUFFIXES:
            found.append((path, False, path.relative_to(folder)))
        elif path.is_dir() and _holds_images(path):
            found.append((path, True, path.relative_to(folder)))
    return found


def _stem(relative: Path, is_folder: bool) -> str:
    parts = list(relative.parts)
    if not is_folder:
        parts[-1] = Path(parts[-1]).stem
    return re.sub(r"[^\w.-]+", "_", "__".join(parts)).strip("_") or "input"


def find_inputs(
    arguments: list[str], out_dir: Path | None = None, previous: Mapping[str, str] | None = None
) -> list[Input]:
    """Expand files, folders and globs into inputs with unique output names, in argument order.

    The name is the file's stem (for a searched folder: its path inside that folder, with
    ``__`` for ``/``). Names that still collide get ``-`` and 6 hex digits of a hash of the
    full path, so the same input keeps the same name from run to run. ``previous`` (input
    path -> name, from the manifest of an earlier run) wins: an input keeps the name it had,
    so adding ``a_b.mp4`` beside an analysed ``a b.mp4`` does not rename (and redo) it.
    """
    skip = out_dir.resolve() if out_dir is not None else None
    raw: list[tuple[Path, bool, Path]] = []
    for argument in arguments:
        path = Path(argument).expanduser()
        if path.is_dir():
            raw.extend(_search(path, skip))
        elif path.exists() or not _GLOB_CHARS.search(argument):
            raw.append((path, False, Path(path.name)))  # a missing file fails later, visibly
        else:
            for match in sorted(glob.glob(str(path), recursive=True)):
                m = Path(match)
                if m.is_dir():
                    raw.extend(_search(m, skip))
                elif m.suffix.lower() in VIDEO_SUFFIXES:
                    raw.append((m, False, Path(m.name)))
    seen: set[Path] = set()
    unique: list[tuple[Path, bool, str]] = []
    for path, is_folder, relative in raw:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append((key, is_folder, _stem(relative, is_folder)))
    kept: dict[int, str] = {}
    for i, (path, _, _) in enumerate(unique):
        old = (previous or {}).get(str(path))
        if old is not None and old not in kept.values():
            kept[i] = old
    counts: dict[str, int] = {}
    for i, (_, _, stem) in enumerate(unique):
        if i not in kept:
            counts[stem] = counts.get(stem, 0) + 1
    taken = set(kept.values())
    inputs = []
    for i, (path, is_folder, stem) in enumerate(unique):
        if i in kept:
            stem = kept[i]
        elif counts[stem] > 1 or stem in taken:
            digest = hashlib.sha1(str(path).encode("utf-8", "surrogateescape")).hexdigest()
            stem += "-" + digest[:6]
        inputs.append(Input(path, is_folder, stem))
    return inputs


def find_skipped(arguments: list[str], out_dir: Path | None = None) -> list[tuple[Path, str]]:
    """The files that folder searches and globs passed over, each with the reason.

    So that every file ``analyze`` was pointed at appears in its summary: notes, sidecar
    files, videos with an unknown ending (an mp4 named ``.txt``), hidden files and folders,
    links to files that do not exist, streamfer's own output folders (a report's figures
    are not a frame sequence). This run's output folder is left out; image files count as
    taken when their folder is a frame sequence.
    """
    skip = out_dir.resolve() if out_dir is not None else None
    found: list[tuple[Path, str]] = []

    def consider(path: Path, by_glob: bool) -> None:
        suffix = path.suffix.lower()
        if suffix in VIDEO_SUFFIXES or (not by_glob and suffix in IMAGE_SUFFIXES):
            return
        if suffix in IMAGE_SUFFIXES:
            found.append(
                (
                    path,
                    "an image matched by a glob: name its folder (a frame sequence) or the image itself",
                )
            )
            return
        ending = suffix or "no ending"
        found.append(
            (path, f"not a video or image file ending ({ending}); name the file itself to try it")
        )

    for argument in arguments:
        path = Path(argument).expanduser()
        if path.is_dir():
            folders = [path]
            by_glob = False
        elif not path.exists() and _GLOB_CHARS.search(argument):
            matches = [Path(m) for m in sorted(glob.glob(str(path), recursive=True))]
            folders = [m for m in matches if m.is_dir()]
            for m in matches:
                if m.is_file():
                    consider(m.resolve(), by_glob=True)
            by_glob = False
        else:
            continue
        for folder in folders:
            for entry, left_out in _walk(folder.resolve(), skip):
                if left_out == HIDDEN_FILE and entry.suffix.lower() in IMAGE_SUFFIXES:
                    continue  # a frame folder's (its frames are every image file)
                if left_out is not None:
                    found.append((entry, left_out))
                elif entry.is_file():
                    consider(entry, by_glob)
    return list(dict.fromkeys(found))


def _regular_or_folder(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) or stat.S_ISDIR(mode)


def content_hash(item: Input) -> str | None:
    """sha256 of the input's content (see ``recording_sha256``), None when unreadable or not
    a regular file (``/dev/zero`` would never end)."""
    if not _regular_or_folder(item.path):
        return None
    try:
        return recording_sha256(item.path)
    except OSError:
        return None


def frame_count(item: Input) -> int | None:
    """How many frames the input holds, as its container says (None when unknown)."""
    if item.is_folder:
        return len(image_files(item.path))
    if is_still_image(item.path):
        return 1
    if not _regular_or_folder(item.path) or not item.path.is_file():
        return None
    if item.path.stat().st_size == 0:
        return None
    try:
        with opencv_path(item.path) as name, quiet_stderr(replay=False):
            capture = cv2.VideoCapture(name)
    except SourceError:
        return None  # the worker says why
    try:
        count = float(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0) if capture.isOpened() else 0.0
    finally:
        capture.release()
    return container_frame_count(count)


def recording_sha256(path: Path, salt: str = "") -> str:
    """sha256 of a recording's content: a video's bytes, or a frame folder's images in order.

    Names are left out, so a renamed or moved recording keeps its hash; each file's size goes
    in before its bytes to delimit the files. ``salt`` (settings, say) is hashed first.
    Raises OSError when the recording cannot be read.
    """
    return sha256_files(image_files(path) if path.is_dir() else [path], salt=salt)
