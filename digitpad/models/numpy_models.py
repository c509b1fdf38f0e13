"""Classifiers evaluated in plain NumPy from ``model.npz`` arrays (no scikit-learn, no pickle)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .base import Classifier, ModelError, softmax
from .features import deskew, flat


def _pixels(arrays: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """(N, 784) model inputs: the pixels, deskewed first when the model was trained so."""
    if bool(arrays.get("deskew", False)):
        x = deskew(x)
    return flat(x)


@dataclass(repr=False)
class LinearModel(Classifier):
    """Linear scores ``x @ W + b`` turned into probabilities by a softmax at a fitted temperature.

    Multinomial logistic regression (temperature 1) and the linear SVM (one-vs-rest margins,
    temperature fitted on held-out data) share this form.
    """

    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _require(self.arrays, ("W", "b", "temperature"), self.name)
        _require_shape(self.arrays["W"], (784, 10), "W", self.name)

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        """(N, 10) raw linear scores for (N, 28, 28) images."""
        return _pixels(self.arrays, x) @ self.arrays["W"] + self.arrays["b"]

    def _proba(self, x: np.ndarray) -> np.ndarray:
        return softmax(self.decision_function(x) / float(self.arrays["temperature"]))


class _OneVsOne(Classifier):
    """Shared by the SVMs: 45 pairwise decisions → scikit-learn's one-vs-rest scores → softmax.

    ``ovo_decision`` gives (N, 45) values in libsvm's pair order (0-1, 0-2, …, 8-9), positive
    favouring the lower class; ``temperature`` was fitted on held-out data so that the softmax
    of the scores gives calibrated probabilities.
    """

    arrays: dict[str, np.ndarray]

    def ovo_decision(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def decision_function(self, x: np.ndarray) -> np.ndarray:
        """(N, 10) votes plus a confidence in (−1/3, 1/3), as scikit-learn's ``ovr`` shape."""
        dec = self.ovo_decision(x)
        votes = np.zeros((len(dec), 10))
        conf = np.zeros((len(dec), 10))
        for p, (i, j) in enumerate(PAIRS):
            votes[:, i] += dec[:, p] > 0
            votes[:, j] += dec[:, p] <= 0
            conf[:, i] += dec[:, p]
            conf[:, j] -= dec[:, p]
        return votes + conf / (3.0 * (np.abs(conf) + 1.0))

    def _proba(self, x: np.ndarray) -> np.ndarray:
        return softmax(self.decision_function(x) / float(self.arrays["temperature"]))


PAIRS = [(i, j) for i in range(10) for j in range(i + 1, 10)]


@dataclass(repr=False)
class PairwiseLinearSvm(_OneVsOne):
    """Linear SVM, one-vs-one: 45 hyperplanes ``coef`` (45, 784), ``intercept`` (45,)."""

    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _require(self.arrays, ("coef", "intercept", "temperature"), self.name)
        _require_shape(self.arrays["coef"], (45, 784), "coef", self.name)

    def ovo_decision(self, x: np.ndarray) -> np.ndarray:
        return _pixels(self.arrays, x) @ self.arrays["coef"].T + self.arrays["intercept"]


@dataclass(repr=False)
class RbfSvm(_OneVsOne):
    """One-vs-one RBF-kernel SVM on PCA features, evaluated exactly as libsvm does.

    Arrays: PCA ``mean`` (784,), ``components`` (784, k); ``support`` (S, k) support vectors
    sorted by class, ``n_support`` (10,), ``dual_coef`` (9, S), ``intercept`` (45,), ``gamma``.
    """

    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    _sq_norms: np.ndarray | None = None

    def __post_init__(self) -> None:
        keys = (
            "mean",
            "components",
            "support",
            "n_support",
            "dual_coef",
            "intercept",
            "gamma",
        )
        _require(self.arrays, (*keys, "temperature"), self.name)
        _require_shape(self.arrays["mean"], (784,), "mean", self.name)
        self._sq_norms = (self.arrays["support"].astype(np.float64) ** 2).sum(axis=1)

    def features(self, x: np.ndarray) -> np.ndarray:
        """(N, k) PCA features of (N, 28, 28) images."""
        return (_pixels(self.arrays, x) - self.arrays["mean"]) @ self.arrays["components"]

    def ovo_decision(self, x: np.ndarray) -> np.ndarray:
        a = self.arrays
        z = self.features(x).astype(np.float64)
        sq = (z**2).sum(axis=1)[:, None] + self._sq_norms[None, :] - 2.0 * z @ a["support"].T
        k = np.exp(-float(a["gamma"]) * np.maximum(sq, 0.0))  # (N, S)
        starts = np.concatenate([[0], np.cumsum(a["n_support"])])
        block = [slice(starts[c], starts[c + 1]) for c in range(10)]
        out = np.empty((len(z), 45))
        for p, (i, j) in enumerate(PAIRS):
            si, sj = block[i], block[j]
            out[:, p] = (
                k[:, si] @ a["dual_coef"][j - 1, si]
                + k[:, sj] @ a["dual_coef"][i, sj]
                + a["intercept"][p]
            )
        return out


@dataclass(repr=False)
class DenseNet(Classifier):
    """The Kaggle notebook's shallow network, 784 → hidden leaky-ReLU → 10 softmax, from the
    Keras weights."""

    arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _require(self.arrays, ("W1", "b1", "W2", "b2", "negative_slope"), self.name)
        w1 = self.arrays["W1"]
        _require_shape(w1, (784, w1.shape[1] if w1.ndim == 2 else 0), "W1", self.name)
        _require_shape(self.arrays["W2"], (self.arrays["W1"].shape[1], 10), "W2", self.name)

    def hidden(self, x: np.ndarray) -> np.ndarray:
        a = self.arrays
        h = flat(x) @ a["W1"] + a["b1"]
        return np.where(h > 0, h, h * float(a["negative_slope"]))

    def _proba(self, x: np.ndarray) -> np.ndarray:
        return softmax(self.hidden(x) @ self.arrays["W2"] + self.arrays["b2"])


def _require(arrays: dict, keys: tuple[str, ...], name: str) -> None:
    missing = [k for k in keys if k not in arrays]
    if missing:
        raise ModelError(f"model {name!r}: its weights file lacks {', '.join(missing)}")


def _require_shape(a: np.ndarray, shape: tuple[int, ...], key: str, name: str) -> None:
    if a.shape != shape:
        raise ModelError(
            f"model {name!r}: {key} has shape {a.shape}, expected {shape} "
            "(was it trained for another input size?); retrain or remove it"
        )
