"""The Classifier protocol every model family implements, and the error models raise."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import calibration


class ModelError(ValueError):
    """A model file is missing, damaged, unsafe, or made for another input."""


@dataclass
class Classifier:
    """A trained 10-class digit classifier.

    Subclasses implement ``_scores``; ``predict_proba`` checks the input and normalises.
    ``meta`` holds what ``meta.json`` says: test accuracy, training-set size, fit time,
    hyper-parameters, date, and the family.
    """

    name: str
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    def predict_proba(self, x: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """Probabilities for a batch, calibrated (at the model's ``temperature``) unless
        ``calibrated`` is False.

        x: (N, 28, 28) float32 in [0, 1] (a single (28, 28) image is taken as N = 1).
        Returns (N, 10) float32, each row summing to 1.
        """
        x = as_batch(x)
        if len(x) == 0:
            return np.zeros((0, 10), np.float32)
        return self.finish(self._proba(x), calibrated)

    def finish(self, raw: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """(N, 10) float32 probabilities from what the model's forward pass gives, (N, 10):
        normalised, and calibrated unless ``calibrated`` is False (``predict_proba``'s last
        step; ``reading.detector`` uses it for the cnn's reading through its features)."""
        p = np.asarray(raw, dtype=np.float64)
        p = np.clip(p, 0.0, None)
        p /= p.sum(axis=1, keepdims=True)
        if calibrated:
            p = calibration.scale(p, self.temperature)
        return p.astype(np.float32)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Most probable digit per image: (N,) int64."""
        return np.argmax(self.predict_proba(x), axis=1).astype(np.int64)

    def _proba(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def temperature(self) -> float:
        """The calibration temperature from ``meta.json`` (1.0 when none was fitted); see
        ``digitpad.models.calibration``."""
        return calibration.temperature(self.meta)

    @property
    def test_accuracy(self) -> float | None:
        return self.meta.get("test_accuracy")

    @property
    def train_size(self) -> int | None:
        return self.meta.get("train_size")

    @property
    def fit_seconds(self) -> float | None:
        return self.meta.get("fit_seconds")

    @property
    def hyperparameters(self) -> dict[str, Any]:
        return self.meta.get("hyperparameters", {})

    @property
    def trained_on(self) -> str | None:
        """ISO date the model was trained."""
        return self.meta.get("date")

    def __repr__(self) -> str:
        acc = self.test_accuracy
        acc_s = f", test_accuracy={acc:.4f}" if acc is not None else ""
        return f"<{type(self).__name__} {self.name!r}{acc_s}>"


def as_batch(x: np.ndarray) -> np.ndarray:
    """(N, 28, 28) float32 from a batch or a single (28, 28) image; refuses other shapes."""
    x = np.asarray(x, dtype=np.float32)
    if x.shape == (28, 28):
        x = x[None]
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise ModelError(f"expected images of shape (N, 28, 28), got {x.shape}")
    return x


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of (N, K) scores, computed stably in float64."""
    z = np.asarray(z, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
