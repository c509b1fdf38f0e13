"""Kaggle Digit Recognizer files: ``train.csv`` / ``test.csv`` and submissions.

The Kaggle set is MNIST written as text (one row of 784 pixels per digit), so it shares the
picture format and :class:`DatasetError` of :mod:`digitpad.data.mnist`. Every problem with a file
is raised as ``DatasetError`` with a message that names the file, the line and what to do.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

from ..fileio import atomic_write, file_kind, open_for_reading, read_error
from .mnist import IMAGE_SIDE, DatasetError, StrPath, to_float

__all__ = [
    "PIXEL_COLUMNS",
    "read_kaggle_csv",
    "read_submission",
    "write_kaggle_csv",
    "write_submission",
    "write_submission_to",
]

PIXEL_COLUMNS: tuple[str, ...] = tuple(f"pixel{i}" for i in range(IMAGE_SIDE * IMAGE_SIDE))
_TRAIN_HEADER = ("label", *PIXEL_COLUMNS)
_TEST_HEADER = PIXEL_COLUMNS
_SUBMISSION_HEADER = ("ImageId", "Label")
_HEADER_HINT = (
    "the first line must be the header 'label,pixel0,…,pixel783' (train.csv format) "
    "or 'pixel0,…,pixel783' (test.csv format)"
)
_FIX_ROW = "Correct or remove that row and load the file again."
_MAX_BYTES = 1 << 30
_MAX_LINE = 1 << 16  # a real row is under 3,200 characters
_BATCH_ROWS = 1024
_KIND = np.zeros(256, np.uint8)  # a byte of a plain row: 1 a digit, 2 a comma, 0 anything else
_KIND[ord("0") : ord("9") + 1], _KIND[ord(",")] = 1, 2
# Looking the text up is three times faster than calling str() on each of 33 million values.
_DECIMAL = tuple(str(i) for i in range(256))
_INTEGER = re.compile(r"[+-]?[0-9]+")
# What to do with a file that is not text, by what its first bytes say it is (fileio.file_kind).
_PICTURE = "to read a picture use: digitpad predict"
_NOT_TEXT = {
    "a ZIP archive": "unzip it first",
    "a gzip file": "decompress it first (gunzip)",
    "a bzip2 file": "decompress it first (bunzip2)",
    "an xz file": "decompress it first (unxz)",
    "a 7-Zip archive": "extract it first",
    "a PNG image": _PICTURE,
    "a JPEG image": _PICTURE,
    "a GIF image": _PICTURE,
    "a PDF document": "export the table as CSV",
    "UTF-16 text": "save it as UTF-8 CSV",
}
_SNIFF_BYTES = 4096


def read_kaggle_csv(
    path: StrPath, *, max_bytes: int = _MAX_BYTES
) -> tuple[np.ndarray, np.ndarray | None]:
    """Read a Kaggle Digit Recognizer CSV, ``train.csv`` or ``test.csv`` format.

    ``train.csv`` has the header ``label,pixel0,…,pixel783``; ``test.csv`` has
    ``pixel0,…,pixel783``. Returns images ``(N, 28, 28)`` float32 in [0, 1] and labels
    ``(N,)`` int64 in 0–9, or None for the test format. Blank lines are skipped. The file is
    parsed as a stream; one over ``max_bytes`` is refused before reading. Errors name the line
    (1-based, the header is line 1) and the column (1-based, with its name).
    """
    path = Path(path)
    with _open_csv(path, max_bytes) as f:
        lines = _numbered_lines(f, path)
        header = _read_header(lines, path)
        rows = _read_pixel_rows(lines, path, header)
    images = to_float(rows[:, -len(PIXEL_COLUMNS) :]).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    labels = rows[:, 0].astype(np.int64) if header is _TRAIN_HEADER else None
    return images, labels


@contextlib.contextmanager
def _open_csv(path: Path, max_bytes: int) -> Iterator[IO[str]]:
    """The file as text, after refusing a FIFO or device, an oversized file and a binary one.

    Every OSError, on opening or while reading, becomes a DatasetError naming ``path``.
    """
    try:
        with open_for_reading(path) as raw:
            _check_file_size(path, os.fstat(raw.fileno()).st_size, max_bytes)
            _check_text(path, raw.read(_SNIFF_BYTES))
            raw.seek(0)
            with io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace") as f:
                yield f
    except OSError as exc:
        raise DatasetError(read_error(path, exc)) from exc


def _check_text(path: Path, head: bytes) -> None:
    kind = file_kind(head)
    if kind is not None:
        raise DatasetError(f"{path} is {kind}, not a CSV: {_NOT_TEXT[kind]}")
    if b"\x00" in head:
        raise DatasetError(
            f"{path} is a binary file, not a CSV: give the Kaggle train.csv or test.csv file"
        )


def _check_file_size(path: Path, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise DatasetError(
            f"{path} is {size:,} bytes, over the limit of {max_bytes:,} bytes for a digits CSV "
            "(Kaggle's train.csv is about 76 MB). Check that this is the right file, or split it "
            "into smaller CSV files."
        )


def _numbered_lines(f: IO[str], path: Path) -> Iterator[tuple[int, str]]:
    for number in itertools.count(1):
        # The limit keeps a binary file without newlines from being read as one huge line.
        line = f.readline(_MAX_LINE)
        if not line:
            return
        if len(line) == _MAX_LINE and not line.endswith("\n"):
            raise DatasetError(
                f"{path}, line {number}: the line is longer than {_MAX_LINE:,} characters; "
                "this is not a digits CSV."
            )
        yield number, line.rstrip("\n")


def _read_header(lines: Iterator[tuple[int, str]], path: Path) -> tuple[str, ...]:
    first = next(lines, None)
    if first is None:
        raise DatasetError(f"{path}: the file is empty; {_HEADER_HINT}.")
    names = [name.strip() for name in first[1].split(",")]
    expected = _TRAIN_HEADER if names[0] == "label" else _TEST_HEADER
    _check_header(path, names, expected, _HEADER_HINT)
    return expected


def _check_header(path: Path, names: list[str], expected: tuple[str, ...], hint: str) -> None:
    for column, (want, got) in enumerate(zip(expected, names, strict=False), start=1):
        if want != got:
            raise DatasetError(
                f"{path}, line 1, column {column}: the header has {_quote(got)} where {want!r} "
                f"was expected; {hint}."
            )
    if len(names) != len(expected):
        raise DatasetError(
            f"{path}, line 1: the header has {len(names)} columns, expected {len(expected)}; "
            f"{hint}."
        )


def _read_pixel_rows(
    lines: Iterator[tuple[int, str]], path: Path, header: tuple[str, ...]
) -> np.ndarray:
    """All data rows as uint8 ``(N, len(header))``; values already range-checked."""
    batches: list[np.ndarray] = []
    rows: list[str] = []
    numbers: list[int] = []
    commas = len(header) - 1
    for number, text in lines:
        if not text or text.isspace():
            continue
        if text.count(",") != commas:
            # Parse what came before first, so that the earliest error in the file is reported.
            _parse_rows(rows, numbers, path, header)
            raise _row_length_error(path, number, text.count(",") + 1, header)
        rows.append(text)
        numbers.append(number)
        if len(rows) == _BATCH_ROWS:
            batches.append(_parse_rows(rows, numbers, path, header))
            rows, numbers = [], []
    if rows:
        batches.append(_parse_rows(rows, numbers, path, header))
    if not batches:
        raise DatasetError(f"{path}: there are no data rows after the header.")
    return np.concatenate(batches)


def _parse_rows(
    rows: list[str], numbers: list[int], path: Path, header: tuple[str, ...]
) -> np.ndarray:
    """Rows with the right number of commas as uint8 ``(len(rows), len(header))``."""
    if not rows:
        return np.empty((0, len(header)), np.uint8)
    if not _all_plain(rows):
        # The slow path checks field by field, so it stops at the first bad value in file order.
        rows = [_canonical_row(t, n, path, header) for t, n in zip(rows, numbers, strict=True)]
    # np.fromstring is lenient (it stops quietly at junk), which is safe only because
    # every row is now plain 1-3 digit numbers; it is several times faster than int().
    values = np.fromstring(",".join(rows), dtype=np.int16, sep=",")
    values = values.reshape(len(rows), len(header))
    limits = np.array([_limit(name) for name in header], dtype=np.int16)
    bad = np.argwhere(values > limits)
    if len(bad):
        row, column = bad[0]
        where = _where(path, numbers[row], column, header)
        raise _out_of_range(where, int(values[row, column]), int(limits[column]))
    return values.astype(np.uint8)


def _all_plain(rows: list[str]) -> bool:
    """True if every comma-separated field of ``rows`` is 1-3 ASCII digits."""
    # Vectorised over the whole batch, on one byte per character (no index arrays): about
    # four times faster than a regex per row, and twice as fast as finding every comma.
    text = np.frombuffer(("," + ",".join(rows) + ",").encode("ascii", "replace"), np.uint8)
    kind = _KIND[text]
    digit = kind == 1
    return bool(
        kind.all()
        and not (~digit[:-1] & ~digit[1:]).any()  # no empty field (",,")
        and not (digit[:-3] & digit[1:-2] & digit[2:-1] & digit[3:]).any()  # nor 4 digits
    )


def _canonical_row(text: str, number: int, path: Path, header: tuple[str, ...]) -> str:
    """Check a row that is not plain digits field by field; raise at the first bad one."""
    values = [
        _parse_field(field, _where(path, number, column, header), _limit(header[column]))
        for column, field in enumerate(text.split(","))
    ]
    return ",".join(map(str, values))


def _limit(name: str) -> int:
    return 9 if name == "label" else 255


def _where(path: Path, number: int, column: int, header: tuple[str, ...]) -> str:
    return f"{path}, line {number}, column {column + 1} ({header[column]!r})"


def _row_length_error(path: Path, number: int, found: int, header: tuple[str, ...]) -> DatasetError:
    if found < len(header):
        detail = f"too short: column {found + 1} ({header[found]!r}) and after are missing"
    else:
        detail = f"too long: column {len(header) + 1} and after are extra"
    return DatasetError(
        f"{path}, line {number}: the row is {detail} ({found} values, expected "
        f"{len(header)}). {_FIX_ROW}"
    )


def _parse_field(field: str, where: str, limit: int | None) -> int:
    text = field.strip()
    if not text:
        raise DatasetError(f"{where}: the value is missing. {_FIX_ROW}")
    if not _INTEGER.fullmatch(text):
        raise DatasetError(f"{where}: {_quote(field)} is not a whole number. {_FIX_ROW}")
    value = int(text)
    if limit is not None and not 0 <= value <= limit:
        raise _out_of_range(where, value, limit)
    return value


def _quote(text: str, limit: int = 40) -> str:
    # A binary file read as text can put thousands of characters in one "value".
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "…"


def _out_of_range(where: str, value: int, limit: int) -> DatasetError:
    what = "label" if limit == 9 else "pixel value"
    return DatasetError(f"{where}: {what} {value} is outside 0–{limit}. {_FIX_ROW}")


def write_kaggle_csv(path: StrPath, images: np.ndarray, labels: np.ndarray | None = None) -> None:
    """Write digits as a Kaggle CSV, atomically: train.csv format with labels, test.csv without.

    ``images`` is ``(N, 28, 28)`` or ``(N, 784)``, float in [0, 1] (written as
    ``round(x * 255)``) or integers 0–255 (written as they are); ``labels`` is ``(N,)``
    integers 0–9. ``N`` must be at least 1.
    """
    pixels = _to_pixels(images)
    header = _TEST_HEADER
    if labels is not None:
        labels = _check_labels(labels, len(pixels)).astype(np.uint8)
        pixels = np.column_stack([labels, pixels])
        header = _TRAIN_HEADER
    with atomic_write(path, "w") as f:
        _write_csv_rows(f, header, pixels)


def _write_csv_rows(f: IO[str], header: tuple[str, ...], rows: np.ndarray) -> None:
    f.write(",".join(header) + "\n")
    # Batches: tolist() of the whole array would hold tens of millions of list slots at once.
    for start in range(0, len(rows), _BATCH_ROWS):
        batch = rows[start : start + _BATCH_ROWS].tolist()
        f.writelines(",".join([_DECIMAL[v] for v in row]) + "\n" for row in batch)


def _to_pixels(images: np.ndarray) -> np.ndarray:
    """``(N, 784)`` uint8 from float images in [0, 1] or integer images 0–255."""
    array = np.asarray(images)
    n_pixels = len(PIXEL_COLUMNS)
    if array.shape[1:] not in ((IMAGE_SIDE, IMAGE_SIDE), (n_pixels,)) or len(array) == 0:
        raise ValueError(f"images must be (N, 28, 28) or (N, 784) with N >= 1, got {array.shape}")
    array = array.reshape(len(array), n_pixels)
    if np.issubdtype(array.dtype, np.floating):
        if not np.all((array >= 0) & (array <= 1)):  # also catches NaN
            raise ValueError("float images must be in [0, 1]")
        return np.rint(array * 255).astype(np.uint8)
    if np.issubdtype(array.dtype, np.integer):
        if array.min() < 0 or array.max() > 255:
            raise ValueError("integer images must be in 0–255")
        return array.astype(np.uint8)
    raise ValueError(f"images must be float in [0, 1] or integers 0–255, got {array.dtype}")


def _check_labels(labels: np.ndarray, count: int | None) -> np.ndarray:
    """Labels as int64 ``(N,)``, checked to be integers 0–9 (and ``count`` of them if given)."""
    array = np.asarray(labels)
    if array.ndim != 1 or (count is not None and len(array) != count) or len(array) == 0:
        wanted = f"({count},)" if count is not None else "(N,) with N >= 1"
        raise ValueError(f"labels must have shape {wanted}, got {array.shape}")
    if not np.issubdtype(array.dtype, np.integer) or array.min() < 0 or array.max() > 9:
        raise ValueError("labels must be integers 0–9")
    return array.astype(np.int64)


# --- Kaggle submission ----------------------------------------------------------------


def write_submission(path: StrPath, labels: np.ndarray) -> None:
    """Write predicted labels ``(N,)`` integers 0–9 as ``ImageId,Label`` rows, atomically.

    ImageIds run from 1, as Kaggle expects.
    """
    labels = _check_labels(labels, None)  # before the file is touched
    with atomic_write(path, "w") as f:
        write_submission_to(f, labels)


def write_submission_to(f: IO[str], labels: np.ndarray) -> None:
    """Write predicted labels ``(N,)`` integers 0–9 as ``ImageId,Label`` rows to an open text
    stream (standard output, say); ImageIds run from 1."""
    labels = _check_labels(labels, None)
    f.write(",".join(_SUBMISSION_HEADER) + "\n")
    f.writelines(f"{i},{label}\n" for i, label in enumerate(labels.tolist(), start=1))


def read_submission(path: StrPath, *, max_bytes: int = _MAX_BYTES) -> np.ndarray:
    """Read a Kaggle submission (``ImageId,Label``; ImageIds 1, 2, 3, … in order).

    Returns the labels ``(N,)`` int64 in 0–9, label ``i`` being that of ImageId ``i + 1``.
    """
    path = Path(path)
    hint = "the first line must be the header 'ImageId,Label'"
    with _open_csv(path, max_bytes) as f:
        lines = _numbered_lines(f, path)
        first = next(lines, None)
        if first is None:
            raise DatasetError(f"{path}: the file is empty; {hint}.")
        names = [name.strip() for name in first[1].split(",")]
        _check_header(path, names, _SUBMISSION_HEADER, hint)
        labels = _read_submission_rows(lines, path)
    if not labels:
        raise DatasetError(f"{path}: there are no data rows after the header.")
    return np.array(labels, dtype=np.int64)


def _read_submission_rows(lines: Iterator[tuple[int, str]], path: Path) -> list[int]:
    labels: list[int] = []
    for number, text in lines:
        if text and not text.isspace():
            labels.append(_submission_label(text, number, path, len(labels)))
    return labels


def _submission_label(text: str, number: int, path: Path, index: int) -> int:
    fields = text.split(",")
    if len(fields) != len(_SUBMISSION_HEADER):
        raise _row_length_error(path, number, len(fields), _SUBMISSION_HEADER)
    image_id = _parse_field(fields[0], _where(path, number, 0, _SUBMISSION_HEADER), None)
    if image_id != index + 1:
        raise DatasetError(
            f"{_where(path, number, 0, _SUBMISSION_HEADER)}: ImageId {image_id} where "
            f"{index + 1} was expected; ImageIds must run 1, 2, 3, … in order. {_FIX_ROW}"
        )
    return _parse_field(fields[1], _where(path, number, 1, _SUBMISSION_HEADER), 9)
