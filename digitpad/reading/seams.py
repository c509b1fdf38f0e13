"""Cut paths through touching or overlapping digits: seams of least ink from top to bottom.

A straight cut cannot part two digits whose strokes cross; a path that may bend can follow the
gap between them and cross a stroke only where they overlap. Each seam is found by dynamic
programming over the rows of the mark (as seam carving does), confined to a band of columns
around a starting column, every band at once in NumPy: the seam's cost is the ink it crosses
plus a little for each column it drifts, so it runs straight where the paper is clear.

>>> import numpy as np
>>> ink = np.zeros((40, 30), np.float32)
>>> ink[:, 8:11] = 1.0  # a stroke ...
>>> ink[5:35, 19:22] = 1.0  # ... and another beside it
>>> s, cost = seams(ink, np.array([15]), band=6)
>>> s.shape, bool((s[0] >= 11).all() and (s[0] <= 19).all())
((1, 40), True)
>>> float(cost[0])  # it crosses no ink
0.0
"""

from __future__ import annotations

import numpy as np

_DRIFT = 0.05  # a seam's cost per column it moves sideways (a pixel of ink costs 1)


def seams(ink: np.ndarray, starts: np.ndarray, band: int) -> tuple[np.ndarray, np.ndarray]:
    """The seam of least cost within ``band`` columns of each column in ``starts``: an (K, H)
    int array, row y of seam k the first column right of the cut (pixels left of it go
    left), and each seam's cost (K,), about the number of ink pixels it crosses. ``ink`` is
    the (H, W) mark, zero off its strokes. From one row to the next a seam steps down and then
    runs sideways along the row as far as it likes (so it can follow a gap that lies nearly
    flat, under one digit's loop and over another's), paying for the ink it crosses and
    ``_DRIFT`` for each column. Each seam is searched in its own window of 2·band + 1
    columns, all windows at once."""
    h, w = ink.shape
    starts = np.asarray(starts, np.int64)
    big = np.float32(1e9)
    cost = np.pad((ink > 0).astype(np.float32), ((0, 0), (band, band)), constant_values=big)
    window = starts[:, None] + np.arange(2 * band + 1)[None, :]  # (K, 2B+1) padded columns
    local = cost[:, window]  # (H, K, 2B+1)
    span = 2 * band + 1
    cols = np.arange(span)
    acc = local[0]
    back = np.zeros((h, len(starts), span), np.int16)
    for y in range(1, h):
        down = acc + local[y]
        step = np.cumsum(local[y] + _DRIFT, axis=1)  # the cost of running right to each column
        right, came_r = _running_min(down - step, cols)
        right += step
        rstep = np.cumsum((local[y] + _DRIFT)[:, ::-1], axis=1)  # and of running left
        left, came_l = _running_min((down[:, ::-1] - rstep), cols)
        left = (left + rstep)[:, ::-1]
        came_l = span - 1 - came_l[:, ::-1]
        acc = np.minimum(right, left)
        back[y] = np.where(right <= left, came_r, came_l)
    path = np.empty((len(starts), h), np.int64)
    x = acc.argmin(axis=1)
    k = np.arange(len(starts))
    for y in range(h - 1, -1, -1):
        path[:, y] = x
        x = back[y, k, x]
    return np.clip(path + starts[:, None] - band, 0, w), acc.min(axis=1)


def _running_min(a: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The running minimum of each row of ``a`` (K, S), left to right, and where it was
    reached."""
    low = np.minimum.accumulate(a, axis=1)
    where = np.maximum.accumulate(np.where(a <= low, cols[None, :], 0), axis=1)
    return low, where


def distinct(path: np.ndarray, tolerance: float) -> list[int]:
    """Which seams of ``path`` (K, H) run apart from each other, left to right by their mean
    column: of seams closer than ``tolerance`` columns on average, the first is kept."""
    order = np.argsort(path.mean(axis=1), kind="stable")
    kept: list[int] = []
    for k in order:
        if all(np.abs(path[k] - path[j]).mean() >= tolerance for j in kept):
            kept.append(int(k))
    return kept


def between(ink: np.ndarray, left: np.ndarray | None, right: np.ndarray | None) -> np.ndarray:
    """``ink`` with only the pixels from seam ``left`` (None: the first column) up to seam
    ``right`` (None: past the last column) kept; the rest zero."""
    cols = np.arange(ink.shape[1])[None, :]
    keep = np.ones(ink.shape, bool)
    if left is not None:
        keep &= cols >= left[:, None]
    if right is not None:
        keep &= cols < right[:, None]
    return np.where(keep, ink, 0)
