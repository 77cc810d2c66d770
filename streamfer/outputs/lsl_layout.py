"""What streamfer's Lab Streaming Layer streams hold, without pylsl: names, source ids,
channels, samples, marker texts and the map from ``time.monotonic`` to the LSL clock.

One stream of type ``FacialExpression`` per person: a sample per processed frame with their
face, holding every label's probability (in the model's order), valence and arousal, and,
when the geometry stage is on, the 52 blendshapes and the head pose (NaN on a frame whose face
got no geometry). One ``Markers`` stream of strings for the session: its start and end, each
new representative emotion, the operator's markers and a live source's loss and return.
Channel labels, units and types follow the XDF meta-data conventions (``desc/channels``).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from streamfer.config.settings import Config
from streamfer.pipeline.results import FaceResult
from streamfer.vision.blendshapes import BLENDSHAPE_NAMES

FACE_TYPE = "FacialExpression"
MARKERS_TYPE = "Markers"
MARKER_CHANNEL = "marker"
HEAD_POSE = ("yaw", "pitch", "roll")


@dataclass(frozen=True)
class Channel:
    """One channel of a stream as its ``desc/channels/channel`` says: label, unit, type."""

    label: str
    unit: str
    type: str


def geometry_on(config: Config) -> bool:
    """Whether the geometry stage (blendshapes, head pose) runs: ``Config.geometry_on``
    (``[geometry] enabled``, with ``"auto"`` decided by the emotion model's sidecar)."""
    return config.geometry_on()


def face_channels(emotions: tuple[str, ...], geometry: bool) -> tuple[Channel, ...]:
    """A person's channels: each label's probability, valence, arousal (the geometry's
    blendshapes and head pose after them when ``geometry``)."""
    channels = [Channel(label, "normalized", "Probability") for label in emotions]
    channels += [Channel("valence", "normalized", "Valence")]
    channels += [Channel("arousal", "normalized", "Arousal")]
    if geometry:
        channels += [Channel(name, "normalized", "Blendshape") for name in BLENDSHAPE_NAMES]
        channels += [Channel(angle, "degrees", "HeadPose") for angle in HEAD_POSE]
    return tuple(channels)


def face_sample(face: FaceResult, geometry: bool) -> list[float]:
    """One face's values in the order of ``face_channels``."""
    values = [float(p) for p in face.probs] + [face.valence, face.arousal]
    if geometry:
        found: Any = getattr(face, "geometry", None)
        if found is None:
            values += [math.nan] * (len(BLENDSHAPE_NAMES) + len(HEAD_POSE))
        else:
            values += [float(b) for b in found.blendshapes]
            values += [float(found.yaw), float(found.pitch), float(found.roll)]
    return values


def stream_name(prefix: str, session: str, track: int | None) -> str:
    """``streamfer session-20261202-101500 person 1`` (``markers`` when ``track`` is None)."""
    return f"{prefix} {session} " + ("markers" if track is None else f"person {track}")


def source_id(host: str, source: str, track: int | None) -> str:
    """The same for the same host, source and person in every session: LSL recorders (and
    LabRecorder) find a lost stream again by it, also after streamfer restarts (track ids
    start at 1 in each session)."""
    what = "markers" if track is None else f"person {track}"
    digest = hashlib.sha256(f"{host}\n{source}\n{what}".encode()).hexdigest()[:16]
    return f"streamfer-{digest}"


def verdict_marker(track: int, label: str) -> str:
    return f"person {track}: {label}"


def group_marker(label: str) -> str:
    return f"group: {label}"


class ClockMap:
    """Frame times (``time.monotonic``, as ``Frame.captured``) on the LSL clock.

    The offset between the two clocks is taken once, at the start, from the closest of a few
    readings of both; samples are then stamped with their frame's capture time, not with the
    time they were sent (which lags by the pipeline's latency).
    """

    def __init__(
        self, lsl_clock: Callable[[], float], monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        best: tuple[float, float] | None = None  # (reading's width, offset)
        for _ in range(5):
            before = monotonic()
            lsl_now = lsl_clock()
            after = monotonic()
            reading = (after - before, lsl_now - (before + after) / 2)
            if best is None or reading[0] < best[0]:
                best = reading
        assert best is not None
        self.offset = best[1]

    def lsl_time(self, monotonic_time: float) -> float:
        return monotonic_time + self.offset
