"""``digitpad.read``: one picture read by every usable model, with the honest answer.

The window, the Map star, ``digitpad predict`` and this function read a picture the same way
(``digitpad.reading.live.read``: every model's calibrated probabilities, then the verdict for the
model in charge), with the same models (every model ``digitpad.models.available()`` lists that
loads, the user's own included), so they always give the same answer.

>>> import numpy as np
>>> import digitpad
>>> from digitpad.data.mnist import load_mnist
>>> images, labels = load_mnist("test")
>>> r = digitpad.read(images[0])  # (H, W) grey, bright ink on black, as the canvas holds it
>>> r.digit, int(labels[0]), r.model, r.reason
(7, 7, 'cnn', '')
>>> r.probabilities.shape, round(float(r.probabilities.sum()), 3)
((10,), 1.0)
>>> r.answers["logistic"].digit
7
>>> blob = np.zeros((280, 280), np.uint8)
>>> blob[60:220, 50:230] = 255  # a filled square: no digit
>>> digitpad.read(blob).digit is None
True
>>> digitpad.read(np.zeros((280, 280)))
Traceback (most recent call last):
...
ValueError: the picture is empty (no ink): draw a digit, bright on black
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from .. import models
from ..preprocess import as_mnist, load_image
from . import live

#: What ``read`` takes: a path to an image file, or an (H, W) grey array.
ImageLike = str | os.PathLike | np.ndarray


@dataclass(frozen=True, eq=False)
class Answer:
    """One model's own answer: its most probable digit, that probability, all ten (calibrated)."""

    digit: int
    probability: float
    probabilities: np.ndarray


@dataclass(frozen=True, eq=False)
class DigitReading:
    """The answer for one picture.

    digit: the digit, or ``None`` when not sure. reason: why not sure, in the user's words
    ("" when sure). confidence: the model in charge's probability for its top digit.
    probabilities: (10,) float32, that model's calibrated probabilities. model: the model in
    charge. answers: every model's own answer (model name → :class:`Answer`), the model in
    charge among them. picture: (28, 28) float32, the picture exactly as the models saw it.
    source: the file read, or None for an array.
    """

    digit: int | None
    reason: str
    confidence: float
    probabilities: np.ndarray
    model: str
    answers: Mapping[str, Answer]
    picture: np.ndarray
    source: str | None = None

    @property
    def sure(self) -> bool:
        return self.digit is not None

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON: the answer, the reason, the model in charge and every model's
        answer (the picture left out)."""
        return {
            "file": self.source,
            "digit": self.digit,
            "reason": self.reason,
            "confidence": round(self.confidence, 6),
            "probabilities": _rounded(self.probabilities),
            "model": self.model,
            "answers": {
                name: {
                    "digit": a.digit,
                    "probability": round(a.probability, 6),
                    "probabilities": _rounded(a.probabilities),
                }
                for name, a in self.answers.items()
            },
        }


def read(image: ImageLike, model: str | None = None) -> DigitReading:
    """Read the digit in ``image``: a path to an image file (PNG, JPEG, …, read as
    ``preprocess.load_image`` does), or an (H, W) grey array with bright ink on black (uint8
    0–255 or float 0–1), any size, as the canvas holds it.

    ``model`` picks the model in charge (default: the best usable one, ``cnn``). Every usable
    model reads the picture; the models are loaded once and kept. Raises ``ValueError`` for an
    empty picture or an unreadable file (the message names the file) and ``ModelError`` for a
    model that does not exist or cannot be used.
    """
    picture, source = _picture(image)
    classifiers = usable_models(model)
    return read_with(picture, classifiers, live.pick_driver(model, list(classifiers)), source)


def read_with(
    picture: np.ndarray,
    classifiers: dict[str, models.Classifier],
    driver: str,
    source: str | None = None,
    known: dict[str, np.ndarray] | None = None,
) -> DigitReading:
    """The reading of ``picture`` (28, 28) float32 by ``classifiers`` with ``driver`` in charge;
    ``known``: answers already computed for this very picture (model name → (10,))."""
    return from_reading(live.read(picture, classifiers, driver, known), source)


def usable_models(wanted: str | None = None) -> dict[str, models.Classifier]:
    """Every model ``models.available()`` lists that loads, in that order, as the window's
    shelf holds them; ``wanted`` must be among them (``ModelError`` saying why not)."""
    if wanted is not None and (not isinstance(wanted, str) or not wanted.strip()):
        raise models.ModelError(f"{wanted!r} is not a model name (digitpad models lists them)")
    usable: dict[str, models.Classifier] = {}
    for name in models.available():
        try:
            usable[name] = models.load(name)
        except models.ModelError:
            if name == wanted:
                raise
    if wanted is not None and wanted not in usable:
        models.load(wanted)  # says why: no such model
    if not usable:
        raise models.ModelError("no usable model: reinstall DigitPad or train one")
    return usable


def from_reading(reading: live.Reading, source: str | None = None) -> DigitReading:
    """The :class:`DigitReading` of a window-style ``live.Reading``."""
    answers = {name: _answer(p) for name, p in reading.probabilities.items()}
    v = reading.verdict
    return DigitReading(
        digit=v.digit,
        reason=v.reason,
        confidence=float(v.confidence),
        probabilities=answers[reading.driver].probabilities,
        model=reading.driver,
        answers=MappingProxyType(answers),
        picture=_frozen(reading.digit),
        source=source,
    )


def _answer(p: np.ndarray) -> Answer:
    p = _frozen(p)
    best = int(np.argmax(p))
    return Answer(best, float(p[best]), p)


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=np.float32)
    a.setflags(write=False)
    return a


def _rounded(p: np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in p]


def _picture(image: ImageLike) -> tuple[np.ndarray, str | None]:
    """(28, 28) float32 in MNIST format, and the file it came from (None for an array)."""
    if isinstance(image, (str, os.PathLike)):
        return load_image(image), os.fspath(image)
    if not isinstance(image, np.ndarray):
        raise TypeError(f"read() takes a path or an (H, W) grey array, not {type(image).__name__}")
    digit = as_mnist(image)
    if digit is None:
        raise ValueError("the picture is empty (no ink): draw a digit, bright on black")
    return digit, None
