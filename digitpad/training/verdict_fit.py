"""Build time only (TensorFlow, scikit-learn): fit what ``reading.detector`` reads beside the cnn.

``python train_models.py --verdict`` (and every rebuild of the cnn, after its feature model)
calls :func:`build`, which writes, atomically, into the cnn's folder:

- ``verdict.npz``: the ten class means and the whitener (Cholesky factor of the inverse of
  the shared covariance) of the cnn's features on the MNIST training images outside the
  validation split; the cnn's last layer (``dense_w``, ``dense_b``, read from ``model.keras``);
  the outlier-exposure network (input scaling and layers);
- ``verdict.json``: the thresholds, the date, the data each part was fitted or chosen on, the
  rates measured there, and SHA-256 of ``verdict.npz`` and of the cnn files it was fitted for.

The data (nothing from the MNIST test set, nothing from the held-out part of
``synthetic.negatives``):

- Gaussians: the 55,000 training images outside ``mnist.validation_split()``;
- outlier exposure: 20,000 of those, 3,000 normal and 3,000 hard drawings (seeds 33, 44)
  against 1,500 pictures of each kind of ``negatives.make(kind, "tune", seed=1)`` (for most
  kinds half of them from the broad generators of ``synthetic.broad``);
- thresholds: the validation split (5,000) and 1,000 normal + 1,000 hard drawings (seeds 11,
  22): the novelty threshold refuses at most ``TARGET_REFUSED`` of the real digits of each;
  the shape limits are the largest values seen on them.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import time
from pathlib import Path

import numpy as np

from ..data import mnist
from ..fileio import atomic_write
from ..preprocess import to_mnist
from ..reading import verdict
from ..reading.detector import DATA_FILE, FORMAT, META_FILE, Detector
from ..reading.neighbours import FEATURES_FILE, FeatureExtractor
from ..synthetic import drawn, negatives

TARGET_REFUSED = 0.005  # share of the real digits of each tuning set the novelty may refuse
POSITIVES = 20_000
NEGATIVES_PER_KIND = 1_500
DRAWINGS = 3_000
TUNE_DRAWINGS = 1_000
HIDDEN = 128
MEMBERS = 1  # networks averaged (other seeds)
ITERATIONS = 60  # epochs of each (Adam); more overfit the tuning sources, not the digits
PIXEL_POOL = 2  # the picture averaged over 2×2 blocks is an input too (0: not)
SEED = 0


def _drawings(n: int, seed: int, variant: str) -> np.ndarray:
    return np.stack([to_mnist(drawn.render(d)) for d in drawn.make_drawings(n, seed, variant)])


def fit_gaussians(features: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Class means (10, D) and whitener L (D, D) with L Lᵀ = Σ⁻¹, Σ the covariance shared by
    the classes (a little shrinkage keeps it invertible)."""
    f = features.astype(np.float64)
    means = np.stack([f[labels == c].mean(axis=0) for c in range(10)])
    r = f - means[labels]
    cov = r.T @ r / len(f)
    cov += 1e-3 * np.trace(cov) / len(cov) * np.eye(len(cov))
    return means, np.linalg.cholesky(np.linalg.inv(cov))


def _oe_network(x: np.ndarray, y: np.ndarray, log) -> dict[str, np.ndarray]:
    """``MEMBERS`` one-hidden-layer networks (other seeds) averaged in logit space, written as
    the one wider network they are: hidden units side by side, output weights / MEMBERS."""
    from sklearn.neural_network import MLPClassifier

    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    nets = []
    for m in range(MEMBERS):
        net = MLPClassifier((HIDDEN,), alpha=1e-3, max_iter=ITERATIONS, random_state=SEED + m)
        net.fit((x - mean) / scale, y)
        log(f"outlier exposure {m + 1}/{MEMBERS}: {net.n_iter_} iterations, loss {net.loss_:.4f}")
        nets.append(net)
    return {
        "in_mean": mean.astype(np.float32),
        "in_scale": scale.astype(np.float32),
        **merge_networks([(n.coefs_, n.intercepts_) for n in nets]),
    }


def merge_networks(nets: list[tuple[list, list]]) -> dict[str, np.ndarray]:
    """(weights, biases) of one-hidden-layer networks → the layers of the network whose output
    (before the sigmoid) is the mean of theirs."""
    k = len(nets)
    return {
        "layer0_w": np.hstack([w[0] for w, _ in nets]).astype(np.float32),
        "layer0_b": np.hstack([b[0] for _, b in nets]).astype(np.float32),
        "layer1_w": (np.vstack([w[1] for w, _ in nets]) / k).astype(np.float32),
        "layer1_b": (np.mean([b[1] for _, b in nets], axis=0)).astype(np.float32),
    }


def _dense(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    from ..models.keras_file import load_keras

    w, b = load_keras(folder / "model.keras").get_layer("probabilities").get_weights()
    return w, b


def _shape_limits(pictures: list[np.ndarray]) -> dict:
    shapes = [verdict.shape_of(p) for p in pictures]
    return {
        "max_pieces": max(s.pieces for s in shapes),
        "max_holes": max(s.holes for s in shapes),
        "max_thickness": max(s.thickness for s in shapes),
    }


def build(folder: Path, log=print) -> dict:
    """Fit and write the verdict's statistics beside the cnn in ``folder``; returns the meta."""
    t0 = time.perf_counter()
    tfl = (folder / FEATURES_FILE).read_bytes()
    extract = FeatureExtractor(tfl, folder / FEATURES_FILE)
    x, y = mnist.load_mnist("train")
    fit, val = mnist.validation_split()
    train_f = extract(x[fit])
    means, whitener = fit_gaussians(train_f, y[fit])
    w, b = _dense(folder)
    stats = {
        "means": means.astype(np.float32),
        "whitener": whitener.astype(np.float32),
        "dense_w": w.astype(np.float32),
        "dense_b": b.astype(np.float32),
    }
    log(f"Gaussians of {len(fit):,} training images: {time.perf_counter() - t0:.0f} s")
    if PIXEL_POOL:
        stats["pixel_pool"] = np.array([PIXEL_POOL], np.int32)
    probe = Detector({**stats, **_placeholder_net(len(means[0]))}, {"thresholds": {}})
    rng = np.random.default_rng(SEED)
    chosen = rng.choice(len(fit), POSITIVES, replace=False)
    pictures = [x[fit][chosen]]
    pictures += [_drawings(DRAWINGS, s, v) for s, v in ((33, "normal"), (44, "hard"))]
    positives = len(pictures)
    pictures += [
        np.stack([p.image for p in negatives.make(k, "tune", NEGATIVES_PER_KIND, 1)])
        for k in negatives.KINDS
    ]
    feats = [train_f[chosen]] + [extract(p) for p in pictures[1:]]
    xs = probe.inputs(np.vstack(feats), np.vstack(pictures))
    n_pos = sum(map(len, pictures[:positives]))
    ys = np.r_[np.zeros(n_pos), np.ones(len(xs) - n_pos)]
    log(f"outlier exposure data: {len(xs):,} pictures, {time.perf_counter() - t0:.0f} s")
    detector = Detector({**stats, **_oe_network(xs, ys, log)}, {"thresholds": {}})
    tune = {
        "mnist validation split": x[val],
        "drawn normal (seed 11)": _drawings(TUNE_DRAWINGS, 11, "normal"),
        "drawn hard (seed 22)": _drawings(TUNE_DRAWINGS, 22, "hard"),
    }
    novelty = {k: detector.novelty(detector.inputs(extract(v), v)) for k, v in tune.items()}
    threshold = max(float(np.quantile(v, 1 - TARGET_REFUSED)) for v in novelty.values())
    limits = _shape_limits([p for v in tune.values() for p in v])
    thresholds = {"max_novelty": threshold, "min_confidence": verdict.MIN_CONFIDENCE, **limits}
    refused = {k: float(np.mean(v > threshold)) for k, v in novelty.items()}
    log(f"novelty threshold {threshold:.4f}; refuses {refused}; shape limits {limits}")
    arrays = {**stats, **detector_arrays(detector)}
    return _write(folder, arrays, thresholds, refused, tfl, time.perf_counter() - t0, log)


def _placeholder_net(d: int) -> dict[str, np.ndarray]:
    """A do-nothing network, so that ``Detector.inputs`` can make the inputs it is fitted on."""
    d += 20 + (28 // PIXEL_POOL) ** 2 if PIXEL_POOL else 20
    return {
        "in_mean": np.zeros(d, np.float32),
        "in_scale": np.ones(d, np.float32),
        "layer0_w": np.zeros((d, 1), np.float32),
        "layer0_b": np.zeros(1, np.float32),
    }


def detector_arrays(detector: Detector) -> dict[str, np.ndarray]:
    out = {"in_mean": detector.in_mean, "in_scale": detector.in_scale}
    for k, (w, b) in enumerate(detector.layers):
        out[f"layer{k}_w"], out[f"layer{k}_b"] = w, np.asarray(b, np.float32)
    if detector.pixel_pool:
        out["pixel_pool"] = np.array([detector.pixel_pool], np.int32)
    return out


def _write(folder, arrays, thresholds, refused, tfl, seconds, log) -> dict:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    data = buf.getvalue()
    meta = {
        "format": FORMAT,
        "date": datetime.date.today().isoformat(),
        "method": "outlier-exposure network: "
        + (f"{MEMBERS} networks averaged, each " if MEMBERS > 1 else "")
        + f"one hidden layer of {HIDDEN} ReLU units ({ITERATIONS} epochs), on the cnn's "
        "features, log Mahalanobis "
        "distances to the ten class-conditional Gaussians (shared covariance), logits"
        + (f" and the picture in {PIXEL_POOL}×{PIXEL_POOL} block means" if PIXEL_POOL else ""),
        "thresholds": thresholds,
        "data": {
            "gaussians": "MNIST training images outside mnist.validation_split() (55,000)",
            "outlier_exposure": f"{POSITIVES:,} of those, {DRAWINGS:,} normal and {DRAWINGS:,} "
            "hard synthetic drawings (seeds 33, 44) against "
            f"{NEGATIVES_PER_KIND:,} of each kind of negatives.make(kind, 'tune', seed=1) "
            "(half of them from synthetic.broad): " + ", ".join(negatives.KINDS),
            "thresholds": "mnist.validation_split() (5,000), drawn normal seed 11 and hard "
            f"seed 22 ({TUNE_DRAWINGS:,} each); novelty: at most {TARGET_REFUSED:.1%} of "
            "each refused; shape limits: the largest seen",
        },
        "refused_when_chosen": refused,
        "seconds": round(seconds, 1),
        "files": {DATA_FILE: hashlib.sha256(data).hexdigest()},
        "fitted_for": {
            "model.keras": hashlib.sha256((folder / "model.keras").read_bytes()).hexdigest(),
            FEATURES_FILE: hashlib.sha256(tfl).hexdigest(),
        },
    }
    for name, content in (
        (DATA_FILE, data),
        (META_FILE, (json.dumps(meta, indent=2) + "\n").encode()),
    ):
        with atomic_write(folder / name) as f:
            f.write(content)
    log(f"{DATA_FILE}: {len(data) / 1e3:.0f} kB, {seconds:.0f} s in all")
    return meta
