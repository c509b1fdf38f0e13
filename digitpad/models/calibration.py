"""Calibrated probabilities: temperature scaling (Guo et al. 2017) and how calibration is measured.

A model's probabilities ``p`` become ``p ** (1 / T)``, renormalised: for a softmax of logits
``z`` that is exactly the softmax of ``z / T``, so it is temperature scaling even where only the
probabilities are at hand (the LiteRT networks end in their softmax). ``T`` is fitted per model,
by maximum likelihood, on held-out labelled digits; it is stored in the model's ``meta.json``
under ``"calibration"`` (written by ``python train_models.py --calibrate``, see
``digitpad.training.calibrate``), and every ``predict_proba`` applies it. ``T > 1`` softens a
model that is too sure of itself; ``T < 1`` sharpens one that is too shy (label smoothing makes
a network so). Dividing every log-probability by the same ``T`` never changes which digit is
most probable.

>>> import numpy as np
>>> p = np.array([[0.90, 0.05, 0.05]])
>>> scale(p, 2.0).round(3).tolist()  # softer: the top falls
[[0.68, 0.16, 0.16]]
>>> scale(p, 0.5).round(4).tolist()  # sharper: the top rises
[[0.9939, 0.0031, 0.0031]]
>>> y = np.array([0, 0, 1, 0])  # a model that says 90 % and is right 3 times out of 4
>>> q = np.repeat(p, 4, axis=0)
>>> round(expected_calibration_error(q, y), 3)  # 90 % shown, 75 % right
0.15

Nothing here imports another part of DigitPad; the only dependency is NumPy (SciPy to fit).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

#: The key of ``meta.json`` that holds the fitted temperature and where it came from.
KEY = "calibration"
#: Equal-width bins of the top probability for the expected calibration error (as Guo et al.).
BINS = 15
#: Temperatures outside this range are refused: they would mean a broken fit or a damaged file.
T_RANGE = (1e-2, 1e2)


def temperature(meta: Mapping[str, Any]) -> float:
    """The calibration temperature in a model's metadata; 1.0 (no change) when there is none.

    Raises ``ValueError`` for a value that is not a positive number within ``T_RANGE``.
    """
    entry = meta.get(KEY)
    if entry is None:
        return 1.0
    t = entry.get("temperature") if isinstance(entry, Mapping) else None
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t):
        raise ValueError(f"its calibration temperature is {t!r}, not a number")
    if not T_RANGE[0] <= t <= T_RANGE[1]:
        raise ValueError(f"its calibration temperature {t} is outside {T_RANGE}")
    return float(t)


def scale(p: np.ndarray, t: float) -> np.ndarray:
    """(N, K) probabilities at temperature ``t``: ``p ** (1 / t)`` renormalised, in float64.

    Computed in log space (a softmax of ``log p / t``), so nothing underflows; a probability
    that is exactly 0 stays 0. ``t == 1`` gives ``p`` back unchanged.
    """
    p = np.asarray(p, dtype=np.float64)
    if t == 1.0:
        return p
    with np.errstate(divide="ignore"):
        z = np.log(p) / t
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def negative_log_likelihood(p: np.ndarray, y: np.ndarray) -> float:
    """Mean ``-log p[label]`` of (N, K) probabilities ``p`` for labels ``y`` (N,)."""
    p = np.asarray(p, dtype=np.float64)
    picked = p[np.arange(len(y)), np.asarray(y, dtype=np.int64)]
    return float(-np.mean(np.log(np.maximum(picked, 1e-300))))


def fit_temperature(p: np.ndarray, y: np.ndarray) -> float:
    """The ``T`` in ``T_RANGE`` that minimises the negative log-likelihood of ``y`` under
    ``scale(p, T)``: temperature scaling's one parameter, fitted on held-out digits.

    The likelihood is a convex function of ``1 / T``, so a bounded scalar search finds its
    minimum (SciPy's ``minimize_scalar``).
    """
    from scipy.optimize import minimize_scalar

    p = np.asarray(p, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    if p.ndim != 2 or len(p) != len(y) or len(y) == 0:
        raise ValueError(f"need (N, K) probabilities and N labels, got {p.shape} and {y.shape}")
    with np.errstate(divide="ignore"):
        logp = np.log(p)
    rows = np.arange(len(y))

    def nll(log_t: float) -> float:
        z = logp / math.exp(log_t)
        z_max = z.max(axis=1, keepdims=True)
        lse = np.log(np.exp(z - z_max).sum(axis=1)) + z_max[:, 0]
        return float(np.mean(lse - z[rows, y]))

    lo, hi = (math.log(v) for v in T_RANGE)
    found = minimize_scalar(nll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-6})
    return float(math.exp(found.x))


@dataclass(frozen=True)
class Bin:
    """One bin of a reliability table: top probabilities in (``low``, ``high``], how many
    answers fell in it, their mean top probability and the share of them that were right."""

    low: float
    high: float
    count: int
    confidence: float
    accuracy: float


def reliability(p: np.ndarray, y: np.ndarray, bins: int = BINS) -> list[Bin]:
    """The reliability table of (N, K) probabilities ``p`` for labels ``y``: the top-label
    answers grouped by their probability in ``bins`` equal-width bins of (0, 1]; empty bins
    are left out."""
    p = np.asarray(p, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    top = p.max(axis=1)
    right = p.argmax(axis=1) == y
    edges = np.linspace(0.0, 1.0, bins + 1)
    # Bin k holds (edges[k], edges[k + 1]]; a top probability is never below 1 / K > 0.
    which = np.clip(np.searchsorted(edges, top, side="left") - 1, 0, bins - 1)
    table = []
    for k in range(bins):
        inside = which == k
        n = int(inside.sum())
        if n:
            table.append(
                Bin(
                    float(edges[k]),
                    float(edges[k + 1]),
                    n,
                    float(top[inside].mean()),
                    float(right[inside].mean()),
                )
            )
    return table


def expected_calibration_error(p: np.ndarray, y: np.ndarray, bins: int = BINS) -> float:
    """Top-label expected calibration error (Guo et al. 2017): the gap between the shown top
    probability and the share right, averaged over ``bins`` equal-width bins weighted by how
    many answers each holds."""
    table = reliability(p, y, bins)
    total = sum(b.count for b in table)
    return float(sum(b.count * abs(b.accuracy - b.confidence) for b in table) / total)
