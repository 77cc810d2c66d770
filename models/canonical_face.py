"""Derive ``models/face_canonical.json`` from the Face Landmarker's geometry metadata.

    python models/canonical_face.py GEOMETRY.binarypb OUT.json

``geometry_pipeline_metadata_landmarks.binarypb`` (a member of MediaPipe's
``face_landmarker.task``) is a serialised ``GeometryPipelineMetadata`` protobuf
(``mediapipe/tasks/cc/vision/face_geometry/proto/geometry_pipeline_metadata.proto`` and
``mesh_3d.proto``, google-ai-edge/mediapipe, Apache-2.0). As stored in that file:

- field 1, ``canonical_mesh`` (``Mesh3d``): ``vertex_type`` (0 = ``VERTEX_PT``: x, y, z, u, v
  per vertex), ``primitive_type`` (0 = triangles), ``vertex_buffer`` (floats, one field each),
  ``index_buffer`` (the triangles, not needed here);
- field 2, ``procrustes_landmark_basis``, repeated: ``landmark_id`` and ``landmark_weight``,
  the landmarks MediaPipe's geometry pipeline fits the canonical face to, and how much each
  counts;
- field 3, ``input_source`` (1 = ``FACE_LANDMARK_PIPELINE``).

The canonical face is in centimetres, x towards the person's left (the image's right for a
face looking at the camera), y up, z out of the face towards the viewer. The reader below
handles exactly the three protobuf wire types this file uses (varint, 32-bit, length-
delimited); streamfer itself never parses protobuf, it reads the JSON written here.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from pathlib import Path


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _fields(data: bytes) -> list[tuple[int, int | float | bytes]]:
    """(field number, value) for each field of one message, in order."""
    out: list[tuple[int, int | float | bytes]] = []
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        value: int | float | bytes
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 2:
            size, i = _varint(data, i)
            value, i = data[i : i + size], i + size
        elif wire == 5:
            value, i = struct.unpack("<f", data[i : i + 4])[0], i + 4
        else:
            raise ValueError(f"wire type {wire} (field {number}) is not expected in this file")
        out.append((number, value))
    return out


def _floats(values: list[int | float | bytes]) -> list[float]:
    """A repeated float field, whether written one value a field or packed."""
    floats: list[float] = []
    for value in values:
        if isinstance(value, bytes):
            floats.extend(struct.unpack(f"<{len(value) // 4}f", value))
        else:
            floats.append(float(value))
    return floats


def canonical_face(data: bytes) -> dict[str, object]:
    top = _fields(data)
    mesh = [_fields(v) for n, v in top if n == 1 and isinstance(v, bytes)]
    if len(mesh) != 1:
        raise ValueError("expected one canonical_mesh")
    vertex_type = next((v for n, v in mesh[0] if n == 1), 0)
    if vertex_type != 0:
        raise ValueError(f"vertex_type {vertex_type}, expected 0 (VERTEX_PT)")
    buffer = _floats([v for n, v in mesh[0] if n == 3])
    if len(buffer) % 5:
        raise ValueError("vertex_buffer is not five floats a vertex")
    vertices = [
        [round(buffer[i], 6), round(buffer[i + 1], 6), round(buffer[i + 2], 6)]
        for i in range(0, len(buffer), 5)
    ]
    basis = []
    for n, v in top:
        if n == 2 and isinstance(v, bytes):
            ref = dict(_fields(v))
            basis.append([int(ref.get(1, 0)), round(float(ref.get(2, 0.0)), 8)])
    return {
        "source": "geometry_pipeline_metadata_landmarks.binarypb in MediaPipe's "
        "face_landmarker.task (float16 v1, Apache-2.0), derived by models/canonical_face.py",
        "source_sha256": hashlib.sha256(data).hexdigest(),
        "units": "cm; x to the person's left, y up, z out of the face",
        "vertices": vertices,
        "procrustes": basis,
    }


def write(geometry: Path, out: Path) -> None:
    face = canonical_face(geometry.read_bytes())
    text = json.dumps(face, separators=(",", ":"))
    # One vertex a line: readable and diffable, still small.
    text = text.replace("],[", "],\n[")
    out.write_text(text + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    write(Path(sys.argv[1]), Path(sys.argv[2]))
