"""Number mode's reading while the pen moves (no Qt here).

``digitpad.read_number(strokes=...)`` reads the whole number from its strokes (each digit's
strokes drawn alone, ``reading.strokes``; a picture opened from a file: ``read_number`` of the
ink, which finds the marks and tries cuts of touching ones) with five models, and reads every
digit with all of them, which takes tens to hundreds of milliseconds for six digits. That is
the *settled* reading, worked out off the window's thread after each stroke (and after undo,
redo, clear). While a stroke is being drawn the window shows, a frame later,
a *live* reading built on the last settled one: only the digit under the pen is read again.

- The strokes drawn since the settled reading are grouped into digits: strokes whose columns
  overlap by half the narrower one's width are one digit (a 4 or a 5 in two strokes).
- A group that shares half its columns with a digit of the settled reading takes it over (the
  5's flag added to its body).
- Each group's ink (the canvas's ink under its strokes, and under the digits it took over) is
  brought into MNIST format and read with the same verdict as ``digitpad.read``, by the model
  in charge alone; the reading is kept by its picture, so a group the pen is not on costs
  nothing on the next move.
- The settled digits no group took over stay as they were read.

The settled reading, when it comes, replaces the live one: it is what ``read_number`` gives
for the same strokes (or picture). Every model's answer to a picture is remembered
(``Remembered``), so the next settled reading asks the models only about the pieces that
changed.

>>> import numpy as np
>>> strokes = [PenStroke(np.array([[40.0, 20], [40, 120]]), 12.0, key=1),
...            PenStroke(np.array([[30.0, 30], [50, 20]]), 12.0, key=2),
...            PenStroke(np.array([[140.0, 20], [150, 120]]), 12.0, key=3)]
>>> group_strokes(strokes)
[[0, 1], [2]]
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

import numpy as np

from .. import models
from ..preprocess import to_mnist
from . import api
from .number import NumberDigit, NumberReading, read_ink_number
from .strokes import PenStroke, goes_on, read_pen_number, shared_columns

SAME_COLUMNS = 0.5  # strokes (or a stroke and a digit) sharing this share of the narrower one's
# columns are one digit, as ``read_number`` joins the pieces of a digit
FOOTPRINT_PX = 4  # a stroke's ink is looked for this much wider than its pen
REMEMBERED = 20_000  # pictures each model's answers are kept for


class Remembered:
    """A classifier that answers each picture once: ``predict_proba`` of a picture it has
    seen gives the answer it gave then (pictures are compared byte for byte). Safe to share
    between threads (at worst a picture is asked twice)."""

    def __init__(self, classifier: models.Classifier, limit: int = REMEMBERED) -> None:
        self.classifier = classifier
        self.temperature = getattr(classifier, "temperature", 1.0)
        self._known: dict[bytes, np.ndarray] = {}
        self._limit = limit
        self._lock = threading.Lock()  # for the dictionary only, never held while predicting

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float32).reshape(-1, 28, 28)
        keys = [a.tobytes() for a in x]
        with self._lock:
            found = {i: self._known[k] for i, k in enumerate(keys) if k in self._known}
        new = [i for i in range(len(x)) if i not in found]
        if new:
            answers = self.classifier.predict_proba(x[new])
            with self._lock:
                if len(self._known) + len(new) > self._limit:
                    self._known.clear()
                for i, p in zip(new, answers, strict=True):
                    self._known[keys[i]] = found[i] = p
        return np.stack([found[i] for i in range(len(x))])


def group_strokes(strokes: list[PenStroke]) -> list[list[int]]:
    """The strokes (their indices) that make one digit each, left to right: strokes whose
    columns overlap by ``SAME_COLUMNS`` of the narrower one are one digit."""
    parent = list(range(len(strokes)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    spans = [s.columns() for s in strokes]
    for i in range(len(strokes)):
        for j in range(i):
            if _shared(spans[i], spans[j]) or (j == i - 1 and goes_on(strokes[j], strokes[i])):
                parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(strokes)):
        groups.setdefault(root(i), []).append(i)
    return sorted(groups.values(), key=lambda g: min(spans[i][0] for i in g))


def _shared(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return shared_columns(a, b) >= SAME_COLUMNS


@dataclass(frozen=True)
class Settled:
    """A settled reading: ``reading`` (None for an empty canvas) of the canvas when its strokes
    were ``strokes`` (their keys, in order)."""

    strokes: tuple
    reading: NumberReading | None


class LiveNumber:
    """The number on the canvas: settled readings (``settle``, slow, off the window's thread)
    and live ones between them (``live``, a few milliseconds)."""

    def __init__(self) -> None:
        self.settled: Settled | None = None
        self._models: dict[tuple[str, int], Remembered] = {}
        self._digits: dict[tuple, NumberDigit | None] = {}

    def remembered(self, classifiers: dict[str, models.Classifier]) -> dict[str, Remembered]:
        """``classifiers``, each answering every picture once (kept from call to call)."""
        out = {}
        for name, clf in classifiers.items():
            key = (name, id(clf))
            if key not in self._models or self._models[key].classifier is not clf:
                self._models[key] = Remembered(clf)
            out[name] = self._models[key]
        return out

    def settle(
        self,
        ink: np.ndarray,
        classifiers: dict[str, models.Classifier],
        driver: str,
        strokes: list[PenStroke] | None = None,
    ) -> NumberReading | None:
        """The number on ``ink`` (H, W) uint8, bright on black, read by every model (None when
        it holds no ink): from ``strokes``, the pen strokes it was drawn with (in order), when
        they are given (``read_number(strokes=...)``: each digit's strokes read alone), else
        from the picture (``read_number``'s reading of it)."""
        if not ink.any():
            return None
        remembered = self.remembered(classifiers)
        try:
            if strokes:
                return read_pen_number(strokes, remembered, driver, ink.shape)
            return read_ink_number(ink.astype(np.float32) / 255.0, remembered, driver)
        except ValueError:  # only specks
            return None

    def accept(self, settled: Settled) -> None:
        """``settled`` is the latest settled reading: the live ones build on it."""
        self.settled = settled

    def live(
        self,
        ink: np.ndarray,
        strokes: list[PenStroke],
        classifiers: dict[str, models.Classifier],
        driver: str,
    ) -> NumberReading | None:
        """The number on ``ink`` (H, W) uint8 drawn with ``strokes`` (in order), read as the
        module says: the settled digits, and the strokes drawn since grouped into digits, each
        read by ``driver`` alone (None when there is nothing to show)."""
        base, fresh = self._base(strokes)
        groups = group_strokes(fresh)
        taken: set[int] = set()
        digits: list[NumberDigit] = []
        clf = self.remembered({driver: classifiers[driver]})
        for group in groups:
            members = [fresh[i] for i in group]
            joined = [k for k, d in enumerate(base) if _takes(members, d.box)]
            taken.update(joined)
            digit = self._read_group(ink, members, [base[k].box for k in joined], clf, driver)
            if digit is not None:
                digits.append(digit)
        digits += [d for k, d in enumerate(base) if k not in taken]
        if not digits:
            return None
        digits.sort(key=lambda d: d.box[0])
        text = "".join("?" if d.digit is None else str(d.digit) for d in digits)
        return NumberReading(text, tuple(digits), driver)

    def _base(self, strokes: list[PenStroke]) -> tuple[list[NumberDigit], list[PenStroke]]:
        """The settled digits the live reading builds on, and the strokes drawn since (every
        stroke when the settled reading is not of a start of them)."""
        s = self.settled
        keys = tuple(p.key for p in strokes)
        if s is None or keys[: len(s.strokes)] != s.strokes:
            return [], strokes
        digits = list(s.reading.digits) if s.reading is not None else []
        return digits, strokes[len(s.strokes) :]

    def _read_group(self, ink, members, boxes, clf, driver) -> NumberDigit | None:
        """One digit: the ink under ``members`` (pen strokes) and inside ``boxes`` (settled
        digits taken over), read by ``driver``; remembered by its ink."""
        found = _group_ink(ink, members, boxes)
        if found is None:
            return None
        part, left, top = found
        key = (driver, part.shape, left, top, hashlib.blake2b(part.tobytes()).digest())
        if key not in self._digits:
            if len(self._digits) > 256:
                self._digits.clear()
            self._digits[key] = _read_part(part, left, top, clf, driver)
        return self._digits[key]


def _takes(members: list[PenStroke], box: tuple[int, int, int, int]) -> bool:
    """Whether a group of strokes takes over the settled digit in ``box``: they share
    ``SAME_COLUMNS`` of the narrower one's columns."""
    pens = [s for s in members if not s.erase] or members
    span = (min(s.columns()[0] for s in pens), max(s.columns()[1] for s in pens))
    return _shared(span, (box[0], box[0] + box[2]))


def _group_ink(ink: np.ndarray, members, boxes) -> tuple[np.ndarray, int, int] | None:
    """The ink under the pen strokes of ``members`` and inside ``boxes``, cropped to itself:
    (h, w) uint8 and its left and top in ``ink``; None when there is none."""
    pens = [s for s in members if not s.erase]
    window = _window(ink.shape, pens, boxes)
    if window is None:
        return None
    x0, y0, x1, y1 = window
    mask = _footprint((y1 - y0, x1 - x0), (x0, y0), pens, boxes)
    part = ink[y0:y1, x0:x1] * mask
    rows = np.flatnonzero(part.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(part.any(axis=0))
    part = part[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return part, x0 + int(cols[0]), y0 + int(rows[0])


def _window(shape, pens, boxes) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) in the ink around ``pens`` and ``boxes``, clipped to it."""
    spans = [(*s.columns(), *s.rows()) for s in pens]
    spans += [(b[0], b[0] + b[2], b[1], b[1] + b[3]) for b in boxes]
    if not spans:
        return None
    h, w = shape
    pad = FOOTPRINT_PX
    x0 = max(0, int(min(s[0] for s in spans)) - pad)
    x1 = min(w, int(np.ceil(max(s[1] for s in spans))) + pad)
    y0 = max(0, int(min(s[2] for s in spans)) - pad)
    y1 = min(h, int(np.ceil(max(s[3] for s in spans))) + pad)
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def _footprint(size, origin, pens, boxes) -> np.ndarray:
    """A (h, w) uint8 mask, 1 under the pen strokes (``FOOTPRINT_PX`` wider than the pen)
    and inside the boxes, of the part of the ink whose top left is ``origin``."""
    import cv2

    x0, y0 = origin
    mask = np.zeros(size, np.uint8)
    for s in pens:
        pts = np.round(s.points - (x0, y0)).astype(np.int32)
        thick = max(1, int(np.ceil(s.width)) + FOOTPRINT_PX)
        if len(pts) == 1:
            cv2.circle(mask, (int(pts[0, 0]), int(pts[0, 1])), (thick + 1) // 2, 1, -1)
        else:
            cv2.polylines(mask, [pts.reshape(-1, 1, 2)], False, 1, thick)
    for b in boxes:
        mask[max(0, b[1] - y0) : b[1] + b[3] - y0, max(0, b[0] - x0) : b[0] + b[2] - x0] = 1
    return mask


def _read_part(part: np.ndarray, left: int, top: int, clf, driver: str) -> NumberDigit | None:
    """``part`` (h, w) uint8 read as one digit by ``clf`` ({driver: classifier}), the
    verdict ``digitpad.read`` gives; its box at (``left``, ``top``)."""
    picture = to_mnist(part.astype(np.float32) / 255.0)
    if picture is None:
        return None
    reading = api.read_with(picture, clf, driver)
    return NumberDigit(reading, (left, top, part.shape[1], part.shape[0]))
