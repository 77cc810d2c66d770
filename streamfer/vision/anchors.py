"""SSD anchors and box decoding for MediaPipe's BlazeFace models, without the mediapipe runtime.

What MediaPipe does, read from its public graphs (google-ai-edge/mediapipe, Apache-2.0):

- ``mediapipe/modules/face_detection/face_detection_short_range.pbtxt``: 128x128 input,
  ``num_layers: 4``, ``strides: 8, 16, 16, 16``, ``interpolated_scale_aspect_ratio: 1.0``,
  ``num_boxes: 896``, ``x/y/w/h_scale: 128``, ``min_score_thresh: 0.5``. The Tasks graph
  ``mediapipe/tasks/cc/vision/face_detector/face_detector_graph.cc`` hard-codes the same.
- ``mediapipe/modules/face_detection/face_detection_full_range.pbtxt``: 192x192 input,
  ``num_layers: 1``, ``strides: 4``, ``interpolated_scale_aspect_ratio: 0.0``,
  ``num_boxes: 2304``, ``x/y/w/h_scale: 192``, ``min_score_thresh: 0.6``.
- ``mediapipe/modules/face_detection/face_detection.pbtxt`` (shared by both):
  ``SsdAnchorsCalculator`` with ``anchor_offset_x/y: 0.5``, ``aspect_ratios: 1.0``,
  ``fixed_anchor_size: true``; ``TensorsToDetectionsCalculator`` with ``num_coords: 16``,
  ``box_coord_offset: 0``, ``keypoint_coord_offset: 4``, ``num_keypoints: 6``,
  ``num_values_per_keypoint: 2``, ``sigmoid_score: true``, ``score_clipping_thresh: 100``,
  ``reverse_output_order: true`` (x before y); ``NonMaxSuppressionCalculator`` with
  ``min_suppression_threshold: 0.3``, ``overlap_type: INTERSECTION_OVER_UNION``,
  ``algorithm: WEIGHTED``; ``ImageToTensorCalculator`` with ``keep_aspect_ratio: true``
  (letterbox), ``border_mode: BORDER_ZERO`` and ``output_tensor_float_range: [-1, 1]``.

The anchor layout follows ``mediapipe/calculators/tflite/ssd_anchors_calculator.cc``: layers
that share a stride are merged into one feature map of ``ceil(input / stride)`` cells a side;
each cell gets, per merged layer, one anchor per aspect ratio plus one "interpolated" anchor
when ``interpolated_scale_aspect_ratio > 0``; the cell centre is ``(x + offset) / width``.
With ``fixed_anchor_size`` every anchor is 1 x 1, so decoding needs only the centres, and the
scale range (``min_scale``/``max_scale``) does not enter. Written here from that description;
no MediaPipe code is copied.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: Keypoint order of BlazeFace's six points (``keypoint_coord_offset: 4``). "Right" is the
#: person's right, which appears on the image's left.
KEYPOINTS = ("right_eye", "left_eye", "nose_tip", "mouth", "right_ear", "left_ear")


@dataclass(frozen=True)
class BlazeFaceSpec:
    """The graph options of one BlazeFace model: its anchors and its decoding.

    ``input_size``: the model's square input side, pixels. ``strides``: one per SSD layer.
    ``interpolated_scale_aspect_ratio``: 0 adds no interpolated anchor. ``min_score``: the
    graph's default score threshold (0..1). ``min_suppression_iou``: the weighted NMS's
    overlap above which boxes merge.
    """

    name: str
    input_size: int
    strides: tuple[int, ...]
    interpolated_scale_aspect_ratio: float
    num_boxes: int
    min_score: float
    aspect_ratios: tuple[float, ...] = (1.0,)
    anchor_offset: float = 0.5
    score_clipping: float = 100.0
    num_keypoints: int = 6
    min_suppression_iou: float = 0.3

    def __post_init__(self) -> None:
        count = len(ssd_anchor_centres(self))
        if count != self.num_boxes:
            raise ValueError(
                f"{self.name}: anchors give {count} boxes, graph says {self.num_boxes}"
            )


def ssd_anchor_centres(spec: BlazeFaceSpec) -> npt.NDArray[np.float32]:
    """Anchor centres ``(x, y)`` in 0..1 of the model input, in the model's output order."""
    centres: list[tuple[float, float]] = []
    layer = 0
    while layer < len(spec.strides):
        stride = spec.strides[layer]
        per_cell = 0
        # consecutive layers with the same stride share one feature map
        while layer < len(spec.strides) and spec.strides[layer] == stride:
            per_cell += len(spec.aspect_ratios)
            if spec.interpolated_scale_aspect_ratio > 0.0:
                per_cell += 1
            layer += 1
        side = math.ceil(spec.input_size / stride)
        for y in range(side):
            for x in range(side):
                centre = ((x + spec.anchor_offset) / side, (y + spec.anchor_offset) / side)
                centres.extend([centre] * per_cell)
    return np.asarray(centres, dtype=np.float32).reshape(-1, 2)


SHORT_RANGE = BlazeFaceSpec(
    name="short_range",
    input_size=128,
    strides=(8, 16, 16, 16),
    interpolated_scale_aspect_ratio=1.0,
    num_boxes=896,
    min_score=0.5,
)
FULL_RANGE = BlazeFaceSpec(
    name="full_range",
    input_size=192,
    strides=(4,),
    interpolated_scale_aspect_ratio=0.0,
    num_boxes=2304,
    min_score=0.6,
)
SPECS = {spec.input_size: spec for spec in (SHORT_RANGE, FULL_RANGE)}


def decode(
    raw_boxes: npt.NDArray[np.float32],
    anchors: npt.NDArray[np.float32],
    input_size: int,
) -> npt.NDArray[np.float32]:
    """Box corners and keypoints in 0..1 of the model input from the raw regressors.

    ``raw_boxes``: (N, 16) in input pixels relative to each anchor's centre, x before y:
    centre x, centre y, width, height, then six (x, y) keypoints. ``anchors``: (N, 2) centres.
    Returns (N, 16): xmin, ymin, xmax, ymax, then the six keypoints' (x, y).
    """
    scaled = raw_boxes / np.float32(input_size)
    out = np.empty_like(scaled)
    cx = scaled[:, 0] + anchors[:, 0]
    cy = scaled[:, 1] + anchors[:, 1]
    half_w = scaled[:, 2] / 2.0
    half_h = scaled[:, 3] / 2.0
    out[:, 0] = cx - half_w
    out[:, 1] = cy - half_h
    out[:, 2] = cx + half_w
    out[:, 3] = cy + half_h
    out[:, 4::2] = scaled[:, 4::2] + anchors[:, :1]
    out[:, 5::2] = scaled[:, 5::2] + anchors[:, 1:2]
    return out


def sigmoid_scores(raw_scores: npt.NDArray[np.float32], clipping: float) -> npt.NDArray[np.float32]:
    """Scores 0..1 from logits clipped to +-``clipping`` (the graph's score_clipping_thresh)."""
    clipped = np.clip(raw_scores, -clipping, clipping)
    with np.errstate(over="ignore"):  # exp(100) is inf in float32: the score is then 0, as wanted
        return np.asarray(1.0 / (1.0 + np.exp(-clipped)), dtype=np.float32)


def _iou(box: npt.NDArray[np.float32], others: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """IoU of one (4,) corner box with (M, 4) corner boxes; 0 where the union is empty."""
    ix = np.clip(np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1]), 0, None)
    inter = ix * iy
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    union = area + areas - inter
    safe = np.where(union > 0, union, 1.0)
    return np.asarray(np.where(union > 0, inter / safe, 0.0), dtype=np.float32)


def weighted_nms(
    decoded: npt.NDArray[np.float32],
    scores: npt.NDArray[np.float32],
    min_suppression_iou: float,
) -> list[tuple[npt.NDArray[np.float32], float]]:
    """MediaPipe's WEIGHTED non-maximum suppression (``non_max_suppression_calculator.cc``).

    Repeatedly take the best-scoring box left; every remaining box overlapping it by more than
    ``min_suppression_iou`` (itself included) joins its cluster; the cluster's box corners and
    keypoints are the score-weighted mean of its members, its score the best member's.
    Returns (row of 16 values, score) per face, best first.
    """
    order = np.argsort(-scores, kind="stable")
    remaining = decoded[order]
    remaining_scores = scores[order]
    faces: list[tuple[npt.NDArray[np.float32], float]] = []
    while len(remaining):
        overlap = _iou(remaining[0, :4], remaining[:, :4])
        members = overlap > min_suppression_iou
        if not members[0]:  # a degenerate (empty) box: MediaPipe keeps it as is and stops
            faces.append((remaining[0].copy(), float(remaining_scores[0])))
            break
        weights = remaining_scores[members]
        merged = (remaining[members] * weights[:, None]).sum(axis=0) / weights.sum()
        faces.append((merged.astype(np.float32), float(remaining_scores[0])))
        remaining = remaining[~members]
        remaining_scores = remaining_scores[~members]
    return faces
