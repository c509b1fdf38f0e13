"""European 1s for training: MNIST's 1s are nearly all plain bars (American), while many
people write a 1 with a flag (a short up-stroke into the top) and some with a base. Without
them the networks read a flagged 1 as 7, and a flagged 1 with a base as 2.

``flag_ones`` draws a flag (and sometimes a base) onto a share of the training set's 1s and
puts each through ``to_mnist`` again, as the window does with a drawing, so that the picture is
cropped, fitted and centred as MNIST's own. NumPy only: a 28×28 distance field per stroke is
faster here than rendering at a larger size (a few milliseconds for the whole share).
"""

from __future__ import annotations

import numpy as np

from ..preprocess import to_mnist

_CENTRES = np.mgrid[0:28, 0:28].astype(np.float64) + 0.5  # (row, col) of every pixel centre


def _segment(start: tuple[float, float], end: tuple[float, float], width: float) -> np.ndarray:
    """(28, 28) anti-aliased ink of a straight stroke ``width`` px wide from ``start`` to
    ``end`` ((row, col) in pixel-edge coordinates)."""
    p = _CENTRES - np.asarray(start)[:, None, None]
    d = np.asarray(end, dtype=np.float64) - np.asarray(start)
    t = np.clip((p[0] * d[0] + p[1] * d[1]) / max(float(d @ d), 1e-9), 0.0, 1.0)
    dist = np.hypot(p[0] - t * d[0], p[1] - t * d[1])
    return np.clip(width / 2 + 0.5 - dist, 0.0, 1.0)


def flag_one(image: np.ndarray, rng: np.random.Generator, base_share: float = 0.3) -> np.ndarray:
    """``image`` (a 28×28 MNIST 1 in [0, 1]) with a flag drawn from its top down to the left
    (25–55° below the horizontal and at least 25° off the stem where it can, 20–35 % of the
    digit's height long) and, with probability ``base_share``, a base across its foot; through
    ``to_mnist`` again. An image with almost no ink is returned as it is."""
    ink = image.astype(np.float64)
    rows, cols = np.nonzero(ink > 0.3)
    if len(rows) < 5:
        return image
    top, bottom = rows.min(), rows.max()
    height = float(bottom - top + 1)
    width = float(np.clip(ink.sum() / height, 1.0, 4.0))  # the pen, from ink per row
    peak = float(ink.max())
    tip = (top + 0.5, cols[rows <= top + 1].mean() + 0.5)
    # The stem's angle below the horizontal (90° upright, less for a 1 leaning right): the
    # flag stays at least 25° off it, or it would merge into the stem.
    drow, dcol = rows - rows.mean(), cols - cols.mean()
    stem = np.degrees(np.arctan2(np.sum(drow * drow), -np.sum(drow * dcol)))
    # A flatter or longer flag is a 7's bar.
    angle = np.deg2rad(rng.uniform(25.0, max(30.0, min(55.0, stem - 25.0))))
    length = rng.uniform(0.20, 0.35) * height
    end = (tip[0] + length * np.sin(angle), tip[1] - length * np.cos(angle))
    out = np.maximum(ink, peak * _segment(tip, end, width))
    if rng.random() < base_share:
        foot = (bottom + 0.5, cols[rows >= bottom - 1].mean() + 0.5)
        left, right = rng.uniform(0.12, 0.30, size=2) * height
        out = np.maximum(
            out, peak * _segment((foot[0], foot[1] - left), (foot[0], foot[1] + right), width)
        )
    placed = to_mnist(out.astype(np.float32))
    return image if placed is None else placed


def flag_ones(
    x: np.ndarray, y: np.ndarray, share: float, seed: int = 0, base_share: float = 0.3
) -> np.ndarray:
    """A copy of ``x`` (N, 28, 28) in which ``share`` of the 1s (``y == 1``), chosen with
    ``seed``, carry a flag (and some a base): see ``flag_one``. The labels do not change."""
    out = np.array(x, copy=True)
    if share <= 0:
        return out
    rng = np.random.default_rng(seed)
    ones = np.flatnonzero(np.asarray(y) == 1)
    chosen = rng.choice(ones, round(share * len(ones)), replace=False)
    for i in chosen:
        out[i] = flag_one(x[i], rng, base_share)
    return out
