"""The is-it-a-4 regression: "is it a 4?", a binary logistic regression written in NumPy.

Batch gradient descent on the mean cross-entropy, with the loss recorded (and optionally
printed) at every iteration. Not one of the 10-class models in ``digitpad.models.available()``.

>>> from digitpad.training import is_four
>>> result = is_four.train(train_size=5000, iterations=100)
>>> len(result.loss_history), result.loss_history[-1] < result.loss_history[0]
(100, True)
>>> result.test_accuracy > 0.95
True
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

import numpy as np

from ..models.features import flat
from ..progress import CancelToken, ProgressFn, no_progress


@dataclass
class FourDetector:
    """Weights of the "is it a 4?" model: ``w`` (784,) float64 and bias ``b``."""

    w: np.ndarray
    b: float

    def probability(self, x: np.ndarray) -> np.ndarray:
        """P(digit is a 4) for x (N, 28, 28) float in [0, 1] → (N,) float64."""
        return _sigmoid(flat(x, np.float64) @ self.w + self.b)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """(N,) bool: True where the image is read as a 4."""
        return self.probability(x) >= 0.5


@dataclass
class TrainResult:
    model: FourDetector
    loss_history: list[float] = field(default_factory=list)
    train_accuracy: float = 0.0
    test_accuracy: float | None = None


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # Split by sign so that neither branch overflows in exp.
    out = np.empty_like(z, dtype=np.float64)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def loss(model: FourDetector, x: np.ndarray, t: np.ndarray) -> float:
    """Mean binary cross-entropy of targets ``t`` (N,) in {0, 1}."""
    z = flat(x, np.float64) @ model.w + model.b
    # log(1 + e^z) − t·z, computed stably.
    return float(np.mean(np.logaddexp(0.0, z) - t * z))


def fit(
    x: np.ndarray,
    is_four: np.ndarray,
    *,
    iterations: int = 300,
    learning_rate: float = 0.5,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> tuple[FourDetector, list[float]]:
    """Gradient descent from zero weights; returns the model and the loss before each step.

    x: (N, 28, 28) float in [0, 1]; is_four: (N,) bool or {0, 1}. After every iteration
    ``progress(fraction, {"stage": "iteration", "iteration": i, "loss": loss})`` (i from 1);
    a set ``cancel`` token stops it with ``Cancelled`` before the next step.
    """
    xf = flat(x, np.float64)
    t = np.asarray(is_four, dtype=np.float64)
    model = FourDetector(np.zeros(xf.shape[1]), 0.0)
    history: list[float] = []
    for i in range(iterations):
        z = xf @ model.w + model.b
        history.append(float(np.mean(np.logaddexp(0.0, z) - t * z)))
        info = {"stage": "iteration", "iteration": i + 1, "loss": history[-1]}
        progress((i + 1) / iterations, info)
        if cancel is not None:
            cancel.check()
        err = _sigmoid(z) - t  # d loss / d z
        model.w -= learning_rate * (xf.T @ err) / len(t)
        model.b -= learning_rate * float(err.mean())
    return model, history


def train(
    train_size: int | None = None,
    iterations: int = 300,
    learning_rate: float = 0.5,
    verbose: bool = False,
) -> TrainResult:
    """Train on MNIST (all 60,000, or the first ``train_size``); score on the 10,000 test images."""
    from ..data.mnist import load_mnist

    x, y = load_mnist("train")
    if train_size:
        x, y = x[:train_size], y[:train_size]
    xt, yt = load_mnist("test")

    def show(fraction: float, info: dict) -> None:
        print(f"iteration {info['iteration']:4d}  loss {info['loss']:.5f}", flush=True)

    model, history = fit(
        x,
        y == 4,
        iterations=iterations,
        learning_rate=learning_rate,
        progress=show if verbose else no_progress,
    )
    return TrainResult(
        model,
        history,
        train_accuracy=float((model.predict(x) == (y == 4)).mean()),
        test_accuracy=float((model.predict(xt) == (yt == 4)).mean()),
    )


def main(argv: list[str] | None = None) -> None:
    """``python -m digitpad.training.is_four [--train-size N] [--iterations K]``."""
    ap = argparse.ArgumentParser(
        prog="python -m digitpad.training.is_four",
        description='Train the NumPy "is it a 4?" regression on MNIST, printing the loss at '
        "every iteration, and score it on the 10,000 test images.",
    )
    ap.add_argument(
        "--train-size", type=int, default=None, help="first N training images (default: all)"
    )
    ap.add_argument("--iterations", type=int, default=300, help="gradient steps (default: 300)")
    args = ap.parse_args(argv)
    result = train(train_size=args.train_size, iterations=args.iterations, verbose=True)
    print(
        f"test accuracy {result.test_accuracy:.2%} (share of test images rightly called 4 or not)"
    )


if __name__ == "__main__":
    main()
