"""The geometry stage: landmarks, blendshapes, head pose and a second face check, per face.

After detection (and tracking), for each face the detector found, MediaPipe Face Landmarker's
two models run on LiteRT (no mediapipe at run time):

1. ``face_landmarks_detector.tflite`` on MediaPipe's crop of the face (``landmarks.py``):
   478 landmarks and a face-presence score;
2. ``face_blendshapes.tflite`` on 146 of those landmarks (``blendshapes.py``): 52 expression
   coefficients by MediaPipe's names;
3. ``cv2.solvePnP`` against MediaPipe's canonical face (``head_pose.py``): yaw, pitch, roll.

``docs/geometry.md`` has the method, the MediaPipe files it follows, the parity with MediaPipe
Tasks and the time each step takes.

API::

    estimator = GeometryEstimator.default()        # the shipped models, one thread
    geometry = estimator.estimate(image_bgr, detection)   # FaceGeometry | None
    if geometry is not None:
        geometry.landmarks        # (478, 3) float32: x, y in frame pixels, z in x's scale
                                  #   (smaller = nearer the camera), MediaPipe's mesh order
        geometry.blendshapes      # (52,) float32 in BLENDSHAPE_NAMES order, 0..1
        geometry.blendshape_dict()  # {"_neutral": ..., "browDownLeft": ..., ...}
        geometry.yaw, geometry.pitch, geometry.roll   # degrees, see below
        geometry.presence         # the landmark model's face score, 0..1
        geometry.roi              # the rotated crop the landmark model saw (FaceRoi)
    estimator.skipped             # {"small": n, "edge": n, "presence": n, "pose": n}
    estimator.estimated           # faces that got geometry
    estimator.landmark_model, estimator.blendshape_model, estimator.canonical  # the parts
    estimator.close()

    sampler = GeometrySampler(estimator, interval=0.2)   # each tracked face at most 5 Hz
    fresh = sampler.update(image_bgr, t, [(track, detection), ...])   # {track: FaceGeometry}
    sampler.latest                # {track: (t, FaceGeometry)}: each live track's last one
    sampler.last                  # {track: Attempt}: each live track's last try, and why not

The landmark model costs several times the rest of the pipeline per face (about 4 ms on one
core against 1.2 ms for the emotion crops and model, ``docs/geometry.md``), so running it on
every frame would cut the pipeline's speed (as fast as possible) to a third for one face;
``GeometrySampler`` runs it for each track at most once per ``interval`` seconds of the
source's time. The default 0.2 s keeps more than half the speed for one and for two faces
(figures in ``docs/geometry.md``); expressions and head pose change over tenths of a second,
and the emotion verdicts come from windows of seconds. Live sources at 30 fps leave a desktop
CPU time enough for ``interval=0``.

Angles are zero for a face looking straight into the camera; ``yaw`` is positive when the
person turns to THEIR left (the nose moves towards the image's right), ``pitch`` when they
look up, ``roll`` when the head tilts towards their left shoulder. They are measured against
the camera's axes (as MediaPipe's facial transformation matrix is), not against the line from
the camera to the face: someone near the frame's side who looks into the lens has a yaw of
some degrees (``head_pose.py`` says which camera is assumed).

When a face gets no geometry (None, and one more in ``skipped[reason]``), never a made-up one:

- ``"small"``: a side of the detector's box is under ``min_face_pixels`` (default 48), or not
  a finite number. The
  landmark model sees a 256-pixel crop of 1.5 box widths, so a smaller face is enlarged more
  than 3.5 times: measured on 20 London faces shrunk to a 48-pixel box, the blendshapes move
  0.019 on average from the full-size photo's (0.026 at 40 pixels, 0.043 at 24), the
  landmarks 1.3 % of the box width;
- ``"edge"``: more than ``max_outside`` (default 0.2) of the detector's box lies outside the
  frame, where the model sees replicated border pixels instead of face. With 20 % of the box
  cut off (left, top or bottom) the same faces' blendshapes moved 0.027 at most on average,
  landmarks 0.75 % of the box width, yaw and pitch 2.8 degrees (4.7 at worst); at 30 %, 0.049
  and up to 8.9 degrees. The presence score stays near 1 for such faces, so it is no guard;
- ``"presence"``: the landmark model's presence score is below ``min_presence`` (default 0.5,
  MediaPipe's ``min_face_presence_confidence``): a second opinion on a false detection;
- ``"pose"``: the pose solver found no pose (degenerate landmarks).

The defaults come from the measurements in ``docs/geometry.md``. One estimator is meant for
one thread, like the detector and the classifier.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from streamfer.assets import bundled
from streamfer.core.errors import ModelError
from streamfer.core.frames import Detection, Image
from streamfer.vision.blendshapes import BLENDSHAPE_NAMES, BlendshapeModel
from streamfer.vision.head_pose import head_pose, load_canonical_face
from streamfer.vision.landmarks import FaceLandmarkModel, FaceRoi

LANDMARK_MODEL = "models/face_landmarks_detector.tflite"
BLENDSHAPE_MODEL = "models/face_blendshapes.tflite"
CANONICAL_FACE = "models/face_canonical.json"
#: Why a face got no geometry; each is a key of ``GeometryEstimator.skipped``.
SKIP_REASONS = ("small", "edge", "presence", "pose")


@dataclass(frozen=True)
class FaceGeometry:
    """One face's geometry. Arrays are read-only; angles in degrees (module docstring)."""

    landmarks: npt.NDArray[np.float32]
    blendshapes: npt.NDArray[np.float32]
    yaw: float
    pitch: float
    roll: float
    presence: float
    roi: FaceRoi = field(compare=False)

    def blendshape_dict(self) -> dict[str, float]:
        """The 52 scores by MediaPipe's names, in MediaPipe's order."""
        return {name: float(v) for name, v in zip(BLENDSHAPE_NAMES, self.blendshapes, strict=True)}


def _shipped(relative: str) -> Path:
    path = bundled(relative)
    if path is None:
        raise ModelError(
            f"{relative} is not installed", "reinstall streamfer or 'git checkout models/'"
        )
    return path


class GeometryEstimator:
    """Landmarks, blendshapes and head pose for detected faces. Build once; call ``estimate``.

    ``num_threads``: each model's CPU threads. The thresholds are explained in the module
    docstring; ``min_presence=0`` keeps every face the detector found.
    """

    def __init__(
        self,
        landmark_model: Path,
        blendshape_model: Path,
        canonical_face: Path | None = None,
        num_threads: int = 1,
        min_face_pixels: float = 48.0,
        max_outside: float = 0.2,
        min_presence: float = 0.5,
        check_edge_presence: bool = False,
    ) -> None:
        #: The three parts, each usable alone (benchmarks/bench_geometry.py times them).
        self.landmark_model = FaceLandmarkModel(landmark_model, num_threads)
        self.blendshape_model = BlendshapeModel(blendshape_model, num_threads)
        self.canonical = load_canonical_face(canonical_face or _shipped(CANONICAL_FACE))
        self.min_face_pixels = min_face_pixels
        self.max_outside = max_outside
        self.min_presence = min_presence
        self.check_edge_presence = check_edge_presence
        self.skipped: dict[str, int] = dict.fromkeys(SKIP_REASONS, 0)
        self.estimated = 0
        self.last_skip: str | None = None
        self.last_presence: float | None = None

    @classmethod
    def default(cls, num_threads: int = 1) -> GeometryEstimator:
        """The shipped models with the default thresholds."""
        return cls(_shipped(LANDMARK_MODEL), _shipped(BLENDSHAPE_MODEL), num_threads=num_threads)

    def estimate(self, image: Image, detection: Detection) -> FaceGeometry | None:
        """The geometry of one detected face in a BGR ``image``, or None (counted in
        ``skipped``, the reason also in ``last_skip``) when the face is too small, cut by the
        frame's edge, not confirmed by the landmark model or gives no pose. ``last_presence``:
        the landmark model's score of this call (None when it did not run).

        A face cut by the edge gets no geometry, but with ``check_edge_presence`` the landmark
        model still judges whether it is a face (real faces cut by 20-40 % keep 0.97-1.00):
        below ``min_presence`` it counts as ``"presence"``, not ``"edge"``."""
        self.last_skip, self.last_presence = None, None
        reason = self._unusable(detection, image.shape[1], image.shape[0])
        if reason == "edge" and self.check_edge_presence:
            _, self.last_presence = self.landmark_model.run(
                image, FaceRoi.from_detection(detection)
            )
            if self.last_presence < self.min_presence:
                reason = "presence"
        if reason is not None:
            self._skip(reason)
            return None
        roi = FaceRoi.from_detection(detection)
        landmarks, presence = self.landmark_model.run(image, roi)
        self.last_presence = presence
        if presence < self.min_presence or not np.all(np.isfinite(landmarks)):
            self._skip("presence")
            return None
        pose = head_pose(landmarks, self.canonical, (image.shape[1], image.shape[0]))
        if pose is None:
            self._skip("pose")
            return None
        blendshapes = self.blendshape_model.run(landmarks)
        landmarks.flags.writeable = False
        blendshapes.flags.writeable = False
        self.estimated += 1
        yaw, pitch, roll = pose
        return FaceGeometry(landmarks, blendshapes, yaw, pitch, roll, presence, roi)

    def _unusable(self, detection: Detection, width: int, height: int) -> str | None:
        box = detection.box
        if not all(math.isfinite(v) for v in (box.x, box.y, box.w, box.h)):
            return "small"
        if min(box.w, box.h) < self.min_face_pixels:
            return "small"
        inside_w = max(0.0, min(box.x + box.w, width) - max(box.x, 0.0))
        inside_h = max(0.0, min(box.y + box.h, height) - max(box.y, 0.0))
        if 1.0 - inside_w * inside_h / (box.w * box.h) > self.max_outside:
            return "edge"
        return None

    def _skip(self, reason: str) -> None:
        self.skipped[reason] += 1
        self.last_skip = reason

    def close(self) -> None:
        """Nothing to release beyond the interpreters, which Python frees."""

    def __enter__(self) -> GeometryEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class Attempt:
    """A track's last geometry attempt: at source time ``t``, its ``geometry`` or None with
    the ``skipped`` reason, and the landmark model's ``presence`` (None when it did not run)."""

    t: float
    geometry: FaceGeometry | None
    skipped: str | None
    presence: float | None


class GeometrySampler:
    """Geometry for tracked faces, each at most once per ``interval`` seconds of source time.

    ``update`` is called once per frame, in order, with the frame's tracked faces; it returns
    the geometry estimated at this frame (faces not due, or with no geometry, are absent) and
    forgets tracks no longer in the frame (or, face by face: ``sample`` each, then
    ``forget``). A face that got None waits an interval too, so a
    face the landmark model rejects does not cost a model run every frame. ``interval=0``
    estimates every face on every frame. ``confirm``: a new track is tried on each of its
    first ``confirm`` frames before the interval applies (a false detection that the landmark
    model passes once, on its first frame, is caught on its second; ``docs/geometry.md``).
    """

    def __init__(
        self, estimator: GeometryEstimator, interval: float = 0.2, confirm: int = 1
    ) -> None:
        if interval < 0:
            raise ValueError(f"interval must be 0 or more seconds, got {interval}")
        if confirm < 1:
            raise ValueError(f"confirm must be 1 or more frames, got {confirm}")
        self.estimator = estimator
        self.interval = interval
        self.confirm = confirm
        #: Each live track's last geometry and the source time it was estimated at.
        self.latest: dict[int, tuple[float, FaceGeometry]] = {}
        #: Each live track's last attempt, whatever came of it.
        self.last: dict[int, Attempt] = {}
        self._tries: dict[int, int] = {}

    def update(
        self, image: Image, t: float, faces: Iterable[tuple[int, Detection]]
    ) -> dict[int, FaceGeometry]:
        """``sample`` each of a frame's tracked faces, then ``forget`` the tracks not among
        them; the geometry estimated at this frame, by track."""
        fresh: dict[int, FaceGeometry] = {}
        live: set[int] = set()
        for track, detection in faces:
            live.add(track)
            geometry = self.sample(image, t, track, detection)
            if geometry is not None:
                fresh[track] = geometry
        self.forget(live)
        return fresh

    def sample(
        self, image: Image, t: float, track: int, detection: Detection
    ) -> FaceGeometry | None:
        """Estimate one tracked face when it is due; its geometry when estimated now."""
        last = self.last.get(track)
        # A millisecond's slack: frame times are sums of 1/fps, 3/30 can come out 0.0999...
        due = last is None or not last.t <= t < last.t + self.interval - 1e-3
        if not due and self._tries[track] >= self.confirm:
            return None
        self._tries[track] = self._tries.get(track, 0) + 1
        geometry = self.estimator.estimate(image, detection)
        estimator = self.estimator
        self.last[track] = Attempt(t, geometry, estimator.last_skip, estimator.last_presence)
        if geometry is not None:
            self.latest[track] = (t, geometry)
        return geometry

    def forget(self, live: set[int]) -> None:
        """Drop the tracks not in ``live`` (those not in the frame just sampled)."""
        for track in [k for k in self.last if k not in live]:
            del self.last[track], self._tries[track]
            self.latest.pop(track, None)
