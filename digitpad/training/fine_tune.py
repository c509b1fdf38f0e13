"""Fine-tune a network on the user's own drawings in seconds, without forgetting MNIST.

Training the cnn from scratch takes an hour on a 2-core machine. Teaching it one person's hand
does not need that: start from the model in charge (its ``model.keras``, loaded safely), train
a hundred steps in which every batch mixes the user's labelled drawings with a replay of
MNIST training images, and save the result as a new user model (``my-cnn-tuned-1``, …),
leaving the model it started from as it was. The recipe (``Recipe``):

- batch-norm layers stay in inference mode with the statistics learned on MNIST (a batch that
  is a quarter one person's drawings would otherwise pull them away, and 50 drawings are too
  few to measure new ones);
- the first convolution blocks, the generic stroke detectors, are frozen; the later ones and
  the answer layer learn, at a small learning rate that decays to zero (Adam, cosine);
- at the end the weights are averaged with the starting ones (``keep``: weight-space
  ensembling, as in Wortsman et al. 2022, "Robust fine-tuning of zero-shot models"): measured
  on the tuning draw and the validation split, half and half kept most of what the steps learnt
  of the user's hand and gave back most of what they had moved on MNIST;
- each batch: ``user_batch`` of the user's drawings (drawn with replacement, lightly augmented:
  rotation, shift, scale, pen width) and ``replay_batch`` MNIST training images augmented as
  the network was trained; the replay keeps the MNIST accuracy where it was;
- the same loss as the original training (cross-entropy with label smoothing 0.05 for the cnn).

The replay is drawn from the MNIST training images outside ``mnist.validation_split()``, so
that split measures what the fine-tune forgets. Progress and cancelling follow
``digitpad.progress``; nothing is written here (``fitting.save`` writes the folder atomically).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..models import families
from ..models.base import ModelError
from ..progress import CancelToken, ProgressFn, no_progress

#: What the new model is called: ``my-<family>-tuned-<n>``.
SUFFIX = "tuned"
#: Steps between two progress reports (each round's end also reports, with its numbers).
REPORT_EVERY = 5


@dataclass(frozen=True)
class Recipe:
    """How a fine-tune trains (chosen on a tuning draw of a personal style and on
    ``mnist.validation_split()``, never on the held-out drawings or the test set)."""

    steps: int = 100
    # Chosen again for the bundled 16-epoch compact cnn (tuning draw, validation split): the
    # old recipe (3·10⁻⁴, 3 layers frozen, made for the 30-epoch net) gave 90.0 % / 99.80 %;
    # 10⁻³ with 2 frozen 97.8 % / 99.80 % (1 frozen 98.1 % / 99.74 %; keep 0.3 99.3 % / 99.74 %).
    learning_rate: float = 1e-3
    user_batch: int = 32
    replay_batch: int = 96
    #: Augmentation strength for the user's drawings (1.0: as the network was trained).
    user_augment: float = 0.5
    #: Weighted layers (convolutions, dense), counted from the input, that stay frozen.
    frozen: int = 2
    #: Progress reports (and points of the loss and accuracy curves) per fine-tune.
    rounds: int = 10
    #: Share of the starting weights in the result: weights = keep · before + (1 − keep) ·
    #: after (weight-space ensembling, Wortsman et al. 2022), which gives back part of what
    #: the fine-tune moved on MNIST and little of what it learnt.
    keep: float = 0.5


def family_of(source: str) -> str:
    """The family of model ``source``, if it can be fine-tuned: a Keras network stored with its
    ``model.keras`` beside a ``model.tflite``. ``ModelError`` saying why not otherwise."""
    from .. import models
    from ..models.store import read_meta

    meta = read_meta(models.folder(source))
    family = meta.get("family")
    row = families.BY_NAME.get(family)
    if row is None or not row.network or meta.get("format") != "tflite":
        tunable = ", ".join(
            f for f in families.NETWORKS if families.family(f).file_format == "tflite"
        )
        raise ModelError(
            f"{source!r} cannot be fine-tuned: only networks stored for LiteRT can ({tunable} "
            "and the models trained from them)"
        )
    if "model.keras" not in meta.get("files", {}):
        raise ModelError(f"{source!r} has no model.keras to start from; retrain it first")
    return family


def new_name(source: str) -> str:
    """A free name for a fine-tune of ``source``: ``my-<family>-tuned-1``, ``-2``, …"""
    from .. import models

    return models.new_name(f"{family_of(source)}-{SUFFIX}")


def load_network(source: str):
    """The Keras network of model ``source``: its ``model.keras``, checked against the
    checksum in its ``meta.json`` and loaded without running code (imports TensorFlow)."""
    from .. import models
    from ..models.keras_file import load_keras
    from ..models.store import read_file, read_meta

    folder = models.folder(source)
    read_file(folder, "model.keras", read_meta(folder))  # ModelError if damaged
    return load_keras(folder / "model.keras")


def replay_images() -> tuple[np.ndarray, np.ndarray]:
    """MNIST training images outside the fixed validation split: what the replay draws from."""
    from ..data import mnist

    x, y = mnist.load_mnist("train")
    fit, _ = mnist.validation_split()
    return x[fit], y[fit]


def fine_tune(
    source: str,
    x: np.ndarray,
    y: np.ndarray,
    *,
    recipe: Recipe = Recipe(),
    replay: tuple[np.ndarray, np.ndarray] | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    seed: int = 0,
):
    """Fine-tune model ``source`` on the user's drawings x (N, 28, 28) float32 in [0, 1] and
    y (N,) int, mixed with ``replay`` (default: ``replay_images()``).

    Returns a ``fitting.Trained`` of ``source``'s family, ready for ``fitting.save``.
    """
    x, y = _checked(x, y)
    cancel = cancel or CancelToken()
    family = family_of(source)
    progress(0.0, {"stage": "loading TensorFlow and the model"})
    model = load_network(source)
    cancel.check()
    replay = replay if replay is not None else replay_images()
    t0 = time.perf_counter()
    history = _train(model, family, (x, y), replay, recipe, progress, cancel, seed)
    seconds = time.perf_counter() - t0
    progress(1.0, {"stage": "exporting the network"})
    return _trained(model, source, family, (x, y), recipe, history, seconds, seed)


def _checked(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.int64)
    if len(x) == 0:
        raise ValueError(
            "there are no labelled drawings to learn from: label some first (Teach ▸ Label the "
            "drawing as…, Alt+0…Alt+9)"
        )
    if x.shape[1:] != (28, 28) or len(x) != len(y):
        raise ValueError(f"drawings must be (N, 28, 28) with N labels, got {x.shape}, {y.shape}")
    if y.min() < 0 or y.max() > 9:
        raise ValueError("labels must be digits 0–9")
    return x, y


def _freeze(model, frozen: int) -> None:
    """Batch norm in inference mode everywhere; the first ``frozen`` weighted layers of the
    network (of each member, for an average of several) fixed."""
    import keras

    weighted = 0
    for layer in model.layers:
        if hasattr(layer, "layers"):
            _freeze(layer, frozen)  # a member of an ensemble
        elif isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False  # Keras 3: also runs it in inference mode
        elif layer.weights:
            layer.trainable = weighted >= frozen
            weighted += 1


def _layers(model) -> list:
    """Every layer, those of nested models (an ensemble's members) included."""
    out = []
    for layer in model.layers:
        out += _layers(layer) if hasattr(layer, "layers") else [layer]
    return out


def _train(model, family, taught, replay, recipe: Recipe, progress, cancel, seed) -> dict:
    """The training loop: ``recipe.steps`` steps, a progress report every ``REPORT_EVERY``
    steps, and the mean loss and accuracy of each of ``recipe.rounds`` rounds."""
    import keras
    import tensorflow as tf

    from . import nets  # imports TensorFlow

    keras.utils.set_random_seed(seed)
    _freeze(model, recipe.frozen)
    smoothing = 0.05 if family == "cnn" else 0.0
    schedule = keras.optimizers.schedules.CosineDecay(recipe.learning_rate, recipe.steps)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=smoothing),
        metrics=["accuracy"],
    )

    @tf.function
    def batch(user, user_labels, mnist, mnist_labels):
        images = [nets.augment(user, recipe.user_augment), nets.augment(mnist)]
        labels = tf.concat([user_labels, mnist_labels], axis=0)
        return tf.concat(images, axis=0), tf.one_hot(labels, 10)

    rng = np.random.default_rng(seed)
    x, y = taught
    rx, ry = replay
    start = model.get_weights()
    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    per_round = max(1, int(np.ceil(recipe.steps / recipe.rounds)))
    losses, hits = [], []
    for step in range(recipe.steps):
        cancel.check()
        u = rng.integers(len(x), size=recipe.user_batch)
        r = rng.integers(len(rx), size=recipe.replay_batch)
        images, labels = batch(x[u, ..., None], y[u], rx[r, ..., None], ry[r].astype(np.int64))
        loss, accuracy = model.train_on_batch(images, labels, return_dict=False)
        losses.append(loss)
        hits.append(accuracy)
        done = step + 1
        info = {"stage": f"step {done} of {recipe.steps}"}
        if done % per_round == 0 or done == recipe.steps:
            history["loss"].append(float(np.mean(losses)))
            history["accuracy"].append(float(np.mean(hits)))
            losses, hits = [], []
            info.update(x=len(history["loss"]), loss=history["loss"][-1])
            info.update(accuracy=history["accuracy"][-1])
        if "x" in info or done % REPORT_EVERY == 0:
            progress(done / recipe.steps, info)
    cancel.check()
    if recipe.keep:
        after = model.get_weights()
        mixed = zip(start, after, strict=True)
        model.set_weights([recipe.keep * a + (1 - recipe.keep) * b for a, b in mixed])
    for layer in _layers(model):
        layer.trainable = True  # saved as a plain network, as if trained in one go
    return history


def _trained(model, source, family, drawings, recipe: Recipe, history, seconds, seed):
    """The files of the tuned network and its metadata, as ``fitting.fit`` would give them;
    the metadata says how well the model before and after reads the drawings it learnt."""
    from .. import models
    from ..models.store import classifier
    from .fitting import Trained, keras_bytes, tflite_bytes

    before = models.load(source)
    source_meta = before.meta
    files = {"model.keras": keras_bytes(model), "model.tflite": tflite_bytes(model)}
    clf = classifier("tflite", f"{source}-{SUFFIX}", model_bytes=files["model.tflite"])
    x, y = drawings
    n_user = len(x)
    hyper: dict[str, Any] = {
        "fine_tuned_from": source,
        "source_test_accuracy": source_meta.get("test_accuracy"),
        "recipe": asdict(recipe),
        "user_drawings": n_user,
        "user_accuracy_before": float((before.predict(x) == y).mean()),
        "user_accuracy_after": float((clf.predict(x) == y).mean()),
        "seed": seed,
        "replay": "MNIST training images outside mnist.validation_split()",
        "source_hyperparameters": source_meta.get("hyperparameters", {}),
        "parameters": int(model.count_params()),
    }
    train_size = int(source_meta.get("train_size") or 0) + n_user
    return Trained(family, "tflite", files, clf, hyper, train_size, seconds, history)


def save(trained, dest, test_x, test_y, name: str) -> dict[str, Any]:
    """Save the tuned network as ``fitting.save`` does, then fit its calibration temperature on
    ``mnist.validation_split()`` (which the replay never used), as the bundled models have one:
    without it the tuned model would show its own, differently confident, probabilities.
    Returns the metadata, calibration included."""
    from ..models import calibration
    from . import calibrate, fitting

    meta = fitting.save(trained, dest, test_x, test_y, name)
    meta[calibration.KEY] = calibrate.calibrate_folder(dest)
    return meta
