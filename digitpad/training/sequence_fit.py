"""Train the sequence reader (``reading.sequence``): rows of touching or crossing digits
(``synthetic.rows``) read whole with a CTC loss (Graves et al. 2006), exported to LiteRT.

    python train_models.py --sequence [--out resources/models]

The network: four 3 × 3 convolutions (16, 32, 64, 64 filters; the first two each followed by
2 × 2 pooling, the last pair by 2 × 1), a 4 × 1 convolution that makes each of the 48 columns one
128-value vector, a 5-column convolution across them (so a column sees its neighbours' ink) and
a 1 × 1 one to the 11 symbols. Rows: half synthetic drawings, half MNIST training digits (from
seeds of their own), and a tenth of rows that hold no digit (``rows.make_negative_row``), each
shifted right by up to 8 px at random every epoch; Adam with a cosine decay, a checkpoint per
epoch.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from ..reading import sequence
from ..synthetic import rows

MAX_DIGITS = 6
ROWS = 100000
EPOCHS = 6
BATCH = 64
LEARNING_RATE = 2e-3
NEGATIVE_SHARE = 0.1  # rows of things that are no digit, to be read as none
_NEGATIVES_PER_KIND = 400  # pictures of each kind each worker draws its negative rows from
CHECK_ROWS = 2000  # rows of a seed of their own to check on after each epoch
_CHECK_SEED = 999


def make_rows(n: int, seed: int, workers: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """``n`` rows prepared for the network: pictures (n, HEIGHT, WIDTH) uint8 and labels
    (n, MAX_DIGITS) int32, -1 past each row's last digit."""
    chunks = [(seed, k, n // workers + (k < n % workers)) for k in range(workers)]
    with get_context("spawn").Pool(workers) as pool:
        parts = pool.map(_chunk, chunks)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _chunk(job: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    from ..data.mnist import load_mnist
    from ..synthetic import negatives

    seed, part, n = job
    mnist = load_mnist("train", as_float=False)
    rng = np.random.default_rng([seed, part])
    others = [
        p.image
        for kind in rows.NEGATIVE_KINDS
        for p in negatives.make(
            kind, "tune", min(_NEGATIVES_PER_KIND, 4 + n // 10), seed=seed * 10 + part
        )
    ]
    pictures = np.zeros((n, sequence.HEIGHT, sequence.WIDTH), np.uint8)
    labels = np.full((n, MAX_DIGITS), -1, np.int32)
    for i in range(n):
        if rng.random() < NEGATIVE_SHARE:
            row, digits = rows.make_negative_row(rng, others), []
        else:
            row, digits = rows.make_row(rng, mnist if i % 2 else None)
        pictures[i] = np.round(sequence.prepare(row / 255.0) * 255)
        labels[i, : len(digits)] = digits
    return pictures, labels


def build_network():
    import keras
    from keras import layers

    x = inp = keras.Input((sequence.HEIGHT, sequence.WIDTH, 1))
    for filters, pool in ((16, (2, 2)), (32, (2, 2)), (64, None), (64, (2, 1))):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        if pool:
            x = layers.MaxPooling2D(pool)(x)
    x = layers.Conv2D(128, (sequence.HEIGHT // 8, 1), activation="relu")(x)
    x = layers.Reshape((sequence.FRAMES, 128))(x)
    x = layers.Conv1D(128, 5, padding="same", activation="relu")(x)
    x = layers.Dropout(0.2)(x)
    logits = layers.Conv1D(sequence.BLANK + 1, 1)(x)
    return keras.Model(inp, logits)


def fit(
    out: Path,
    checkpoints: Path,
    epochs: int = EPOCHS,
    n_rows: int = ROWS,
    log: Callable[[str], None] = print,
    check_rows: int = CHECK_ROWS,
) -> dict:
    """Train, check after each epoch, export ``out/model.tflite`` and ``out/meta.json``."""
    import tensorflow as tf

    net = build_network()
    steps = epochs * (n_rows // BATCH)
    schedule = tf.keras.optimizers.schedules.CosineDecay(LEARNING_RATE, steps)
    optimizer = tf.keras.optimizers.Adam(schedule)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            logits = net(x, training=True)
            loss = tf.reduce_mean(_ctc(tf, y, logits))
        grads = tape.gradient(loss, net.trainable_variables)
        optimizer.apply_gradients(zip(grads, net.trainable_variables, strict=True))
        return loss

    start, history = time.perf_counter(), []
    check_x, check_y = make_rows(check_rows, _CHECK_SEED)
    x, y = make_rows(n_rows, rows.TRAINING_SEED)
    log(f"{n_rows} rows made in {time.perf_counter() - start:.0f} s")
    checkpoints.mkdir(parents=True, exist_ok=True)
    for epoch in range(epochs):
        rng = np.random.default_rng(epoch)
        order = rng.permutation(len(x))
        losses = []
        for b in range(len(x) // BATCH):
            k = order[b * BATCH : (b + 1) * BATCH]
            batch = _shifted(x[k], rng)[..., None] / np.float32(255)
            losses.append(float(step(batch, y[k])))
        right = row_accuracy(lambda p: net.predict(p[..., None], verbose=0), check_x, check_y)
        history.append({"epoch": epoch + 1, "loss": float(np.mean(losses)), "rows_right": right})
        log(f"epoch {epoch + 1}: loss {np.mean(losses):.4f}, rows right {right:.2%}")
        net.save_weights(checkpoints / f"sequence-{epoch + 1:02d}.weights.h5")
    return export(net, out, history, time.perf_counter() - start, n_rows, check_rows)


def _shifted(pictures: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``pictures`` each moved right by 0–8 px where the picture has room (its right edge
    blank)."""
    out = pictures.copy()
    for i, p in enumerate(pictures):
        room = sequence.WIDTH - 1 - int(np.flatnonzero(p.max(axis=0))[-1])
        d = int(rng.integers(0, min(8, room) + 1))
        if d:
            out[i, :, d:] = p[:, :-d]
            out[i, :, :d] = 0
    return out


def _ctc(tf, labels, logits):
    lengths = tf.reduce_sum(tf.cast(labels >= 0, tf.int32), axis=1)
    frames = tf.fill([tf.shape(logits)[0]], sequence.FRAMES)
    return tf.nn.ctc_loss(
        tf.maximum(labels, 0),
        logits,
        lengths,
        frames,
        logits_time_major=False,
        blank_index=sequence.BLANK,
    )


def row_accuracy(predict: Callable, pictures: np.ndarray, labels: np.ndarray) -> float:
    """Share of ``pictures`` whose best path is exactly their digits."""
    logits = predict(pictures.astype(np.float32) / 255)
    right = 0
    for lg, y in zip(logits, labels, strict=True):
        right += sequence.decode(lg).digits == tuple(int(d) for d in y if d >= 0)
    return right / len(labels)


def export(net, out: Path, history: list, seconds: float, n_rows: int, check_rows: int) -> dict:
    """The network with a softmax on its columns as ``out/model.tflite``, and its metadata."""
    import keras
    import tensorflow as tf

    probs = keras.Model(net.input, keras.layers.Softmax()(net.output))
    converter = tf.lite.TFLiteConverter.from_keras_model(probs)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.tflite").write_bytes(converter.convert())
    meta = {
        "kind": "sequence reader (CTC)",
        "date": date.today().isoformat(),
        "trained_on": (
            f"{n_rows} rows (synthetic.rows, seed {rows.TRAINING_SEED}): half synthetic "
            "drawings, half MNIST training digits; a tenth of rows of non-digits (tuning part "
            "of synthetic.negatives) read as none"
        ),
        "check": f"{check_rows} rows of seed {_CHECK_SEED}, rows_right after each epoch",
        "input": [sequence.HEIGHT, sequence.WIDTH],
        "frames": sequence.FRAMES,
        "parameters": int(net.count_params()),
        "fit_seconds": round(seconds, 1),
        "history": history,
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return meta
