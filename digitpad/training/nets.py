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
from ..models.families import NETWORKS

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


def build_cnn(dropout: float = 0.4) -> keras.Model:
    """Our best CNN: 3×3 conv pairs with a learned 5×5 stride-2 downsampling, batch norm, dropout.

    The ``features`` layer (128 values) is the penultimate representation used for neighbours.
    """
    inputs = keras.Input((28, 28, 1), name="image")
    x = _conv_bn(inputs, 32, 3)
    x = _conv_bn(x, 32, 3)
    x = _conv_bn(x, 32, 5, strides=2, padding="same")
    x = keras.layers.Dropout(dropout)(x)
    x = _conv_bn(x, 64, 3)
    x = _conv_bn(x, 64, 3)
    x = _conv_bn(x, 64, 5, strides=2, padding="same")
    x = keras.layers.Dropout(dropout)(x)
    x = _conv_bn(x, 128, 4)
    x = keras.layers.Flatten(name="features")(x)
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


def build(family: str) -> keras.Model:
    """A fresh, compiled network of ``family`` (one of ``KERAS_FAMILIES``)."""
    try:
        model = BUILDERS[family]()
    except KeyError:
        raise ModelError(
            f"no Keras family {family!r}; choose one of {', '.join(BUILDERS)}"
        ) from None
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.05 if family == "cnn" else 0.0),
        metrics=["accuracy"],
    )
    return model


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


SHORT_TRAINING = 2000  # steps: below this, batch-norm statistics are measured again


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


def _random_thickness(images: tf.Tensor) -> tf.Tensor:
    """Thicken a third of the strokes and thin a third, as different pens would."""
    n = tf.shape(images)[0]
    thick = tf.nn.max_pool2d(images, 2, 1, "SAME")
    thin = -tf.nn.max_pool2d(-images, 2, 1, "SAME")
    thin = 0.5 * (images + thin)
    choice = tf.random.uniform([n, 1, 1, 1])
    return tf.where(choice < 1 / 3, thick, tf.where(choice < 2 / 3, thin, images))


def augment(images: tf.Tensor, strength: float = 1.0) -> tf.Tensor:
    """Augment a (B, 28, 28, 1) float batch: rotation, shear, shift, scale, pen width."""
    out = _random_affine(images, 12.0 * strength, 2.5 * strength, 0.12 * strength)
    out = _random_thickness(out)
    return tf.clip_by_value(out, 0.0, 1.0)


def dataset(
    x: np.ndarray, y: np.ndarray, batch: int, augment_on: bool, seed: int = 0
) -> tf.data.Dataset:
    """Shuffled, batched (image (B, 28, 28, 1), one-hot (B, 10)) pairs, augmented on the fly."""
    ds = tf.data.Dataset.from_tensor_slices((x[..., None].astype("float32"), y.astype("int32")))
    ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True).batch(batch)
    if augment_on:
        ds = ds.map(lambda a, b: (augment(a), b), num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.map(lambda a, b: (a, tf.one_hot(b, 10)))
    return ds.prefetch(tf.data.AUTOTUNE)


def export_tflite(model: keras.Model, path: str) -> None:
    """Write ``model`` as a LiteRT flatbuffer at ``path`` (caller makes it atomic)."""
    model.export(path, format="litert", verbose=False)
