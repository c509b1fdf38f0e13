"""Synthetic drawn numbers of 2–6 digits, to measure ``digitpad.read_number``.

Each digit is a synthetic mouse drawing (``synthetic.drawn``), its strokes scaled to the
number's height (each digit 85–115 % of it, its baseline up to 8 % of the height off) and
drawn with one pen for the whole number, as the canvas paints strokes. The digits are laid
left to right with a gap of one of four kinds, measured between the inks themselves (the
closest pair of pixels of neighbouring digits on the same row):

- ``overlap``: the strokes cross, 2 px to 12 % of the height into each other;
- ``touching``: the inks just meet (0–2 px into each other);
- ``close``: 2 px to 10 % of the height apart;
- ``wide``: 15–50 % of the height apart.

The number is laid on a canvas three times as wide as tall (280 × 840 px, the Number mode's
shape), shrunk to fit when it is wider. Seeds: ``TUNING_SEED`` for choosing anything in the
reader, ``HELD_OUT_SEED`` for the figures only.

>>> sample = make_numbers(20, seed=TUNING_SEED)[18]
>>> sample.image.shape, sample.image.dtype, len(sample.text), sample.gap
((280, 840), dtype('uint8'), 5, 'overlap')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import drawn

CANVAS = (280, 840)  # (height, width): the Number mode's 3:1 canvas
GAPS = ("wide", "close", "touching", "overlap")
LENGTHS = (2, 3, 4, 5, 6)
TUNING_SEED = 0
HELD_OUT_SEED = 1  # never used to choose anything: the figures only
_INK = 0.1 * 255  # a pixel is ink from this level (as ``preprocess.INK_FRACTION``)


@dataclass(frozen=True, eq=False)
class DrawnNumber:
    """One drawn number: ``image`` (H, W) uint8, ink 255 on 0; ``text`` its digits; ``gap``
    the kind of gap between them; ``boxes`` each digit's (left, top, width, height);
    ``strokes`` every digit's strokes in drawing order, left to right, each (K, 2) x, y in the
    image's pixels, drawn with a pen ``pen`` px wide (to replay them as mouse moves, or to read
    the number from its strokes: drawn alone with that pen, digit ``i``'s strokes give its ink
    as the image shows it, before the image was shrunk to fit); ``digit_of`` says which digit
    (its index, left to right) each stroke belongs to."""

    image: np.ndarray
    text: str
    gap: str
    boxes: tuple[tuple[int, int, int, int], ...]
    strokes: tuple[np.ndarray, ...] = ()
    pen: float = 0.0
    digit_of: tuple[int, ...] = ()

    def digit_strokes(self, i: int) -> list[np.ndarray]:
        """Digit ``i``'s strokes (left to right), in drawing order."""
        return [s for s, d in zip(self.strokes, self.digit_of, strict=True) if d == i]


def make_numbers(
    n: int, seed: int = TUNING_SEED, length: int | None = None, gap: str | None = None
) -> list[DrawnNumber]:
    """``n`` numbers; number i has ``length`` digits (default: 2, 3, 4, 5, 6 in turn) and gaps
    of kind ``gap`` (default: each kind for five numbers in turn). Number i depends on
    (seed, i, length, gap), not on n."""
    if gap is not None and gap not in GAPS:
        raise ValueError(f"gap must be one of {GAPS}, not {gap!r}")
    out = []
    for i in range(n):
        rng = np.random.default_rng([seed, i, length or 0, GAPS.index(gap) if gap else 9])
        k = length or LENGTHS[i % len(LENGTHS)]
        kind = gap or GAPS[(i // len(LENGTHS)) % len(GAPS)]
        out.append(make_number([int(d) for d in rng.integers(0, 10, k)], kind, rng))
    return out


def make_number(
    digits: list[int], gap: str, rng: np.random.Generator, shape: tuple[int, int] = CANVAS
) -> DrawnNumber:
    """The number ``digits`` drawn with gaps of kind ``gap`` on a canvas of ``shape``."""
    height = rng.uniform(0.4, 0.6) * shape[0]
    pen = float(np.clip(rng.normal(16.0, 2.0), 12, 20))
    drawn_digits = [digit_ink(d, height, pen, rng) for d in digits]
    number, row = laid(
        [(ink, top) for ink, top, _ in drawn_digits], digits, gap, height, rng, shape
    )
    # The strokes, where the digits went: each shrunk as the row was (see _on_canvas).
    f = min(1.0, 0.9 * shape[0] / row.shape[0], 0.94 * shape[1] / row.shape[1])
    strokes, digit_of = _placed([own for _, _, own in drawn_digits], number.boxes, f)
    return DrawnNumber(number.image, number.text, gap, number.boxes, strokes, pen * f, digit_of)


def laid(inks, digits, gap, height, rng, shape):
    """``inks`` ((ink, top) each) joined with gaps of kind ``gap`` and laid on the canvas:
    the number, and the joined row before it was shrunk to fit."""
    row, tops, lefts = join_row(inks, lambda: gap_px(gap, height, rng))
    widths = [ink.shape[1] for ink, _ in inks]
    heights = [ink.shape[0] for ink, _ in inks]
    return _on_canvas(row, digits, gap, lefts, tops, widths, heights, shape, rng), row


def join_row(inks, distance) -> tuple[np.ndarray, list[int], list[int]]:
    """``inks`` ((ink, top) each) joined left to right, each ``distance()`` px from the one
    before (:func:`join_ink`): the row, each ink's top in it and each ink's left."""
    tops = [t - min(t for _, t in inks) for _, t in inks]
    tall = max(t + ink.shape[0] for (ink, _), t in zip(inks, tops, strict=True))
    row = np.zeros((tall, 0), np.uint8)
    lefts = []
    for i, (ink, _) in enumerate(inks):
        row, left = join_ink(row, ink, tops[i], distance() if i else 0.0)
        lefts.append(left)
    return row, tops, lefts


def make_mnist_numbers(
    n: int, seed: int = HELD_OUT_SEED, length: int | None = None, gap: str | None = None
) -> list[DrawnNumber]:
    """As :func:`make_numbers`, but each digit a digit of the MNIST *test* set (real
    handwriting that no model was trained on), cropped to its ink and enlarged to the number's
    height (85–115 % of it, its baseline up to 8 % off); no strokes."""
    from ..data.mnist import load_mnist

    images, labels = load_mnist("test", as_float=False)
    out = []
    for i in range(n):
        rng = np.random.default_rng([seed, i, length or 0, GAPS.index(gap) if gap else 9, 28])
        k = length or LENGTHS[i % len(LENGTHS)]
        kind = gap or GAPS[(i // len(LENGTHS)) % len(GAPS)]
        digits = [int(d) for d in rng.integers(0, 10, k)]
        height = rng.uniform(0.4, 0.6) * CANVAS[0]
        inks = [
            enlarged(images[int(rng.choice(np.flatnonzero(labels == d)))], height, rng)
            for d in digits
        ]
        out.append(laid(inks, digits, kind, height, rng, CANVAS)[0])
    return out


def enlarged(image: np.ndarray, height: float, rng: np.random.Generator):
    """``image`` (28 × 28 uint8: an MNIST digit, or a non-digit in MNIST format) cropped to its
    ink and enlarged to 85–115 % of ``height`` px, and its top relative to the number's line
    (its baseline up to 8 % off)."""
    import cv2

    rows = np.flatnonzero(image.max(axis=1) >= 26)
    cols = np.flatnonzero(image.max(axis=0) >= 26)
    crop = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    f = height * rng.uniform(0.85, 1.15) / crop.shape[0]
    size = (max(1, round(crop.shape[1] * f)), max(1, round(crop.shape[0] * f)))
    ink = cv2.resize(crop, size, interpolation=cv2.INTER_LINEAR)
    top = (height - ink.shape[0]) + rng.normal(0.0, 0.04) * height
    return ink, round(top)


def _placed(strokes: list[list[np.ndarray]], boxes, f: float):
    """Every digit's ``strokes`` (in its crop's pixels) scaled by ``f`` and moved to its box,
    in drawing order: the strokes, and which digit each is of."""
    placed = [(i, s * f + box[:2]) for i, box in enumerate(boxes) for s in strokes[i]]
    return tuple(s for _, s in placed), tuple(i for i, _ in placed)


def digit_ink(digit: int, height: float, pen: float, rng: np.random.Generator):
    """One drawn digit at about ``height`` px, cropped to its ink: (h, w) uint8, its top
    relative to the number's line (px), and its strokes in the crop's pixels."""
    drawing = drawn.make_drawing(digit, rng)
    points = np.vstack(drawing.strokes)
    lo, hi = points.min(axis=0), points.max(axis=0)
    scale = height * rng.uniform(0.85, 1.15) / max(hi[1] - lo[1], 1.0)
    margin = pen / 2 + 1
    strokes = [(s - lo) * scale + margin for s in drawing.strokes]
    size = (hi - lo) * scale + 2 * margin
    ink = drawn.render_strokes(strokes, pen, (int(np.ceil(size[1])), int(np.ceil(size[0]))))
    rows = np.flatnonzero(ink.max(axis=1) >= _INK)
    cols = np.flatnonzero(ink.max(axis=0) >= _INK)
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    top = (height - ink.shape[0]) + rng.normal(0.0, 0.04) * height  # a common baseline, off
    return ink, round(top), [s - (cols[0], rows[0]) for s in strokes]


def gap_px(kind: str, height: float, rng: np.random.Generator) -> float:
    """The distance (px) between neighbouring inks; negative: into each other."""
    if kind == "overlap":
        return -rng.uniform(2.0, max(3.0, 0.12 * height))
    if kind == "touching":
        return -rng.uniform(0.0, 2.0)
    if kind == "close":
        return rng.uniform(2.0, max(3.0, 0.1 * height))
    return rng.uniform(0.15, 0.5) * height


def join_ink(row: np.ndarray, ink: np.ndarray, top: int, distance: float):
    """``ink`` laid at row ``top`` right of ``row``'s ink, its closest pixel ``distance`` px
    from it on the same line: the joined row, and where ``ink``'s left ended up in it."""
    h = row.shape[0]
    if row.shape[1] == 0:  # the first digit
        out = np.zeros((h, ink.shape[1]), np.uint8)
        out[top : top + ink.shape[0]] = ink
        return out, 0
    right = np.full(h, -1)  # for each line, the rightmost ink of ``row`` ...
    rr = row >= _INK
    has = rr.any(axis=1)
    right[has] = row.shape[1] - 1 - np.argmax(rr[has, ::-1], axis=1)
    left = np.full(h, -1)  # ... and the leftmost of ``ink``
    ii = ink >= _INK
    has = ii.any(axis=1)
    left[top : top + ink.shape[0]][has] = np.argmax(ii[has], axis=1)
    both = (right >= 0) & (left >= 0)
    reach = int((right[both] - left[both]).max()) if both.any() else row.shape[1] - 1
    x = max(0, round(reach + 1 + distance))
    out = np.zeros((h, max(row.shape[1], x + ink.shape[1])), np.uint8)
    out[:, : row.shape[1]] = row
    window = out[top : top + ink.shape[0], x : x + ink.shape[1]]
    np.maximum(window, ink, out=window)
    return out, x


def _on_canvas(row, digits, gap, lefts, tops, widths, heights, shape, rng) -> DrawnNumber:
    """The joined row placed on the canvas (shrunk to fit), with each digit's box."""
    import cv2

    room = (0.9 * shape[0], 0.94 * shape[1])
    f = min(1.0, room[0] / row.shape[0], room[1] / row.shape[1])
    if f < 1.0:
        size = (max(1, round(row.shape[1] * f)), max(1, round(row.shape[0] * f)))
        row = cv2.resize(row, size, interpolation=cv2.INTER_AREA)
    y = int(rng.integers(0, shape[0] - row.shape[0] + 1))
    x = int(rng.integers(0, shape[1] - row.shape[1] + 1))
    canvas = np.zeros(shape, np.uint8)
    canvas[y : y + row.shape[0], x : x + row.shape[1]] = row
    boxes = tuple(
        (x + round(a * f), y + round(t * f), round(w * f), round(h * f))
        for a, t, w, h in zip(lefts, tops, widths, heights, strict=True)
    )
    return DrawnNumber(canvas, "".join(map(str, digits)), gap, boxes)
