"""``digitpad.read_number``: a whole number, each digit read as ``digitpad.read`` reads one.

The ink is split into marks (OpenCV's connected components). Marks that share most of their
columns are one digit (a 5's detached flag, a 4 or 7 drawn in two strokes); what is left
apart is a digit of its own. A mark wider than half the digits' height may be several digits
that touch or overlap: it is cut along seams (``reading.seams``), paths of least ink from its top
to its bottom that bend to follow the gap between two digits and cross a stroke only where they
overlap. Every way of cutting it into pieces of a digit's width (keeping it whole among them)
is scored by how surely the models read each piece (their mean log-probability, and the
verdict's detector's that it is a digit at all), less a cost per piece and a penalty for a
piece too wide or too narrow to be one digit; the best way is kept (dynamic programming over
the seams, left to right). Each digit is then cropped, brought into MNIST format and read by every
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
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .. import models
from ..preprocess import INK_FRACTION, read_number_ink, to_mnist
from . import api, live, seams

_SPECK = 0.02  # marks smaller than this share of the largest one's area are specks
_SAME_COLUMNS = 0.5  # a piece sharing this share of its columns with a digit belongs to it
_ALL_COLUMNS = 0.9  # or this share, when it is digit-sized (a digit of its own beside it?):
_DIGIT_SIZED = 0.6  # at least this share of the digit's height
_UPRIGHT = 0.7  # and at least this share of its own width tall (a 5's flag is flat)
_SPLIT_ASPECT = 0.5  # a mark wider than this share of the digits' height may be several
_MIN_PIECE = 0.08  # a cut-off piece is at least this share of the digits' height wide
_MAX_PIECE = 1.1  # and at most this share
_SEAM_STEP = 0.08  # a seam is started every this share of the digits' height across a mark
_SEAM_BAND = 0.3  # and may wander this share of it from where it started
_SEAM_APART = 0.03  # seams closer than this share on average are one
PIECE_COST = 2.5  # each piece costs this (log-probability): two pieces must read better than one
_NOVELTY_WEIGHT = 3.0  # how much the detector's "no digit" counts in a piece's score
_ODD = 5.0  # a piece whose shape is no single digit's (two side by side, a scribble) loses this
_SCRAP = 0.15  # a cut piece's bits under this share of its largest are a neighbour's scraps
_NARROWEST = 0.3  # a piece narrower than this share of the height is a 1 or a scrap
_WIDEST = 0.9  # a piece wider than this share of the digits' height is rarely one digit
_WIDTH_PENALTY = 20.0  # how fast it gets rarer (log-probability per unit of width/height)
SEQUENCE_SURE = 0.5  # a wide mark the sequence reader reads this surely is cut as it reads
TOLD_SURE = 0.9  # and a digit of it that the piece's own reading disputes, this surely, kept
UNCLEAR = "these digits touch or cross, and this one is unclear"
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
    (``digitpad.read_number`` also reads a number from its pen strokes: ``reading.strokes``.)

    ``model`` picks the model in charge, as for ``digitpad.read``. Raises ``ValueError`` for an
    empty picture or an unreadable file (the message names the file) and ``ModelError`` for a
    model that does not exist or cannot be used.
    """
    ink, scale, source = _ink(image)
    if not (ink > 0).any():
        raise ValueError(empty_message(source))
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
        raise ValueError(empty_message(source))
    height = float(np.median([m.bottom - m.top for m in marks]))
    judges = [classifiers[driver]] + [
        clf for name, clf in classifiers.items() if name in JUDGES and name != driver
    ]
    return read_pieces(_pieces(marks, height, judges), classifiers, driver, scale, source)


def read_pieces(
    pieces: list[Piece],
    classifiers: dict[str, models.Classifier],
    driver: str,
    scale: tuple[float, float] = (1.0, 1.0),
    source: str | None = None,
) -> NumberReading:
    """The number whose digits are ``pieces`` (left to right), each read by every model (in one
    batch) with the verdict ``digitpad.read`` gives it; a piece of touching digits that the
    sequence reader read otherwise gets that reader's answer (:func:`_as_told`)."""
    pictures = np.stack([p.picture for p in pieces])
    known = {name: clf.predict_proba(pictures) for name, clf in classifiers.items()}
    digits = []
    for i, p in enumerate(pieces):
        mine = {name: known[name][i] for name in classifiers}
        reading = api.read_with(p.picture, classifiers, driver, source, mine)
        if p.told is not None and reading.digit != int(np.argmax(p.told)):
            reading = _as_told(reading, p.told)
        digits.append(NumberDigit(reading, _scaled(p.box, scale)))
    text = "".join("?" if d.digit is None else str(d.digit) for d in digits)
    return NumberReading(text, tuple(digits), driver, source)


def _as_told(reading: api.DigitReading, told: np.ndarray) -> api.DigitReading:
    """A cut piece of touching digits that its models and verdict read otherwise than the
    sequence reader (the piece alone is a digit with a neighbour's stroke, or without its own):
    the sequence reader's answer, not sure below ``TOLD_SURE``; every model's answer kept."""
    digit = int(np.argmax(told))
    p = np.array(told, np.float32)
    p.setflags(write=False)
    sure = float(p[digit]) >= TOLD_SURE
    return replace(
        reading,
        digit=digit if sure else None,
        reason="" if sure else UNCLEAR,
        confidence=float(p[digit]),
        probabilities=p,
    )


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
class Piece:
    """One digit's MNIST picture and its box (left, top, width, height) in the ink map; for a
    digit of touching ones that the sequence reader read, its (10,) probabilities there."""

    picture: np.ndarray
    box: tuple[int, int, int, int]
    told: np.ndarray | None = None


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


def _pieces(marks: list[_Mark], height: float, judges: list[models.Classifier]) -> list[Piece]:
    """Every digit: a mark as it is, or a wide mark cut where the models read it best
    (:func:`_to_cut` says which are tried; their cuts are read in one batch). A wide mark the
    sequence reader reads surely is cut into as many pieces as it reads digits, each scored
    as the digit it reads there (:func:`_path_as`)."""
    wholes = {k: p for k, m in enumerate(marks) if (p := _piece(m, 0, m.right - m.left))}
    wide = _wide(marks, wholes, height)
    read = _sequences(marks, list(wide))
    several = [k for k, q in read.items() if len(q.digits) >= 2]
    cut = sorted(set(_to_cut(wide, wholes, height, judges)) | set(several))
    plans, scores = _planned(marks, cut, height, judges)
    pieces: list[Piece] = []
    for k in range(len(marks)):
        if k in plans:
            last, ways = plans[k]
            mine = {sp: scores[(k, sp)] for sp in ways}
            pieces += _cut(ways, mine, last, read.get(k), marks[k].left)
        elif k in wholes:
            pieces.append(wholes[k])
    return pieces


def _planned(marks: list[_Mark], cut: list[int], height: float, judges) -> tuple[dict, dict]:
    """The ways of cutting each mark of ``cut`` (:func:`_plan`), and every piece's
    :func:`digit_scores` (all read in one batch), by (mark, span)."""
    plans = {k: _plan(marks[k], height) for k in cut}
    tried = {(k, sp): p for k, (_, ways) in plans.items() for sp, p in ways.items()}
    return plans, digit_scores(tried, height, judges) if tried else {}


def _cut(ways: dict, scores: dict, last: int, told, left: int = 0) -> list[Piece]:
    """The pieces of one mark (its first column ``left`` in the ink map): cut as the sequence
    reader read it (``told``, when it read it surely and some way of cutting has that many
    pieces; each piece holding where the reader saw its digit, when some way does), each piece
    carrying the reader's probabilities there; else the way with the best score."""
    path = None
    if told is not None:
        path = _path_as(scores, last, told.digits, _holds(ways, told, left))
        path = path or _path_as(scores, last, told.digits)
    if path is None:
        path = best_spans(ways, {sp: float(v[top]) for sp, (v, top) in scores.items()}, last)
        return [ways[sp] for sp in path]
    if len(path) == 1:  # kept whole: the verdict alone judges it, as any digit
        return [ways[path[0]]]
    return [replace(ways[sp], told=t) for sp, t in zip(path, told.probabilities, strict=True)]


def _holds(ways: dict, told, left: int) -> dict:
    """For each span of ``ways`` and each digit i the sequence reader read (``told``): whether
    the span's piece spans the column where the reader saw digit i."""
    return {
        (sp, k): p.box[0] <= left + c <= p.box[0] + p.box[2]
        for sp, p in ways.items()
        for k, c in enumerate(told.centres)
    }


def _wide(marks: list[_Mark], wholes: dict[int, Piece], height: float) -> dict:
    """The marks wide enough to be several digits, but for filled blobs (no digits to part),
    each with its shape (``verdict.shape_of`` of its whole picture, looked at once)."""
    from . import verdict

    shapes = {
        k: verdict.shape_of(wholes[k].picture) for k in wholes if _maybe_several(marks[k], height)
    }
    return {k: shape for k, shape in shapes.items() if not _blob(shape)}


def _sequences(marks: list[_Mark], wide: list[int]) -> dict:
    """The sequence reader's reading of each of the ``wide`` marks that it reads surely
    (the probability of the digits it reads at least ``SEQUENCE_SURE``)."""
    from . import sequence

    reader = sequence.shared() if wide else None
    if reader is None:
        return {}
    found = reader.read([marks[k].ink for k in wide])
    return {
        k: q
        for k, q in zip(wide, found, strict=True)
        if q is not None and q.digits and q.confidence >= SEQUENCE_SURE
    }


def _to_cut(
    wide: dict, wholes: dict[int, Piece], height: float, judges: list[models.Classifier]
) -> list[int]:
    """Which of the ``wide`` marks (with their shapes) to try cutting: those whose whole
    reading (all read in one batch) does not already beat every cut, as it does when it scores
    above −2·``PIECE_COST`` (each piece of a cut costs ``PIECE_COST`` and none scores above it)
    and has a digit's shape."""
    if not wide:
        return []
    from . import verdict

    first = score_pieces({k: wholes[k] for k in wide}, height, judges)
    return [k for k in wide if first[k] <= -2 * PIECE_COST or verdict.shape_problem(wide[k]) != ""]


def _path_as(
    scores: dict, last: int, digits: tuple[int, ...], holds: dict | None = None
) -> list[tuple[int, int]] | None:
    """The spans from end 0 to end ``last`` that cut a mark into ``len(digits)`` pieces, piece
    i scored as ``digits[i]`` (``scores``: :func:`digit_scores`), with the best total; None
    when there is no such way. ``holds[(span, i)]``: whether that span may be piece i (where
    the sequence reader saw digit i lies in it); any span may, when not given."""
    n = len(digits)
    best: dict[tuple[int, int], tuple[float, list]] = {(0, 0): (0.0, [])}
    for i, j in sorted(scores, key=lambda sp: sp[1]):
        for k in range(n):
            if (i, k) not in best or (holds is not None and not holds[((i, j), k)]):
                continue
            total = best[(i, k)][0] + float(scores[(i, j)][0][digits[k]])
            if (j, k + 1) not in best or total > best[(j, k + 1)][0]:
                best[(j, k + 1)] = (total, [*best[(i, k)][1], (i, j)])
    return best[(last, n)][1] if (last, n) in best else None


def _maybe_several(m: _Mark, height: float) -> bool:
    """Whether mark ``m`` is wide enough to be several digits."""
    return (m.right - m.left) / max(height, m.bottom - m.top) > _SPLIT_ASPECT


def _plan(m: _Mark, height: float) -> tuple[int, dict]:
    """The ways of cutting ``m``: the index of its last end, and its pieces by span (the
    whole mark among them)."""
    ends = _seams(m, height)
    found = {s: _span_piece(m, ends[s[0]], ends[s[1]]) for s in _spans(ends, m, height)}
    return len(ends) - 1, {s: p for s, p in found.items() if p is not None}


def _piece(m: _Mark, a: int, b: int) -> Piece | None:
    """Columns [a, b) of mark ``m`` as one digit (None when they hold no ink)."""
    return _piece_of(m, m.ink[:, a:b], a)


def _piece_of(m: _Mark, ink: np.ndarray, a: int = 0) -> Piece | None:
    """``ink``, the part of mark ``m`` from its column ``a`` on, as one digit (None when it
    holds no ink); the scraps of a neighbour that a cut leaves at its edge are dropped."""
    import cv2

    mask = (ink > 0).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return None
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = 1 + np.flatnonzero(areas >= _SCRAP * areas.max())
    if len(keep) < n - 1:
        ink = np.where(np.isin(labels, keep), ink, 0)
    rows, cols = np.nonzero(ink)
    top, left = int(rows.min()), int(cols.min())
    bottom, right = int(rows.max()) + 1, int(cols.max()) + 1
    picture = to_mnist(ink[top:bottom, left:right])
    if picture is None:
        return None
    return Piece(picture, (m.left + a + left, m.top + top, right - left, bottom - top))


def best_spans(found: dict, score: dict, last: int) -> list[tuple[int, int]]:
    """The spans (keys of ``found``, between seams 0 … ``last``) of the way of cutting a mark
    with the best total ``score``; a way with a piece whose shape the verdict refuses loses
    ``_ODD`` for it in ``score`` (checked lazily, on the best way: it is slow)."""
    checked: set[tuple[int, int]] = set()
    while True:
        path = _best_path(score, last)
        odd = [s for s in path if s not in checked and _odd(found[s].picture)]
        checked.update(path)
        if not odd:
            return path
        for s in odd:
            score[s] -= _ODD


def _spans(ends: list[np.ndarray | None], m: _Mark, height: float) -> list[tuple[int, int]]:
    """The pairs (i, j) of ``ends`` a piece may lie between: a digit's width apart (on
    average), or the whole mark."""
    centre = [0.0, *(s.mean() for s in ends[1:-1] if s is not None), float(m.right - m.left)]
    lo, hi = _MIN_PIECE * height, _MAX_PIECE * height
    last = len(ends) - 1
    return [
        (i, j)
        for i in range(len(ends))
        for j in range(i + 1, len(ends))
        if lo <= centre[j] - centre[i] <= hi or (i, j) == (0, last)
    ]


def _seams(m: _Mark, height: float) -> list[np.ndarray | None]:
    """Where ``m`` may be cut, left to right: None (its left edge), its distinct seams (each
    (H,) the first column right of the cut, row by row), started every ``_SEAM_STEP`` of the
    digits' height across it, and None (its right edge)."""
    width = m.right - m.left
    margin = max(1, round(_MIN_PIECE * height))
    starts = np.arange(margin, width - margin + 1, max(1, round(_SEAM_STEP * height)))
    if len(starts) == 0:
        starts = np.array([width // 2])
    found, _ = seams.seams(m.ink, starts, max(1, round(_SEAM_BAND * height)))
    kept = seams.distinct(found, max(1.0, _SEAM_APART * height))
    return [None, *(found[k] for k in kept), None]


def _blob(shape) -> bool:
    """Whether a mark of ``shape`` (``verdict.shape_of`` of its picture) is a filled blob as a
    whole: cut into slices, each would read as a confident 1, so it is kept whole (and the
    verdict refuses it)."""
    from . import verdict

    return shape.thickness > verdict.MAX_THICKNESS


def _odd(picture: np.ndarray) -> bool:
    """Whether the verdict would refuse ``picture`` for its shape (two side by side, ...)."""
    from . import verdict

    return verdict.shape_problem(verdict.shape_of(picture)) != ""


def _span_piece(m: _Mark, left: np.ndarray | None, right: np.ndarray | None) -> Piece | None:
    """The piece of ``m`` between seams ``left`` and ``right`` (None: its edge)."""
    a = 0 if left is None else int(left.min())
    b = m.right - m.left if right is None else int(right.max())
    if b <= a:
        return None
    ink = seams.between(
        m.ink[:, a:b], None if left is None else left - a, None if right is None else right - a
    )
    return _piece_of(m, ink, a)


def score_pieces(found: dict, height: float, judges: list[models.Classifier]) -> dict:
    """Each span's score: the judges' mean log-probability for the digit the model in charge
    reads in it, plus the log-probability that it is a digit at all (the verdict's detector),
    less its :func:`_misfit` and a penalty when its shape is no single digit's."""
    scores = digit_scores(found, height, judges)
    return {s: float(by_digit[top]) for s, (by_digit, top) in scores.items()}


def digit_scores(found: dict, height: float, judges: list[models.Classifier]) -> dict:
    """Each span's score as each digit (10,) (as :func:`score_pieces` scores the digit the model
    in charge reads), and that digit."""
    from . import detector as detectors

    spans = list(found)
    pictures = np.stack([found[s].picture for s in spans])
    first = judges[0].predict_proba(pictures)
    top = first.argmax(axis=1)
    agreed = [first] + [j.predict_proba(pictures) for j in judges[1:]]
    belief = np.mean([np.log(np.maximum(p, 1e-9)) for p in agreed], 0)
    det, _ = detectors.shared()
    if det is not None and det.extractor is not None:
        novelty = det.novelty_of(det.extractor(pictures), pictures)
        belief = belief + _NOVELTY_WEIGHT * np.log(np.maximum(1.0 - novelty, 1e-9))[:, None]
    out = {}
    for k, s in enumerate(spans):
        misfit = np.array([_misfit(found[s].box, height, d) for d in range(10)])
        out[s] = (belief[k] - misfit - PIECE_COST, int(top[k]))
    return out


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


def empty_message(source: str | None) -> str:
    if source is None:
        return "the picture is empty (no ink): write a number, bright on black"
    return f"{source}: no digit found in the image (it is blank); open an image that shows one"


def _scaled(box: tuple[int, int, int, int], scale: tuple[float, float]) -> tuple[int, ...]:
    sx, sy = scale
    if sx == 1.0 and sy == 1.0:
        return box
    left, top, w, h = box
    return (round(left * sx), round(top * sy), max(1, round(w * sx)), max(1, round(h * sy)))
