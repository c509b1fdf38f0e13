"""Digit data sets: MNIST IDX files and Kaggle Digit Recognizer CSVs and submissions.

Qt-free, NumPy only. Every problem with a file is raised as :class:`DatasetError` with a
message that names the file, the place in it and what to do, ready to show to the user.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import itertools
import math
import os
import re
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np

from .fileio import atomic_write
from .paths import resources_dir

__all__ = [
    "MNIST_DIR",
    "PIXEL_COLUMNS",
    "DatasetError",
    "load_mnist",
    "read_idx",
    "read_kaggle_csv",
    "read_submission",
    "resources_dir",
    "write_idx",
    "write_kaggle_csv",
    "write_submission",
]

StrPath = str | os.PathLike[str]


class DatasetError(ValueError):
    """A data file is missing, corrupt or not in the expected format.

    The message names the file, where the problem is and what to do about it.
    """


# --- where the data lives -------------------------------------------------------------

#: Folder holding the four MNIST ``.gz`` files (inside the package when installed from a wheel).
MNIST_DIR: Path = resources_dir() / "mnist"

# --- MNIST IDX files ------------------------------------------------------------------

IMAGE_SIDE = 28
_LABELS_MAGIC = 0x00000801
_IMAGES_MAGIC = 0x00000803
_IDX_NDIM = {_LABELS_MAGIC: 1, _IMAGES_MAGIC: 3}
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20
_SIGNATURES = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"PK\x03\x04": "a ZIP archive",
    b"%PDF": "a PDF document",
    b"BZh": "a bzip2 file",
    b"\xfd7zX": "an xz file",
}
_REDOWNLOAD = "download the MNIST files again (resources/mnist/SHA256SUMS has their checksums)"
_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def read_idx(path: StrPath) -> np.ndarray:
    """Read an MNIST IDX file, gzipped or raw (told apart by the gzip magic bytes ``1f 8b``).

    Returns uint8 labels ``(N,)`` for an idx1 file or uint8 images ``(N, 28, 28)`` for an
    idx3 file. The header's declared size is checked against the data actually present before
    anything that large is allocated. Raises :class:`DatasetError` for a missing, empty,
    truncated, corrupt or foreign file.
    """
    path = Path(path)
    try:
        with open(path, "rb") as raw:
            gzipped = raw.read(2) == _GZIP_MAGIC
            raw.seek(0)
            if not gzipped:
                return _read_idx_stream(raw, path, os.fstat(raw.fileno()).st_size)
            with gzip.GzipFile(fileobj=raw) as stream:
                return _read_idx_stream(stream, path, None)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DatasetError(f"{path}: corrupt gzip stream ({exc}); {_REDOWNLOAD}.") from exc
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _read_idx_stream(stream: IO[bytes], path: Path, file_size: int | None) -> np.ndarray:
    dims = _read_idx_header(stream, path)
    expected = math.prod(dims)
    if file_size is not None:
        _check_data_size(path, expected, file_size - (4 + 4 * len(dims)))
    # A gzip stream's size is unknown until read; one byte over the declared size tells a
    # file with trailing data from an exact one without ever reading more than that.
    data = _read_at_most(stream, expected + 1)
    _check_data_size(path, expected, len(data))
    return np.frombuffer(data, np.uint8).reshape(dims)


def _read_idx_header(stream: IO[bytes], path: Path) -> tuple[int, ...]:
    head = stream.read(4)
    if not head:
        raise DatasetError(f"{path}: the file is empty; {_REDOWNLOAD}.")
    if len(head) < 4:
        raise DatasetError(
            f"{path}: only {len(head)} bytes, too short to be an IDX file; {_REDOWNLOAD}."
        )
    magic = int.from_bytes(head, "big")
    ndim = _IDX_NDIM.get(magic)
    if ndim is None:
        raise DatasetError(
            f"{path}: not an MNIST IDX file: found magic 0x{magic:08X}{_describe_magic(head)}, "
            f"expected 0x{_LABELS_MAGIC:08X} (labels) or 0x{_IMAGES_MAGIC:08X} (images). "
            f"Check that this is one of the four MNIST files, or {_REDOWNLOAD}."
        )
    raw_dims = stream.read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise DatasetError(f"{path}: truncated: the IDX header is incomplete; {_REDOWNLOAD}.")
    dims = struct.unpack(f">{ndim}I", raw_dims)
    if ndim == 3 and dims[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DatasetError(
            f"{path}: images are {dims[1]}×{dims[2]} pixels, expected 28×28; "
            "only MNIST-format digits can be loaded."
        )
    return dims


def _describe_magic(head: bytes) -> str:
    for signature, what in _SIGNATURES.items():
        if head.startswith(signature):
            return f" ({what})"
    if head[:2] == b"\0\0":
        return f" (an IDX file of element type 0x{head[2]:02X} with {head[3]} dimensions)"
    if all(32 <= byte < 127 or byte in b"\t\r\n" for byte in head):
        return f" (text starting {head.decode('ascii')!r})"
    return ""


def _check_data_size(path: Path, expected: int, found: int) -> None:
    if found < expected:
        raise DatasetError(
            f"{path}: truncated: expected {expected} bytes of data, found {found}. "
            f"The file is incomplete; {_REDOWNLOAD}."
        )
    if found > expected:
        raise DatasetError(
            f"{path}: expected {expected} bytes of data but the file holds more: it has "
            f"trailing data or a wrong header; {_REDOWNLOAD}."
        )


def _read_at_most(stream: IO[bytes], limit: int) -> bytearray:
    # Chunked so that a header declaring gigabytes costs only as much memory as the file
    # really holds; a bytearray keeps the array that NumPy makes from it writable.
    data = bytearray()
    while len(data) < limit:
        chunk = stream.read(min(_CHUNK, limit - len(data)))
        if not chunk:
            break
        data += chunk
    return data


def write_idx(path: StrPath, array: np.ndarray) -> None:
    """Write uint8 labels ``(N,)`` or uint8 images ``(N, 28, 28)`` as an IDX file, atomically.

    The file is gzipped if ``path`` ends in ``.gz``.
    """
    array = np.asarray(array)
    magic = {1: _LABELS_MAGIC, 3: _IMAGES_MAGIC}.get(array.ndim)
    if array.dtype != np.uint8 or magic is None or array.shape[1:] not in ((), (28, 28)):
        raise ValueError(
            "write_idx takes uint8 labels (N,) or uint8 images (N, 28, 28), "
            f"got {array.dtype} {array.shape}"
        )
    header = struct.pack(f">{array.ndim + 1}I", magic, *array.shape)
    with atomic_write(path) as f, _maybe_gzip(f, str(path).endswith(".gz")) as out:
        out.write(header)
        out.write(np.ascontiguousarray(array).data)


def _maybe_gzip(f: IO[bytes], compress: bool) -> contextlib.AbstractContextManager[IO[bytes]]:
    if not compress:
        return contextlib.nullcontext(f)
    # mtime=0 and no file name: the same array always gives the same bytes.
    return gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0)


def load_mnist(split: str = "train", as_float: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Load the MNIST ``"train"`` (60,000 digits) or ``"test"`` (10,000 digits) split.

    Returns ``(images, labels)``: images ``(N, 28, 28)`` float32 in [0, 1] (uint8 0–255 if
    ``as_float`` is False) and labels ``(N,)`` int64 in 0–9. The files are read once per
    process; the uint8 images and the labels are those cached arrays, made read-only, while
    float images are a fresh array on each call.
    """
    if split not in _MNIST_FILES:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    images, labels = _load_mnist_uint8(split)
    return (_to_float(images) if as_float else images), labels


@functools.cache
def _load_mnist_uint8(split: str) -> tuple[np.ndarray, np.ndarray]:
    image_path, label_path = (MNIST_DIR / name for name in _MNIST_FILES[split])
    images = _read_mnist_file(image_path, ndim=3)
    labels = _read_mnist_file(label_path, ndim=1)
    if len(images) != len(labels):
        raise DatasetError(
            f"{image_path} holds {len(images)} images but {label_path} holds "
            f"{len(labels)} labels; {_REDOWNLOAD}."
        )
    if labels.size and labels.max() > 9:
        raise DatasetError(f"{label_path}: label {labels.max()} is outside 0–9; {_REDOWNLOAD}.")
    labels = labels.astype(np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _read_mnist_file(path: Path, ndim: int) -> np.ndarray:
    if not path.is_file():
        raise DatasetError(
            f"MNIST file not found: {path}. Put the four MNIST .gz files in {MNIST_DIR}; "
            "SHA256SUMS there lists them."
        )
    array = read_idx(path)
    if array.ndim != ndim:
        kinds = {1: "labels", 3: "images"}
        raise DatasetError(
            f"{path} holds {kinds[array.ndim]} where {kinds[ndim]} were expected; "
            f"the MNIST files may have been renamed or swapped, {_REDOWNLOAD}."
        )
    return array


def _to_float(pixels: np.ndarray) -> np.ndarray:
    return np.divide(pixels, 255, dtype=np.float32)


# --- Kaggle Digit Recognizer CSV ------------------------------------------------------

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
# Looking the text up is three times faster than calling str() on each of 33 million values.
_DECIMAL = tuple(str(i) for i in range(256))
_INTEGER = re.compile(r"[+-]?[0-9]+")


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
    _check_file_size(path, max_bytes)
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            lines = _numbered_lines(f, path)
            header = _read_header(lines, path)
            rows = _read_pixel_rows(lines, path, header)
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from exc
    images = _to_float(rows[:, -len(PIXEL_COLUMNS) :]).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    labels = rows[:, 0].astype(np.int64) if header is _TRAIN_HEADER else None
    return images, labels


def _check_file_size(path: Path, max_bytes: int) -> None:
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from exc
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
    # Vectorised over the whole batch: about four times faster than a regex per row.
    text = np.frombuffer((",".join(rows) + ",").encode("ascii", "replace"), np.uint8)
    commas = np.flatnonzero(text == ord(","))
    field_widths = np.diff(commas, prepend=-1) - 1
    n_digits = np.count_nonzero(text - ord("0") < 10)  # uint8 wraps: below "0" is large
    return (
        n_digits + len(commas) == len(text) and field_widths.min() >= 1 and field_widths.max() <= 3
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
    labels = _check_labels(labels, None)
    with atomic_write(path, "w") as f:
        f.write(",".join(_SUBMISSION_HEADER) + "\n")
        f.writelines(f"{i},{label}\n" for i, label in enumerate(labels.tolist(), start=1))


def read_submission(path: StrPath, *, max_bytes: int = _MAX_BYTES) -> np.ndarray:
    """Read a Kaggle submission (``ImageId,Label``; ImageIds 1, 2, 3, … in order).

    Returns the labels ``(N,)`` int64 in 0–9, label ``i`` being that of ImageId ``i + 1``.
    """
    path = Path(path)
    _check_file_size(path, max_bytes)
    hint = "the first line must be the header 'ImageId,Label'"
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            lines = _numbered_lines(f, path)
            first = next(lines, None)
            if first is None:
                raise DatasetError(f"{path}: the file is empty; {hint}.")
            names = [name.strip() for name in first[1].split(",")]
            _check_header(path, names, _SUBMISSION_HEADER, hint)
            labels = _read_submission_rows(lines, path)
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from exc
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
