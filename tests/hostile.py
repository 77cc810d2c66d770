"""Hostile files for tests, made at test time (never committed): bombs and odd names.

``png_bomb`` writes a real, valid PNG of ``width`` x ``height`` black pixels in a few
hundred kilobytes, without compressing the gigabytes it stands for: every run of rows is the
same deflate segment (compressed once, after a full flush, so it does not depend on what came
before), repeated; the Adler-32 of all-zero data is computed directly.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import cv2
import numpy as np

#: a name that is not UTF-8 (bytes 0xff 0xfe), as ``os.fsdecode`` gives it
BAD_BYTES = b"bad\xff\xfe"


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_bomb(path: Path, width: int, height: int) -> int:
    """A valid 8-bit grey PNG of ``width`` x ``height`` zero pixels; returns its size in bytes."""
    row = width + 1  # a filter byte (0) before each row
    rows_per_block = max(1, (1 << 20) // row)
    while height % rows_per_block:
        rows_per_block -= 1
    block = b"\0" * (row * rows_per_block)
    compressor = zlib.compressobj(9)
    head = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    # ``head`` holds the zlib header (2 bytes) and a first segment; the later segments are
    # byte-aligned and identical: the history is reset at each full flush
    total = row * height
    adler = ((total % 65521) << 16) | 1  # Adler-32 of ``total`` zero bytes
    stream = head + again * (height // rows_per_block - 1) + b"\x03\x00" + struct.pack(">I", adler)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", stream)
    data += _chunk(b"IEND", b"")
    path.write_bytes(data)
    return len(data)


def jpeg_with_size(path: Path, width: int, height: int) -> None:
    """A small real JPEG whose frame header is edited to claim ``width`` x ``height``."""
    ok, encoded = cv2.imencode(".jpg", np.full((64, 64, 3), 128, np.uint8))
    assert ok
    data = bytearray(encoded.tobytes())
    at = data.index(b"\xff\xc0")  # baseline frame header: FFC0, length, precision, h, w
    data[at + 5 : at + 9] = struct.pack(">HH", height, width)
    path.write_bytes(bytes(data))
