"""Occlusion saliency on real MNIST digits and the bundled CNN."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad import models
from digitpad.data import mnist
from digitpad.reading import saliency


@pytest.fixture(scope="module")
def cnn():
    return models.load("cnn")


@pytest.fixture(scope="module")
def digits():
    x, y = mnist.load_mnist("test")
    return x[:20], y[:20]


def test_saliency_is_highest_on_the_ink(cnn, digits):
    x, y = digits
    for digit, label in zip(x, y, strict=True):
        s = saliency.saliency(cnn, digit)
        assert s.map.shape == (28, 28) and s.answer == label != s.runner_up
        ink = digit > 0.3
        assert s.map[ink].mean() > s.map[~ink].mean()


def test_blanking_the_most_salient_patch_hurts_more_than_a_random_one(cnn, digits):
    x, _ = digits
    rng = np.random.default_rng(0)
    worse = 0
    for digit in x:
        s = saliency.saliency(cnn, digit)
        batch, corners = saliency.occlusions(digit)
        scores = [s.map[r : r + 6, c : c + 6].mean() for r, c in corners]
        top = batch[int(np.argmax(scores))]
        random = batch[int(rng.integers(len(batch)))]
        p = cnn.predict_proba(np.stack([top, random]))[:, s.answer]
        worse += p[0] < p[1]
    assert worse >= 18  # of 20 (a random patch may be the top one, or hit the same stroke)


def test_every_pixel_is_covered():
    _, corners = saliency.occlusions(np.zeros((28, 28), np.float32))
    covered = np.zeros((28, 28), bool)
    for r, c in corners:
        covered[r : r + saliency.PATCH, c : c + saliency.PATCH] = True
    assert covered.all()


def test_small_batches_answer_as_the_big_one(cnn):
    x, _ = mnist.load_mnist("test")
    big = cnn.predict_proba(x[:300])  # batches of 256
    small = np.concatenate([cnn.predict_proba(x[i : i + 82]) for i in range(0, 246, 82)])
    single = np.concatenate([cnn.predict_proba(x[i : i + 1]) for i in range(5)])
    np.testing.assert_allclose(small, big[:246], atol=1e-5)
    np.testing.assert_allclose(single, big[:5], atol=1e-5)
