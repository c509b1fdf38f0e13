"""Tests for digitpad.datasets and digitpad.fileio, on the real MNIST files."""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from digitpad.data import kaggle, mnist
from digitpad.data.kaggle import (
    PIXEL_COLUMNS,
    read_kaggle_csv,
    read_submission,
    write_kaggle_csv,
    write_submission,
)
from digitpad.data.mnist import DatasetError, load_mnist, read_idx, write_idx
from digitpad.fileio import atomic_write

MNIST_FILES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
TRAIN_HEADER = ",".join(["label", *PIXEL_COLUMNS])
TEST_HEADER = ",".join(PIXEL_COLUMNS)


@pytest.fixture(scope="module")
def pixels() -> tuple[np.ndarray, np.ndarray]:
    """The first 300 test digits: uint8 images (300, 28, 28) and int64 labels (300,)."""
    images, labels = load_mnist("test", as_float=False)
    return images[:300], labels[:300]


# --- the MNIST files -----------------------------------------------------------------


def test_checksum_file_lists_the_four_mnist_files() -> None:
    listed = [line.split()[1] for line in _checksum_lines()]
    assert sorted(listed) == sorted(MNIST_FILES)


@pytest.mark.parametrize("name", MNIST_FILES)
def test_mnist_file_matches_its_sha256(name: str) -> None:
    expected = {name: digest for digest, name in map(str.split, _checksum_lines())}
    data = (mnist.MNIST_DIR / name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == expected[name]


def _checksum_lines() -> list[str]:
    text = (mnist.MNIST_DIR / "SHA256SUMS").read_text()
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize(("split", "counts"), [("train", TRAIN_COUNTS), ("test", TEST_COUNTS)])
def test_load_mnist_gives_float_images_and_the_known_label_counts(
    split: str, counts: list[int]
) -> None:
    images, labels = load_mnist(split)
    n = sum(counts)
    assert images.shape == (n, 28, 28)
    assert images.dtype == np.float32
    assert (images.min(), images.max()) == (0.0, 1.0)
    assert labels.shape == (n,)
    assert labels.dtype == np.int64
    assert np.bincount(labels, minlength=10).tolist() == counts


def test_load_mnist_uint8_is_cached_read_only_and_matches_the_floats() -> None:
    images, labels = load_mnist("test", as_float=False)
    assert images.dtype == np.uint8
    assert (images.min(), images.max()) == (0, 255)
    again = load_mnist("test", as_float=False)
    assert again[0] is images and again[1] is labels
    with pytest.raises(ValueError, match="read-only"):
        images[0, 0, 0] = 7
    with pytest.raises(ValueError, match="read-only"):
        labels[0] = 7

    floats, _ = load_mnist("test")
    np.testing.assert_array_equal(floats * 255, images)
    floats[:] = 0  # a fresh copy: scribbling on it must not reach the cache
    assert load_mnist("test")[0].max() == 1.0


def test_load_mnist_rejects_an_unknown_split() -> None:
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_mnist("validation")


def test_load_mnist_names_a_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mnist, "MNIST_DIR", tmp_path)
    mnist.clear_cache()
    try:
        with pytest.raises(DatasetError, match="MNIST file not found") as caught:
            load_mnist("test")
        assert str(tmp_path / "t10k-images-idx3-ubyte.gz") in str(caught.value)
    finally:
        mnist.clear_cache()


def test_load_mnist_checks_images_and_labels_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pixels: tuple[np.ndarray, np.ndarray]
) -> None:
    images, labels = pixels
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", images[:10])
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels[:9].astype(np.uint8))
    monkeypatch.setattr(mnist, "MNIST_DIR", tmp_path)
    mnist.clear_cache()
    try:
        with pytest.raises(DatasetError, match=r"holds 10 images but .* holds 9 labels"):
            load_mnist("test")
    finally:
        mnist.clear_cache()


# --- IDX reading and writing -----------------------------------------------------------


@pytest.mark.parametrize("suffix", [".gz", ""])
def test_idx_round_trip(tmp_path: Path, suffix: str, pixels: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = pixels
    for name, array in [("images", images), ("labels", labels.astype(np.uint8))]:
        path = tmp_path / f"{name}.idx{suffix}"
        write_idx(path, array)
        assert (path.read_bytes()[:2] == b"\x1f\x8b") == (suffix == ".gz")
        back = read_idx(path)
        assert back.dtype == np.uint8
        assert back.flags.writeable
        np.testing.assert_array_equal(back, array)


def test_write_idx_produces_the_original_mnist_bytes(tmp_path: Path) -> None:
    _, labels = load_mnist("test", as_float=False)
    write_idx(tmp_path / "labels", labels.astype(np.uint8))
    original = gzip.decompress((mnist.MNIST_DIR / "t10k-labels-idx1-ubyte.gz").read_bytes())
    assert (tmp_path / "labels").read_bytes() == original


def test_write_idx_refuses_what_idx_cannot_hold(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="uint8"):
        write_idx(tmp_path / "x", np.zeros((2, 28, 28), np.float32))
    with pytest.raises(ValueError, match="uint8"):
        write_idx(tmp_path / "x", np.zeros((2, 32, 32), np.uint8))
    assert not list(tmp_path.iterdir())


def _idx(magic: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    return struct.pack(f">{len(dims) + 1}I", magic, *dims) + payload


FIVE = 5 * 784  # bytes of data in five images


def _five_images() -> bytes:
    return load_mnist("test", as_float=False)[0][:5].tobytes()


BAD_IDX = {
    "truncated": (
        lambda: _idx(0x803, (5, 28, 28), _five_images()[:-392]),
        [f"truncated: expected {FIVE} bytes of data, found {FIVE - 392}", "download"],
    ),
    "truncated header": (lambda: _idx(0x803, (5,), b""), ["truncated", "header"]),
    "trailing data": (
        lambda: _idx(0x803, (5, 28, 28), _five_images() + b"extra"),
        [f"expected {FIVE} bytes of data", "trailing data"],
    ),
    "absurd count": (
        lambda: _idx(0x803, (2**32 - 1, 28, 28), _five_images()),
        # Raw: "truncated: expected … found 3920"; gzipped: refused before inflating, below.
        [f"{(2**32 - 1) * 784} bytes of data"],
    ),
    "png": (
        lambda: b"\x89PNG\r\n\x1a\n" + bytes(100),
        ["found magic 0x89504E47", "PNG image", "expected 0x00000801", "0x00000803"],
    ),
    "text": (
        lambda: b"label,pixel0,pixel1\n1,0,0\n",
        ["found magic 0x6C616265", "text", "'labe'", "0x00000803"],
    ),
    "float idx": (
        lambda: _idx(0x00000D03, (5, 28, 28), bytes(FIVE * 4)),
        ["found magic 0x00000D03", "element type 0x0D", "expected 0x00000801"],
    ),
    "32x32": (
        lambda: _idx(0x803, (2, 32, 32), bytes(2 * 32 * 32)),
        ["images are 32×32 pixels, expected 28×28"],
    ),
    "empty": (lambda: b"", ["empty"]),
    "three bytes": (lambda: b"\x00\x00\x08", ["only 3 bytes"]),
}


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize("case", list(BAD_IDX))
def test_bad_idx_file_gets_a_helpful_error(tmp_path: Path, case: str, compress: bool) -> None:
    make, fragments = BAD_IDX[case]
    data = make()
    path = tmp_path / ("bad.gz" if compress else "bad")
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(DatasetError) as caught:
        read_idx(path)
    message = str(caught.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message


def test_cut_gzip_stream_is_reported_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(_idx(0x803, (5, 28, 28), _five_images()))[:-100])
    with pytest.raises(DatasetError, match="corrupt gzip stream") as caught:
        read_idx(path)
    assert "download" in str(caught.value)


def test_gzip_checksum_error_is_reported_as_corrupt(tmp_path: Path) -> None:
    # The CRC sits after the data: this checks that reading stops no earlier than the end.
    data = bytearray(gzip.compress(_idx(0x803, (5, 28, 28), _five_images())))
    data[-8] ^= 0xFF
    path = tmp_path / "crc.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetError, match=r"corrupt gzip stream.*CRC"):
        read_idx(path)


def _gzip_of_zeros(header: bytes, zeros: int) -> bytes:
    """``header`` then ``zeros`` zero bytes, gzipped at deflate's best ratio (about 1,030)."""
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [co.compress(header)]
    block = bytes(1 << 22)
    while zeros > 0:
        parts.append(co.compress(block[: min(zeros, len(block))]))
        zeros -= len(block)
    return b"".join([*parts, co.flush()])


@pytest.fixture
def inflated(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the bytes that gzip streams hand out while the test runs."""
    counts = [0]
    real_read = gzip.GzipFile.read

    def counting_read(self, size=-1):
        data = real_read(self, size)
        counts[0] += len(data)
        return data

    monkeypatch.setattr(gzip.GzipFile, "read", counting_read)
    return counts


def test_gzip_bomb_is_refused_before_inflating(tmp_path: Path, inflated: list[int]) -> None:
    # The bomb in small: 130,000 declared images (102 MB) of zeros in a 99 kB file.
    # (The issue's own, 6,000,000 images in 4.6 MB, took 18 s and 4.7 GB before.)
    n = 130_000
    path = tmp_path / "bomb-images-idx3-ubyte.gz"
    path.write_bytes(_gzip_of_zeros(struct.pack(">4I", 0x803, n, 28, 28), n * 784))
    size = path.stat().st_size
    with pytest.raises(DatasetError) as caught:
        read_idx(path)
    message = str(caught.value)
    assert str(path) in message and f"declares {n * 784} bytes" in message
    assert f"only {size} bytes" in message and "1000-fold" in message
    assert inflated[0] == 16  # the header, and nothing after it


def test_gzipped_blank_images_below_64_mib_still_load(tmp_path: Path) -> None:
    # All-blank images compress as well as a bomb; small sets of them are still read.
    path = tmp_path / "blank.gz"
    path.write_bytes(_gzip_of_zeros(struct.pack(">4I", 0x803, 20_000, 28, 28), 20_000 * 784))
    assert path.stat().st_size * mnist.MAX_GZIP_RATIO < 20_000 * 784
    images = read_idx(path)
    assert images.shape == (20_000, 28, 28) and not images.any()


def test_gzip_holding_more_than_declared_stops_one_byte_past(
    tmp_path: Path, inflated: list[int]
) -> None:
    path = tmp_path / "more.gz"
    path.write_bytes(_gzip_of_zeros(struct.pack(">4I", 0x803, 10, 28, 28), 50_000 * 784))
    with pytest.raises(DatasetError, match="holds more") as caught:
        read_idx(path)
    assert str(path) in str(caught.value)
    assert inflated[0] == 16 + 10 * 784 + 1


def test_missing_idx_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"cannot read .*nothing-here"):
        read_idx(tmp_path / "nothing-here.gz")


# --- Kaggle CSV ------------------------------------------------------------------------


def test_kaggle_train_csv_round_trip(tmp_path: Path, pixels: tuple[np.ndarray, np.ndarray]) -> None:
    images, labels = pixels
    path = tmp_path / "train.csv"
    write_kaggle_csv(path, images / np.float32(255), labels)
    lines = path.read_text().splitlines()
    assert lines[0] == TRAIN_HEADER
    assert lines[1] == ",".join(map(str, [labels[0], *images[0].ravel()]))
    assert len(lines) == 1 + len(images)

    back_images, back_labels = read_kaggle_csv(path)
    assert back_images.dtype == np.float32
    assert back_images.shape == images.shape
    np.testing.assert_array_equal(back_images, load_mnist("test")[0][:300])
    assert back_labels is not None and back_labels.dtype == np.int64
    np.testing.assert_array_equal(back_labels, labels)


def test_kaggle_test_csv_round_trip(tmp_path: Path, pixels: tuple[np.ndarray, np.ndarray]) -> None:
    images, _ = pixels
    path = tmp_path / "test.csv"
    write_kaggle_csv(path, images.reshape(-1, 784))  # uint8 pixels are written as they are
    assert path.read_text().splitlines()[0] == TEST_HEADER
    back_images, back_labels = read_kaggle_csv(path)
    assert back_labels is None
    np.testing.assert_array_equal(back_images * 255, images)


def test_kaggle_csv_with_bom_crlf_blank_lines_and_leading_zeros(
    tmp_path: Path, pixels: tuple[np.ndarray, np.ndarray]
) -> None:
    images, labels = pixels
    lines = _train_lines(images[:3], labels[:3])
    lines[2] = lines[2].replace(",0,", ",000,", 1)  # 3 digits: the fast path
    lines[3] = lines[3].replace(",0,", ",0000,", 1)  # 4 digits: the field-by-field path
    path = tmp_path / "windows.csv"
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n\r\n\r\n").encode())
    back_images, back_labels = read_kaggle_csv(path)
    np.testing.assert_array_equal(back_images * 255, images[:3])
    np.testing.assert_array_equal(back_labels, labels[:3])


def _train_lines(images: np.ndarray, labels: np.ndarray) -> list[str]:
    rows = [",".join(map(str, [y, *x.ravel()])) for x, y in zip(images, labels, strict=True)]
    return [TRAIN_HEADER, *rows]


def _set_field(lines: list[str], line: int, column: int, value: str) -> None:
    """Replace the value at a 1-based line and column, as the error messages count them."""
    fields = lines[line - 1].split(",")
    fields[column - 1] = value
    lines[line - 1] = ",".join(fields)


def _header_typo(lines: list[str]) -> None:
    lines[0] = lines[0].replace("pixel5,", "pixel_5,")


def _no_header(lines: list[str]) -> None:
    del lines[0]


def _extra_header_column(lines: list[str]) -> None:
    lines[0] += ",pixel784"


def _short_row(lines: list[str]) -> None:
    lines[2] = lines[2].rsplit(",", 1)[0]


def _long_row(lines: list[str]) -> None:
    lines[3] += ",0"


def _earlier_bad_value_then_short_row(lines: list[str]) -> None:
    _set_field(lines, 2, 300, "256")
    _short_row(lines)


# Each case: how to spoil a valid 3-row train.csv, and what the message must say.
BAD_CSV = {
    "header typo": (_header_typo, ["line 1, column 7", "'pixel_5'", "'pixel5' was expected"]),
    "no header": (_no_header, ["line 1, column 1", "label,pixel0,…,pixel783"]),
    "extra header column": (_extra_header_column, ["line 1", "786 columns, expected 785"]),
    "short row": (_short_row, ["line 3", "too short", "column 785 ('pixel783')"]),
    "long row": (_long_row, ["line 4", "too long", "column 786"]),
    "letters": (
        lambda lines: _set_field(lines, 2, 100, "abc"),
        ["line 2, column 100 ('pixel98')", "'abc' is not a whole number"],
    ),
    "decimal point": (
        lambda lines: _set_field(lines, 3, 50, "12.5"),
        ["line 3, column 50 ('pixel48')", "'12.5' is not a whole number"],
    ),
    "empty value": (
        lambda lines: _set_field(lines, 4, 785, ""),
        ["line 4, column 785 ('pixel783')", "missing"],
    ),
    "256": (
        lambda lines: _set_field(lines, 3, 200, "256"),
        ["line 3, column 200 ('pixel198')", "pixel value 256 is outside 0–255"],
    ),
    "1000": (
        lambda lines: _set_field(lines, 2, 2, "1000"),
        ["line 2, column 2 ('pixel0')", "pixel value 1000 is outside 0–255"],
    ),
    "70000": (
        lambda lines: _set_field(lines, 3, 3, "70000"),
        ["line 3, column 3 ('pixel1')", "pixel value 70000 is outside 0–255"],
    ),
    "20 digits": (
        lambda lines: _set_field(lines, 3, 4, "9" * 20),
        ["line 3, column 4 ('pixel2')", f"pixel value {'9' * 20} is outside 0–255"],
    ),
    "-1": (
        lambda lines: _set_field(lines, 4, 2, "-1"),
        ["line 4, column 2 ('pixel0')", "pixel value -1 is outside 0–255"],
    ),
    "label 10": (
        lambda lines: _set_field(lines, 2, 1, "10"),
        ["line 2, column 1 ('label')", "label 10 is outside 0–9"],
    ),
    "first error wins": (
        _earlier_bad_value_then_short_row,
        ["line 2, column 300 ('pixel298')", "256"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_CSV))
def test_malformed_kaggle_csv_names_line_and_column(
    tmp_path: Path, case: str, pixels: tuple[np.ndarray, np.ndarray]
) -> None:
    spoil, fragments = BAD_CSV[case]
    lines = _train_lines(pixels[0][:3], pixels[1][:3])
    spoil(lines)
    path = tmp_path / "train.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DatasetError) as caught:
        read_kaggle_csv(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    for fragment in fragments:
        assert fragment in message


def test_bad_value_in_test_csv_format(
    tmp_path: Path, pixels: tuple[np.ndarray, np.ndarray]
) -> None:
    lines = [line.split(",", 1)[1] for line in _train_lines(pixels[0][:3], pixels[1][:3])]
    _set_field(lines, 3, 1, "300")
    path = tmp_path / "test.csv"
    path.write_text("\n".join(lines))
    with pytest.raises(DatasetError, match=r"line 3, column 1 \('pixel0'\): pixel value 300"):
        read_kaggle_csv(path)


def test_bad_value_far_into_the_file_gets_the_right_line(
    tmp_path: Path, pixels: tuple[np.ndarray, np.ndarray]
) -> None:
    # 2,000 rows spans several parse batches, and a blank line shifts the count by one.
    images, labels = np.tile(pixels[0], (7, 1, 1))[:2000], np.tile(pixels[1], 7)[:2000]
    lines = _train_lines(images, labels)
    lines.insert(10, "")
    _set_field(lines, 1500, 400, "x")
    path = tmp_path / "train.csv"
    path.write_text("\n".join(lines))
    with pytest.raises(DatasetError, match=r"line 1500, column 400 \('pixel398'\): 'x'"):
        read_kaggle_csv(path)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("", "the file is empty"),
        (TRAIN_HEADER + "\n", "no data rows after the header"),
        (TEST_HEADER + "\n\n\n", "no data rows after the header"),
    ],
    ids=["empty", "train header only", "test header only"],
)
def test_kaggle_csv_without_data(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "train.csv"
    path.write_text(content)
    with pytest.raises(DatasetError, match=fragment):
        read_kaggle_csv(path)


def test_kaggle_csv_over_max_bytes_is_refused(
    tmp_path: Path, pixels: tuple[np.ndarray, np.ndarray]
) -> None:
    path = tmp_path / "train.csv"
    write_kaggle_csv(path, pixels[0][:3], pixels[1][:3])
    size = path.stat().st_size
    with pytest.raises(DatasetError, match=f"{size:,} bytes, over the limit of 1,000 bytes"):
        read_kaggle_csv(path, max_bytes=1000)
    assert read_kaggle_csv(path, max_bytes=size)[1] is not None


def test_binary_file_as_csv_gets_a_short_message(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_bytes((mnist.MNIST_DIR / "t10k-images-idx3-ubyte.gz").read_bytes()[:200_000])
    with pytest.raises(DatasetError, match="is a gzip file, not a CSV: decompress") as caught:
        read_kaggle_csv(path)
    assert len(str(caught.value)) < 500


def test_write_kaggle_csv_checks_its_input(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        write_kaggle_csv(path, np.full((1, 28, 28), 1.5, np.float32))
    with pytest.raises(ValueError, match="0–9"):
        write_kaggle_csv(path, np.zeros((2, 28, 28), np.float32), np.array([1, 12]))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        write_kaggle_csv(path, np.zeros((2, 28, 28), np.float32), np.array([1]))
    assert not path.exists()


# --- submissions -----------------------------------------------------------------------


def test_submission_round_trip(tmp_path: Path, pixels: tuple[np.ndarray, np.ndarray]) -> None:
    labels = pixels[1]
    path = tmp_path / "submission.csv"
    write_submission(path, labels)
    lines = path.read_text().splitlines()
    assert lines[:3] == ["ImageId,Label", f"1,{labels[0]}", f"2,{labels[1]}"]
    assert len(lines) == 1 + len(labels)
    back = read_submission(path)
    assert back.dtype == np.int64
    np.testing.assert_array_equal(back, labels)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("ImageId,Labels\n1,7\n", "line 1, column 2: the header has 'Labels'"),
        ("ImageId,Label\n1,7\n3,2\n", "line 3, column 1 ('ImageId'): ImageId 3 where 2"),
        ("ImageId,Label\n1,7\n2,10\n", "line 3, column 2 ('Label'): label 10 is outside 0–9"),
        ("ImageId,Label\n1,seven\n", "line 2, column 2 ('Label'): 'seven' is not a whole"),
        ("ImageId,Label\n1,7,0\n", "line 2: the row is too long"),
        ("", "the file is empty"),
    ],
)
def test_malformed_submission(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "submission.csv"
    path.write_text(content)
    with pytest.raises(DatasetError) as caught:
        read_submission(path)
    assert fragment in str(caught.value)


# --- atomic writes ---------------------------------------------------------------------


def test_atomic_write_replaces_the_file_on_success(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"old")
    with atomic_write(path) as f:
        f.write(b"new")
    assert path.read_bytes() == b"new"
    with atomic_write(path, "w") as f:
        f.write("text\n")
    assert path.read_bytes() == b"text\n"
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_atomic_write_keeps_the_old_file_when_the_writer_fails(
    tmp_path: Path, error: type[BaseException]
) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"good old model")
    with pytest.raises(error), atomic_write(path) as f:
        f.write(b"half a new mod")
        f.flush()
        raise error
    assert path.read_bytes() == b"good old model"
    assert list(tmp_path.iterdir()) == [path]


def test_kaggle_csv_writer_failing_midway_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pixels: tuple[np.ndarray, np.ndarray]
) -> None:
    path = tmp_path / "train.csv"
    path.write_text("the old file")

    def header_then_crash(f: object, header: tuple[str, ...], rows: np.ndarray) -> None:
        f.write(",".join(header) + "\n")  # type: ignore[attr-defined]
        raise OSError("disk full")

    monkeypatch.setattr(kaggle, "_write_csv_rows", header_then_crash)
    with pytest.raises(OSError, match="disk full"):
        write_kaggle_csv(path, pixels[0][:3], pixels[1][:3])
    assert path.read_text() == "the old file"
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.skipif(os.name != "posix", reason="file modes are a POSIX notion")
def test_atomic_write_gives_the_usual_permissions(tmp_path: Path) -> None:
    (tmp_path / "plain").write_bytes(b"")
    with atomic_write(tmp_path / "atomic") as f:
        f.write(b"")
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes["atomic"] == modes["plain"]


def test_atomic_write_rejects_other_modes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'wb' or 'w'"), atomic_write(tmp_path / "x", "ab"):
        pass


def test_every_known_file_signature_has_advice_for_a_csv(tmp_path: Path) -> None:
    """The one table of file signatures (fileio) and the CSV reader's advice cover each other:
    each known kind given as a CSV gets its own words, never a crash."""
    from digitpad.fileio import SIGNATURES

    for number, (magic, kind) in enumerate(SIGNATURES):
        path = tmp_path / f"file{number}.csv"
        path.write_bytes(magic + b"\x00" * 64)
        with pytest.raises(DatasetError, match=f"is {kind}, not a CSV: "):
            read_kaggle_csv(path)


def test_validation_split_is_fixed_stratified_and_disjoint():
    from digitpad.data import mnist

    fit, val = mnist.validation_split()
    again_fit, again_val = mnist.validation_split()
    assert np.array_equal(val, again_val) and np.array_equal(fit, again_fit)
    assert len(val) == mnist.VALIDATION_SPLIT_SIZE
    assert len(np.intersect1d(fit, val)) == 0 and len(fit) + len(val) == 60000
    _, y = mnist.load_mnist("train", as_float=False)
    share = np.bincount(y[val], minlength=10) / len(val)
    assert np.abs(share - np.bincount(y, minlength=10) / len(y)).max() < 0.001
