"""Running figures for the dashboard and the session_end record, bounded in memory."""

from __future__ import annotations

import threading
from collections import deque

import numpy as np


class RateMeter:
    """Events per second over the last ``span`` seconds of a monotonic clock (thread-safe)."""

    def __init__(self, span: float = 2.0) -> None:
        self.span = span
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def tick(self, now: float) -> None:
        with self._lock:
            self._times.append(now)
            self._trim(now)

    def rate(self, now: float) -> float:
        with self._lock:
            self._trim(now)
            if len(self._times) < 2:
                return 0.0
            elapsed = self._times[-1] - self._times[0]
            return (len(self._times) - 1) / elapsed if elapsed > 0 else 0.0

    def _trim(self, now: float) -> None:
        while self._times and self._times[0] < now - self.span:
            self._times.popleft()


class LatencyMeter:
    """Latency percentiles (seconds) over the most recent ``keep`` samples."""

    def __init__(self, keep: int = 3000) -> None:
        self._samples: deque[float] = deque(maxlen=keep)

    def add(self, seconds: float) -> None:
        self._samples.append(seconds)

    def percentile(self, q: float) -> float | None:
        if not self._samples:
            return None
        return float(np.percentile(np.fromiter(self._samples, dtype=np.float64), q))
