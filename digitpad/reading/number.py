"""``digitpad.read_number``: a whole number, each digit read as ``digitpad.read`` reads one.

The ink is split into marks (OpenCV's connected components). Marks that share most of their
columns are one digit (a 5's detached flag, a 4 or 7 drawn in two strokes); what is left
apart is a digit of its own. A mark wider than a digit is (two or more digits that touch or
overlap slightly) is cut at the columns where it holds least ink: every way of cutting it into
pieces of a digit's width is tried, and the one whose pieces the model in charge reads most
confidently is kept. Each digit is then cropped, brought into MNIST format and read by every
model with the same verdict as ``digitpad.read`` (``api.read_with``).

>>> import numpy as np
>>> import digitpad
>>> from digitpad.synthetic import numbers
>>> sample = numbers.make_numbers(1, seed=5, length=3, gap="wide")[0]
>>> n = digitpad.read_number(sample.image)
>>> n.text == sample.text, len(n.digits)
(True, 3)
>>> digitpad.read_number(np.zeros((280, 840)))
Traceback (most recent call last):
...
ValueError: the picture is empty (no ink): write a number, bright on black
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import models
from ..preprocess import INK_FRACTION, read_number_ink, to_mnist
from . import api, live

_SPECK = 0.02  # marks smaller than this share of the largest one's area are specks
_SAME_COLUMNS = 0.5  # a piece sharing this share of its columns with a digit belongs to it
_ALL_COLUMNS = 0.9  # or this share, when it is digit-sized (a digit of its own beside it?):
_DIGIT_SIZED = 0.6  # at least this share of the digit's height
_UPRIGHT = 0.7  # and at least this share of its own width tall (a 5's flag is flat)
_NECKS = (0.3, 0.45, 0.55)  # touching digits come apart eroded by one of these shares of the
# pen's width
_PART_HEIGHT = 0.4  # and each part is at least this share of the digits' height tall
_SURELY_SEVERAL = 1.3  # a mark this much wider than tall is never kept whole
_AGREED = 0.9  # a mark the judges all read as one digit, the first this sure, is kept whole
_SPLIT_ASPECT = 1.0  # a mark wider than this share of the digits' height may be several
_MIN_PIECE = 0.08  # a cut-off piece is at least this share of the digits' height wide
_MAX_PIECE = 1.1  # and at most this share
_CUTS = 8  # the most cut columns tried in one mark
_NARROWEST = 0.3  # a piece narrower than this share of the height is a 1 or a scrap
_WIDEST = 0.9  # a piece wider than this share of the digits' height is rarely one digit
_WIDTH_PENALTY = 20.0  # how fast it gets rarer (log-probability per unit of width/height)
JUDGES = ("lenet5", "mlp", "logistic", "linear_svm")  # quicker models that check the cuts


@dataclass(frozen=True)
class NumberDigit:
    """One digit of a number: its reading (as ``digitpad.read`` gives it) and its box in the
    input's pixels, (left, top, width, height)."""

    reading: api.DigitReading
    box: tuple[int, int, int, int]

    @property
    def digit(self) -> int | None:
        return self.reading.digit

    @property
    def reason(self) -> str:
        return self.reading.reason

    @property
    def confidence(self) -> float:
        return self.reading.confidence

    @property
    def sure(self) -> bool:
        return self.reading.sure

    def as_dict(self) -> dict[str, Any]:
        return {
            "digit": self.digit,
            "reason": self.reason,
            "confidence": round(self.confidence, 6),
            "box": list(self.box),
        }


@dataclass(frozen=True)
class NumberReading:
    """A number read: ``text`` (its digits, "?" for each one not sure), ``digits`` (one
    :class:`NumberDigit` per digit, left to right), the model in charge, and the file read
    (None for an array)."""

    text: str
    digits: tuple[NumberDigit, ...]
    model: str
    source: str | None = None

    @property
    def sure(self) -> bool:
        return all(d.sure for d in self.digits)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.source,
            "number": self.text,
            "model": self.model,
            "digits": [d.as_dict() for d in self.digits],
        }


def read_number(image: api.ImageLike, model: str | None = None) -> NumberReading:
    """Read the number in ``image``: a path to an image file (a photo, a scan, a drawing; its
    paper, light, lines and specks handled as ``digitpad.read`` handles them), or an (H, W)
    grey array with bright ink on black (uint8 0–255 or float 0–1), as the canvas holds it.

    ``model`` picks the model in charge, as for ``digitpad.read``. Raises ``ValueError`` for an
    empty picture or an unreadable file (the message names the file) and ``ModelError`` for a
    model that does not exist or cannot be used.
    """
    ink, scale, source = _ink(image)
    if not (ink > 0).any():
        raise ValueError(_empty(source))
    classifiers = api.usable_models(model)
    driver = live.pick_driver(model, list(classifiers))
    return read_ink_number(ink, classifiers, driver, scale, source)


def read_ink_number(
    ink: np.ndarray,
    classifiers: dict[str, models.Classifier],
    driver: str,
    scale: tuple[float, float] = (1.0, 1.0),
    source: str | None = None,
) -> NumberReading:
    """The number in ``ink`` (H, W) float32 in [0, 1], bright on black, read by
    ``classifiers`` with ``driver`` in charge; boxes are multiplied by ``scale`` (x, y)."""
    marks = _marks(ink)
    if not marks:
        raise ValueError(_empty(source))
    height = float(np.median([m.bottom - m.top for m in marks]))
    judges = [classifiers[driver]] + [
        clf for name, clf in classifiers.items() if name in JUDGES and name != driver
    ]
    pieces = _pieces(marks, height, judges)
    pictures = np.stack([p.picture for p in pieces])
    known = {name: clf.predict_proba(pictures) for name, clf in classifiers.items()}
    digits = []
    for i, p in enumerate(pieces):
        mine = {name: known[name][i] for name in classifiers}
        reading = api.read_with(p.picture, classifiers, driver, source, mine)
        digits.append(NumberDigit(reading, _scaled(p.box, scale)))
    text = "".join("?" if d.digit is None else str(d.digit) for d in digits)
    return NumberReading(text, tuple(digits), driver, source)


# --------------------------------------------------------------------------- marks


@dataclass(frozen=True)
class _Mark:
    """A digit's worth of ink, or several touching digits: its ink alone (zero elsewhere),
    cropped to its box, and the box (left, top, right, bottom) in the ink map's pixels."""

    ink: np.ndarray
    left: int
    top: int
    right: int
    bottom: int


@dataclass(frozen=True)
class _Piece:
    """One digit's MNIST picture and its box (left, top, width, height) in the ink map."""

    picture: np.ndarray
    box: tuple[int, int, int, int]


def _marks(ink: np.ndarray) -> list[_Mark]:
    """The marks of ``ink``, left to right: connected ink, specks dropped, pieces that share
    most of their columns with a bigger one joined to it."""
    import cv2

    peak = float(ink.max()) if ink.size else 0.0
    if peak <= 1e-3:
        return []
    mask = (ink >= INK_FRACTION * peak).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return []
    largest = int(stats[1:, cv2.CC_STAT_AREA].max())
    order = sorted(range(1, n), key=lambda k: -stats[k, cv2.CC_STAT_AREA])
    groups: list[list[int]] = []  # [left, right, top, bottom, label, label, ...]
    for k in order:
        left, top, w, h, area = (int(v) for v in stats[k])
        if area < _SPECK * largest:
            continue
        for g in groups:
            if _joins(left, w, h, g):
                g[0], g[1] = min(g[0], left), max(g[1], left + w)
                g[2], g[3] = min(g[2], top), max(g[3], top + h)
                g.append(k)
                break
        else:
            groups.append([left, left + w, top, top + h, k])
    marks = []
    for left, right, top, bottom, *members in sorted(groups):
        window = labels[top:bottom, left:right]
        own = np.isin(window, members)
        marks.append(_Mark(np.where(own, ink[top:bottom, left:right], 0), left, top, right, bottom))
    return marks


def _joins(left: int, w: int, h: int, g: list[int]) -> bool:
    """Whether a piece (``left``, width ``w``, height ``h``) belongs to the digit of group
    ``g`` ([left, right, top, bottom, ...]): it shares most of its columns, and all of them
    when it could be a digit of its own beside it (nearly as tall, not flat)."""
    shared = min(left + w, g[1]) - max(left, g[0])
    narrower = min(w, g[1] - g[0])
    digit_sized = h >= _DIGIT_SIZED * (g[3] - g[2]) and h >= _UPRIGHT * w
    return shared >= (_ALL_COLUMNS if digit_sized else _SAME_COLUMNS) * narrower


# --------------------------------------------------------------------------- cutting


def _pieces(marks: list[_Mark], height: float, judges: list[models.Classifier]) -> list[_Piece]:
    """Every digit: a mark as it is, or a wide mark cut where the model reads it best."""
    pieces: list[_Piece] = []
    for m in marks:
        whole = _piece(m, 0, m.right - m.left)
        aspect = (m.right - m.left) / max(height, m.bottom - m.top)
        wide = aspect > _SPLIT_ASPECT and not (aspect < _SURELY_SEVERAL and _agreed(whole, judges))
        parts = _necked(m, height) if wide else []
        if wide:
            cut = _best_cut(m, height, judges)
            if len(parts) > 1:
                apart = _pieces(parts, height, judges)
                if _score(apart, height, judges) > _score(cut, height, judges):
                    cut = apart
            pieces += cut
        elif whole is not None:
            pieces.append(whole)
    return pieces


def _necked(m: _Mark, height: float) -> list[_Mark]:
    """Digits that only touch: the mark eroded by a third to a half of its pen's width comes apart
    at the thin necks where they meet; each part, as tall as a digit, grown back over the
    mark's ink (each pixel to the part nearest to it) is a mark of its own."""
    import cv2

    mask = (m.ink > 0).astype(np.uint8)
    depth = cv2.distanceTransform(np.pad(mask, 1), cv2.DIST_L2, 3)[1:-1, 1:-1]
    pen = 2.0 * float(np.percentile(depth[mask > 0], 95))
    best: tuple[list[int], np.ndarray, int] = ([], mask, 1)
    for share in _NECKS:  # the least erosion that parts it most
        r = max(1, round(share * pen))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
        n, labels, stats, _ = cv2.connectedComponentsWithStats(cv2.erode(mask, kernel))
        tall = [k for k in range(1, n) if stats[k, cv2.CC_STAT_HEIGHT] >= _PART_HEIGHT * height]
        if len(tall) > len(best[0]):
            best = (tall, labels, r)
    tall, labels, r = best
    if len(tall) < 2:
        return []
    grown = np.where(np.isin(labels, tall), labels, 0).astype(np.uint16)
    for _ in range(4 * r):
        free = (grown == 0) & (mask > 0)
        if not free.any():
            break
        grown = np.where(free, cv2.dilate(grown, np.ones((3, 3), np.uint8)), grown)
    parts = []
    for k in tall:
        rows, cols = np.nonzero(grown == k)
        t, b, a, z = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
        ink = np.where(grown[t:b, a:z] == k, m.ink[t:b, a:z], 0)
        parts.append(_Mark(ink, m.left + a, m.top + t, m.left + z, m.top + b))
    return sorted(parts, key=lambda p: p.left)


def _agreed(piece: _Piece | None, judges: list[models.Classifier]) -> bool:
    """Whether every judge reads ``piece`` as the same digit, the first at least ``_AGREED``
    sure of it."""
    if piece is None:
        return False
    first = judges[0].predict_proba(piece.picture)[0]
    top = int(first.argmax())
    return first[top] >= _AGREED and all(
        int(j.predict_proba(piece.picture)[0].argmax()) == top for j in judges[1:]
    )


def _piece(m: _Mark, a: int, b: int) -> _Piece | None:
    """Columns [a, b) of mark ``m`` as one digit (None when they hold no ink); the scraps of
    a neighbour that a cut leaves at its edge are dropped."""
    import cv2

    ink = m.ink[:, a:b]
    mask = (ink > 0).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return None
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = 1 + np.flatnonzero(areas >= 0.15 * areas.max())
    if len(keep) < n - 1:
        ink = np.where(np.isin(labels, keep), ink, 0)
    rows, cols = np.nonzero(ink)
    top, left = int(rows.min()), int(cols.min())
    bottom, right = int(rows.max()) + 1, int(cols.max()) + 1
    picture = to_mnist(ink[top:bottom, left:right])
    if picture is None:
        return None
    return _Piece(picture, (m.left + a + left, m.top + top, right - left, bottom - top))


def _cut_columns(m: _Mark, height: float) -> tuple[list[int], int]:
    """Where a cut may go: the columns holding least ink (local minima of their sums), at
    most ``_CUTS`` of them, left to right; and the mark's width."""
    import cv2

    profile = (m.ink > 0).sum(axis=0).astype(np.float32)
    width = len(profile)
    smooth = cv2.GaussianBlur(profile.reshape(1, -1), (0, 0), max(1.0, 0.02 * height)).ravel()
    margin = max(1, round(_MIN_PIECE * height))
    inner = range(margin, width - margin)
    minima = [
        c for c in inner if smooth[c] <= smooth[c - 1] and smooth[c] <= smooth[c + 1]
    ] or list(inner[len(inner) // 2 : len(inner) // 2 + 1])
    minima.sort(key=lambda c: smooth[c])
    return sorted(minima[:_CUTS]), width


def _best_cut(m: _Mark, height: float, judges: list[models.Classifier]) -> list[_Piece]:
    """The pieces of the way of cutting ``m`` that ``judges`` (the model in charge first) read
    most confidently: over cuts into pieces of a digit's width, the greatest product of the
    pieces' probabilities for the digit the model in charge reads (averaged over the judges in
    log), less a penalty for a piece too wide to be one digit."""
    cuts, width = _cut_columns(m, height)
    ends = [0, *cuts, width]
    lo, hi = _MIN_PIECE * height, _MAX_PIECE * height
    spans = [
        (i, j)
        for i in range(len(ends))
        for j in range(i + 1, len(ends))
        if lo <= ends[j] - ends[i] <= hi or (i, j) == (0, len(ends) - 1)
    ]
    found = {s: _piece(m, ends[s[0]], ends[s[1]]) for s in spans}
    found = {s: p for s, p in found.items() if p is not None}
    if not found:
        return []
    return [found[s] for s in _best_path(_scores(found, height, judges), len(ends) - 1)]


def _score(pieces: list[_Piece], height: float, judges: list[models.Classifier]) -> float:
    """How well ``pieces`` read as digits: the sum of their :func:`_scores`."""
    if not pieces:
        return -np.inf
    return float(sum(_scores(dict(enumerate(pieces)), height, judges).values()))


def _scores(found: dict, height: float, judges: list[models.Classifier]) -> dict:
    """Each span's score: the judges' mean log-probability for the digit the model in charge
    reads in it, less its :func:`_misfit`."""
    spans = list(found)
    pictures = np.stack([found[s].picture for s in spans])
    first = judges[0].predict_proba(pictures)
    top = first.argmax(axis=1)
    agreed = [first] + [j.predict_proba(pictures) for j in judges[1:]]
    score = {}
    for k, s in enumerate(spans):
        belief = sum(np.log(max(float(p[k, top[k]]), 1e-9)) for p in agreed) / len(agreed)
        score[s] = belief - _misfit(found[s].box, height, int(top[k]))
    return score


def _misfit(box: tuple[int, int, int, int], height: float, digit: int) -> float:
    """How unlikely a piece is to be one digit for its width (a log-probability's penalty):
    none from ``_NARROWEST`` (any width for a 1) up to ``_WIDEST`` of the digits' height,
    growing fast beyond."""
    aspect = box[2] / max(height, box[3], 1)
    narrow = 0.0 if digit == 1 else max(0.0, _NARROWEST - aspect)
    return (max(0.0, aspect - _WIDEST) + narrow) * _WIDTH_PENALTY


def _best_path(score: dict[tuple[int, int], float], last: int) -> list[tuple[int, int]]:
    """The spans from end 0 to end ``last`` with the greatest total score (a shortest path
    over the cut columns, left to right)."""
    best: dict[int, tuple[float, list[tuple[int, int]]]] = {0: (0.0, [])}
    for j in range(1, last + 1):
        options = [
            (best[i][0] + s, [*best[i][1], (i, jj)])
            for (i, jj), s in score.items()
            if jj == j and i in best
        ]
        if options:
            best[j] = max(options, key=lambda o: o[0])
    return best[last][1] if last in best else [max(score, key=lambda s: score[s])]


# --------------------------------------------------------------------------- input


def _ink(image: api.ImageLike) -> tuple[np.ndarray, tuple[float, float], str | None]:
    """The ink map (H, W) float32, bright on black; the scale (x, y) from its pixels to the
    input's; the file read (None for an array)."""
    if isinstance(image, (str, os.PathLike)):
        ink, size = read_number_ink(image)
        h, w = ink.shape
        return ink, (size[0] / w, size[1] / h), os.fspath(image)
    if not isinstance(image, np.ndarray):
        raise TypeError(
            f"read_number() takes a path or an (H, W) grey array, not {type(image).__name__}"
        )
    a = np.asarray(image)
    if a.ndim != 2:
        raise ValueError(f"expected a 2-D grey image, got shape {a.shape}")
    if a.dtype == np.uint8:
        return a.astype(np.float32) / 255.0, (1.0, 1.0), None
    if a.dtype.kind not in "iufb" or not np.all(np.isfinite(a)):
        raise ValueError("the picture must hold finite grey levels (0–255 or 0–1)")
    return np.clip(a, 0.0, 1.0).astype(np.float32), (1.0, 1.0), None


def _empty(source: str | None) -> str:
    if source is None:
        return "the picture is empty (no ink): write a number, bright on black"
    return f"{source}: no digit found in the image (it is blank); open an image that shows one"


def _scaled(box: tuple[int, int, int, int], scale: tuple[float, float]) -> tuple[int, ...]:
    sx, sy = scale
    if sx == 1.0 and sy == 1.0:
        return box
    left, top, w, h = box
    return (round(left * sx), round(top * sy), max(1, round(w * sx)), max(1, round(h * sy)))
