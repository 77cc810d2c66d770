"""Handing files to OpenCV safely: any file name, and no decompression bombs.

Two faults of OpenCV's Python binding that a hostile (or unlucky) file would hit:

- **Names that are not UTF-8.** Python reads such a name with ``surrogateescape`` (byte
  ``0xff`` becomes ``\\udcff``), and ``cv2.imread`` or ``cv2.VideoCapture`` given that
  string crash the whole process (a segmentation fault, nothing on stderr). ``opencv_path``
  gives OpenCV a name it can take: the path itself when it is valid UTF-8, else a symbolic
  link with a plain name in a private temporary folder, removed afterwards.
- **Decompression bombs.** An 875 KB PNG can say it is 30000 x 30000 pixels, and decoding it
  takes 2.7 GB for the pixels alone. ``image_size`` reads the width and height from the file's
  header (PNG, JPEG, GIF, BMP, WebP, TIFF) without decoding, and ``check_pixels`` refuses
  anything above ``[source] max_pixels`` before a byte is decoded. Videos are checked the same
  way on the size their container reports, before the first frame is decoded.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np

from streamfer.core.errors import SourceError
from streamfer.core.quiet import quiet_stderr

#: ``[source] max_pixels``' default: a 48-megapixel phone photo (8064 x 6048) and an 8K video
#: frame (7680 x 4320, 33 MP) fit; decoded as BGR such a frame takes at most 150 MB.
DEFAULT_MAX_PIXELS = 50_000_000


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@contextlib.contextmanager
def opencv_path(path: Path) -> Iterator[str]:
    """A name of ``path`` that OpenCV can open: ``str(path)`` when it is valid UTF-8, else a
    symbolic link to it, with a plain name and the same ending, in a private temporary folder
    (removed when the block ends). SourceError when neither can be made."""
    text = str(path)
    if "\0" in text:
        raise SourceError(f"the file name {text!r} holds a NUL character", "rename the file")
    if _utf8(text):
        yield text
        return
    suffix = path.suffix if _utf8(path.suffix) and path.suffix.isascii() else ""
    try:
        folder = tempfile.mkdtemp(prefix="streamfer-name-")
    except OSError as exc:
        raise _unnamed(path, exc) from None
    try:
        link = os.path.join(folder, "input" + suffix)
        try:
            os.symlink(os.path.abspath(path), link)
        except OSError as exc:
            raise _unnamed(path, exc) from None
        yield link
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _unnamed(path: Path, exc: OSError) -> SourceError:
    return SourceError(
        f"{path}: its name is not UTF-8 and OpenCV cannot open it ({exc.strerror})",
        "rename the file (convmv converts names to UTF-8)",
    )


def check_regular(path: Path, what: str = "file") -> None:
    """SourceError unless ``path`` is a regular file (or a link to one): a device such as
    ``/dev/zero`` or a named pipe never ends and has no size to check."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # missing: the caller says so in its own words
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        kind = (
            "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a named pipe"
            if stat.S_ISFIFO(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "not a regular file"
        )
        raise SourceError(
            f"{path} is {kind}, not a {what}", "give a recorded file, a frame folder or a camera"
        )


def check_pixels(width: float, height: float, max_pixels: int, path: Path, what: str) -> None:
    """SourceError when a ``width`` x ``height`` ``what`` (image, video) is over ``max_pixels``."""
    w, h = int(width), int(height)
    if w > 0 and h > 0 and w * h > max_pixels:
        raise SourceError(
            f"{path}: the {what} is {w} x {h} pixels ({w * h / 1e6:,.0f} megapixels), over the "
            f"limit of {max_pixels / 1e6:g} megapixels; not decoded",
            "shrink it first, or raise [source] max_pixels in config.toml if it is genuine",
        )


# --- image headers --------------------------------------------------------------------------

_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE})
_JPEG_SOF |= {0xCF}
#: JPEG segments scanned at most before giving up (EXIF, ICC and the like come first)
_JPEG_MAX_SEGMENTS = 4096


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from an image file's header without decoding it; None when the format
    is not one of PNG, JPEG, GIF, BMP, WebP, TIFF or the header is unreadable."""
    try:
        with open(path, "rb") as handle:
            return _size(handle)
    except (OSError, struct.error, ValueError):
        return None


def _size(f: BinaryIO) -> tuple[int, int] | None:
    head = f.read(32)
    if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
        w, h = struct.unpack(">II", head[16:24])
        return w, h
    if head[:6] in (b"GIF87a", b"GIF89a"):
        w, h = struct.unpack("<HH", head[6:10])
        return w, h
    if head.startswith(b"BM") and len(head) >= 26:
        (dib,) = struct.unpack("<I", head[14:18])
        if dib == 12:
            w, h = struct.unpack("<HH", head[18:22])
            return w, h
        w, h = struct.unpack("<ii", head[18:26])
        return abs(w), abs(h)
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return _webp(head)
    if head[:2] == b"\xff\xd8":
        return _jpeg(f)
    if head[:4] in (b"II*\0", b"MM\0*"):
        return _tiff(f, "<" if head[:2] == b"II" else ">")
    return None


def _webp(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", head[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and head[20] == 0x2F:
        (bits,) = struct.unpack("<I", head[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        w = int.from_bytes(head[24:27], "little") + 1
        h = int.from_bytes(head[27:30], "little") + 1
        return w, h
    return None


def _jpeg(f: BinaryIO) -> tuple[int, int] | None:
    f.seek(2)
    for _ in range(_JPEG_MAX_SEGMENTS):
        byte = f.read(1)
        while byte == b"\xff":  # fill bytes before a marker
            byte = f.read(1)
        if not byte:
            return None
        marker = byte[0]
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            continue
        length_bytes = f.read(2)
        if len(length_bytes) < 2:
            return None
        (length,) = struct.unpack(">H", length_bytes)
        if marker in _JPEG_SOF:
            data = f.read(5)
            h, w = struct.unpack(">HH", data[1:5])
            return w, h
        if marker == 0xDA or length < 2:  # start of scan before any frame header
            return None
        f.seek(length - 2, os.SEEK_CUR)
        if f.read(1) != b"\xff":
            return None
    return None


def _tiff(f: BinaryIO, order: str) -> tuple[int, int] | None:
    f.seek(4)
    (offset,) = struct.unpack(order + "I", f.read(4))
    f.seek(offset)
    (count,) = struct.unpack(order + "H", f.read(2))
    found: dict[int, int] = {}
    for _ in range(min(count, 4096)):
        entry = f.read(12)
        if len(entry) < 12:
            break
        tag, kind = struct.unpack(order + "HH", entry[:4])
        if tag in (256, 257):
            value = struct.unpack(
                order + ("H" if kind == 3 else "I"), entry[8:10] if kind == 3 else entry[8:12]
            )[0]
            found[tag] = value
    if 256 in found and 257 in found:
        return found[256], found[257]
    return None


def read_image(path: Path, max_pixels: int, flags: int = cv2.IMREAD_COLOR) -> np.ndarray | None:
    """The image at ``path`` decoded by OpenCV (None when it does not decode), after its header
    is checked against ``max_pixels``; any file name works. SourceError for a bomb, a device,
    or a format whose size OpenCV itself refuses."""
    check_regular(path, "image file")
    size = image_size(path)
    if size is not None:
        check_pixels(size[0], size[1], max_pixels, path, "image")
    with opencv_path(path) as name, quiet_stderr(replay=False):
        try:
            image = cv2.imread(name, flags)
        except cv2.error as exc:  # OpenCV's own limit (2^30 pixels) for formats not read above
            raise SourceError(
                f"{path}: OpenCV refused to decode it ({_first_line(str(exc))})",
                "check the file; a very large image must be shrunk first",
            ) from None
    if image is not None and image.shape[0] * image.shape[1] > max_pixels:
        raise SourceError(
            f"{path}: the image is {image.shape[1]} x {image.shape[0]} pixels, over the limit "
            f"of {max_pixels / 1e6:g} megapixels",
            "shrink it first, or raise [source] max_pixels in config.toml",
        )
    return image


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no reason given"


def frames_in(path: Path) -> int:
    """How many frames or pages an image file holds (an animated GIF, WebP or PNG, a
    multi-page TIFF: more than 1); 1 when OpenCV cannot say."""
    with opencv_path(path) as name, quiet_stderr(replay=False):
        try:
            return max(int(cv2.imcount(name)), 1)
        except cv2.error:
            return 1
