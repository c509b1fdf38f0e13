"""digitpad.data.samples, the table the explore panels read, on real MNIST and the bundled
models' cached answers (no Qt)."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad import analysis, models
from digitpad.data import mnist
from digitpad.data.samples import TEST, TRAIN, Samples, load_samples


@pytest.fixture(scope="module")
def samples() -> Samples:
    return load_samples()


def test_the_table_is_mnist_train_then_test_with_each_models_test_answers(samples):
    _, train_y = mnist.load_mnist("train", as_float=False)
    test_x, test_y = mnist.load_mnist("test", as_float=False)
    assert len(samples) == 70_000 and samples.images.dtype == np.uint8
    assert samples.source_names == ["train", "test"]
    test = samples.test_rows()
    np.testing.assert_array_equal(test, np.arange(60_000, 70_000))
    np.testing.assert_array_equal(samples.images[test], test_x)
    np.testing.assert_array_equal(samples.labels[:60_000], train_y)
    np.testing.assert_array_equal(samples.labels[test], test_y)
    assert (samples.source[:60_000] == TRAIN).all() and (samples.source[test] == TEST).all()
    assert samples.describe(60_005) == "test #5"
    assert set(samples.probabilities) == set(models.available()) and not samples.problems


def test_answers_confidence_and_loss_exist_only_where_the_model_answered(samples):
    name = models.BUNDLED[0]
    p = models.test_probabilities(name)
    test = samples.test_rows()
    predicted = samples.predicted(name)
    np.testing.assert_array_equal(predicted[test], p.argmax(axis=1))
    assert (predicted[:60_000] == -1).all()
    confidence = samples.confidence(name)
    np.testing.assert_allclose(confidence[test], p.max(axis=1), rtol=1e-6)
    assert np.isnan(confidence[:60_000]).all()
    loss = samples.loss(name)
    np.testing.assert_allclose(loss[test], analysis.losses(p, samples.labels[test]))
    assert np.isnan(loss[:60_000]).all()
    assert samples.predicted(None) is None and samples.loss("no such model") is None


def test_a_new_set_is_appended_without_answers_and_unlabelled_rows_have_no_loss(samples):
    images = np.random.default_rng(0).random((3, 28, 28)).astype(np.float32)
    more = samples.with_source("drawings", images, None)
    assert len(more) == 70_003 and len(samples) == 70_000  # the original is left as it was
    assert more.source_names[-1] == "drawings" and more.describe(70_002) == "drawings #2"
    np.testing.assert_array_equal(more.images[-3:], np.rint(images * 255).astype(np.uint8))
    assert (more.labels[-3:] == -1).all()
    name = models.BUNDLED[-1]
    assert (more.predicted(name)[-3:] == -1).all() and np.isnan(more.loss(name)[-3:]).all()


def test_models_not_named_are_dropped_and_a_damaged_cache_is_named(samples):
    table = samples.with_source("none", np.zeros((0, 28, 28), np.uint8), None)
    keep = models.BUNDLED[:2]
    table.add_models(list(keep))
    assert tuple(table.probabilities) == keep
    table.add_models([*keep, "missing-model"])
    assert tuple(table.probabilities) == keep
    assert "missing-model" in table.problems and "ModelError" in table.problems["missing-model"]


def test_counts_per_set_are_the_labels_of_each_set_and_skip_unlabelled_sets(samples):
    _, train_y = mnist.load_mnist("train", as_float=False)
    _, test_y = mnist.load_mnist("test", as_float=False)
    more = samples.with_source("csv", np.zeros((4, 28, 28), np.uint8), None)
    more = more.with_source("drawings", np.zeros((3, 28, 28), np.uint8), np.array([7, 7, 1]))
    counts = more.counts_per_set()
    assert list(counts) == ["train", "test", "drawings"]
    np.testing.assert_array_equal(counts["train"], np.bincount(train_y, minlength=10))
    np.testing.assert_array_equal(counts["test"], np.bincount(test_y, minlength=10))
    assert counts["drawings"].tolist() == [0, 1, 0, 0, 0, 0, 0, 2, 0, 0]
