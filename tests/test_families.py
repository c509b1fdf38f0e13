"""The one table of model families, and everything that reads it."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad import models
from digitpad.data import mnist
from digitpad.models import families
from digitpad.models.store import FORMATS, read_meta
from digitpad.progress import Cancelled, CancelToken
from digitpad.reading import live
from digitpad.training import fitting


def test_every_family_has_a_fitter_and_a_file_format_that_loads():
    for row in families.TABLE:
        assert row.fitter in fitting.FITTERS, row.name
        assert row.file_format in FORMATS, row.name
    assert set(fitting.FITTERS) == {row.fitter for row in families.TABLE}  # none left over


def test_the_lists_of_families_are_the_table():
    assert models.BUNDLED == families.NAMES
    assert live.PREFERENCE == families.PREFERENCE
    assert sorted(families.PREFERENCE) == sorted(families.NAMES)
    assert families.PREFERENCE[0] == models.DEFAULT


@pytest.mark.parametrize("name", families.NAMES)
def test_the_table_says_what_the_bundled_model_is(name):
    meta = read_meta(models.folder(name))
    row = families.family(name)
    assert meta["family"] == name and meta["format"] == row.file_format
    trained = meta["hyperparameters"]
    if row.defaults.get("chosen_on") and "chosen_on" not in trained:
        pytest.skip(f"the bundled {name} predates its recipe: python train_models.py --only {name}")
    # the bundled nets may train longer, and otherwise, than the menu's recipe: bundled_X is X
    bundled = dict(row.defaults, members=1) | families.bundled(name)
    keys = ("C", "pca_components", "epochs", "decay", "batch", "max_iter", "members", "lr", "pens")
    for key in keys:
        if key in bundled and key in trained:
            assert trained[key] == bundled[key], key
    members = int(trained.get("members", 1))
    assert ("averaged" in row.title) == (int(row.defaults.get("members", 1)) > 1)
    assert members == bundled["members"]


def test_the_fallback_goes_to_the_most_accurate_model_first_but_for_mlp_and_rbf_svm():
    accuracy = {n: read_meta(models.folder(n))["test_accuracy"] for n in families.NAMES}
    order = list(families.PREFERENCE)
    assert accuracy[order[0]] == max(accuracy.values())
    assert order[-1] == min(accuracy, key=accuracy.get)


def test_an_unknown_family_is_refused_naming_the_choices():
    with pytest.raises(models.ModelError, match="choose one of logistic, linear_svm"):
        families.family("svm")
    with pytest.raises(models.ModelError):
        fitting.fit("svm", np.zeros((10, 28, 28), np.float32), np.zeros(10, np.int64))
    assert families.title("not-a-family") == "not-a-family"


def test_a_fitted_logistic_regression_reads_digits_and_evaluates_with_its_confusion_matrix():
    x, y = mnist.load_mnist("train")
    xt, yt = mnist.load_mnist("test")
    seen = []
    trained = fitting.fit("logistic", x[:1000], y[:1000], progress=lambda f, i: seen.append(f))
    assert trained.fmt == "linear" and set(trained.files) == {"model.npz"}
    assert trained.hyperparameters["C"] == families.defaults("logistic")["C"]
    assert seen[-1] == 1.0 and all(0 <= f <= 1 for f in seen)
    ev = fitting.evaluate(trained.classifier, xt[:2000], yt[:2000])
    assert ev["accuracy"] > 0.8
    pred = ev["proba"].argmax(axis=1)
    for t, p in [(0, 0), (4, 9), (7, 7)]:
        assert ev["confusion"][t, p] == np.sum((yt[:2000] == t) & (pred == p))
    assert ev["confusion"].sum() == 2000


def test_a_cancelled_fit_raises_and_returns_nothing():
    x, y = mnist.load_mnist("test")
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        fitting.fit("linear_svm", x[:300], y[:300], cancel=token)


def test_the_hold_out_keeps_each_digits_share():
    _, y = mnist.load_mnist("train")
    x = np.arange(6000, dtype=np.float32)[:, None]  # the rows' own indices, to check the split
    xf, yf, xv, yv = fitting.hold_out(x, y[:6000], seed=3)
    assert len(xv) == 1000 and len(xf) == 5000
    assert not set(xf[:, 0]) & set(xv[:, 0])  # nothing held out is fitted on
    np.testing.assert_array_equal(yf, y[xf[:, 0].astype(int)])  # labels stay with their images
    share = np.bincount(y[:6000], minlength=10) / 6000
    np.testing.assert_allclose(np.bincount(yv, minlength=10) / 1000, share, atol=0.0015)


@pytest.mark.parametrize("family", ["linear_svm", "rbf_svm"])
def test_the_svms_fit_save_and_load_back_the_same_answers(family, tmp_path):
    from digitpad.models.store import load_folder

    x, y = mnist.load_mnist("train")
    xt, yt = mnist.load_mnist("test")
    trained = fitting.fit(family, x[:800], y[:800])
    assert trained.fmt == families.family(family).file_format
    assert 0 < trained.hyperparameters["temperature"] < 1e3
    meta = fitting.save(trained, tmp_path / family, xt[:500], yt[:500], family)
    assert meta["test_accuracy"] > 0.75 and meta["family"] == family
    again = load_folder(tmp_path / family, family)
    np.testing.assert_allclose(
        again.predict_proba(xt[:50]), trained.classifier.predict_proba(xt[:50]), atol=1e-6
    )
