"""Keras network builders and the training-time augmentation (imports TensorFlow: training only).

Nothing on the prediction path imports this module: the trained networks are exported to
``.tflite`` (LiteRT) or to ``.npz`` weights evaluated in NumPy.
"""

from __future__ import annotations

import contextlib
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras
import numpy as np
import tensorflow as tf

from ..models.base import ModelError
from ..models.families import NETWORKS, defaults

#: The families trained here (read from ``models.families``).
KERAS_FAMILIES = NETWORKS


def build_mlp(hidden: int = 400, dropout: float = 0.3) -> keras.Model:
    """The Kaggle notebook's shallow network: 784 → ``hidden`` leaky-ReLU units → 10 softmax."""
    return keras.Sequential(
        [
            keras.Input((28, 28, 1), name="image"),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.1),
            keras.layers.Dense(hidden, name="hidden"),
            keras.layers.LeakyReLU(negative_slope=0.01, name="leaky_relu"),
            keras.layers.Dropout(dropout),
            keras.layers.Dense(10, activation="softmax", name="probabilities"),
        ],
        name="mlp",
    )


def build_lenet5() -> keras.Model:
    """LeNet-5 as in the Kaggle notebook: two conv/pool stages (6, 16 maps), then 120-84-10
    dense layers."""
    return keras.Sequential(
        [
            keras.Input((28, 28, 1), name="image"),
            keras.layers.Conv2D(6, 5, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(16, 5, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(120, activation="relu"),
            keras.layers.Dense(84, activation="relu", name="features"),
            keras.layers.Dense(10, activation="softmax", name="probabilities"),
        ],
        name="lenet5",
    )


def _conv_bn(x, filters: int, kernel: int, strides: int = 1, padding: str = "valid"):
    x = keras.layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    return keras.layers.Activation("relu")(x)


def build_cnn(dropout: float = 0.25, width: int = 32) -> keras.Model:
    """Our CNN, compact so that it trains in minutes on a CPU: a 5×5 conv, max-pool, two 3×3
    convs, max-pool, a dense layer, each followed by batch norm (189,610 parameters).

    The ``features`` layer (128 values, the dense layer after its ReLU) is the penultimate
    representation used for neighbours and the map.
    """
    inputs = keras.Input((28, 28, 1), name="image")
    x = _conv_bn(inputs, width, 5)  # 24×24
    x = keras.layers.MaxPooling2D(2)(x)  # 12×12
    x = _conv_bn(x, 2 * width, 3)  # 10×10
    x = _conv_bn(x, 2 * width, 3)  # 8×8
    x = keras.layers.MaxPooling2D(2)(x)  # 4×4
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dropout(dropout)(x)
    x = keras.layers.Dense(128, use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("relu", name="features")(x)
    x = keras.layers.Dropout(dropout)(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="cnn")


def average(members: list[keras.Model], name: str) -> keras.Model:
    """One network whose output is the mean of the members' probabilities (an ensemble)."""
    inputs = keras.Input((28, 28, 1), name="image")
    # Members trained apart share a name; the ensemble needs each to have its own.
    renamed = [
        keras.Model(m.inputs[0], m.outputs[0], name=f"{name}_net{k + 1}")
        for k, m in enumerate(members)
    ]
    outputs = keras.layers.Average(name="probabilities")([m(inputs) for m in renamed])
    return keras.Model(inputs, outputs, name=name)


BUILDERS = {"mlp": build_mlp, "lenet5": build_lenet5, "cnn": build_cnn}


def build(family: str, steps: int | None = None, cfg: dict | None = None) -> keras.Model:
    """A fresh, compiled network of ``family`` (one of ``KERAS_FAMILIES``).

    ``cfg`` (the family's defaults when None) may ask for ``"schedule": "one-cycle"``: the
    learning rate climbs linearly from ``lr / 25`` to ``lr`` over the first ``warmup`` share of
    the ``steps`` batches, then falls to zero along a cosine (a one-cycle schedule, Keras's own
    ``CosineDecay``, so it is saved with the model and a resumed training continues it).
    Otherwise the rate is ``lr``, and the caller decays it per epoch.
    """
    try:
        model = BUILDERS[family]()
    except KeyError:
        raise ModelError(
            f"no Keras family {family!r}; choose one of {', '.join(BUILDERS)}"
        ) from None
    cfg = defaults(family) if cfg is None else cfg
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate(cfg, steps)),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=cfg.get("smoothing", 0.0)),
        metrics=["accuracy"],
    )
    return model


def learning_rate(cfg: dict, steps: int | None):
    """The optimizer's learning rate for ``cfg``: a one-cycle schedule over ``steps`` batches,
    or the plain starting rate."""
    if cfg.get("schedule") != "one-cycle" or not steps:
        return cfg.get("lr", 1e-3)
    warm = max(1, int(cfg.get("warmup", 0.2) * steps))
    return keras.optimizers.schedules.CosineDecay(
        cfg["lr"] / 25, max(1, steps - warm), alpha=0.0, warmup_target=cfg["lr"], warmup_steps=warm
    )


def recalibrate_batch_norm(model: keras.Model, x: np.ndarray, batches: int = 30) -> None:
    """Measure the batch-norm statistics again with the trained weights (x: (N, 28, 28)).

    Keras keeps running means with momentum 0.99, gathered while the weights were still moving.
    After a long training that does not matter; after a short one (2,000 images, two epochs)
    they are mostly their starting values and the network answers at chance in inference. Here
    the means become plain averages over ``batches`` batches of the training images, with
    dropout off and no weight changing.
    """
    norms = [la for la in model.layers if isinstance(la, keras.layers.BatchNormalization)]
    if not norms:
        return
    drops = [la for la in model.layers if isinstance(la, keras.layers.Dropout)]
    rng = np.random.default_rng(0)
    with _kept(norms, "momentum"), _kept(drops, "rate"):
        for la in drops:
            la.rate = 0.0
        for k in range(batches):
            for la in norms:
                la.momentum = k / (k + 1)  # a running mean with equal weights
            batch = x[rng.choice(len(x), size=min(256, len(x)), replace=False)]
            model(batch[..., None].astype(np.float32), training=True)


@contextlib.contextmanager
def _kept(layers: list, attribute: str):
    """Put each layer's ``attribute`` back as it was on leaving, however the block ends."""
    saved = [getattr(la, attribute) for la in layers]
    try:
        yield
    finally:
        for la, value in zip(layers, saved, strict=True):
            setattr(la, attribute, value)


class EpochEnd(keras.callbacks.Callback):
    """Per epoch: the augmentation's strength for it, and at its end honest validation figures.

    ``strength`` (a ``tf.Variable`` the dataset reads) is set to zero for the last
    ``clean_epochs`` epochs. At each epoch's end, with ``validation`` (x (N, 28, 28), y (N,)),
    the batch-norm statistics are measured again on ``x_fit`` (``recalibrate_batch_norm``) and
    the network is scored on the validation images in inference: "val_loss" and
    "val_accuracy" are added to the epoch's logs. The network that is saved at the end is the
    last one scored, so the curve's last point and the final model agree. Put it before any
    callback that reads the logs.
    """

    def __init__(self, x_fit, validation, strength, epochs: int, clean_epochs: int = 0):
        super().__init__()
        self.x_fit, self.validation, self.strength = x_fit, validation, strength
        self.strength_value = float(strength.numpy())
        self.epochs, self.clean_epochs = epochs, clean_epochs

    def on_epoch_begin(self, epoch, logs=None):
        clean = epoch >= self.epochs - self.clean_epochs
        self.strength.assign(0.0 if clean else self.strength_value)

    def on_epoch_end(self, epoch, logs=None):
        if self.validation is None or self.model.stop_training:
            return
        recalibrate_batch_norm(self.model, self.x_fit)
        xv, yv = self.validation
        scores = self.model.evaluate(
            xv[..., None].astype(np.float32),
            np.eye(10, dtype=np.float32)[np.asarray(yv, int)],
            batch_size=500,
            verbose=0,
            return_dict=True,
        )
        if logs is not None:
            logs["val_loss"], logs["val_accuracy"] = scores["loss"], scores["accuracy"]


def strength_variable(value: float) -> tf.Variable:
    """The augmentation's strength as a variable the dataset reads on every batch."""
    return tf.Variable(float(value), trainable=False, dtype=tf.float32)


def _random_affine(images: tf.Tensor, rotate_deg: float, shift_px: float, zoom: float) -> tf.Tensor:
    """Per-image random rotation, scaling and shift about the image centre (bilinear)."""
    n = tf.shape(images)[0]
    angle = tf.random.uniform([n], -rotate_deg, rotate_deg) * (np.pi / 180.0)
    scale = tf.random.uniform([n], 1.0 - zoom, 1.0 + zoom)
    shear = tf.random.uniform([n], -0.15, 0.15)  # slanted handwriting
    tx = tf.random.uniform([n], -shift_px, shift_px)
    ty = tf.random.uniform([n], -shift_px, shift_px)
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    # Output pixel (x, y) samples input at A @ (x - c, y - c) + c - t: the inverse map.
    a0, a1 = cos, -sin + shear * cos
    b0, b1 = sin, cos + shear * sin
    c = 13.5
    a2 = c - a0 * c - a1 * c - tx
    b2 = c - b0 * c - b1 * c - ty
    zeros = tf.zeros([n])
    transforms = tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transforms,
        output_shape=tf.shape(images)[1:3],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )


def _random_thickness(images: tf.Tensor, pens: str = "mild") -> tf.Tensor:
    """Other pens than MNIST's. "mild": a third of the strokes thickened by a pixel, a third
    thinned. "broad" (the bundled cnn's): a sixth thickened by two pixels, as the window's
    widest pen draws, a quarter by one, a sixth thinned, the rest as they are."""
    n = tf.shape(images)[0]
    thick = tf.nn.max_pool2d(images, 2, 1, "SAME")
    thin = -tf.nn.max_pool2d(-images, 2, 1, "SAME")
    thin = 0.5 * (images + thin)
    choice = tf.random.uniform([n, 1, 1, 1])
    if pens == "mild":
        return tf.where(choice < 1 / 3, thick, tf.where(choice < 2 / 3, thin, images))
    if pens != "broad":
        raise ValueError(f"unknown pens {pens!r}: 'mild' or 'broad'")
    broad = tf.nn.max_pool2d(images, 3, 1, "SAME")
    out = tf.where(choice < 1 / 6, broad, tf.where(choice < 5 / 12, thick, images))
    return tf.where(choice > 5 / 6, thin, out)


def augment(images: tf.Tensor, strength: float = 1.0, pens: str = "mild") -> tf.Tensor:
    """Augment a (B, 28, 28, 1) float batch: rotation, shear, shift, scale, pen width."""
    out = _random_affine(images, 12.0 * strength, 2.5 * strength, 0.12 * strength)
    out = _random_thickness(out, pens)
    return tf.clip_by_value(out, 0.0, 1.0)


def dataset(
    x: np.ndarray,
    y: np.ndarray,
    batch: int,
    augment_on: bool,
    seed: int = 0,
    strength=1.0,
    pens: str = "mild",
) -> tf.data.Dataset:
    """Shuffled, batched (image (B, 28, 28, 1), one-hot (B, 10)) pairs, augmented on the fly
    (``strength``: a number, or a ``tf.Variable`` that a callback may change between epochs;
    ``pens``: see ``_random_thickness``)."""
    ds = tf.data.Dataset.from_tensor_slices((x[..., None].astype("float32"), y.astype("int32")))
    ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True).batch(batch)
    if augment_on:
        ds = ds.map(
            lambda a, b: (augment(a, strength, pens), b), num_parallel_calls=tf.data.AUTOTUNE
        )
    ds = ds.map(lambda a, b: (a, tf.one_hot(b, 10)))
    return ds.prefetch(tf.data.AUTOTUNE)


def export_tflite(model: keras.Model, path: str) -> None:
    """Write ``model`` as a LiteRT flatbuffer at ``path`` (caller makes it atomic)."""
    model.export(path, format="litert", verbose=False)
