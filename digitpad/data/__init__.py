"""The digits DigitPad reads and learns from: MNIST, Kaggle Digit Recognizer CSVs, and the
user's own labelled drawings.

Qt-free, NumPy only. ``mnist`` reads the IDX files; ``kaggle`` reads and writes the CSVs and
submissions; ``drawings`` keeps the user's labelled drawings in the data folder; ``samples`` is
the one table of every sample (and each model's answers) that the explore panels read. Every problem
with a file is a :class:`DatasetError` whose message names the file and what to do.
"""

from .kaggle import (
    PIXEL_COLUMNS,
    read_kaggle_csv,
    read_submission,
    write_kaggle_csv,
    write_submission,
)
from .mnist import IMAGE_SIDE, MNIST_DIR, DatasetError, load_mnist, read_idx, write_idx

__all__ = [
    "IMAGE_SIDE",
    "MNIST_DIR",
    "PIXEL_COLUMNS",
    "DatasetError",
    "load_mnist",
    "read_idx",
    "read_kaggle_csv",
    "read_submission",
    "write_idx",
    "write_kaggle_csv",
    "write_submission",
]
