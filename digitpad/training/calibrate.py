"""Fit a model's calibration temperature on the fixed validation split and write it into its
``meta.json`` (``python train_models.py --calibrate``).

The temperature (``digitpad.models.calibration``) is fitted by maximum likelihood on the 5,000
images of ``digitpad.data.mnist.validation_split()``, never on the test set, from the model's
probabilities before calibration. The record written says when, on what, and whether those
images were among the model's training images: the bundled models were trained on all 60,000
training images, so for them the split was seen in training and the fit is a compromise
(a network is more sure of digits it was trained on than of new ones).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..data import mnist
from ..fileio import atomic_write
from ..models import calibration
from ..models.store import META, load_folder, read_meta

METHOD = "temperature scaling (Guo et al. 2017): p ** (1 / T), renormalised"


def fitted_on(train_size: int | None) -> dict[str, Any]:
    """What the validation split is, and whether a model trained on ``train_size`` images
    (the first ones, or all) saw it: True for all 60,000, False for the 55,000 outside it,
    None when that cannot be told."""
    n_train = 60_000
    seen = {n_train: True, n_train - mnist.VALIDATION_SPLIT_SIZE: False}.get(train_size)
    return {
        "data": "MNIST training set, digitpad.data.mnist.validation_split()",
        "images": mnist.VALIDATION_SPLIT_SIZE,
        "seed": mnist.VALIDATION_SPLIT_SEED,
        "seen_in_training": seen,
    }


def fit_record(p: np.ndarray, y: np.ndarray, train_size: int | None) -> dict[str, Any]:
    """The ``meta["calibration"]`` entry for probabilities ``p`` (N, 10) before calibration of
    validation digits labelled ``y``: the temperature, and the fit's likelihood and
    calibration error before and after on those very digits."""
    t = calibration.fit_temperature(p, y)
    after = calibration.scale(p, t)
    return {
        "temperature": round(t, 6),
        "method": METHOD,
        "fitted_on": fitted_on(train_size),
        "date": datetime.date.today().isoformat(),
        "validation_nll": [round(calibration.negative_log_likelihood(q, y), 6) for q in (p, after)],
        "validation_ece": [
            round(calibration.expected_calibration_error(q, y), 6) for q in (p, after)
        ],
    }


def calibrate_folder(folder: Path, log: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Fit the temperature of the model in ``folder`` on the validation split and write it into
    its ``meta.json`` atomically (the other files are untouched). Returns the record written."""
    folder = Path(folder)
    clf = load_folder(folder, folder.name)
    x, y = mnist.load_mnist("train")
    _, val = mnist.validation_split()
    p = clf.predict_proba(x[val], calibrated=False)
    record = fit_record(p, y[val], clf.train_size)
    meta = read_meta(folder)
    meta[calibration.KEY] = record
    with atomic_write(folder / META, "w") as f:
        f.write(json.dumps(meta, indent=2))
    nll, ece = record["validation_nll"], record["validation_ece"]
    log(
        f"{folder.name}: T = {record['temperature']:.4f}; on the validation split "
        f"NLL {nll[0]:.4f} → {nll[1]:.4f}, ECE {ece[0]:.2%} → {ece[1]:.2%}"
    )
    return record
