"""Face crops for the emotion model: squared, margin added, eyes levelled, 64x64 grayscale."""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from streamfer.core.frames import Detection, Image

#: The FER2013 Mini-Xception's input side; other models give theirs in their sidecar.
INPUT_SIZE = 64


def face_crop(
    image: Image, detection: Detection, margin: float, align_eyes: bool, size: int = INPUT_SIZE
) -> npt.NDArray[np.uint8]:
    """A ``size`` x ``size`` grayscale crop of one face.

    The square side is the larger box side times ``1 + margin``, centred on the box. With
    ``align_eyes`` the crop is rotated about its centre so the line between the eyes is level.
    Pixels outside the frame are filled by replicating the border.
    """
    box = detection.box
    side = max(box.w, box.h) * (1.0 + margin)
    cx, cy = box.x + box.w / 2.0, box.y + box.h / 2.0
    angle = 0.0
    if align_eyes and detection.right_eye is not None and detection.left_eye is not None:
        # The person's right eye appears on the image's left; level the line right -> left eye.
        (rx, ry), (lx, ly) = detection.right_eye, detection.left_eye
        angle = math.degrees(math.atan2(ly - ry, lx - rx))
    scale = size / side
    # One affine warp: rotate about the face centre, scale to the output, move centre to middle.
    matrix = cv2.getRotationMatrix2D((cx, cy), angle, scale)
    matrix[0, 2] += size / 2.0 - cx
    matrix[1, 2] += size / 2.0 - cy
    out = cv2.warpAffine(
        image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    if out.ndim == 3:  # converting the small crop, not the whole frame, to gray
        out = cv2.cvtColor(out, cv2.COLOR_BGR2GRAY)
    return np.asarray(out, dtype=np.uint8)


def normalise(
    crop: npt.NDArray[np.uint8], scale: float = 2.0 / 255.0, offset: float = -1.0
) -> npt.NDArray[np.float32]:
    """Model input from a grayscale crop: shape (1, H, W, 1), values ``x * scale + offset``.

    The defaults give ``(x/255 - 0.5) * 2`` (-1..1), what every shipped model expects; a
    model's sidecar states its own.
    """
    x = crop.astype(np.float32) * np.float32(scale) + np.float32(offset)
    return x[np.newaxis, :, :, np.newaxis]
