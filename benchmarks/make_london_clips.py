"""Build labelled clips from the London face set for ``streamfer calibrate`` / ``evaluate``.

Each of the set's people (``london_faces/neutral/NNN_03.jpg`` and ``smiling/NNN_08.jpg``)
gives two clips of ``--frames`` frames with a little movement (a slow pan and zoom):

- ``happy``: the neutral photo, with the smiling photo for a short burst somewhere inside it
  (``--burst-min`` to ``--burst-max`` frames, seeded): the paper's "emotion buried in neutral";
- ``neutral``: the neutral photo only.

Layouts (``--layout``): ``videos`` (``OUT/happy/NNN.mp4``, mp4v), ``frames`` (``OUT/happy/NNN/``
holding ``frame_0000.jpg`` ...), or ``manifest`` (frame folders under ``OUT/clips/`` and
``OUT/manifest.csv`` with ``path,label,subject``, the subject being the face id).

    python benchmarks/make_london_clips.py ../shared/data/london_faces /tmp/london-clips

The clips are written outside the repository: the London set may not be copied into it.
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
SIZE = 320
FPS = 15.0


def face_ids(london: Path) -> list[str]:
    """The ids that have both a neutral and a smiling photo."""
    neutral = {p.name[:3] for p in (london / "neutral").glob("*_03.jpg")}
    smiling = {p.name[:3] for p in (london / "smiling").glob("*_08.jpg")}
    return sorted(neutral & smiling)


def _read(path: Path) -> Image:
    image = cv2.imread(str(path))
    if image is None:
        raise SystemExit(f"cannot read {path}")
    return np.asarray(image, dtype=np.uint8)


def moving_frame(photo: Image, i: int, n: int) -> Image:
    """Frame ``i`` of ``n``: the photo panned by a few pixels and zoomed by up to 8 %."""
    phase = 2.0 * math.pi * i / max(n, 1)
    scale = SIZE / photo.shape[0] * (0.92 + 0.08 * math.sin(phase))
    dx, dy = 8.0 * math.sin(phase), 6.0 * math.cos(phase)
    matrix = np.array(
        [
            [scale, 0.0, SIZE / 2 + dx - scale * photo.shape[1] / 2],
            [0.0, scale, SIZE / 2 + dy - scale * photo.shape[0] / 2],
        ]
    )
    return np.asarray(
        cv2.warpAffine(photo, matrix, (SIZE, SIZE), borderMode=cv2.BORDER_REPLICATE),
        dtype=np.uint8,
    )


def clip_frames(
    neutral: Image, smiling: Image | None, n: int, burst: tuple[int, int] | None
) -> list[Image]:
    """``n`` frames of ``neutral``, with ``smiling`` in frames [start, end) of ``burst``."""
    frames = []
    for i in range(n):
        smile = smiling is not None and burst is not None and burst[0] <= i < burst[1]
        frames.append(moving_frame(smiling if smile and smiling is not None else neutral, i, n))
    return frames


def write_video(frames: list[Image], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), FPS, (SIZE, SIZE))
    if not writer.isOpened():
        raise SystemExit(f"cannot write {path}")
    for frame in frames:
        writer.write(frame)
    writer.release()


def write_frames(frames: list[Image], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"frame_{i:04d}.jpg"), frame, [cv2.IMWRITE_JPEG_QUALITY, 90])


def make_clips(
    london: Path,
    out: Path,
    layout: str,
    ids: list[str] | None = None,
    frames: int = 30,
    burst_range: tuple[int, int] = (3, 9),
    seed: int = 0,
) -> list[tuple[Path, str, str]]:
    """Write a happy and a neutral clip per face id; return (path, label, subject) rows."""
    rng = np.random.default_rng(seed)
    rows: list[tuple[Path, str, str]] = []
    for face in ids if ids is not None else face_ids(london):
        neutral = _read(london / "neutral" / f"{face}_03.jpg")
        smiling = _read(london / "smiling" / f"{face}_08.jpg")
        length = int(rng.integers(burst_range[0], burst_range[1] + 1))
        start = int(rng.integers(0, frames - length + 1))
        for label, clip in (
            ("happy", clip_frames(neutral, smiling, frames, (start, start + length))),
            ("neutral", clip_frames(neutral, None, frames, None)),
        ):
            if layout == "videos":
                path = out / label / f"{face}.mp4"
                write_video(clip, path)
            else:
                path = (out / "clips" if layout == "manifest" else out / label) / f"{face}_{label}"
                write_frames(clip, path)
            rows.append((path, label, face))
    if layout == "manifest":
        with (out / "manifest.csv").open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["path", "label", "subject"])
            for path, label, face in rows:
                writer.writerow([path.relative_to(out).as_posix(), label, face])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("london", type=Path, help="the london_faces folder")
    parser.add_argument("out", type=Path, help="where the clips go (outside the repository)")
    parser.add_argument("--layout", choices=["videos", "frames", "manifest"], default="manifest")
    parser.add_argument("--frames", type=int, default=30, help="frames a clip (default 30)")
    parser.add_argument("--burst-min", type=int, default=3, help="shortest smile (frames)")
    parser.add_argument("--burst-max", type=int, default=9, help="longest smile (frames)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = make_clips(
        args.london,
        args.out,
        args.layout,
        frames=args.frames,
        burst_range=(args.burst_min, args.burst_max),
        seed=args.seed,
    )
    print(f"{len(rows)} clips written to {args.out}")


if __name__ == "__main__":
    main()
