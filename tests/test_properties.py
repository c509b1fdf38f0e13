"""Property-based tests of every reader: random and mutated files, random arrays.

Each reader either returns what it documents or raises its documented ``ValueError`` (for the
data files the subclass ``DatasetError``) with a message that names the file; any other
exception, a hang (past the deadline) or a memory blow-up fails. The mutations start from real
files: MNIST digits written as IDX, Kaggle CSV and images in each format load_image reads.
"""

from __future__ import annotations

import gzip
import io
import struct
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

try:
    import resource
except ImportError:  # not on Windows: memory is then not watched
    resource = None

from digitpad.data import mnist
from digitpad.data.kaggle import read_kaggle_csv, write_kaggle_csv
from digitpad.data.mnist import DatasetError, read_idx, write_idx
from digitpad.preprocess import load_image, to_mnist

# Deadlines are generous because the machine running the suite may be busy; an example that
# takes seconds is a hang for files of a few kilobytes.
FILES = settings(
    max_examples=300,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
MAX_GROWTH_MB = 512  # peak resident memory a whole test may add
# Bytes that mean something to the readers: CSV separators, numbers out of range, a BOM,
# IDX magics and dimensions.
TOKENS = [
    b",",
    b"\n",
    b"\r\n",
    b" ",
    b"-1",
    b"256",
    b"10",
    b"1e3",
    b"\x00",
    b"\xef\xbb\xbf",
    b"label",
    b"pixel0",
    b"\xff\xff\xff\xff",
    b"\x00\x00\x08\x03",
    b"\x00\x00\x08\x01",
    struct.pack(">I", 28),
    struct.pack(">I", 6_000_000),
]


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    images, labels = mnist.load_mnist("test", as_float=False)
    return images[:4], labels[:4].astype(np.uint8)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties")


@pytest.fixture(autouse=True)
def _bounded_memory():
    before = _peak_rss_mb()
    yield
    assert _peak_rss_mb() - before < MAX_GROWTH_MB


def _peak_rss_mb() -> float:
    if resource is None:
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """One of ``seeds`` with one to four bytes flipped, runs cut, inserted or overwritten."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        # Most formats keep their decisions in the first bytes: aim there half the time.
        pos = draw(st.integers(0, min(len(data), 64)) | st.integers(0, len(data)))
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "overwrite"]))
        chunk = draw(st.binary(min_size=1, max_size=16) | st.sampled_from(TOKENS))
        if kind == "flip" and pos < len(data):
            data[pos] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del data[pos:]
        elif kind == "insert":
            data[pos:pos] = chunk
        elif kind == "delete":
            del data[pos : pos + draw(st.integers(1, 64))]
        else:
            data[pos : pos + len(chunk)] = chunk
    return bytes(data)


def _outcome(read: Callable[[Path], object], path: Path, content: bytes, error: type) -> object:
    """What ``read(path)`` returns for a file holding ``content``, or None if it raised
    ``error`` with a message naming the file (any other exception propagates)."""
    path.write_bytes(content)
    try:
        return read(path)
    except error as exc:
        message = str(exc)
        assert message.strip() and str(path) in message, message
        return None


# --------------------------------------------------------------------------- read_idx


def _idx_bytes(array: np.ndarray, workdir: Path) -> bytes:
    path = workdir / "seed.idx"
    write_idx(path, array)
    return path.read_bytes()


@pytest.fixture(scope="module")
def idx_seeds(digits, workdir) -> list[bytes]:
    images, labels = digits
    return [_idx_bytes(images, workdir), _idx_bytes(labels, workdir)]


def _check_idx(path: Path, content: bytes) -> None:
    array = _outcome(read_idx, path, content, DatasetError)
    if array is None:
        return
    assert isinstance(array, np.ndarray) and array.dtype == np.uint8
    assert array.ndim == 1 or array.shape[1:] == (28, 28)


@FILES
@given(content=st.binary(max_size=4096), compress=st.booleans())
def test_read_idx_on_random_bytes(workdir, content, compress):
    _check_idx(workdir / "random.idx", gzip.compress(content) if compress else content)


@FILES
@given(data=st.data(), compress=st.sampled_from(["no", "before", "after"]))
def test_read_idx_on_mutated_mnist_files(workdir, idx_seeds, data, compress):
    # Mutated before gzip: the IDX checks see the damage. After: the gzip checks do.
    seeds = [gzip.compress(s) for s in idx_seeds] if compress == "after" else idx_seeds
    content = data.draw(mutated(seeds))
    _check_idx(workdir / "mutated.idx", gzip.compress(content) if compress == "before" else content)


def test_read_idx_reads_the_seeds_back(workdir, idx_seeds, digits):
    # The mutation tests mean something only if the unmutated seeds load.
    for seed, expected in zip(idx_seeds, digits, strict=True):
        for content in (seed, gzip.compress(seed)):
            np.testing.assert_array_equal(
                _outcome(read_idx, workdir / "seed.idx", content, DatasetError), expected
            )


# --------------------------------------------------------------------------- Kaggle CSV


@pytest.fixture(scope="module")
def csv_seeds(digits, workdir) -> list[bytes]:
    images, labels = digits
    write_kaggle_csv(workdir / "train.csv", images[:3], labels[:3])
    write_kaggle_csv(workdir / "test.csv", images[:2])
    return [(workdir / name).read_bytes() for name in ("train.csv", "test.csv")]


def _check_csv(path: Path, content: bytes) -> None:
    result = _outcome(read_kaggle_csv, path, content, DatasetError)
    if result is None:
        return
    images, labels = result
    assert images.dtype == np.float32 and images.shape[1:] == (28, 28) and len(images) >= 1
    assert images.min() >= 0 and images.max() <= 1
    if labels is not None:
        assert labels.dtype == np.int64 and labels.shape == (len(images),)
        assert labels.min() >= 0 and labels.max() <= 9


@FILES
@given(content=st.binary(max_size=4096) | st.text(max_size=2048).map(str.encode))
def test_kaggle_csv_on_random_bytes(workdir, content):
    _check_csv(workdir / "random.csv", content)


@FILES
@given(data=st.data())
def test_kaggle_csv_on_mutated_files(workdir, csv_seeds, data):
    _check_csv(workdir / "mutated.csv", data.draw(mutated(csv_seeds)))


def test_kaggle_csv_reads_the_seeds_back(workdir, csv_seeds, digits):
    images, labels = _outcome(read_kaggle_csv, workdir / "seed.csv", csv_seeds[0], DatasetError)
    np.testing.assert_array_equal(np.rint(images * 255), digits[0][:3])
    np.testing.assert_array_equal(labels, digits[1][:3])


# --------------------------------------------------------------------------- load_image


def _image_bytes(image: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt)
    return buf.getvalue()


@pytest.fixture(scope="module")
def image_seeds(digits) -> list[bytes]:
    digit = Image.fromarray(digits[0][0]).resize((56, 56))
    paper = Image.fromarray(255 - np.asarray(digit))
    unit = np.asarray(digit, np.float32) / 255
    return [
        _image_bytes(digit, "PNG"),
        _image_bytes(paper.convert("RGB"), "JPEG"),
        _image_bytes(paper, "BMP"),
        _image_bytes(paper.convert("P"), "GIF"),
        _image_bytes(Image.fromarray(unit, "F"), "TIFF"),
        _image_bytes(Image.fromarray(np.rint(unit * 4095).astype(np.uint16)), "PNG"),
        _image_bytes(digit.convert("LA"), "PNG"),
    ]


def _check_image(path: Path, content: bytes) -> None:
    out = _outcome(load_image, path, content, ValueError)
    if out is None:
        return
    assert isinstance(out, np.ndarray) and out.shape == (28, 28) and out.dtype == np.float32
    assert np.all(np.isfinite(out)) and out.min() >= 0 and out.max() <= 1


@FILES
@given(content=st.binary(max_size=4096))
def test_load_image_on_random_bytes(workdir, content):
    _check_image(workdir / "random.png", content)


@FILES
@given(data=st.data())
def test_load_image_on_mutated_images(workdir, image_seeds, data):
    _check_image(workdir / "mutated.img", data.draw(mutated(image_seeds)))


def test_load_image_reads_the_seeds_back(workdir, image_seeds):
    reference = _outcome(load_image, workdir / "seed.img", image_seeds[0], ValueError)
    for seed in image_seeds:
        out = _outcome(load_image, workdir / "seed.img", seed, ValueError)
        assert np.abs(out - reference).mean() < 0.06


# --------------------------------------------------------------------------- to_mnist

ANY_DTYPE = (
    hnp.boolean_dtypes()
    | hnp.integer_dtypes()
    | hnp.unsigned_integer_dtypes()
    | hnp.floating_dtypes()
    | hnp.complex_number_dtypes()
    | hnp.datetime64_dtypes()
    | hnp.timedelta64_dtypes()
    | hnp.byte_string_dtypes()
    | hnp.unicode_string_dtypes()
)
SHAPES = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=48)


@settings(max_examples=400, deadline=timedelta(seconds=5))
@given(image=hnp.arrays(ANY_DTYPE, SHAPES))
def test_to_mnist_on_random_arrays(image):
    try:
        out = to_mnist(image)
    except ValueError as exc:
        assert str(exc).strip()
        numeric_finite = image.dtype.kind in "biuf" and np.all(np.isfinite(image))
        assert image.ndim != 2 or not numeric_finite, exc
        return
    assert image.ndim == 2 and image.dtype.kind in "biuf"
    if out is not None:
        assert out.shape == (28, 28) and out.dtype == np.float32
        assert np.all(np.isfinite(out)) and out.min() >= 0 and out.max() == pytest.approx(1)


@settings(max_examples=50, deadline=timedelta(seconds=5))
@given(image=hnp.arrays(object, hnp.array_shapes(min_dims=2, max_dims=2, max_side=8)))
def test_to_mnist_refuses_object_arrays(image):
    with pytest.raises(ValueError, match="numbers"):
        to_mnist(image)
