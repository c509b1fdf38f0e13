"""digitpad.analysis on real MNIST slices and real cached model answers, against direct
computations written out the slow, obvious way."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad import analysis, models
from digitpad.data import mnist
from digitpad.progress import Cancelled, CancelToken


@pytest.fixture(scope="module")
def mnist_slice():
    """300 test images in a shuffled (not label-sorted) order, uint8, with their labels."""
    x, y = mnist.load_mnist("test", as_float=False)
    pick = np.random.default_rng(7).choice(len(y), 300, replace=False)
    return x[pick], y[pick]


def _direct_block_averages(images, labels, threshold=None):
    """Every pair, one by one per block, from NumPy's own corrcoef."""
    c = np.corrcoef(images.reshape(len(images), -1).astype(np.float64))
    if threshold is not None:
        c = (c > threshold).astype(np.float64)
    out = np.full((10, 10), np.nan)
    for i in range(10):
        for j in range(10):
            a, b = np.flatnonzero(labels == i), np.flatnonzero(labels == j)
            values = [c[p, q] for p in a for q in b if p != q]
            if values:
                out[i, j] = np.mean(values)
    return out


def test_block_averages_match_a_direct_computation(mnist_slice):
    x, y = mnist_slice
    expected = _direct_block_averages(x, y)
    got = analysis.class_block_averages(x, y)
    assert got.shape == (10, 10) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, atol=1e-12)
    # The same digits as float in [0, 1] give the same coefficients.
    np.testing.assert_allclose(analysis.class_block_averages(x / 255.0, y), expected, atol=1e-12)
    # Digits correlate more with their own class than with others, on average.
    off = ~np.eye(10, dtype=bool)
    assert np.diag(got).mean() > got[off].mean() + 0.1


@pytest.mark.parametrize("threshold", [0.5, 0.6])
def test_thresholded_block_averages_are_the_share_of_pairs_above(mnist_slice, threshold):
    x, y = mnist_slice
    expected = _direct_block_averages(x, y, threshold)
    for block in (37, 512):  # several row blocks, and one
        got = analysis.class_block_averages(x, y, threshold, block=block)
        np.testing.assert_array_equal(got, expected)
    assert np.all((expected >= 0) & (expected <= 1))


def test_a_sample_with_itself_is_left_out():
    x, y = mnist.load_mnist("test", as_float=False)
    seven, one = x[y == 7][:1], x[y == 1][:2]
    images = np.concatenate([seven, one[:1], one[:1]])  # one 7, and the same 1 twice
    labels = np.array([7, 1, 1])
    got = analysis.class_block_averages(images, labels)
    assert np.isnan(got[7, 7])  # a lone 7 has no pair but itself
    assert got[1, 1] == pytest.approx(1.0)  # the two copies of the 1 pair with each other only
    assert (
        got[1, 7] == got[7, 1] == pytest.approx(np.corrcoef(seven[0].ravel(), one[0].ravel())[0, 1])
    )
    assert analysis.class_block_averages(images, labels, 0.99)[1, 1] == 1.0
    assert np.isnan(got[0, 0]) and np.isnan(got[0, 1])  # digits that are not there


def test_streaming_reports_progress_and_can_be_cancelled(mnist_slice):
    x, y = mnist_slice
    seen = []
    analysis.block_averages(x, y, 0.5, block=64, progress=lambda f, i: seen.append((f, i)))
    total = 300 * 299 // 2
    assert len(seen) == 5 and seen[-1] == (1.0, {"stage": "pairs", "done": total, "total": total})
    assert np.all(np.diff([f for f, _ in seen]) > 0)
    assert all(f == i["done"] / total for f, i in seen)
    token, calls = CancelToken(), []

    def cancel_after_two(fraction: float, info: dict) -> None:
        calls.append(fraction)
        if len(calls) == 2:
            token.cancel()

    with pytest.raises(Cancelled):
        analysis.block_averages(x, y, 0.5, block=64, progress=cancel_after_two, cancel=token)
    assert len(calls) == 2
    steps = analysis.iter_class_block_averages(x, y, 0.5, block=100)
    assert next(steps) == (100 * 200 + 100 * 99 // 2, total)


def test_class_block_averages_keeps_its_public_progress_and_cancel(mnist_slice):
    """Scripts call it with ``progress(done, total)`` and ``cancelled()``, as before."""
    x, y = mnist_slice
    seen = []
    got = analysis.class_block_averages(
        x, y, 0.5, block=64, progress=lambda d, t: seen.append((d, t))
    )
    total = 300 * 299 // 2
    assert len(seen) == 5 and seen[-1] == (total, total)
    np.testing.assert_array_equal(got, analysis.block_averages(x, y, 0.5))
    calls = []
    with pytest.raises(Cancelled):
        analysis.class_block_averages(
            x, y, 0.5, block=64, cancelled=lambda: calls.append(1) or len(calls) > 2
        )
    assert len(calls) == 3


def test_correlation_matrix_is_numpys_corrcoef_and_binarise_is_strictly_above(mnist_slice):
    x, _ = mnist_slice
    c = analysis.correlation_matrix(x[:50], np.float64)
    np.testing.assert_allclose(c, np.corrcoef(x[:50].reshape(50, -1).astype(float)), atol=1e-12)
    c32 = analysis.correlation_matrix(x[:50])
    assert c32.dtype == np.float32 and np.abs(c32 - c).max() < 1e-5
    m = np.array([[0.5, 0.50001], [-1.0, 0.6]])
    np.testing.assert_array_equal(analysis.binarise(m, 0.5), [[0, 1], [0, 1]])


def test_block_averages_of_a_matrix_agree_with_the_images(mnist_slice):
    x, y = mnist_slice
    order = np.argsort(y, kind="stable")
    c = analysis.correlation_matrix(x[order], np.float64)
    np.testing.assert_allclose(
        analysis.block_averages_of_matrix(c, y[order]), analysis.class_block_averages(x, y)
    )
    np.testing.assert_array_equal(
        analysis.block_averages_of_matrix(analysis.binarise(c, 0.6), y[order]),
        analysis.class_block_averages(x, y, 0.6),
    )
    with pytest.raises(ValueError, match="sorted"):
        analysis.block_averages_of_matrix(c, y)


def test_a_blank_image_correlates_zero_with_everything(mnist_slice):
    x, y = mnist_slice
    images = np.concatenate([x[:20], np.zeros((1, 28, 28), np.uint8)])
    z = analysis.standardise(images)
    assert np.all(z[-1] == 0) and np.allclose(np.linalg.norm(z[:-1], axis=1), 1)
    labels = np.append(y[:20], 3)
    c = analysis.correlation_matrix(images, np.float64)
    order = np.argsort(labels, kind="stable")
    np.testing.assert_allclose(
        analysis.class_block_averages(images, labels),
        analysis.block_averages_of_matrix(c[np.ix_(order, order)], labels[order]),
        atol=1e-12,
    )


def test_pick_per_class_takes_n_of_each_digit_sorted_by_label():
    _, y = mnist.load_mnist("train", as_float=False)
    idx = analysis.pick_per_class(y, 20, seed=3)
    assert len(idx) == 200 and len(set(idx.tolist())) == 200
    assert np.array_equal(np.bincount(y[idx]), np.full(10, 20))
    assert np.all(np.diff(y[idx]) >= 0)
    assert np.array_equal(idx, analysis.pick_per_class(y, 20, seed=3))
    assert not np.array_equal(idx, analysis.pick_per_class(y, 20, seed=4))


# --- distribution, confusion, misclassified ---------------------------------------------


@pytest.fixture(scope="module")
def answers():
    _, y = mnist.load_mnist("test", as_float=False)
    names = models.available()
    assert names, "no bundled models"
    return y, {n: models.test_probabilities(n) for n in names}


def test_class_distribution_counts_each_digit():
    _, y = mnist.load_mnist("train", as_float=False)
    counts = analysis.class_distribution(y)
    assert counts.sum() == 60_000 and counts[1] == 6742 and counts[5] == 5421
    assert np.array_equal(
        analysis.class_distribution(np.array([-1, 2, 2, 9])), [0, 0, 2] + [0] * 6 + [1]
    )


def test_confusion_matrix_row_normalised_and_accuracy(answers):
    y, probas = answers
    name = next(iter(probas))
    predicted = probas[name].argmax(axis=1)
    m = analysis.confusion_matrix(y, predicted)
    slow = np.zeros((10, 10), np.int64)
    for t, p in zip(y.tolist(), predicted.tolist(), strict=True):
        slow[t, p] += 1
    assert np.array_equal(m, slow) and m.sum() == 10_000
    assert analysis.accuracy(m) == pytest.approx(np.mean(predicted == y))
    shares = analysis.row_normalised(m)
    np.testing.assert_allclose(shares.sum(axis=1), 1)
    assert np.array_equal(analysis.row_normalised(np.zeros((2, 2))), np.zeros((2, 2)))


def test_samples_in_cells_are_exactly_those(answers):
    y, probas = answers
    predicted = next(iter(probas.values())).argmax(axis=1)
    got = analysis.samples_in_cells(y, predicted, [(4, 9), (7, 2)])
    expected = [i for i in range(len(y)) if (y[i], predicted[i]) in {(4, 9), (7, 2)}]
    assert got.tolist() == expected and len(expected) > 0


def test_misclassified_are_the_wrong_ones_most_confident_first(answers):
    y, probas = answers
    for p in probas.values():
        wrong = analysis.misclassified(p, y)
        assert set(wrong.tolist()) == set(np.flatnonzero(p.argmax(axis=1) != y).tolist())
        confidence = p[wrong].max(axis=1)
        assert np.all(np.diff(confidence) <= 0)
        loss = analysis.losses(p[wrong], y[wrong])
        assert np.all(loss > np.log(2) - 1e-6)  # wrong answers put under half on the truth


def test_misclassified_by_models_counts_each_models_mistakes(answers):
    y, probas = answers
    wrong, count = analysis.misclassified_by_models(probas, y)
    assert wrong.shape == (len(probas), len(y))
    for row, p in zip(wrong, probas.values(), strict=True):
        assert np.array_equal(row, p.argmax(axis=1) != y)
    assert np.array_equal(count, wrong.sum(axis=0))
    assert 0 < np.sum(count == len(probas)) < np.sum(count >= 1)


# --- browser helpers --------------------------------------------------------------------


def test_filters_combine_as_the_browser_needs():
    source = np.array([0, 0, 1, 1, 1, 2])
    labels = np.array([3, 5, 3, 3, 5, -1])
    predicted = np.array([-1, -1, 3, 8, 5, 4])
    f = analysis.filter_samples
    assert f(source, labels).tolist() == [0, 1, 2, 3, 4, 5]
    assert f(source, labels, sources=[1, 2]).tolist() == [2, 3, 4, 5]
    assert f(source, labels, label=3).tolist() == [0, 2, 3]
    assert f(source, labels, predicted, predicted_label=4).tolist() == [5]
    assert f(source, labels, predicted, correct=True).tolist() == [2, 4]
    assert f(source, labels, predicted, correct=False).tolist() == [3]  # 5 has no label
    assert f(source, labels, predicted, label=3, correct=False, sources=[1]).tolist() == [3]
    assert f(source, labels, None, correct=True).tolist() == []


def test_sort_puts_nan_last_and_keeps_ties_in_order():
    score = np.array([0.2, np.nan, 0.9, 0.2, 0.5])
    idx = np.array([0, 1, 2, 3, 4])
    assert analysis.sort_samples(idx, score).tolist() == [2, 4, 0, 3, 1]
    assert analysis.sort_samples(idx, score, descending=False).tolist() == [0, 3, 4, 2, 1]
    assert analysis.sort_samples(idx[::-1], None).tolist() == [4, 3, 2, 1, 0]


def test_mosaic_puts_tile_k_at_its_row_and_column(mnist_slice):
    x, _ = mnist_slice
    m = analysis.mosaic(x[:7], columns=3, gap=1, background=40)
    assert m.shape == (3 * 29, 3 * 29) and m.dtype == np.uint8
    for k in range(7):
        r, c = divmod(k, 3)
        assert np.array_equal(m[r * 29 : r * 29 + 28, c * 29 : c * 29 + 28], x[k])
    assert np.all(m[2 * 29 :, 29:] == 40)  # the two empty places after the last tile
    assert np.all(m[28, :] == 40) and np.all(m[:, 28] == 40)  # the gaps
    floats = analysis.mosaic(x[:7] / 255.0, columns=3)
    assert np.array_equal(floats, m)


@pytest.mark.parametrize("factor", [1, 3, 7, 64])
@pytest.mark.parametrize("threshold", [None, 0.4])
def test_pool_mean_is_the_mean_of_each_square_of_the_matrix(mnist_slice, factor, threshold):
    x, _ = mnist_slice
    c = analysis.correlation_matrix(x[:290])  # 290 is no multiple of 3, 7 or 64: ragged edges
    shown = analysis.pool_mean(c, factor, threshold)
    cells = -(-290 // factor)
    assert shown.shape == (cells, cells) and shown.dtype == np.float32
    values = (c > threshold).astype(np.float64) if threshold is not None else c
    for i, j in [(0, 0), (1, cells - 1), (cells - 1, cells - 1), (cells // 2, 0)]:
        square = values[i * factor : (i + 1) * factor, j * factor : (j + 1) * factor]
        assert shown[i, j] == pytest.approx(square.mean(), abs=1e-5)
