"""The networks' training: short trainings give usable models, the cnn's one-cycle recipe, and
validation curves that tell the truth about the model that is saved."""

from __future__ import annotations

import numpy as np

from digitpad.data import mnist
from digitpad.models import families
from digitpad.training import fitting, helper


def test_a_short_cnn_training_reads_digits_in_inference():
    # Batch-norm statistics from a few steps are stale; fit_keras measures them again at the end.
    x, y = mnist.load_mnist("train")
    xt, yt = mnist.load_mnist("test")
    model, history, _ = fitting.fit_keras("cnn", x[:1000], y[:1000], epochs=2, augment=False)
    assert len(history["loss"]) == 2
    p = model.predict(xt[:500, ..., None], verbose=0)
    assert (p.argmax(axis=1) == yt[:500]).mean() > 0.6


def test_the_curves_last_point_is_the_saved_networks_validation_accuracy():
    # Validation is measured after the batch-norm statistics are measured again, on the very
    # network that is returned: the curve and the final number agree.
    x, y, (xv, yv) = helper.training_split("cnn", 1200)
    xv, yv = xv[:600], yv[:600]
    model, history, _ = fitting.fit_keras("cnn", x, y, epochs=2, validation=(xv, yv))
    assert len(history["val_accuracy"]) == 2 and len(history["val_loss"]) == 2
    final = (model.predict(xv[..., None], verbose=0).argmax(axis=1) == yv).mean()
    assert abs(history["val_accuracy"][-1] - final) <= 1 / len(yv)
    assert final > 0.6


def test_a_network_is_fitted_outside_the_validation_split_and_its_curve_measured_on_it():
    x, y, (xv, yv) = helper.training_split("cnn")
    assert len(y) == len(x)
    fit_idx, val_idx = mnist.validation_split()
    assert len(x) == len(fit_idx) == 55_000 and len(xv) == len(val_idx) == 5_000
    train_x, train_y = mnist.load_mnist("train")
    np.testing.assert_array_equal(x[:50], train_x[fit_idx[:50]])
    np.testing.assert_array_equal(yv, train_y[val_idx])
    x2, y2, _ = helper.training_split("cnn", 2000)
    assert len(x2) == len(y2) == 2000
    x3, _, none = helper.training_split("logistic", 3000)  # no curve: the first 3,000 of all
    assert none is None and len(x3) == 3000
    np.testing.assert_array_equal(x3, train_x[:3000])
    # The CLI's variant: the first images of the training set, less those of the split.
    xs, ys, (xv2, _) = helper.curve_validation("cnn", train_x[:6000], train_y[:6000])
    assert len(xs) == len(ys) == np.sum(fit_idx < 6000) and len(xv2) == 5000


def test_the_one_cycle_rate_climbs_to_its_peak_then_falls_to_nothing():
    from digitpad.training import nets

    cfg = families.defaults("cnn")
    assert cfg["schedule"] == "one-cycle"
    schedule = nets.learning_rate(cfg, 1000)
    warm = int(cfg["warmup"] * 1000)
    rates = [float(schedule(s)) for s in (0, warm // 2, warm, (1000 + warm) // 2, 999)]
    np.testing.assert_allclose(rates[0], cfg["lr"] / 25, rtol=1e-5)
    np.testing.assert_allclose(rates[2], cfg["lr"], rtol=1e-5)
    assert rates[0] < rates[1] < rates[2] > rates[3] > rates[4]
    assert rates[4] < cfg["lr"] / 1000
    assert nets.learning_rate(families.defaults("lenet5"), 1000) == 1e-3  # decayed per epoch


def test_the_last_clean_epochs_are_not_augmented():
    from digitpad.training import nets

    strength = nets.strength_variable(0.8)
    end = nets.EpochEnd(None, None, strength, epochs=5, clean_epochs=2)
    seen = []
    for epoch in range(5):
        end.on_epoch_begin(epoch)
        seen.append(round(float(strength.numpy()), 3))
    assert seen == [0.8, 0.8, 0.8, 0.0, 0.0]


def test_the_cnn_keeps_a_features_layer_of_128_values():
    from digitpad.training import nets

    model = nets.build_cnn()
    assert model.get_layer("features").output.shape[-1] == 128
    assert model.output.shape[-1] == 10
