"""to_mnist and load_image on real MNIST digits and on drawings."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from digitpad.data import mnist
from digitpad.preprocess import (
    CENTRE,
    as_mnist,
    centre_of_mass,
    load_image,
    to_mnist,
    to_mnist_placed,
)
from digitpad.synthetic import drawn


@pytest.fixture(scope="module")
def mnist_test():
    x, y = mnist.load_mnist("test")
    return x[:200], y[:200]


def _upscale(img28: np.ndarray, size: int = 280) -> np.ndarray:
    return np.asarray(Image.fromarray((img28 * 255).astype(np.uint8)).resize((size, size)))


def _on_canvas(img: np.ndarray, size: int, top: int, left: int) -> np.ndarray:
    canvas = np.zeros((size, size), np.uint8)
    canvas[top : top + img.shape[0], left : left + img.shape[1]] = img
    return canvas


def test_empty_canvas_gives_none():
    assert to_mnist(np.zeros((280, 280), np.uint8)) is None
    assert to_mnist(np.zeros((280, 280), np.float32)) is None


def test_output_format_and_centre_of_mass(mnist_test):
    for img in mnist_test[0][:50]:
        out = to_mnist(_upscale(img))
        assert out.shape == (28, 28) and out.dtype == np.float32
        assert out.min() >= 0 and out.max() == pytest.approx(1.0)
        cy, cx = centre_of_mass(out)
        assert abs(cy - CENTRE) < 0.01 and abs(cx - CENTRE) < 0.01
        # Within half a pixel of the field's geometric centre (13.5) and of MNIST's own (14.0).
        assert abs(cy - 13.5) < 0.5 and abs(cy - 14.0) < 0.5


def test_longer_side_fits_20_pixel_box(mnist_test):
    for img in mnist_test[0][:50]:
        out = to_mnist(_upscale(img))
        rows, cols = np.nonzero(out > 0.05)
        longer = max(np.ptp(rows) + 1, np.ptp(cols) + 1)
        assert 19 <= longer <= 22  # 20 px plus the anti-aliased edge a sub-pixel shift adds


def test_upscaled_mnist_comes_back_close_to_itself(mnist_test):
    # MNIST digits already went through these steps: re-doing them must change them little.
    diffs = [np.abs(to_mnist(_upscale(img)) - img).mean() for img in mnist_test[0]]
    assert np.median(diffs) < 0.08


def test_shift_and_scale_change_the_result_little(mnist_test):
    img = _upscale(mnist_test[0][0], 120)
    ref = to_mnist(_on_canvas(img, 400, 140, 140))
    for top, left in [(0, 0), (280, 0), (0, 280), (280, 280), (57, 211)]:
        moved = to_mnist(_on_canvas(img, 400, top, left))
        assert np.abs(moved - ref).max() < 1e-5  # pure translation: identical result
    for size in (60, 200, 400):
        scaled = to_mnist(_upscale(mnist_test[0][0], size))
        assert np.abs(scaled - ref).mean() < 0.06


def test_tiny_digit_in_a_corner_and_thin_line():
    canvas = np.zeros((280, 280), np.uint8)
    canvas[2:14, 270:273] = 255  # a tiny "1" in the top-right corner
    out = to_mnist(canvas)
    rows, _ = np.nonzero(out > 0.1)
    assert np.ptp(rows) + 1 >= 19  # scaled up to the 20-pixel box
    cy, cx = centre_of_mass(out)
    assert abs(cy - CENTRE) < 0.5 and abs(cx - CENTRE) < 0.5


def test_single_dot_and_float_input():
    canvas = np.zeros((50, 50), np.float32)
    canvas[10, 10] = 0.8
    out = to_mnist(canvas)
    assert out is not None and out.max() == pytest.approx(1.0)


def test_rejects_non_2d_and_nan():
    with pytest.raises(ValueError):
        to_mnist(np.zeros((28, 28, 3)))
    bad = np.zeros((28, 28), np.float32)
    bad[3, 3] = np.nan
    with pytest.raises(ValueError):
        to_mnist(bad)


def test_drawings_look_like_mnist():
    # Thick and thin pens, tiny and huge drawings all land in the same 20-pixel box.
    for d in drawn.make_drawings(40, seed=1, variant="hard"):
        out = to_mnist(drawn.render(d))
        cy, cx = centre_of_mass(out)
        assert abs(cy - CENTRE) < 0.5 and abs(cx - CENTRE) < 0.5
        rows, cols = np.nonzero(out > 0.05)
        assert max(np.ptp(rows), np.ptp(cols)) + 1 <= 22


# --------------------------------------------------------------------------- load_image


@pytest.fixture()
def digit_png(tmp_path, mnist_test):
    img = _upscale(mnist_test[0][0])
    return img, tmp_path


def test_load_image_formats_and_polarity(digit_png):
    img, tmp = digit_png
    ref = to_mnist(img)
    pil = Image.fromarray(img)
    cases = {
        "white_on_black.png": pil,
        "black_on_white.png": Image.fromarray(255 - img),
        "rgb.jpg": Image.fromarray(255 - img).convert("RGB"),
        "scan.bmp": Image.fromarray(255 - img).convert("RGB"),
        "anim.gif": Image.fromarray(255 - img).convert("P"),
        "page.tiff": Image.fromarray(255 - img),
        "cmyk.tiff": Image.fromarray(255 - img).convert("CMYK"),
        "grey16.png": Image.fromarray((255 - img).astype(np.uint16) * 257),
    }
    for name, im in cases.items():
        im.save(tmp / name)
        out = load_image(tmp / name)
        assert out.shape == (28, 28) and out.dtype == np.float32
        tolerance = 0.06 if name.endswith(".jpg") else 0.03
        assert np.abs(out - ref).mean() < tolerance, name


def test_load_image_alpha_is_background(digit_png):
    img, tmp = digit_png
    rgba = np.zeros((*img.shape, 4), np.uint8)
    rgba[..., 3] = img  # black ink on a transparent sheet
    Image.fromarray(rgba, "RGBA").save(tmp / "alpha.png")
    assert np.abs(load_image(tmp / "alpha.png") - to_mnist(img)).mean() < 0.03


def test_load_image_honours_exif_rotation(digit_png):
    img, tmp = digit_png
    rotated = Image.fromarray(255 - img).rotate(90, expand=True)  # stored sideways
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    rotated.save(tmp / "phone.jpg", exif=exif)
    out = load_image(tmp / "phone.jpg")
    assert np.abs(out - to_mnist(img)).mean() < 0.06


def test_load_image_bad_files(tmp_path):
    (tmp_path / "text.png").write_text("this is not an image")
    (tmp_path / "empty.png").write_bytes(b"")
    Image.new("L", (64, 64), 255).save(tmp_path / "blank.png")
    good = tmp_path / "good.png"
    noise = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    Image.fromarray(noise).save(good)
    (tmp_path / "truncated.png").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    expectations = {
        "text.png": "not an image",
        "empty.png": "not an image",
        "blank.png": "blank",
        "truncated.png": "damaged or truncated",
        "missing.png": "no such file",
    }
    for name, words in expectations.items():
        with pytest.raises(ValueError, match=words):
            load_image(tmp_path / name)


def test_load_image_refuses_decompression_bomb(tmp_path):
    # A PNG is decoded whole, so its limit is lower than a JPEG's: 12,000×12,000 (144 MP) is
    # refused from its header (the 8×8 picture it holds is never reached).
    buf = io.BytesIO()
    Image.new("1", (8, 8), 0).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    data[16:24] = struct.pack(">II", 12_000, 12_000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    (tmp_path / "bomb.png").write_bytes(bytes(data))
    with pytest.raises(ValueError, match="144 megapixels"):
        load_image(tmp_path / "bomb.png")


def test_the_placement_maps_the_field_back_onto_the_drawing():
    img = np.zeros((400, 300), np.uint8)
    img[100:200, 50:100] = 255  # a bar 100 tall, 50 wide: its centre (edges) at (150, 75)
    digit, where = to_mnist_placed(img)
    np.testing.assert_array_equal(digit, to_mnist(img))
    r, c = centre_of_mass(digit)  # index coordinates; + 0.5 for pixel edges
    assert abs(where.top + (r + 0.5) * where.row_scale - 150) < where.row_scale
    assert abs(where.left + (c + 0.5) * where.col_scale - 75) < where.col_scale
    assert where.row_scale == pytest.approx(100 / 20)
    left, top, width, height = where.field_rect()
    assert (left, top) == (where.left, where.top)
    assert (width, height) == pytest.approx((28 * where.col_scale, 28 * where.row_scale))
    assert to_mnist_placed(np.zeros((10, 10), np.uint8)) is None


def _wide_formats(img: np.ndarray) -> dict[str, Image.Image]:
    """``img`` (H, W) uint8, white ink on black, in the formats that are not 8-bit."""
    unit = img.astype(np.float32) / 255
    twelve = np.rint(unit * 4095).astype(np.uint16)
    return {
        "float01.tiff": Image.fromarray(unit, "F"),
        "float01_paper.tiff": Image.fromarray(1 - unit, "F"),
        "float255.tiff": Image.fromarray(unit * 255, "F"),
        "grey12.png": Image.fromarray(twelve),
        "grey12_paper.png": Image.fromarray(4095 - twelve),
        "grey16_paper.png": Image.fromarray(np.rint((1 - unit) * 65535).astype(np.uint16)),
    }


def test_float_and_12_bit_images_read_as_the_8_bit_png(tmp_path, mnist_test):
    from digitpad import models

    cnn = models.load("cnn")
    digits = mnist_test[0][:8]
    for k, digit in enumerate(digits):
        img = _upscale(digit)
        Image.fromarray(img).save(tmp_path / f"{k}.png")
        ref = load_image(tmp_path / f"{k}.png")
        ref_proba = cnn.predict_proba(ref[None])[0]
        for name, im in _wide_formats(img).items():
            path = tmp_path / f"{k}-{name}"
            im.save(path)
            out = load_image(path)  # was "blank" for the floats in [0, 1] and the 12-bit data
            assert np.abs(out - ref).mean() < 0.01, path.name
            proba = cnn.predict_proba(out[None])[0]
            assert proba.argmax() == ref_proba.argmax(), path.name
            assert np.abs(proba - ref_proba).max() < 0.02, path.name


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_infinite_pixels_are_refused_naming_the_file(tmp_path, mnist_test, bad):
    unit = _upscale(mnist_test[0][0]).astype(np.float32) / 255
    unit[5, 7] = bad
    path = tmp_path / "has-a-bad-pixel.tiff"
    Image.fromarray(unit, "F").save(path)
    with pytest.raises(ValueError, match="NaN or infinite") as info:
        load_image(path)
    assert str(path) in str(info.value)


def test_damage_pil_reports_as_a_bare_value_error_names_the_file(tmp_path, mnist_test):
    # Found by tests/test_properties.py: a BMP whose colour count (byte 46) disagrees with its
    # palette made PIL raise "invalid palette size", a message without the file name.
    path = tmp_path / "colours.bmp"
    Image.fromarray(255 - _upscale(mnist_test[0][0], 56)).save(path)
    data = bytearray(path.read_bytes())
    data[46] = 2
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="damaged") as info:
        load_image(path)
    assert str(path) in str(info.value)


def test_as_mnist_keeps_what_is_already_in_mnist_format(mnist_test):
    x, _ = mnist_test
    for p in x[:50]:
        np.testing.assert_array_equal(as_mnist(p), p / p.max())  # not re-cropped, not blurred
        np.testing.assert_array_equal(as_mnist((p * 255).astype(np.uint8)), _through_uint8(p))
    for d in drawn.make_drawings(20, seed=3, variant="hard"):
        once = to_mnist(drawn.render(d))
        np.testing.assert_array_equal(as_mnist(once), once)  # idempotent


def _through_uint8(p: np.ndarray) -> np.ndarray:
    """What as_mnist gives for ``p`` stored as 0–255: scaled so its brightest pixel is 1."""
    q = (p * 255).astype(np.uint8).astype(np.float32) / 255
    return (q / q.max()).astype(np.float32)


def test_as_mnist_formats_what_is_not(mnist_test):
    x, _ = mnist_test
    big = np.asarray(Image.fromarray((x[0] * 255).astype(np.uint8)).resize((40, 40)))
    filled = big[6:34, 6:34]  # 28×28, but the digit fills it: longer than 20 px
    np.testing.assert_array_equal(as_mnist(filled), to_mnist(filled))
    off = np.roll(x[0], 4, axis=1)  # in the field, but off-centre
    out = as_mnist(off)
    np.testing.assert_array_equal(out, to_mnist(off))
    assert abs(centre_of_mass(out)[1] - CENTRE) < 0.1
    assert as_mnist(np.zeros((28, 28), np.float32)) is None
    canvas = drawn.render(drawn.make_drawings(1, seed=4)[0])
    np.testing.assert_array_equal(as_mnist(canvas), to_mnist(canvas))
