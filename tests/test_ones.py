"""European 1s for training (digitpad.training.ones): a flag, sometimes a base, on MNIST's 1s."""

from __future__ import annotations

import numpy as np

from digitpad.data import mnist
from digitpad.preprocess import centre_of_mass
from digitpad.training.ones import flag_one, flag_ones


def _upright_one() -> np.ndarray:
    one = np.zeros((28, 28), np.float32)
    one[4:24, 13:15] = 1.0
    return one


def test_a_flag_reaches_down_to_the_left_of_the_top_and_the_picture_stays_mnist_like():
    one = _upright_one()
    flagged = flag_one(one, np.random.default_rng(0), base_share=0.0)
    assert flagged.shape == (28, 28) and flagged.dtype == np.float32
    assert flagged.min() >= 0.0 and flagged.max() == 1.0
    rows, cols = np.nonzero(flagged > 0.3)
    top = rows.min()
    upper = cols[rows < top + 6]
    lower = cols[rows > rows.max() - 6]
    assert upper.min() < lower.min() - 1  # the flag sticks out to the left near the top only
    assert rows.max() - rows.min() + 1 == 20  # refitted into MNIST's 20-pixel box
    r, c = centre_of_mass(flagged)
    assert abs(r - 14) < 1 and abs(c - 14) < 1  # and centred by its centre of mass


def test_a_base_runs_across_the_foot_both_ways():
    flagged = flag_one(_upright_one(), np.random.default_rng(1), base_share=1.0)
    rows, cols = np.nonzero(flagged > 0.3)
    foot = cols[rows >= rows.max() - 1]
    middle = cols[(rows > rows.min() + 8) & (rows < rows.max() - 5)]
    assert foot.min() < middle.min() - 1 and foot.max() > middle.max() + 1


def test_only_the_chosen_share_of_ones_changes_and_the_seed_decides_which():
    x, y = mnist.load_mnist("test")
    x, y = x[:2000], y[:2000]
    out = flag_ones(x, y, 0.3, seed=5)
    changed = np.flatnonzero((out != x).any(axis=(1, 2)))
    assert set(y[changed]) == {1}
    assert abs(len(changed) - 0.3 * np.sum(y == 1)) <= 2
    assert np.array_equal(out, flag_ones(x, y, 0.3, seed=5))
    assert not np.array_equal(out, flag_ones(x, y, 0.3, seed=6))
    assert np.array_equal(flag_ones(x, y, 0.0), x)
    assert out is not x and np.array_equal(x, mnist.load_mnist("test")[0][:2000])  # input kept
