"""The user's own labelled drawings ("teach it"): PNG files in the user's data folder.

Each drawing is kept as the 28×28 picture the models see (white digit on black, MNIST format),
in a folder named after its label: ``<data dir>/drawings/<label>/<id>.png``. Qt-free. In a
data folder with no drawings yet:

>>> import numpy as np
>>> from digitpad.data import drawings
>>> digit = np.zeros((28, 28), np.float32); digit[4:24, 13:15] = 1.0  # a 1, in [0, 1]
>>> path = drawings.add(digit, 1)
>>> path.parent.name, path.suffix
('1', '.png')
>>> images, labels = drawings.load()
>>> images.shape, images.dtype, labels.tolist()
((1, 28, 28), dtype('float32'), [1])
>>> drawings.export_csv("mine.csv")        # Kaggle train.csv format; the rows written
1
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import numpy as np

from ..fileio import atomic_write
from ..paths import data_dir

__all__ = ["add", "count", "drawings_dir", "export_csv", "files", "load", "remove", "with_drawings"]


def drawings_dir() -> Path:
    """``<data dir>/drawings``: one sub-folder per label, 0 to 9."""
    return data_dir() / "drawings"


def add(digit: np.ndarray, label: int) -> Path:
    """Keep ``digit`` (28, 28) float in [0, 1] (or uint8 0–255) as a drawing of ``label`` (0–9).

    The PNG is written atomically; returns its path.
    """
    from PIL import Image

    label = _check_label(label)
    pixels = _to_uint8(digit)
    folder = drawings_dir() / str(label)
    folder.mkdir(parents=True, exist_ok=True)
    # Time first, so that a sorted listing is the order in which they were drawn.
    path = folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.png"
    with atomic_write(path) as f:
        Image.fromarray(pixels, mode="L").save(f, format="PNG")
    return path


def files() -> list[tuple[Path, int]]:
    """(path, label) of every kept drawing, oldest first within a label, labels 0 to 9."""
    root = drawings_dir()
    out: list[tuple[Path, int]] = []
    for label in range(10):
        folder = root / str(label)
        if folder.is_dir():
            out += [(p, label) for p in sorted(folder.glob("*.png")) if not p.name.startswith(".")]
    return out


def count() -> int:
    return len(files())


def load() -> tuple[np.ndarray, np.ndarray]:
    """Every kept drawing: images (N, 28, 28) float32 in [0, 1], labels (N,) int64.

    A file that is not a readable 28×28 picture is skipped (it was not written by DigitPad).
    """
    from PIL import Image, UnidentifiedImageError

    images, labels = [], []
    for path, label in files():
        try:
            with Image.open(path) as im:
                a = np.asarray(im.convert("L"), dtype=np.uint8)
        except (OSError, UnidentifiedImageError):
            continue
        if a.shape == (28, 28):
            images.append(a)
            labels.append(label)
    if not images:
        return np.zeros((0, 28, 28), np.float32), np.zeros(0, np.int64)
    return np.divide(np.stack(images), 255, dtype=np.float32), np.array(labels, np.int64)


def remove(path: str | os.PathLike[str]) -> None:
    """Forget one drawing (a path from ``files()``); only files under ``drawings_dir()``."""
    path = Path(path).resolve()
    if drawings_dir().resolve() not in path.parents:
        raise ValueError(f"{path} is not one of your drawings")
    path.unlink(missing_ok=True)


def export_csv(path: str | os.PathLike[str]) -> int:
    """Write every kept drawing as a Kaggle train.csv (``label,pixel0,…``); returns how many.

    Raises ``ValueError`` when there is nothing to export.
    """
    from .kaggle import write_kaggle_csv

    images, labels = load()
    if len(images) == 0:
        raise ValueError("you have not labelled any drawing yet: nothing to export")
    write_kaggle_csv(path, images, labels)
    return len(images)


def with_drawings(
    x: np.ndarray, y: np.ndarray, images: np.ndarray, labels: np.ndarray, weight: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Training data with the user's drawings added ``weight`` times each (weight ≥ 1).

    Repeating a sample is how its weight reaches every model family alike (the SVMs, the
    logistic regression and the networks), shuffled in by the trainers.
    """
    weight = max(1, int(weight))
    if len(images) == 0:
        return x, y
    extra_x = np.repeat(np.asarray(images, np.float32), weight, axis=0)
    extra_y = np.repeat(np.asarray(labels, np.int64), weight)
    return (
        np.concatenate([np.asarray(x, np.float32), extra_x]),
        np.concatenate([np.asarray(y, np.int64), extra_y]),
    )


def _check_label(label: int) -> int:
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= label <= 9:
        raise ValueError(f"a label is a digit 0–9, not {label!r}")
    return int(label)


def _to_uint8(digit: np.ndarray) -> np.ndarray:
    a = np.asarray(digit)
    if a.shape != (28, 28):
        raise ValueError(f"a drawing is kept as a 28×28 picture, got shape {a.shape}")
    if np.issubdtype(a.dtype, np.floating):
        if not np.all((a >= 0) & (a <= 1)):
            raise ValueError("float pixels must be in [0, 1]")
        return np.rint(a * 255).astype(np.uint8)
    if a.min() < 0 or a.max() > 255:
        raise ValueError("integer pixels must be in 0–255")
    return a.astype(np.uint8)
