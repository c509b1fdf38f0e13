"""Seed 004: the NumPy "is it a 4?" logistic regression learns on real MNIST."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from digitpad.data import mnist
from digitpad.training import is_four


def test_loss_falls_every_iteration_and_it_beats_the_base_rate():
    x, y = mnist.load_mnist("train")
    xt, yt = mnist.load_mnist("test")
    seen = []
    model, history = is_four.fit(
        x[:3000], y[:3000] == 4, iterations=60, on_iteration=lambda i, v: seen.append((i, v))
    )
    assert len(history) == 60 and [i for i, _ in seen] == list(range(60))
    assert history[0] == pytest.approx(np.log(2))  # zero weights: p = 0.5 for every image
    assert all(b < a for a, b in itertools.pairwise(history))
    assert is_four.loss(model, x[:3000], y[:3000] == 4) < history[-1]
    accuracy = (model.predict(xt) == (yt == 4)).mean()
    base_rate = 1 - (yt == 4).mean()  # always answering "not a 4"
    assert accuracy > base_rate + 0.04


def test_should_stop_ends_early():
    x, y = mnist.load_mnist("test")
    _, history = is_four.fit(x[:500], y[:500] == 4, iterations=100, should_stop=lambda: True)
    assert len(history) == 1
