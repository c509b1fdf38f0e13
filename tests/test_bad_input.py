"""Bad input, every way in: a clear message, no crash, nothing lost.

One table per kind of input (images, data files, models). Each case builds its file in a fresh
folder and is driven through the real ways in: the command line (``digitpad.cli.main``), the
window (``MainWindow.open_image``) and ``read_idx`` for MNIST files. A bad input must give one
line on stderr that names the file (or model) and says what is wrong, a non-zero exit, and leave
every file as it was; in the window, ``open_image`` returns False, the status bar says why and
the drawing stays. A few inputs that look odd but are valid (16-bit, CMYK, animated) must work.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import shutil
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitpad import cli, models
from digitpad.data.mnist import DatasetError, read_idx, write_idx
from digitpad.models.keras_file import load_keras
from digitpad.models.store import load_npz, read_meta, write_model_dir
from digitpad.preprocess import load_image


@dataclass(frozen=True)
class Case:
    id: str
    build: Callable[[Path], Path]  # folder → the file (or model name, for models) to feed in
    expect: str | None  # a fragment of the message; None: the input is valid and must work


def _param(cases: list[Case]) -> list:
    return [pytest.param(c, id=c.id) for c in cases]


def _fingerprint(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` → SHA-256 of its content (sparse files hashed by size)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            size = p.stat().st_size
            out[str(p.relative_to(folder))] = (
                f"size {size}" if size > 1 << 26 else hashlib.sha256(p.read_bytes()).hexdigest()
            )
    return out


def _run_cli(argv: list[str], capfd) -> tuple[int, str, str]:
    capfd.readouterr()
    rc = cli.main([str(a) for a in argv])
    out, err = capfd.readouterr()
    return rc, out, err


def _assert_one_line_error(rc: int, err: str, fragment: str, names: str) -> None:
    assert rc == cli.EXIT_BAD_INPUT, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert fragment in lines[0], lines[0]
    assert names in lines[0], lines[0]


# --------------------------------------------------------------------------- images


def _digit_picture(size: int = 200) -> Image.Image:
    """A '7' in black ink on white paper, mode L."""
    img = Image.new("L", (size, size), 255)
    d = ImageDraw.Draw(img)
    s = size / 200
    d.line([(50 * s, 40 * s), (150 * s, 40 * s), (90 * s, 170 * s)], fill=0, width=int(18 * s))
    return img


def _png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _truncated_png(d: Path) -> Path:
    p = d / "truncated.png"
    data = _png_bytes(_digit_picture().convert("RGB").resize((600, 600)))
    p.write_bytes(data[: len(data) // 2])
    return p


def _text_as_png(d: Path) -> Path:
    p = d / "notes.png"
    p.write_text("shopping list: milk, eggs\n")
    return p


def _zero_bytes(d: Path) -> Path:
    p = d / "empty.png"
    p.write_bytes(b"")
    return p


def _one_pixel(d: Path) -> Path:
    p = d / "dot.png"
    Image.new("L", (1, 1), 0).save(p)
    return p


def _bomb(d: Path) -> Path:
    """A 300-byte PNG whose header claims 20,000×20,000 pixels (IHDR patched, CRC fixed)."""
    data = bytearray(_png_bytes(Image.new("1", (8, 8), 0)))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", 20_000, 20_000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    p = d / "bomb.png"
    p.write_bytes(bytes(data))
    return p


def _sixteen_bit(d: Path) -> Path:
    p = d / "deep.png"
    a = np.asarray(_digit_picture(), dtype=np.uint16) * 257  # 0..65535
    Image.fromarray(a).save(p)
    assert Image.open(p).mode.startswith("I")
    return p


def _cmyk_jpeg(d: Path) -> Path:
    p = d / "print.jpg"
    _digit_picture().convert("CMYK").save(p, "JPEG", quality=95)
    assert Image.open(p).mode == "CMYK"
    return p


def _cmyk_tiff(d: Path) -> Path:
    p = d / "print.tif"
    _digit_picture().convert("CMYK").save(p, "TIFF")
    assert Image.open(p).mode == "CMYK"
    return p


def _animated_gif(d: Path) -> Path:
    p = d / "moving.gif"
    first = _digit_picture().convert("P")
    second = Image.new("L", (200, 200), 255).convert("P")  # blank: only the first frame has ink
    first.save(p, save_all=True, append_images=[second], duration=200, loop=0)
    assert Image.open(p).n_frames == 2
    return p


def _transparent_no_ink(d: Path) -> Path:
    p = d / "clear.png"
    Image.new("RGBA", (100, 100), (0, 0, 0, 0)).save(p)
    return p


def _symlink_loop(d: Path, name: str) -> Path:
    p = d / name
    p.symlink_to(name)
    return p


IMAGE_CASES = [
    Case("truncated-png", _truncated_png, "damaged or truncated"),
    Case(
        "symlink-loop-png",
        lambda d: _symlink_loop(d, "loop.png"),
        "too many levels of symbolic links",
    ),
    Case("text-named-png", _text_as_png, "not an image file"),
    Case("zero-byte-file", _zero_bytes, "not an image file"),
    Case("1x1-image", _one_pixel, "no digit found"),
    Case("20000x20000-bomb", _bomb, "refused"),
    Case("transparent-no-ink", _transparent_no_ink, "no digit found"),
    Case("16-bit-png", _sixteen_bit, None),
    Case("cmyk-jpeg", _cmyk_jpeg, None),
    Case("cmyk-tiff", _cmyk_tiff, None),
    Case("animated-gif", _animated_gif, None),
]


@pytest.mark.parametrize("case", _param(IMAGE_CASES))
def test_image_on_the_command_line(case, tmp_path, capfd, isolated_settings):
    folder = tmp_path / "case"
    folder.mkdir()
    path = case.build(folder)
    before = _fingerprint(folder)
    rc, out, err = _run_cli(["predict", path], capfd)
    assert _fingerprint(folder) == before
    if case.expect is None:
        assert rc == 0, err
        assert "Traceback" not in err
        assert out.count("\n") == 1 and out.split("\t")[0] == str(path)
        # Read correctly: the same digit as the plain 8-bit grey picture gives.
        plain = folder / "plain.png"
        _digit_picture().save(plain)
        assert np.abs(load_image(path) - load_image(plain)).max() < 0.15
        assert int(out.split("\t")[2]) == int(models.default().predict(load_image(plain)[None])[0])
    else:
        assert out == ""
        _assert_one_line_error(rc, err, case.expect, path.name)


@pytest.mark.parametrize("case", _param(IMAGE_CASES))
def test_image_in_the_window(case, shown_window, tmp_path, qtbot):
    """A bad file: False, the message in the status bar, the drawing kept. A valid one opens."""
    from PySide6.QtWidgets import QMessageBox

    from digitpad.gui.replay import replay
    from digitpad.synthetic import drawn

    w = shown_window
    folder = tmp_path / "case"
    folder.mkdir()
    path = case.build(folder)
    before = _fingerprint(folder)
    replay(w.canvas, drawn.make_drawings(3, seed=5)[2])
    ink = w.canvas.ink()
    opened = w.open_image(path)
    assert _fingerprint(folder) == before
    message = w.statusBar().currentMessage()
    if case.expect is None:
        assert opened
        assert message == f"Opened {path.name}"
        assert not np.array_equal(w.canvas.ink(), ink)
    else:
        assert not opened
        assert case.expect in message and path.name in message, message
        assert np.array_equal(w.canvas.ink(), ink)
        boxes = [b for b in w.findChildren(QMessageBox) if b.isVisible()]
        assert len(boxes) == 1 and boxes[0].text() == message
        boxes[0].close()
    qtbot.wait(1)
    assert w.isVisible()  # the app keeps running


# --------------------------------------------------------------------------- data files

_HEADER = "pixel" + ",pixel".join(str(i) for i in range(784))
_ROW = ",".join(["0"] * 784)


def _csv(d: Path, text: str, name: str = "test.csv") -> Path:
    p = d / name
    p.write_text(text)
    return p


def _sparse_2gb(d: Path) -> Path:
    p = d / "huge.csv"
    with open(p, "wb") as f:
        f.write((_HEADER + "\n").encode())
        f.truncate(2 * 1024**3)  # sparse: takes no disk, reads as zero bytes
    return p


def _zipped_csv(d: Path) -> Path:
    p = d / "digit-recognizer.zip"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("test.csv", f"{_HEADER}\n{_ROW}\n")
    return p


def _gzipped_csv(d: Path) -> Path:
    p = d / "test.csv.gz"
    p.write_bytes(gzip.compress(f"{_HEADER}\n{_ROW}\n".encode()))
    return p


def _binary_csv(d: Path) -> Path:
    p = d / "test.csv"
    p.write_bytes(_HEADER.encode()[:100] + bytes(range(256)) * 4)
    return p


CSV_CASES = [
    Case("wrong-header", lambda d: _csv(d, "id,a,b\n1,2,3\n"), "header"),
    Case("zip-as-csv", _zipped_csv, "is a ZIP archive, not a CSV: unzip it first"),
    Case("gzip-as-csv", _gzipped_csv, "is a gzip file, not a CSV: decompress it first"),
    Case("binary-as-csv", _binary_csv, "is a binary file, not a CSV"),
    Case(
        "labelled-csv-to-submit",
        lambda d: _csv(d, f"label,{_HEADER}\n7,{_ROW}\n", "train.csv"),
        "use: digitpad evaluate --csv",
    ),
    Case(
        "symlink-loop-csv",
        lambda d: _symlink_loop(d, "test.csv"),
        "too many levels of symbolic links",
    ),
    Case("short-row", lambda d: _csv(d, f"{_HEADER}\n{_ROW}\n1,2,3\n"), "line 3"),
    Case("letters", lambda d: _csv(d, f"{_HEADER}\n{_ROW}\nx{_ROW[1:]}\n"), "not a whole number"),
    Case("over-255", lambda d: _csv(d, f"{_HEADER}\n{_ROW}\n300{_ROW[1:]}\n"), "300"),
    Case("empty-file", lambda d: _csv(d, ""), "empty"),
    Case("header-only", lambda d: _csv(d, _HEADER + "\n"), "no data rows"),
    Case("2gb-file", _sparse_2gb, "over the limit"),
]


@pytest.mark.parametrize("case", _param(CSV_CASES))
def test_kaggle_csv_on_the_command_line(case, tmp_path, capfd, isolated_settings):
    folder = tmp_path / "case"
    folder.mkdir()
    path = case.build(folder)
    out_csv = folder / "submission.csv"
    out_csv.write_text("ImageId,Label\n1,7\n")  # an earlier submission: must keep its bytes
    before = _fingerprint(folder)
    rc, out, err = _run_cli(["kaggle-submit", path, "-o", out_csv], capfd)
    assert out == ""
    _assert_one_line_error(rc, err, case.expect, path.name)
    assert "max_bytes" not in err  # no advice the command line cannot follow
    assert _fingerprint(folder) == before
    assert sorted(p.name for p in folder.iterdir()) == sorted([path.name, out_csv.name])


def _idx_images(d: Path) -> bytes:
    buf = d / "ok.idx"
    write_idx(buf, np.zeros((50, 28, 28), np.uint8))
    data = buf.read_bytes()
    buf.unlink()
    return data


def _truncated_idx_gz(d: Path) -> Path:
    p = d / "t10k-images-idx3-ubyte.gz"
    data = gzip.compress(_idx_images(d))
    p.write_bytes(data[: len(data) // 2])
    return p


def _short_idx_gz(d: Path) -> Path:
    """A complete gzip stream whose IDX content stops half way."""
    p = d / "t10k-images-idx3-ubyte.gz"
    data = _idx_images(d)
    p.write_bytes(gzip.compress(data[: len(data) // 2]))
    return p


def _foreign_idx(d: Path) -> Path:
    p = d / "t10k-labels-idx1-ubyte"
    p.write_bytes(struct.pack(">II", 0x00000D01, 10) + bytes(40))  # idx1 of float64
    return p


def _png_as_idx(d: Path) -> Path:
    p = d / "train-images-idx3-ubyte.gz"
    p.write_bytes(_png_bytes(_digit_picture()))
    return p


def _wrong_image_size(d: Path) -> Path:
    p = d / "train-images-idx3-ubyte"
    write_idx(p, np.zeros((2, 28, 28), np.uint8))
    data = bytearray(p.read_bytes())
    data[8:16] = struct.pack(">II", 32, 32)
    p.write_bytes(bytes(data))
    return p


IDX_CASES = [
    Case("truncated-idx-gz", _truncated_idx_gz, "corrupt gzip stream"),
    Case("short-idx-in-gz", _short_idx_gz, "truncated"),
    Case("foreign-idx-magic", _foreign_idx, "not an MNIST IDX file"),
    Case("png-named-idx", _png_as_idx, "not an MNIST IDX file"),
    Case("32x32-idx", _wrong_image_size, "expected 28×28"),
    Case("empty-idx", lambda d: _csv(d, "", "t10k-labels-idx1-ubyte"), "empty"),
]


@pytest.mark.parametrize("case", _param(IDX_CASES))
def test_idx_file(case, tmp_path):
    path = case.build(tmp_path)
    before = _fingerprint(tmp_path)
    with pytest.raises(DatasetError) as info:
        read_idx(path)
    message = str(info.value)
    assert case.expect in message and str(path) in message, message
    assert "download" in message or "only MNIST-format" in message  # what to do
    assert _fingerprint(tmp_path) == before


# --------------------------------------------------------------------------- models


def _user_model(name: str, bundled: str, files: dict[str, bytes], *, resign: bool = True) -> str:
    """A user model ``name`` copied from bundled model ``bundled`` with ``files`` replaced.

    resign: write the checksums of the new files into meta.json (as a tool that saves a model
    would), so that the damage reaches the loader; otherwise the checksum check catches it.
    """
    src = models.bundled_dir() / bundled
    dest = models.user_dir() / name
    if resign:
        meta = read_meta(src)
        content = {p.name: p.read_bytes() for p in src.iterdir() if p.name != "meta.json"}
        write_model_dir(dest, {**content, **files}, {**meta, "name": name})
    else:
        shutil.copytree(src, dest)
        for fname, data in files.items():
            (dest / fname).write_bytes(data)
    return name


class _Payload:
    """Pickled, this creates ``ran`` when loaded: proof that nothing from the file was run."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _pickle_model(d: Path) -> str:
    return _user_model("my-pickle", "logistic", {"model.npz": pickle.dumps(_Payload(d / "ran"))})


def _other_input_shape(bundled: str, d: Path) -> str:
    """Model weights trained on 20×20 inputs (400 pixels) instead of 28×28 (784)."""
    with np.load(models.bundled_dir() / bundled / "model.npz") as z:
        arrays = {k: z[k] for k in z.files}
    key = {"logistic": "W", "mlp": "W1"}[bundled]
    arrays[key] = np.ascontiguousarray(arrays[key][:400])
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return _user_model(f"my-{bundled}-20x20", bundled, {"model.npz": buf.getvalue()})


def _garbage(n: int, seed: int = 0) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def _cut(bundled: str, fname: str) -> bytes:
    data = (models.bundled_dir() / bundled / fname).read_bytes()
    return data[: len(data) // 2]


MODEL_CASES = [
    Case(
        "npz-damaged-on-disk",
        lambda d: _user_model(
            "my-npz", "logistic", {"model.npz": _cut("logistic", "model.npz")}, resign=False
        ),
        "checksum mismatch",
    ),
    Case(
        "npz-truncated",
        lambda d: _user_model("my-npz", "logistic", {"model.npz": _cut("logistic", "model.npz")}),
        "damaged",
    ),
    Case(
        "npz-garbage",
        lambda d: _user_model("my-npz", "rbf_svm", {"model.npz": _garbage(5000)}),
        "not an .npz weights file",
    ),
    Case("pickle-as-model-npz", _pickle_model, "pickle payloads are never loaded"),
    Case(
        "tflite-damaged-on-disk",
        lambda d: _user_model("my-tfl", "lenet5", {"model.tflite": _garbage(1000)}, resign=False),
        "checksum mismatch",
    ),
    Case(
        "tflite-garbage",
        lambda d: _user_model("my-tfl", "lenet5", {"model.tflite": _garbage(1000)}),
        "LiteRT cannot load it",
    ),
    Case(
        "tflite-truncated",
        lambda d: _user_model("my-tfl", "lenet5", {"model.tflite": _cut("lenet5", "model.tflite")}),
        "LiteRT cannot load it",
    ),
    Case("logistic-for-20x20", lambda d: _other_input_shape("logistic", d), "another input size"),
    Case("mlp-for-20x20", lambda d: _other_input_shape("mlp", d), "another input size"),
    Case(
        "meta-json-damaged",
        lambda d: _user_model("my-meta", "logistic", {"meta.json": b"{not json"}, resign=False),
        "meta.json",
    ),
]


@pytest.mark.parametrize("case", _param(MODEL_CASES))
def test_user_model_on_the_command_line(case, tmp_path, capfd, isolated_settings):
    folder = tmp_path / "case"
    folder.mkdir()
    image = folder / "seven.png"
    _digit_picture().save(image)
    name = case.build(folder)
    data = models.user_dir()
    before, before_data = _fingerprint(folder), _fingerprint(data)
    rc, out, err = _run_cli(["predict", "--model", name, image], capfd)
    assert out == ""
    _assert_one_line_error(rc, err, case.expect, name)
    assert "retrain or remove" in err or "remove the model folder" in err  # what to do
    assert _fingerprint(folder) == before and _fingerprint(data) == before_data
    assert not (folder / "ran").exists()
    # The app keeps working: the bundled models still read the picture.
    rc, out, err = _run_cli(["predict", image], capfd)
    assert rc == 0 and out.split("\t")[2] == "7", err


def _keras_lambda(d: Path) -> Path:
    keras = pytest.importorskip("keras")
    inputs = keras.Input((28, 28, 1))
    outputs = keras.layers.Lambda(lambda t: t * 2)(inputs)
    path = d / "lambda.keras"
    keras.Model(inputs, outputs).save(path)
    return path


def _keras_no_config(d: Path) -> Path:
    import zipfile

    p = d / "model.keras"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("metadata.json", "{}")
    return p


KERAS_CASES = [
    Case("keras-garbage", lambda d: _csv(d, "not a zip", "model.keras"), "not a valid .keras"),
    Case(
        "keras-truncated",
        lambda d: _write(d / "model.keras", _cut("mlp", "model.keras")),
        "not a valid .keras",
    ),
    Case("keras-without-config", _keras_no_config, "not a valid .keras"),
    Case("keras-lambda-layer", _keras_lambda, "Lambda layer"),
]


def _write(p: Path, data: bytes) -> Path:
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("case", _param(KERAS_CASES))
def test_keras_file(case, tmp_path):
    """A ``.keras`` file is opened only to resume a training (``load_keras``); none runs code."""
    path = case.build(tmp_path)
    before = _fingerprint(tmp_path)
    with pytest.raises(models.ModelError) as info:
        load_keras(path)
    message = str(info.value)
    assert case.expect in message and str(path) in message, message
    assert "retrain or remove" in message or "only loads models made of" in message
    assert _fingerprint(tmp_path) == before


# --------------------------------------------------------------------------- the table itself

ALL_CASES = IMAGE_CASES + CSV_CASES + IDX_CASES + MODEL_CASES + KERAS_CASES


def test_every_case_names_what_it_expects():
    ids = [c.id for c in ALL_CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    for c in ALL_CASES:
        if c.expect is not None:
            assert isinstance(c.expect, str) and c.expect.strip(), c.id
    valid = {c.id for c in ALL_CASES if c.expect is None}
    assert valid == {"16-bit-png", "cmyk-jpeg", "cmyk-tiff", "animated-gif"}


def test_npz_loader_refuses_pickle_without_running_it(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(models.ModelError, match="pickle"):
        load_npz(pickle.dumps(_Payload(marker)), tmp_path / "model.npz")
    assert not marker.exists()
