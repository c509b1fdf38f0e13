"""The is-it-a-4 regression: the NumPy "is it a 4?" logistic regression learns on real MNIST."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from digitpad.data import mnist
from digitpad.progress import Cancelled, CancelToken
from digitpad.training import is_four


def test_loss_falls_every_iteration_and_it_beats_the_base_rate():
    x, y = mnist.load_mnist("train")
    xt, yt = mnist.load_mnist("test")
    seen = []
    model, history = is_four.fit(
        x[:3000], y[:3000] == 4, iterations=60, progress=lambda f, info: seen.append((f, info))
    )
    assert len(history) == 60 and [info["iteration"] for _, info in seen] == list(range(1, 61))
    assert [f for f, _ in seen] == pytest.approx([(i + 1) / 60 for i in range(60)])
    assert [info["loss"] for _, info in seen] == history
    assert history[0] == pytest.approx(np.log(2))  # zero weights: p = 0.5 for every image
    assert all(b < a for a, b in itertools.pairwise(history))
    assert is_four.loss(model, x[:3000], y[:3000] == 4) < history[-1]
    accuracy = (model.predict(xt) == (yt == 4)).mean()
    base_rate = 1 - (yt == 4).mean()  # always answering "not a 4"
    assert accuracy > base_rate + 0.04


def test_a_cancelled_token_stops_it_after_the_iteration_under_way():
    x, y = mnist.load_mnist("test")
    token, seen = CancelToken(), []

    def progress(fraction: float, info: dict) -> None:
        seen.append(info["iteration"])
        if info["iteration"] == 3:
            token.cancel()

    with pytest.raises(Cancelled):
        is_four.fit(x[:500], y[:500] == 4, iterations=100, progress=progress, cancel=token)
    assert seen == [1, 2, 3]


def test_help_prints_and_exits_without_training(capsys):
    with pytest.raises(SystemExit) as ended:
        is_four.main(["--help"])
    assert ended.value.code == 0
    out = capsys.readouterr().out
    assert "--train-size" in out and "--iterations" in out


def test_the_command_trains_with_its_options(capsys):
    is_four.main(["--train-size", "300", "--iterations", "3"])
    out = capsys.readouterr().out
    assert out.count("loss") == 3 and "iteration    3" in out
    assert "test accuracy" in out
