"""Build time only (TensorFlow, scikit-learn): what ``reading.neighbours`` reads beside the CNN.

``python train_models.py --explain`` (and every rebuild of the cnn) calls :func:`build`, which
writes, atomically, into the CNN's folder:

- ``features.tflite``: the network from its input to its ``features`` layer, exported from
  ``model.keras`` (the same weights as ``model.tflite``);
- ``explain.npz``: the features of the 60,000 training and 10,000 test images (float16, computed
  with that very ``features.tflite``, so a drawing's features at run time come from the same
  engine) and ``map_xy``, a t-SNE of the test features;
- ``explain.json``: how they were made, seconds taken and SHA-256 of both files.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from pathlib import Path

import numpy as np

from ..fileio import atomic_write
from ..reading.neighbours import DATA_FILE, FEATURES_FILE, META_FILE, FeatureExtractor


def features_tflite(model_keras: Path) -> bytes:
    """The ``.tflite`` of ``model.keras`` cut at its ``features`` layer (loaded safely); for an
    average of several nets, the ``features`` layer of the first."""
    import keras

    from ..models.keras_file import load_keras
    from .fitting import tflite_bytes

    model = load_keras(model_keras)
    names = {la.name for la in model.layers}
    if "features" not in names:  # an average: its members are its layers
        model = next(la for la in model.layers if isinstance(la, keras.Model))
    return tflite_bytes(keras.Model(model.inputs, model.get_layer("features").output))


def embed(features: np.ndarray, seed: int = 0) -> np.ndarray:
    """(N, 2) t-SNE of ``features`` (after a 50-component PCA), scaled to about [-1, 1]."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    reduced = PCA(50, random_state=seed).fit_transform(features.astype(np.float32))
    xy = TSNE(2, init="pca", perplexity=30, random_state=seed).fit_transform(reduced)
    xy = xy - np.median(xy, axis=0)
    return (xy / np.abs(xy).max()).astype(np.float32)


def build(folder: Path, train_images, test_images, log=print) -> dict:
    """Write the feature model, features and map beside the CNN in ``folder``; returns the meta."""
    t0 = time.perf_counter()
    tfl = features_tflite(folder / "model.keras")
    extractor = FeatureExtractor(tfl)
    log(f"features.tflite: {len(tfl) / 1e6:.2f} MB, {extractor.size} features")
    train_f = extractor(train_images)
    test_f = extractor(test_images)
    t1 = time.perf_counter()
    log(f"features of {len(train_f) + len(test_f):,} images: {t1 - t0:.0f} s")
    xy = embed(test_f)
    t2 = time.perf_counter()
    log(f"t-SNE of the {len(test_f):,} test images: {t2 - t1:.0f} s")
    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        train_features=train_f.astype(np.float16),
        test_features=test_f.astype(np.float16),
        map_xy=xy,
    )
    data = buf.getvalue()
    meta = {
        "feature_layer": "features",
        "feature_size": extractor.size,
        "from": "model.keras",
        "map": "t-SNE (perplexity 30, PCA 50 first, seed 0) of the test images' features",
        "seconds": {"features": round(t1 - t0, 1), "map": round(t2 - t1, 1)},
        "files": {
            FEATURES_FILE: hashlib.sha256(tfl).hexdigest(),
            DATA_FILE: hashlib.sha256(data).hexdigest(),
        },
    }
    for name, content in (
        (FEATURES_FILE, tfl),
        (DATA_FILE, data),
        (META_FILE, (json.dumps(meta, indent=2) + "\n").encode()),
    ):
        with atomic_write(folder / name) as f:
            f.write(content)
    log(f"explain.npz: {len(data) / 1e6:.1f} MB")
    return meta
