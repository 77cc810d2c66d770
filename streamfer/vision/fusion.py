"""Several readings of one face fused into one distribution, in log space.

The pipeline's reading of a face is a weighted geometric mean of its parts' probabilities,

    log p(c) = sum_k w_k log p_k(c) / sum_k w_k      (over the parts k that read class c)

renormalised: the emotion CNN's, the geometry head's (a face with fresh geometry) and the
second expression model's (``vision/expression.py``). A part that has nothing to say for
this face is left out, and a part that does not know a class (the second model has no
contempt) abstains on that class alone, so its weight is shared out among the others there.
The weights come from the emotion model's sidecar, chosen on held-out people of several
studios by the worst of them (docs/accuracy.md, Recognition III).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

#: Probabilities are floored here before the logarithm: one confident part cannot veto a class.
FLOOR = 1e-4


def fuse_parts(
    parts: Sequence[tuple[npt.NDArray[np.floating], float]],
) -> npt.NDArray[np.float32]:
    """``parts``: (probabilities in one class order, NaN where a part abstains; weight)."""
    first = np.asarray(parts[0][0], np.float64)
    z = np.zeros_like(first)
    total = np.zeros_like(first)
    for probs, weight in parts:
        p = np.asarray(probs, np.float64)
        known = ~np.isnan(p)
        z += np.where(known, weight * np.log(np.maximum(np.where(known, p, 1.0), FLOOR)), 0.0)
        total += np.where(known, weight, 0.0)
    z = np.where(total > 0, z / np.maximum(total, 1e-12), np.log(FLOOR))
    z -= z.max()
    e = np.exp(z)
    return np.asarray(e / e.sum(), np.float32)


def tempered(probs: npt.NDArray[np.floating], temperature: float) -> npt.NDArray[np.float64]:
    """``softmax(log p / T)`` along the last axis (NaN, a class a model lacks, stays NaN):
    T above 1 softens a model that is sure of everything."""
    p = np.asarray(probs, np.float64)
    if temperature == 1.0:
        return p
    z = np.log(np.maximum(p, 1e-12)) / temperature
    z -= np.nanmax(z, axis=-1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / np.nansum(e, axis=-1, keepdims=True))
