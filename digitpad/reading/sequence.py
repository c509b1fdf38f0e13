"""The sequence reader: a row of digits that touch or cross, read whole (no cuts).

A small convolutional network (``training.sequence_fit``) reads a mark, scaled to
``HEIGHT`` px high and laid at the left of a ``HEIGHT`` × ``WIDTH`` picture, as ``FRAMES``
columns; each column gives the probabilities of the ten digits and of "no digit here"
(connectionist temporal classification, Graves et al. 2006). The best path (the likeliest
symbol of each column, repeats merged, "no digit" dropped) is the digits it reads, and each
digit's columns say where it lies. ``reading.number`` uses it to choose how many digits a wide
mark holds and which; each digit is still read by every model with the verdict.

The network runs in LiteRT (as the cnn does); it is in ``resources/models/sequence/``, its
metadata (what it was trained on, its figures) in ``meta.json`` beside it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..models import bundled_dir
from ..preprocess import INK_FRACTION

HEIGHT = 32  # the picture the network reads: this many px high ...
WIDTH = 192  # ... and this wide (a mark wider than this at that height is shrunk to fit)
STRIDE = 4  # px of the picture per column
FRAMES = WIDTH // STRIDE
BLANK = 10  # the symbol "no digit here"


def folder() -> Path:
    return bundled_dir() / "sequence"


def prepare(ink: np.ndarray) -> np.ndarray | None:
    """``ink`` (H, W) float in [0, 1], bright on black, as the network reads it:
    (HEIGHT, WIDTH) float32, cropped to the ink, ``HEIGHT`` px high (or narrower to fit
    ``WIDTH``), at the left, its brightest pixel 1. None when it holds no ink."""
    placed = _placed(ink)
    return None if placed is None else placed[0]


def _placed(ink: np.ndarray) -> tuple[np.ndarray, int, float] | None:
    """:func:`prepare`'s picture, the first column of ``ink`` it holds, and its scale."""
    import cv2

    peak = float(ink.max()) if ink.size else 0.0
    if peak <= 1e-3:
        return None
    rows = np.flatnonzero(ink.max(axis=1) >= INK_FRACTION * peak)
    cols = np.flatnonzero(ink.max(axis=0) >= INK_FRACTION * peak)
    crop = np.asarray(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], np.float32) / peak
    h, w = crop.shape
    f = min(HEIGHT / h, WIDTH / w)
    size = (max(1, min(WIDTH, round(w * f))), max(1, min(HEIGHT, round(h * f))))
    small = cv2.resize(crop, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    out = np.zeros((HEIGHT, WIDTH), np.float32)
    top = (HEIGHT - size[1]) // 2
    out[top : top + size[1], : size[0]] = np.clip(small, 0.0, 1.0)
    return out, int(cols[0]), f


@dataclass(frozen=True)
class Sequence:
    """What the network read: ``digits``; ``confidence``, the probability of those digits (over
    every way of laying them on the columns: :func:`probability`);
    ``spans``, each digit's first and last column (in ``FRAMES``), left to right; and
    ``probabilities``, each digit's (10,) (those of its surest column, "no digit" left out);
    ``centres``, where each digit's columns lie in the ink read (its pixel column; from
    :meth:`SequenceReader.read`)."""

    digits: tuple[int, ...]
    confidence: float
    spans: tuple[tuple[int, int], ...]
    probabilities: tuple[np.ndarray, ...] = ()
    centres: tuple[float, ...] = ()

    @property
    def text(self) -> str:
        return "".join(map(str, self.digits))


def decode(probs: np.ndarray) -> Sequence:
    """The best path of ``probs`` (FRAMES, 11): each column's likeliest symbol, repeats
    merged, blanks dropped."""
    best = probs.argmax(axis=1)
    digits: list[int] = []
    spans: list[tuple[int, int]] = []
    previous = BLANK
    for t, s in enumerate(best):
        s = int(s)
        if s != BLANK and s == previous:
            spans[-1] = (spans[-1][0], t)
        elif s != BLANK:
            digits.append(s)
            spans.append((t, t))
        previous = s
    chosen = []
    for d, (a, b) in zip(digits, spans, strict=True):
        column = probs[a + int(np.argmax(probs[a : b + 1, d]))][:BLANK]
        chosen.append((column / max(float(column.sum()), 1e-9)).astype(np.float32))
    return Sequence(tuple(digits), probability(probs, digits), tuple(spans), tuple(chosen))


def probability(probs: np.ndarray, digits: list[int]) -> float:
    """The probability that the columns ``probs`` (FRAMES, 11) read exactly ``digits``: the
    sum over every path that gives them (repeats merged, blanks dropped), by the forward
    recursion of connectionist temporal classification (Graves et al. 2006)."""
    states = [BLANK]
    for d in digits:
        states += [d, BLANK]
    states_a = np.array(states)
    n = len(states)
    # a state may be reached from itself, the one before, and (a digit after a blank after a
    # different digit) the one two before
    skip = np.zeros(n, bool)
    skip[2:] = (states_a[2:] != BLANK) & (states_a[2:] != states_a[:-2])
    alpha = np.zeros(n)
    alpha[0] = probs[0, BLANK]
    if n > 1:
        alpha[1] = probs[0, states[1]]
    for t in range(1, len(probs)):
        before = alpha.copy()
        before[1:] += alpha[:-1]
        before[2:] += np.where(skip[2:], alpha[:-2], 0.0)
        alpha = before * probs[t, states_a]
    return float(alpha[-1] + (alpha[-2] if n > 1 else 0.0))


class SequenceReader:
    """The bundled sequence network (LiteRT, one thread), read one mark at a time."""

    def __init__(self, path: Path) -> None:
        from ..models.litert import Interpreters

        self.path = path
        self._interpreters = Interpreters(path.read_bytes(), path)
        self._interpreters(1)  # loads it now: ModelError for a file LiteRT cannot read
        self._lock = threading.Lock()

    def probabilities(self, pictures: np.ndarray) -> np.ndarray:
        """(N, FRAMES, 11) for ``pictures`` (N, HEIGHT, WIDTH) from :func:`prepare`."""
        with self._lock:
            it = self._interpreters(len(pictures))
            inp = it.get_input_details()[0]
            it.set_tensor(inp["index"], pictures[..., None].astype(np.float32))
            it.invoke()
            return np.array(it.get_tensor(it.get_output_details()[0]["index"]))

    def read(self, inks: list[np.ndarray]) -> list[Sequence | None]:
        """Each of ``inks`` read whole (None for one with no ink)."""
        placed = [_placed(ink) for ink in inks]
        kept = [p for p in placed if p is not None]
        if not kept:
            return [None] * len(inks)
        found = iter(decode(q) for q in self.probabilities(np.stack([p[0] for p in kept])))
        return [None if p is None else _in_ink(next(found), p[1], p[2]) for p in placed]


def _in_ink(q: Sequence, left: int, f: float) -> Sequence:
    """``q`` with each digit's centre in the pixel columns of the ink it was read from."""
    centres = tuple(left + (a + b + 1) / 2 * STRIDE / f for a, b in q.spans)
    return replace(q, centres=centres)


_shared: list[SequenceReader | None] = []  # loaded once: [the reader, or None]
_shared_lock = threading.Lock()


def shared() -> SequenceReader | None:
    """The bundled reader, loaded once; None when the install has none or LiteRT cannot load
    it (``read_number`` then cuts wide marks by the models' readings alone)."""
    from ..models import ModelError

    with _shared_lock:
        if not _shared:
            path = folder() / "model.tflite"
            try:
                _shared.append(SequenceReader(path) if path.is_file() else None)
            except (ModelError, OSError):
                _shared.append(None)
        return _shared[0]


def metadata() -> dict:
    path = folder() / "meta.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
