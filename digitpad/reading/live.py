"""What the window knows about the drawing at one moment: the model input and every answer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..models import Classifier, families
from . import verdict

# Which model answers when the chosen one cannot: the most accurate first.
PREFERENCE = families.PREFERENCE


@dataclass(frozen=True)
class Reading:
    """Every loaded model's answer for one picture.

    digit: (28, 28) float32 in [0, 1], the picture exactly as the models see it.
    probabilities: model name → (10,) float32, in the order the models are listed.
    driver: the model whose answer is the big one. verdict: the honest answer (digit or not sure).
    """

    digit: np.ndarray
    probabilities: dict[str, np.ndarray]
    driver: str
    verdict: verdict.Verdict

    def driver_probabilities(self) -> np.ndarray:
        """(10,) float32 of the driving model."""
        return self.probabilities[self.driver]


def read(
    digit: np.ndarray,
    classifiers: dict[str, Classifier],
    driver: str,
    known: dict[str, np.ndarray] | None = None,
) -> Reading:
    """Ask every classifier about ``digit`` (28, 28) float32; ``driver`` must be among them.

    known: answers already computed for this very picture (model name → (10,)), not asked again.
    """
    known = known or {}
    probabilities = {
        name: known[name] if name in known else clf.predict_proba(digit)[0]
        for name, clf in classifiers.items()
    }
    return Reading(digit, probabilities, driver, verdict.judge(probabilities, driver, digit))


def pick_driver(wanted: str | None, usable: list[str]) -> str | None:
    """The model to drive the big answer: ``wanted`` when usable, else the best usable one."""
    if wanted in usable:
        return wanted
    for name in PREFERENCE:
        if name in usable:
            return name
    return usable[0] if usable else None
