"""Ten-class digit classifiers: the six bundled ones and any the user retrained.

>>> from digitpad import models
>>> models.available()[:6]
['logistic', 'linear_svm', 'rbf_svm', 'mlp', 'lenet5', 'cnn']
>>> clf = models.default()            # the best
>>> clf.name
'cnn'
>>> from digitpad.data.mnist import load_mnist
>>> images, labels = load_mnist("test")
>>> p = clf.predict_proba(images[:5])  # (N, 28, 28) float32 in [0, 1] → (N, 10) float32
>>> p.shape, p.argmax(axis=1).tolist(), labels[:5].tolist()
((5, 10), [7, 2, 1, 0, 4], [7, 2, 1, 0, 4])

Prediction never imports TensorFlow or scikit-learn: networks run in LiteRT or NumPy.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..paths import data_dir, resources_dir
from . import families
from .base import Classifier, ModelError
from .store import load_folder, load_test_proba, recover

#: One bundled model per family, named after it (``families.NAMES``).
BUNDLED = families.NAMES
DEFAULT = families.BEST
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

__all__ = [
    "BUNDLED",
    "Classifier",
    "ModelError",
    "available",
    "bundled_dir",
    "default",
    "delete",
    "folder",
    "is_user_model",
    "load",
    "new_name",
    "rename",
    "test_probabilities",
    "user_dir",
]


def bundled_dir() -> Path:
    return resources_dir() / "models"


def user_dir() -> Path:
    return data_dir() / "models"


def available() -> list[str]:
    """Names of every 10-class model: the bundled ones first, then the user's, sorted.

    The user's folder never stops the listing: one that cannot be read lists none of its
    models, and a model whose interrupted save could not be repaired (a read-only folder) is
    listed, ``load`` then saying why it cannot be used.
    """
    names = [n for n in BUNDLED if (bundled_dir() / n / "meta.json").is_file()]
    return names + sorted(_user_names(user_dir()))


def _user_names(udir: Path) -> set[str]:
    stranded = recover(udir)
    try:
        folders = {p.name for p in udir.iterdir() if p.is_dir()}
    except OSError:  # missing or unreadable
        folders = set()
    return {n for n in folders | stranded.keys() if _NAME.match(n) and n not in BUNDLED}


def folder(name: str) -> Path:
    """The folder holding model ``name``; ``ModelError`` when there is none."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ModelError(f"{name!r} is not a valid model name")
    candidate = (bundled_dir() if name in BUNDLED else user_dir()) / name
    if candidate.is_dir():
        return candidate
    # Not there: perhaps its save was interrupted. ``recover`` repairs that where it can and
    # says why where it cannot.
    stranded = recover(user_dir()) if name not in BUNDLED else {}
    if name in stranded:
        raise ModelError(stranded[name])
    if candidate.is_dir():
        return candidate
    raise ModelError(f"no model named {name!r}; available: {', '.join(available())}")


def load(name: str) -> Classifier:
    """Load model ``name`` (see ``available()``). Raises ``ModelError`` if missing or damaged."""
    return _load_cached(name, _stamp(name))


@lru_cache(maxsize=32)
def _load_cached(name: str, stamp: float) -> Classifier:
    return load_folder(folder(name), name)


def _stamp(name: str) -> float:
    # A retrained model replaces its folder; its meta.json time tells the cache it changed.
    try:
        return (folder(name) / "meta.json").stat().st_mtime_ns
    except OSError:  # load_folder then says what is wrong
        return 0.0


def default() -> Classifier:
    """The best bundled model (``families.BEST``, the ``cnn``)."""
    return load(DEFAULT)


def test_probabilities(name: str, calibrated: bool = True) -> np.ndarray:
    """(10000, 10) float32: model ``name``'s cached probabilities for the MNIST test images,
    calibrated as its ``predict_proba`` is (``calibrated=False``: as the model gives them)."""
    return load_test_proba(folder(name), calibrated)


# --------------------------------------------------------------------------- the user's models


def is_user_model(name: str) -> bool:
    """True for a model the user trained (in ``user_dir()``); bundled ones are read-only."""
    return (
        isinstance(name, str)
        and bool(_NAME.match(name))
        and name not in BUNDLED
        and (user_dir() / name / "meta.json").is_file()
    )


def new_name(family: str) -> str:
    """A free name for a model the user trains from ``family``: ``my-<family>-1``, ``-2``, …"""
    taken = set(available())
    k = 1
    while f"my-{family}-{k}" in taken or (user_dir() / f"my-{family}-{k}").exists():
        k += 1
    return f"my-{family}-{k}"


def check_new_name(name: str) -> str:
    """``name`` if a user model may take it; else ``ModelError`` saying why not."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ModelError(
            f"{name!r} is not a valid model name: use up to 64 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit"
        )
    if name in BUNDLED:
        raise ModelError(f"{name!r} is the name of a bundled model; choose another")
    if (user_dir() / name).exists():
        raise ModelError(f"there is already a model named {name!r}")
    return name


def rename(old: str, new: str) -> None:
    """Rename the user's model ``old`` to ``new`` (bundled models cannot be renamed)."""
    if not is_user_model(old):
        raise ModelError(f"{old!r} is not one of your models; bundled models cannot be renamed")
    check_new_name(new)
    udir = user_dir()
    os.rename(udir / old, udir / new)  # one atomic step: the folder is the whole model
    meta_path = udir / new / "meta.json"
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return
    from ..fileio import atomic_write

    meta["name"] = new
    with atomic_write(meta_path, "w") as f:
        f.write(json.dumps(meta, indent=2))


def delete(name: str) -> None:
    """Delete the user's model ``name`` (bundled models cannot be deleted)."""
    if not is_user_model(name):
        raise ModelError(f"{name!r} is not one of your models; bundled models cannot be deleted")
    # Out of sight in one rename first: a crash while removing leaves a temporary folder that
    # ``recover`` clears, never half a model under its name.
    gone = user_dir() / f".{name}.tmp-{uuid.uuid4().hex[:8]}"
    os.replace(user_dir() / name, gone)
    shutil.rmtree(gone, ignore_errors=True)
