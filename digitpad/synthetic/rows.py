"""Rows of digits that touch or cross, to train the sequence reader (``reading.sequence``).

A row is what ``read_number`` finds as one wide mark: 1–6 digits joined left to right, each
pair's inks overlapping (2 px to 20 % of the height into each other), just touching, or close.
The digits are of two kinds, half the rows each:

- synthetic mouse drawings (``synthetic.drawn``, drawn as ``synthetic.numbers`` draws them, with
  a pen 8–15 % of the height wide);
- MNIST training digits (real handwriting), cropped to their ink and enlarged.

Each digit is 85–115 % of the row's height, its baseline up to 8 % of it off. Rows are made
from a seed of their own (``TRAINING_SEED``), never the numbers' tuning or held-out seeds.

:func:`make_negative_row` joins 1–4 things that are no digit the same way (letters, symbols,
scribbles, shapes, objects from the tuning part of ``synthetic.negatives``): the reader is to
read no digit in them.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from . import numbers

HEIGHT = 48  # px: the row's digits are drawn about this high (then scaled to the reader's)
TRAINING_SEED = 1000
_KINDS = ("overlap", "touching", "close")
_KIND_SHARE = (0.5, 0.35, 0.15)
_LENGTH_SHARE = (0.04, 0.3, 0.22, 0.16, 0.14, 0.14)  # 1, 2, ... 6 digits


def make_row(rng: np.random.Generator, mnist: tuple[np.ndarray, np.ndarray] | None = None):
    """One row: its ink (h, w) uint8, 255 on 0, and its digits. From MNIST's (images, labels)
    when ``mnist`` is given, else synthetic drawings."""
    k = 1 + int(rng.choice(len(_LENGTH_SHARE), p=_LENGTH_SHARE))
    digits = [int(d) for d in rng.integers(0, 10, k)]
    height = HEIGHT * rng.uniform(0.9, 1.1)
    if mnist is None:
        pen = height * rng.uniform(0.08, 0.15)
        inks = [numbers.digit_ink(d, height, pen, rng)[:2] for d in digits]
    else:
        inks = [_mnist_ink(d, height, mnist, rng) for d in digits]
    return _joined(inks, height, rng), digits


NEGATIVE_KINDS = ("letters", "symbols", "scribbles", "shapes", "objects")


def make_negative_row(rng: np.random.Generator, pictures: list[np.ndarray]) -> np.ndarray:
    """A row of 1–4 of ``pictures`` (28 × 28 floats, non-digits), joined as digits are."""
    height = HEIGHT * rng.uniform(0.9, 1.1)
    chosen = rng.choice(len(pictures), int(rng.integers(1, 5)))
    inks = [numbers.enlarged(_as_uint8(pictures[k]), height, rng) for k in chosen]
    return _joined(inks, height, rng)


def _joined(inks: list, height: float, rng: np.random.Generator) -> np.ndarray:
    """``inks`` ((ink, top) each) joined left to right, touching, crossing or close."""
    return numbers.join_row(inks, lambda: _distance(height, rng))[0]


def _distance(height: float, rng: np.random.Generator) -> float:
    kind = _KINDS[int(rng.choice(len(_KINDS), p=_KIND_SHARE))]
    if kind == "overlap":
        return -rng.uniform(2.0, max(3.0, 0.2 * height))
    return numbers.gap_px(kind, height, rng)


def _mnist_ink(digit: int, height: float, mnist, rng: np.random.Generator):
    """A random MNIST image of ``digit`` cropped to its ink at about ``height`` px, and its top
    relative to the row's line."""
    images, labels = mnist
    pool = np.flatnonzero(labels == digit)
    return numbers.enlarged(images[int(rng.choice(pool))], height, rng)


def make_nondigit_numbers(
    n: int, kind: str, seed: int = numbers.HELD_OUT_SEED, part: str = "held-out"
) -> list:
    """``n`` "numbers" of 2–6 things that are no digit, of ``kind`` (one of
    ``NEGATIVE_KINDS``, from ``part`` of ``synthetic.negatives``, the held-out one unless told),
    laid on the Number mode's canvas as ``synthetic.numbers`` lays digits (gap kinds in turn): a
    reader should give no digit for any of them. ``text`` is "?" for each thing."""
    from . import negatives

    pictures = [p.image for p in negatives.make(kind, part, 3 * n, seed=seed)]
    out = []
    for i in range(n):
        rng = np.random.default_rng([seed, i, NEGATIVE_KINDS.index(kind)])
        k = numbers.LENGTHS[i % len(numbers.LENGTHS)]
        gap = numbers.GAPS[(i // len(numbers.LENGTHS)) % len(numbers.GAPS)]
        height = rng.uniform(0.4, 0.6) * numbers.CANVAS[0]
        chosen = rng.choice(len(pictures), k, replace=False)
        inks = [numbers.enlarged(_as_uint8(pictures[j]), height, rng) for j in chosen]
        out.append(numbers.laid(inks, [0] * k, gap, height, rng, numbers.CANVAS)[0])
    return [replace(s, text="?" * len(s.boxes)) for s in out]


def _as_uint8(picture: np.ndarray) -> np.ndarray:
    return np.round(picture * 255).astype(np.uint8)
