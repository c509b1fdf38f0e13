"""MNIST: the IDX files, the train and test splits, and the error every data file raises.

Qt-free, NumPy only. Every problem with a file is raised as :class:`DatasetError` with a
message that names the file, the place in it and what to do, ready to show to the user.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import math
import os
import struct
import zlib
from pathlib import Path
from typing import IO

import numpy as np

from ..fileio import atomic_write, file_kind, open_for_reading, read_error
from ..paths import resources_dir

__all__ = [
    "IMAGE_SIDE",
    "MNIST_DIR",
    "DatasetError",
    "load_mnist",
    "read_idx",
    "to_float",
    "write_idx",
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
# Deflate cannot expand data more than 1,032-fold (258 bytes per 2-bit code), and real digits
# compress about 5-fold (MNIST's train images: 47 MB in 9.7 MB). A gzipped file whose header
# declares over 1,000 times its own size is a bomb or a wrong header: refused before inflating,
# once it declares more than inflating costs little (MNIST's largest file holds 47 MB). Below
# that, inflating tells a truncated or corrupt stream apart, which is the better message.
MAX_GZIP_RATIO = 1000
_INFLATE_FREELY = 1 << 26
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
        with open_for_reading(path) as raw:
            gzipped = raw.read(2) == _GZIP_MAGIC
            raw.seek(0)
            size = os.fstat(raw.fileno()).st_size
            if not gzipped:
                return _read_idx_stream(raw, path, size, None)
            with gzip.GzipFile(fileobj=raw) as stream:
                return _read_idx_stream(stream, path, None, size)
    except MemoryError:
        raise DatasetError(
            f"{path}: not enough memory to hold the data its header declares; "
            "free some memory, or check that this is one of the MNIST files."
        ) from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DatasetError(f"{path}: corrupt gzip stream ({exc}); {_REDOWNLOAD}.") from exc
    except OSError as exc:
        raise DatasetError(read_error(path, exc)) from exc


def _read_idx_stream(
    stream: IO[bytes], path: Path, file_size: int | None, gzip_size: int | None
) -> np.ndarray:
    """The array of an IDX stream: ``file_size`` is that of a raw file, ``gzip_size`` the
    compressed size of a gzipped one (None for the other kind)."""
    dims = _read_idx_header(stream, path)
    expected = math.prod(dims)
    if file_size is not None:
        _check_data_size(path, expected, file_size - (4 + 4 * len(dims)))
    if gzip_size is not None:
        _check_gzip_ratio(path, expected, gzip_size)
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
    what = file_kind(head)
    if what is not None:
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


def _check_gzip_ratio(path: Path, expected: int, gzip_size: int) -> None:
    if expected > max(MAX_GZIP_RATIO * gzip_size, _INFLATE_FREELY):
        raise DatasetError(
            f"{path}: the header declares {expected} bytes of data, but the file is only "
            f"{gzip_size} bytes; gzipped digits never expand over {MAX_GZIP_RATIO}-fold "
            f"(MNIST's about 5-fold), so the header is wrong or this is not MNIST data; "
            f"{_REDOWNLOAD}."
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
    return (to_float(images) if as_float else images), labels


#: Size of the fixed validation split of the training set (``validation_split``).
VALIDATION_SPLIT_SIZE = 5000
#: Seed of that split: changing it changes every figure measured on it.
VALIDATION_SPLIT_SEED = 20261201


def validation_split() -> tuple[np.ndarray, np.ndarray]:
    """The fixed validation split of the MNIST training set: ``(fit_indices, val_indices)``.

    ``VALIDATION_SPLIT_SIZE`` training images, stratified by digit (each digit's share as in the
    training set), drawn with a fixed seed, so every part of DigitPad holds out the same
    images: recipes are chosen, temperatures fitted and "not sure" thresholds set on them, and
    never on the test set. Both index arrays are sorted and together cover 0–59,999 once.
    """
    _, labels = _load_mnist_uint8("train")
    rng = np.random.default_rng(VALIDATION_SPLIT_SEED)
    counts = np.bincount(labels, minlength=10)
    quota = counts * VALIDATION_SPLIT_SIZE / len(labels)
    sizes = np.floor(quota).astype(int)
    # Largest remainders get the images that rounding down left over, so the total is exact.
    sizes[np.argsort(sizes - quota)[: VALIDATION_SPLIT_SIZE - sizes.sum()]] += 1
    picked = [
        rng.choice(np.flatnonzero(labels == d), size=int(sizes[d]), replace=False)
        for d in range(10)
    ]
    val = np.sort(np.concatenate(picked))
    fit = np.setdiff1d(np.arange(len(labels)), val)
    return fit, val


def clear_cache() -> None:
    """Forget the splits read so far: the next ``load_mnist`` reads the files again (after
    ``MNIST_DIR`` changed, say)."""
    _load_mnist_uint8.cache_clear()


def splits_in_memory() -> int:
    """How many splits ``load_mnist`` holds in memory (0, 1 or 2)."""
    return _load_mnist_uint8.cache_info().currsize


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


def to_float(pixels: np.ndarray) -> np.ndarray:
    """uint8 pixels 0–255 → float32 in [0, 1], the same shape."""
    return np.divide(pixels, 255, dtype=np.float32)
