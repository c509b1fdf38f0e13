"""Short network trainings (as from the window, on a few hundred images) give usable models."""

from __future__ import annotations

from digitpad.data import mnist
from digitpad.training import fitting


def test_a_short_cnn_training_reads_digits_in_inference():
    # Batch-norm statistics from a few steps are stale; fit_keras measures them again at the end.
    x, y = mnist.load_mnist("train")
    xt, yt = mnist.load_mnist("test")
    model, history, _ = fitting.fit_keras("cnn", x[:1000], y[:1000], epochs=2, augment=False)
    assert len(history["loss"]) == 2
    p = model.predict(xt[:500, ..., None], verbose=0)
    assert (p.argmax(axis=1) == yt[:500]).mean() > 0.6
