"""A number read from its pen strokes: each digit's strokes drawn alone, so digits that touch or
cross come apart exactly (``digitpad.read_number(strokes=...)``; the window's Number mode).

A picture of a number loses which ink belongs to which digit where two digits touch or cross;
the strokes keep it. Which strokes make one digit is not known, but people draw a digit's
strokes one after another (a 4 in two strokes, a 5 with its flag, a 7 with its bar), so a digit
is a run of strokes in drawing order, of at most ``MAX_STROKES``, whose strokes hang together
(they share columns, or one starts where the other is). Every such run is drawn alone with its
strokes' own pen, as the canvas paints them (round, anti-aliased, the eraser's strokes drawn
after it painting the background back), brought into MNIST format and scored as
``read_number`` scores the pieces of a cut mark: the models' mean log-probability for the digit
the model in charge reads, and the verdict's detector's that it is a digit at all, less a cost
per digit, a penalty for a digit too wide or too narrow, and another for a shape that is no
single digit's, and a run loses more for each stroke the others of it do not hold (sharing
most of its columns, or, drawn just before it, having it start on its ink: a 5's flag). The
way of splitting the strokes into runs with the best total score is kept (dynamic
programming over the drawing order), and each digit is read by every model with the same
verdict as ``digitpad.read`` (``api.read_with``). A flag or a bar put on a digit after the
next one was drawn is tried both where it was drawn and moved back beside the stroke it lies
on; the order that reads better is kept.

The constants were chosen on the tuning seed of ``synthetic.numbers`` only.

>>> import digitpad
>>> from digitpad.synthetic import numbers
>>> sample = numbers.make_numbers(1, seed=5, length=3, gap="overlap")[0]
>>> n = digitpad.read_number(strokes=sample.strokes, pen=sample.pen)
>>> n.text == sample.text, len(n.digits)
(True, 3)
>>> digitpad.read_number(strokes=[], pen=16)
Traceback (most recent call last):
...
ValueError: the picture is empty (no ink): write a number, bright on black
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import models
from ..preprocess import INK_FRACTION, to_mnist
from . import api, live, number
from .number import (
    JUDGES,
    PIECE_COST,
    NumberReading,
    Piece,
    best_spans,
    empty_message,
    read_pieces,
    score_pieces,
)

MAX_STROKES = 4  # a digit is drawn in at most this many strokes (a 5 in three, with a dot: 4)
SUPERSAMPLE = 4  # strokes are drawn this many times finer, then averaged down (anti-aliasing)
_TALL = 0.5  # strokes at least this share of the tallest one's height tell the digits' height
_TOUCH = 1.0  # a stroke ending this many pens' widths from another's ink may be of its digit
_SPECK = 0.02  # a stroke with less ink than this share of the most inked one is a speck
_SAME_COLUMNS = 0.7  # a stroke sharing this share of the narrower one's columns with another of
# its run is held by it (a 4's stem, a 7's bar, a 1's base), as is one that starts on the stroke
# drawn just before it (a 5's flag, an 8's second loop)
_LOOSE = 3.0  # a run loses this (log-probability) for each of its strokes not held so
_DIGIT_COST = 1.0  # each digit costs this (log-probability): a stroke's ink is its own, so a
# digit split off is seldom a scrap, as a piece cut from a picture can be (number.PIECE_COST)


@dataclass(frozen=True, eq=False)
class PenStroke:
    """A stroke as the reader sees it: ``points`` (K, 2) x, y in ink pixels, the pen's
    diameter ``width`` in pixels, whether it ``erase``s, and a ``key`` that changes when the
    stroke does (the canvas's serial and point count)."""

    points: np.ndarray
    width: float
    erase: bool = False
    key: object = None

    def columns(self) -> tuple[float, float]:
        r = self.width / 2
        return float(self.points[:, 0].min() - r), float(self.points[:, 0].max() + r)

    def rows(self) -> tuple[float, float]:
        r = self.width / 2
        return float(self.points[:, 1].min() - r), float(self.points[:, 1].max() + r)


def read_number(
    image: api.ImageLike | None = None,
    model: str | None = None,
    *,
    strokes: Sequence[np.ndarray | PenStroke] | None = None,
    pen: float | None = None,
) -> NumberReading:
    """``digitpad.read_number``: the number in ``image`` (a path or an (H, W) grey array, read
    as ``reading.number.read_number`` reads a picture), or, instead of a picture, the pen
    ``strokes`` it was drawn with, in drawing order (:func:`read_strokes`: each a (K, 2) array
    of x, y points in pixels drawn with a round pen ``pen`` px wide, or a :class:`PenStroke`);
    each digit's strokes are then read alone, so digits that touch or cross come apart, and the
    boxes are in the strokes' pixels. Give one of ``image`` and ``strokes``. ``model`` picks the
    model in charge, as for ``digitpad.read``. Raises ``ValueError`` for no ink or an unreadable
    file and ``ModelError`` for a model that does not exist or cannot be used."""
    if strokes is None:
        if image is None:
            raise TypeError("read_number() needs a picture (a path or an array) or its strokes")
        return number.read_number(image, model)
    if image is not None:
        raise ValueError("give read_number() a picture or its strokes, not both")
    return read_strokes(strokes, pen, model)


def read_strokes(
    strokes: Sequence[np.ndarray | PenStroke],
    pen: float | None = None,
    model: str | None = None,
    shape: tuple[int, int] | None = None,
) -> NumberReading:
    """Read the number drawn with ``strokes``, in drawing order: each a (K, 2) array of x, y
    points in pixels drawn with a round pen ``pen`` px wide, or a :class:`PenStroke` (its own
    pen, perhaps an eraser). ``shape`` (height, width): the canvas, whose edges cut the ink (by
    default none). ``model`` picks the model in charge, as for ``digitpad.read``. Boxes are in
    the strokes' pixels. Raises ``ValueError`` for no ink and ``ModelError`` for a model that
    does not exist or cannot be used."""
    pens = [_as_pen(s, pen) for s in strokes]
    if not any(not p.erase for p in pens):
        raise ValueError(empty_message(None))
    classifiers = api.usable_models(model)
    driver = live.pick_driver(model, list(classifiers))
    return read_pen_number(pens, classifiers, driver, shape)


def read_pen_number(
    strokes: Sequence[PenStroke],
    classifiers: dict[str, models.Classifier],
    driver: str,
    shape: tuple[int, int] | None = None,
) -> NumberReading:
    """The number drawn with ``strokes`` (in drawing order), read by ``classifiers`` with
    ``driver`` in charge, as the module says; ``shape``: the canvas (height, width)."""
    order = list(strokes)
    pens, alone = _inked(order, shape)
    if not pens:
        raise ValueError(empty_message(None))
    orders = [pens]
    moved = _late_strokes_back(order, pens)
    if moved != pens:
        orders.append(moved)  # both are tried: the one that reads better is kept
    ways = [_runs(order, o) for o in orders]
    found = _drawn_runs(order, {run for way in ways for run in way.values()}, shape, alone)
    score = _scored(order, found, _height([order[k] for k in pens]), classifiers, driver)
    best = max((_best_way(way, found, score, len(pens)) for way in ways), key=lambda b: b[0])
    pieces = sorted(best[1], key=lambda p: p.box[0] + p.box[2] / 2)
    return read_pieces(pieces, classifiers, driver)


def _drawn_runs(
    order: list[PenStroke],
    runs: set[tuple[int, ...]],
    shape: tuple[int, int] | None,
    alone: dict[int, tuple[np.ndarray, int, int] | None],
) -> dict[tuple[int, ...], Piece]:
    """Each run of strokes (indices into ``order``) drawn alone, as a piece (none for a run
    that leaves no ink); a run of one stroke k is ``alone[k]``, drawn already."""
    drawn = {
        run: _piece(alone[run[0]] if len(run) == 1 else _drawn(order, list(run), shape))
        for run in runs
    }
    return {run: p for run, p in drawn.items() if p is not None}


def _scored(
    order: list[PenStroke],
    found: dict[tuple[int, ...], Piece],
    height: float,
    classifiers: dict[str, models.Classifier],
    driver: str,
) -> dict[tuple[int, ...], float]:
    """Each run's score as one digit: ``number.score_pieces``' (the judges' belief, the
    detector's, the width), with ``_DIGIT_COST`` a digit and ``_LOOSE`` for each stroke the
    others of its run do not hold."""
    judges = [classifiers[driver]] + [
        clf for name, clf in classifiers.items() if name in JUDGES and name != driver
    ]
    score = score_pieces(found, height, judges)
    for run in score:
        score[run] += PIECE_COST - _DIGIT_COST - _LOOSE * _loose([order[k] for k in run])
    return score


def _best_way(
    way: dict[tuple[int, int], tuple[int, ...]], found: dict, score: dict, last: int
) -> tuple[float, list[Piece]]:
    """The best split of one order of the strokes into digits (``way``: each run of it, by
    span, as its strokes; ``found`` and ``score``: each run's piece and score): its total score
    and its digits."""
    spans = {span: run for span, run in way.items() if run in found}
    mine = {span: score[run] for span, run in spans.items()}
    path = best_spans({span: found[run] for span, run in spans.items()}, mine, last)
    return sum(mine[span] for span in path), [found[spans[span]] for span in path]


def _inked(
    order: list[PenStroke], shape: tuple[int, int] | None
) -> tuple[list[int], dict[int, tuple[np.ndarray, int, int] | None]]:
    """The pen strokes of ``order`` (their indices) that leave ink of their own: not rubbed
    out by the eraser, not off the canvas, no speck; and each pen stroke drawn alone."""
    pens = [k for k, s in enumerate(order) if not s.erase and len(s.points)]
    alone = {k: _drawn(order, [k], shape) for k in pens}
    inked = {k: int((a[0] >= INK_FRACTION * 255).sum()) for k, a in alone.items() if a is not None}
    most = max(inked.values(), default=0)
    return [k for k in pens if inked.get(k, 0) > _SPECK * most], alone


def _late_strokes_back(order: list[PenStroke], pens: list[int]) -> list[int]:
    """``pens`` (indices into ``order``) with each flat stroke (under ``_TALL`` of the digits'
    height) added to a digit drawn earlier (a 5's flag or a 7's bar put on after the next
    digit) moved back to just after the stroke of that
    digit it lies on (one that holds ``_SAME_COLUMNS`` of its columns, or that it starts on),
    when the stroke drawn just before it neither holds it nor has it start on it. A digit is
    then still a run of strokes."""
    out = list(pens)
    height = _height([order[k] for k in pens])
    for k in pens[2:]:
        p = out.index(k)
        before, rows = order[out[p - 1]], order[k].rows()
        if rows[1] - rows[0] >= _TALL * height:
            continue  # a digit's body, not a flag or a bar put on later
        if goes_on(before, order[k]) or _held_by(before, order[k]):
            continue
        hosts = [
            q
            for q in range(p - 1)
            if _held_by(order[out[q]], order[k]) or goes_on(order[out[q]], order[k])
        ]
        if hosts:
            out.insert(hosts[-1] + 1, out.pop(p))
    return out


def _held_by(host: PenStroke, stroke: PenStroke) -> bool:
    """Whether ``host`` holds ``stroke``: they share ``_SAME_COLUMNS`` of the narrower one's
    columns."""
    return shared_columns(host.columns(), stroke.columns()) >= _SAME_COLUMNS


def _runs(order: list[PenStroke], pens: list[int]) -> dict[tuple[int, int], tuple[int, ...]]:
    """Every run of ``pens`` (i, j: ``pens[i:j]``) that may be one digit: at most
    ``MAX_STROKES`` strokes that hang together (the strokes' indices into ``order``, sorted)."""
    found = {}
    for i in range(len(pens)):
        for j in range(i + 1, min(len(pens), i + MAX_STROKES) + 1):
            run = pens[i:j]
            if j - i == 1 or _together([order[k] for k in run]):
                found[(i, j)] = tuple(sorted(run))
    return found


# --------------------------------------------------------------------------- which runs


def _together(run: list[PenStroke]) -> bool:
    """Whether the strokes of ``run`` hang together as one digit's may: each is joined to the
    others (through a chain) by sharing columns or by starting or ending on another's ink."""
    parent = list(range(len(run)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(len(run)):
        for j in range(i):
            if _linked(run[i], run[j]):
                parent[root(i)] = root(j)
    return len({root(i) for i in range(len(run))}) == 1


def _loose(run: list[PenStroke]) -> int:
    """How many strokes of ``run`` (after its first) no earlier stroke of it holds: sharing
    ``_SAME_COLUMNS`` of the narrower one's columns, or drawn just before it with it starting
    on its ink."""
    loose = 0
    for k in range(1, len(run)):
        held = goes_on(run[k - 1], run[k]) or any(_held_by(run[m], run[k]) for m in range(k))
        loose += not held
    return loose


def shared_columns(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The share of the narrower of column spans ``a`` and ``b`` that both cover."""
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0])) / max(min(a[1] - a[0], b[1] - b[0]), 1e-9)


def goes_on(before: PenStroke, after: PenStroke) -> bool:
    """Whether ``after`` starts on the ink of ``before`` (a 9's stem from its loop, a 5's flag
    from its body): its first point lies within the two pens' mean width of its path."""
    if before.erase or after.erase:
        return False
    return distance(after.points[0], before.points) <= (before.width + after.width) / 2


def _linked(a: PenStroke, b: PenStroke) -> bool:
    (a0, a1), (b0, b1) = a.columns(), b.columns()
    if min(a1, b1) > max(a0, b0):
        return True
    reach = _TOUCH * (a.width + b.width)
    ends = [a.points[0], a.points[-1]]
    others = [b.points[0], b.points[-1]]
    return any(distance(p, b.points) <= reach for p in ends) or any(
        distance(p, a.points) <= reach for p in others
    )


def distance(p: np.ndarray, path: np.ndarray) -> float:
    """The distance from point ``p`` to the polyline ``path`` (K, 2)."""
    if len(path) == 1:
        return float(np.hypot(*(p - path[0])))
    a, b = path[:-1], path[1:]
    ab = b - a
    t = np.clip(
        np.einsum("ij,ij->i", p - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-9), 0, 1
    )
    return float(np.min(np.hypot(*(p - (a + t[:, None] * ab)).T)))


def _height(strokes: list[PenStroke]) -> float:
    """The digits' height: the median height of the tall strokes (a 5's flag and a 7's bar are
    flat; a digit's main stroke spans it)."""
    heights = np.array([s.rows()[1] - s.rows()[0] for s in strokes])
    return float(np.median(heights[heights >= _TALL * heights.max()]))


# --------------------------------------------------------------------------- drawing


def _drawn(
    order: list[PenStroke], run: list[int], shape: tuple[int, int] | None
) -> tuple[np.ndarray, int, int] | None:
    """The strokes ``run`` (indices into ``order``) drawn alone as the canvas paints them, and
    every eraser stroke drawn after the first of them: (h, w) uint8 ink 255 on 0 around them,
    and its left and top (px); None when nothing of them is on the canvas."""
    import cv2

    window = _window([order[k] for k in run], shape)
    if window is None:
        return None
    x0, y0, x1, y1 = window
    big = np.zeros(((y1 - y0) * SUPERSAMPLE, (x1 - x0) * SUPERSAMPLE), np.uint8)
    mine = set(run)
    for k in range(min(run), len(order)):
        s = order[k]
        if k in mine or (s.erase and len(s.points)):
            _paint(big, s, (x0, y0), 0 if s.erase else 255, cv2)
    small = cv2.resize(big, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
    return small, x0, y0


def _window(
    strokes: list[PenStroke], shape: tuple[int, int] | None
) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) px around ``strokes``' ink, a pixel wider, cut by the canvas
    of ``shape`` (None when nothing is left)."""
    spans = [(*s.columns(), *s.rows()) for s in strokes]
    x0 = int(np.floor(min(s[0] for s in spans))) - 1
    x1 = int(np.ceil(max(s[1] for s in spans))) + 1
    y0 = int(np.floor(min(s[2] for s in spans))) - 1
    y1 = int(np.ceil(max(s[3] for s in spans))) + 1
    if shape is not None:
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(shape[1], x1), min(shape[0], y1)
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


_SHIFT = 4  # sub-pixel bits of the supersampled points (OpenCV's fixed point)


def _paint(image: np.ndarray, stroke: PenStroke, origin: tuple[int, int], level: int, cv2) -> None:
    """Paint ``stroke`` on the supersampled ``image`` whose top left is ``origin`` (px): a
    round pen of its width, segment by segment (round caps and joins, as the canvas's pen)."""
    unit = SUPERSAMPLE * (1 << _SHIFT)
    pts = np.round((np.asarray(stroke.points, np.float64) - origin) * unit).astype(np.int32)
    thick = max(1, round(stroke.width * SUPERSAMPLE))
    if len(pts) == 1 or not np.any(pts != pts[0]):
        radius = max(1, round(stroke.width * SUPERSAMPLE / 2)) << _SHIFT
        cv2.circle(image, (int(pts[0, 0]), int(pts[0, 1])), radius, level, -1, cv2.LINE_8, _SHIFT)
        return
    cv2.polylines(image, [pts.reshape(-1, 1, 2)], False, level, thick, cv2.LINE_8, _SHIFT)


def _piece(drawn: tuple[np.ndarray, int, int] | None) -> Piece | None:
    """The drawn ink as one digit: its MNIST picture and box (None when it holds no ink)."""
    if drawn is None:
        return None
    ink, left, top = drawn
    rows = np.flatnonzero((ink >= INK_FRACTION * 255).any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero((ink >= INK_FRACTION * 255).any(axis=0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].astype(np.float32) / 255.0
    picture = to_mnist(crop)
    if picture is None:
        return None
    box = (left + int(cols[0]), top + int(rows[0]), crop.shape[1], crop.shape[0])
    return Piece(picture, box)


def _as_pen(stroke: np.ndarray | PenStroke, pen: float | None) -> PenStroke:
    """``stroke`` as a :class:`PenStroke` (an array: drawn with ``pen``)."""
    if isinstance(stroke, PenStroke):
        points, width, erase = stroke.points, stroke.width, stroke.erase
    else:
        if pen is None:
            raise ValueError("strokes given as point arrays need the pen's width (pen=... px)")
        points, width, erase = stroke, pen, False
    points = np.asarray(points, np.float64)
    if points.ndim != 2 or points.shape[1] != 2 or not np.all(np.isfinite(points)):
        raise ValueError(f"a stroke is a (K, 2) array of finite x, y points, got {points.shape}")
    if not np.isfinite(width) or width <= 0:
        raise ValueError(f"the pen's width must be a positive number of pixels, not {width!r}")
    key = stroke.key if isinstance(stroke, PenStroke) else None
    return PenStroke(points, float(width), bool(erase), key)
