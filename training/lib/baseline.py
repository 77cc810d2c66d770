"""Reading KDEF's dev people against their own neutral photo of the other session
(``training.steps.baseline_eval``, ``training.steps.reference``), from a ``training.steps.dump``
file; ``GRID`` is the (strength, gain) pairs tried."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from streamfer.method.baseline import log_probs, relative
from training.lib.metrics import scores

GRID = tuple((s, g) for s in (0.0, 0.25, 0.5) for g in (0.0, 0.25, 0.5, 1.0))


def reference(d: Any, name: str = "london_neutral") -> np.ndarray:
    if name == "kdef_train_neutral":
        m = d["set"] == "kdef_train_neutral"
    else:
        m = (d["set"] == "london") & (d["label"] == "neutral")
    p = d["probs"][m]
    p = p[~np.isnan(p).any(axis=1)]
    return np.asarray(log_probs(p).mean(axis=0))


def evaluate(
    d: Any, set_name: str, ref: np.ndarray, strength: float, gain: float
) -> dict[str, Any]:
    classes = tuple(str(c) for c in d["classes"])
    sessions: dict[tuple[str, str], dict[str, dict[str, int]]] = {}
    for i in np.flatnonzero(d["set"] == set_name).tolist():
        stem = Path(str(d["path"][i])).stem  # AF01NES, BM04SAHL
        angle = stem[-2:] if set_name == "kdef_dev_half" else "S"
        by_session = sessions.setdefault((stem[1:4], angle), {})
        by_session.setdefault(stem[0], {})[str(d["label"][i])] = int(i)
    truth: list[str] = []
    pred: list[str] = []
    for by_session in sessions.values():
        for base_session, scored_session in (("A", "B"), ("B", "A")):
            if base_session not in by_session or scored_session not in by_session:
                continue
            base_i = by_session[base_session].get("neutral")
            if base_i is None or np.isnan(d["probs"][base_i]).any():
                continue
            b = log_probs(d["probs"][base_i])
            for label, i in by_session[scored_session].items():
                truth.append(label)
                p = d["probs"][i]
                if np.isnan(p).any():
                    pred.append("no face")
                    continue
                q = relative(p, b, ref, strength, gain)
                pred.append(classes[int(np.argmax(q))])
    return scores(truth, pred, classes)
