"""Every sample the explore panels show, as one table of plain arrays (no Qt here).

The samples are MNIST train (60,000) and test (10,000) and any other set added later (a Kaggle
CSV, the user's own drawings), one after another: a sample's *global index* is its row here.
Each model's cached test-set probabilities are spread over those rows (NaN elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import analysis, models
from . import mnist

#: Codes in ``Samples.source`` of the two MNIST sets, always the first two.
TRAIN, TEST = 0, 1


@dataclass
class Samples:
    """The table behind the explore panels.

    ``images`` (N, 28, 28) uint8; ``labels`` (N,) int64, -1 where unknown; ``source`` (N,) int8,
    an index into ``source_names``; ``position`` (N,) int64, the row within its own set;
    ``probabilities`` model name → (N, 10) float32, NaN rows where the model has no answer.
    """

    images: np.ndarray
    labels: np.ndarray
    source: np.ndarray
    position: np.ndarray
    source_names: list[str]
    probabilities: dict[str, np.ndarray] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.labels)

    def test_rows(self) -> np.ndarray:
        """Global indices of the MNIST test images, in test-set order."""
        return np.flatnonzero(self.source == TEST)

    def predicted(self, model: str | None) -> np.ndarray | None:
        """(N,) int64 answer of ``model``, -1 where it has none; None for no model."""
        if model not in self.probabilities:
            return None
        p = self.probabilities[model]
        answered = np.isfinite(p[:, 0])
        out = np.full(len(self), -1, np.int64)
        out[answered] = p[answered].argmax(axis=1)
        return out

    def confidence(self, model: str | None) -> np.ndarray | None:
        """(N,) float64 probability of ``model``'s answer, NaN where it has none."""
        if model not in self.probabilities:
            return None
        return self.probabilities[model].max(axis=1).astype(np.float64)

    def loss(self, model: str | None) -> np.ndarray | None:
        """(N,) float64 cross-entropy of the true label, NaN without a label or an answer."""
        if model not in self.probabilities:
            return None
        out = np.full(len(self), np.nan)
        p = self.probabilities[model]
        known = np.isfinite(p[:, 0]) & (self.labels >= 0)
        out[known] = analysis.losses(p[known], self.labels[known])
        return out

    def counts_per_set(self) -> dict[str, np.ndarray]:
        """Set name → (10,) int64 samples of each digit, for the sets that have labels."""
        counts = {}
        for code, name in enumerate(self.source_names):
            labels = self.labels[self.source == code]
            if (labels >= 0).any():
                counts[name] = analysis.class_distribution(labels)
        return counts

    def describe(self, index: int) -> str:
        name = self.source_names[int(self.source[index])]
        return f"{name} #{int(self.position[index])}"

    def add_models(self, names: list[str]) -> None:
        """Take in the cached test answers of the models ``names`` not here yet (bad caches are
        named in ``problems``) and forget the models not among ``names``."""
        for gone in [k for k in self.probabilities if k not in names]:
            del self.probabilities[gone]
        for name in names:
            if name not in self.probabilities:
                self._add_model(name)

    def _add_model(self, name: str) -> None:
        """Spread model ``name``'s cached test probabilities over the rows; a damaged cache is
        named in ``problems`` and must not keep the other models out."""
        test = self.test_rows()
        try:
            p = np.asarray(models.test_probabilities(name), np.float32)
            if p.shape != (len(test), 10):
                raise ValueError(f"cached probabilities are {p.shape}, not ({len(test)}, 10)")
        except Exception as e:
            self.problems[name] = f"{type(e).__name__}: {e}"
            return
        spread = np.full((len(self), 10), np.nan, np.float32)
        spread[test] = p
        self.probabilities[name] = spread

    def with_source(self, name: str, images: np.ndarray, labels: np.ndarray | None) -> Samples:
        """A new table with ``images`` (M, 28, 28) (uint8, or float in [0, 1]) appended as set
        ``name``; ``labels`` (M,) or None."""
        images = np.asarray(images)
        if images.dtype != np.uint8:
            images = np.rint(np.clip(images, 0, 1) * 255).astype(np.uint8)
        m = len(images)
        labels = np.full(m, -1, np.int64) if labels is None else np.asarray(labels, np.int64)
        names = [*self.source_names, name]
        probabilities = {
            k: np.concatenate([p, np.full((m, 10), np.nan, np.float32)])
            for k, p in self.probabilities.items()
        }
        return Samples(
            images=np.concatenate([self.images, images]),
            labels=np.concatenate([self.labels, labels]),
            source=np.concatenate([self.source, np.full(m, len(names) - 1, np.int8)]),
            position=np.concatenate([self.position, np.arange(m)]),
            source_names=names,
            probabilities=probabilities,
            problems=dict(self.problems),
        )


def load_samples() -> Samples:
    """MNIST train and test with every available model's test probabilities (runs in a worker).

    A model whose cached probabilities cannot be read is left out and named in ``problems``.
    """
    train_x, train_y = mnist.load_mnist("train", as_float=False)
    test_x, test_y = mnist.load_mnist("test", as_float=False)
    n_train, n_test = len(train_y), len(test_y)
    samples = Samples(
        images=np.concatenate([train_x, test_x]),
        labels=np.concatenate([train_y, test_y]).astype(np.int64),
        source=np.concatenate([np.full(n_train, TRAIN, np.int8), np.full(n_test, TEST, np.int8)]),
        position=np.concatenate([np.arange(n_train), np.arange(n_test)]),
        source_names=["train", "test"],
    )
    try:
        names = models.available()
    except (OSError, models.ModelError) as e:
        samples.problems["models"] = str(e)
        names = []
    samples.add_models(names)
    return samples
